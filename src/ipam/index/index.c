// SPDX-License-Identifier: Apache-2.0
/*
 * brisk's index of a lease store (see index.h): its header and validity,
 * the owner-record files (record.c) and bitmaps (map.c) loaded as needed
 * and written back at close, and the primitives of a catch-up (sync).
 * It owns nothing in <dataDir>/.brisk/<network>/ but "index", "o-*",
 * "4-*", "6-*" and "spare" ("lease" is the store's): anything else there
 * is left alone.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/fsopen.h"
#include "brisk/grow.h"
#include "brisk/index.h"
#include "brisk/log.h"
#include "map.h"
#include "record.h"

#define INDEX_TOP ".brisk"
#define INDEX_HEADER "index"
#define INDEX_SPARE "spare"
#define INDEX_MAGIC "brisk-index 2"
#define INDEX_HEADER_SIZE 256
#define INDEX_FILE_MAX (4 * 1024 * 1024)

struct index_file {
	struct rec_file f;
	int fd; /* the file once read, -1 when it does not exist */
	size_t disk_len; /* its size on disk: a rewrite pads up to it */
	bool loaded;
	bool dirty;
};

struct index {
	enum index_state state;
	int fd; /* .brisk/<network>, -1 when OFF */
	int hdrfd;
	uint64_t gen;
	bool synced; /* caught up during this call: prune, then commit */
	bool failed; /* something was not recorded: never commit */
	char boot[INDEX_BOOT_LEN];
	struct map map;
	struct rec_lease **names; /* during a sync: every lease, hashed by name */
	size_t n_names; /* the table's slots, a power of two */
	struct index_file *files[REC_FILES]; /* NULL until used */
};

/* The boot id, or "": without it a reboot (and its lost writes) is unseen. */
static void index_read_boot(char ret[INDEX_BOOT_LEN])
{
	_cleanup_close_ int fd = -1;
	char buf[64];
	ssize_t n;
	size_t len;

	ret[0] = '\0';
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	len = strcspn(buf, "\n");
	if (len != INDEX_BOOT_LEN - 1 || strspn(buf, "0123456789abcdef-") < len)
		return;
	memcpy(ret, buf, len);
	ret[len] = '\0';
}

/*
 * The mtime brisk gives the store directory after its change number @gen:
 * in the first second of 1970, which no clock of a running system shows,
 * so a create or unlink by anyone else can never leave it in place.
 */
static struct timespec index_sentinel(uint64_t gen)
{
	return (struct timespec){ .tv_sec = 1,
				  .tv_nsec = (long)(gen % 1000000000ULL) };
}

static bool index_ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Valid: the store is exactly as our last commit left it, in this boot. */
static bool index_header_valid(struct index *x, int storefd)
{
	char buf[INDEX_HEADER_SIZE + 1], boot[INDEX_BOOT_LEN];
	uint64_t dev, ino;
	long long csec;
	long cnsec;
	struct stat st;
	ssize_t n = pread(x->hdrfd, buf, INDEX_HEADER_SIZE, 0);

	if (n <= 0 || fstat(storefd, &st) < 0)
		return false;
	buf[n] = '\0';
	if (sscanf(buf,
		   INDEX_MAGIC "\ngen %" SCNu64 "\nboot %36s\ndir %" SCNu64
			       " %" SCNu64 "\nctime %lld %ld\n",
		   &x->gen, boot, &dev, &ino, &csec, &cnsec) != 6)
		return false;
	return strcmp(boot, x->boot) == 0 && dev == (uint64_t)st.st_dev &&
	       ino == (uint64_t)st.st_ino &&
	       index_ts_eq(st.st_mtim, index_sentinel(x->gen)) &&
	       st.st_ctim.tv_sec == csec && st.st_ctim.tv_nsec == cnsec;
}

struct index *index_open(int datafd, const char *net, int storefd)
{
	struct index *x = calloc(1, sizeof(*x));
	int top;

	if (!x)
		return NULL;
	x->fd = x->hdrfd = x->map.dirfd = -1;
	index_read_boot(x->boot);
	if (!x->boot[0])
		return x;
	top = fsopen_dir(datafd, INDEX_TOP, 0700);
	x->fd = top < 0 ? top : fsopen_dir(top, net, 0700);
	cleanup_closep(&top);
	x->hdrfd = x->fd < 0 ? x->fd :
			       fsopen_file(x->fd, INDEX_HEADER,
					   O_RDWR | O_CREAT, NULL);
	if (x->hdrfd < 0) {
		log_debug("%s: brisk's index is unusable (%s): in memory only",
			  net, strerror(-x->hdrfd));
		cleanup_closep(&x->fd);
		x->fd = -1;
		return x;
	}
	x->map.dirfd = x->fd;
	x->state = index_header_valid(x, storefd) ? INDEX_VALID : INDEX_STALE;
	return x;
}

enum index_state index_state(const struct index *x)
{
	return x->state;
}

int index_dirfd(const struct index *x)
{
	return x->fd;
}

const char *index_boot(const struct index *x)
{
	return x->boot;
}

/*
 * Record file @key, read on first use (-EBADMSG when damaged) and, unless
 * all are read (@keep false), kept open to be written back. After a sync
 * began, or in memory only, a file not loaded yet holds nobody.
 */
static int index_load(struct index *x, unsigned int key, bool keep)
{
	struct index_file *f = x->files[key];
	_cleanup_free_ char *buf = NULL;
	char name[8];
	struct stat st;
	int r = 0;

	if (!f) {
		f = x->files[key] = calloc(1, sizeof(*f));
		if (!f)
			return -ENOMEM;
		f->fd = -1;
	}
	if (f->loaded || x->fd < 0 || x->synced) {
		f->loaded = true;
		return 0;
	}
	snprintf(name, sizeof(name), "o-%03x", key);
	f->fd = fsopen_file(x->fd, name, O_RDWR, &st);
	if (f->fd == -ENOENT)
		f->fd = -1;
	else if (f->fd < 0)
		return f->fd;
	if (f->fd >= 0 && st.st_size <= INDEX_FILE_MAX &&
	    (buf = malloc((size_t)st.st_size + 1)) &&
	    pread(f->fd, buf, (size_t)st.st_size, 0) == st.st_size) {
		buf[st.st_size] = '\0';
		f->disk_len = (size_t)st.st_size;
		r = rec_parse(buf, f->disk_len, &f->f);
	} else if (f->fd >= 0) {
		r = -EBADMSG;
	}
	/* An owner in a file not of its ID is damage too. */
	for (size_t i = 0; r == 0 && i < f->f.n; i++)
		if (rec_key(f->f.o[i].id) != key)
			r = -EBADMSG;
	if (r < 0 || !keep) {
		cleanup_closep(&f->fd);
		f->fd = -1;
	}
	if (r < 0) {
		rec_clear(&f->f);
		return r;
	}
	f->loaded = true;
	return 0;
}

/* Owner id/ifname/is_old (made when @create); NULL with errno when none. */
static struct rec_owner *index_owner(struct index *x, const char *id,
				     const char *ifname, bool is_old,
				     bool create)
{
	unsigned int key = rec_key(id);
	struct rec_owner *o;
	int r = index_load(x, key, true);

	if (r < 0) {
		errno = -r;
		return NULL;
	}
	o = rec_owner(&x->files[key]->f, id, ifname, is_old, create);
	if (!o)
		errno = create ? ENOMEM : ENOENT;
	return o;
}

static void index_hit_of(const struct rec_owner *o, const struct rec_lease *l,
			 struct index_hit *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", l->name);
	h->is_old = o->is_old;
	h->attested = l->attested;
	h->st.st_ino = (ino_t)l->ino;
	h->st.st_mtim.tv_sec = (time_t)l->sec;
	h->st.st_mtim.tv_nsec = (long)l->nsec;
	h->st.st_size = (off_t)l->size;
}

int index_find(struct index *x, const char *id, const char *ifname,
	       struct index_hit **ret, size_t *ret_n)
{
	unsigned int key = rec_key(id);
	size_t cap = 0;
	int r = index_load(x, key, true);
	struct rec_file *f = r == 0 ? &x->files[key]->f : NULL;

	*ret = NULL;
	*ret_n = 0;
	for (size_t i = 0; r == 0 && i < f->n; i++) {
		const struct rec_owner *o = &f->o[i];

		if (strcmp(o->id, id) != 0 ||
		    (!o->is_old && strcmp(o->ifname, ifname) != 0))
			continue;
		for (size_t j = 0; r == 0 && j < o->n; j++) {
			r = GROW_ONE(*ret, cap, *ret_n, 4);
			if (r == 0)
				index_hit_of(o, &o->l[j], &(*ret)[(*ret_n)++]);
		}
	}
	return r;
}

/* A change to owner id/ifname failed: the index no longer tells all. */
static int index_fail(struct index *x, int r)
{
	if (r < 0 && r != -ENOENT)
		x->failed = true;
	return r;
}

int index_put(struct index *x, const char *id, const char *ifname, bool is_old,
	      const char *name, const struct stat *st)
{
	struct rec_owner *o = index_owner(x, id, ifname, is_old, true);
	struct rec_lease *l = o ? rec_lease(o, name) : NULL;

	if (!l)
		return index_fail(x, o ? -ENOMEM : -errno);
	l->ino = (uint64_t)st->st_ino;
	l->sec = (int64_t)st->st_mtim.tv_sec;
	l->nsec = (int64_t)st->st_mtim.tv_nsec;
	l->size = (int64_t)st->st_size;
	l->attested = false;
	x->files[rec_key(id)]->dirty = true;
	return 0;
}

int index_del(struct index *x, const char *id, const char *ifname, bool is_old,
	      const char *name)
{
	struct rec_owner *o = index_owner(x, id, ifname, is_old, false);
	struct index_file *f = x->files[rec_key(id)];

	if (!o)
		return index_fail(x, -errno);
	if (!rec_unlease(o, name))
		return -ENOENT;
	rec_prune(&f->f);
	f->dirty = true;
	return 0;
}

int index_note(struct index *x, const char *id, const char *ifname,
	       const char *note)
{
	struct rec_owner *o = index_owner(x, id, ifname, false, false);
	char *copy;

	if (!o)
		return index_fail(x, -errno);
	copy = strdup(note);
	if (!copy)
		return index_fail(x, -ENOMEM);
	free(o->note);
	o->note = copy;
	/* The note describes these very files, as they are now. */
	for (size_t i = 0; i < o->n; i++)
		o->l[i].attested = true;
	x->files[rec_key(id)]->dirty = true;
	return 0;
}

int index_mark(struct index *x, const struct ipaddr *ip, bool taken)
{
	return index_fail(x, map_set(&x->map, ip, taken));
}

bool index_is_taken(struct index *x, const struct ipaddr *ip)
{
	return map_get(&x->map, ip);
}

int index_next_free(struct index *x, const struct ipaddr *lo,
		    const struct ipaddr *hi, struct ipaddr *ret,
		    bool *ret_found)
{
	return map_find(&x->map, lo, hi, ret, ret_found);
}

/* ------------------------------------------------------------- catch-up */

/* A listing of the index's directory, through an fd of its own. */
static DIR *index_list(const struct index *x)
{
	int fd = openat(x->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (fd >= 0 && !d)
		close(fd);
	return d;
}

/* The key of record file @name; -EINVAL: no such name, -ERANGE: no key. */
static int index_rec_key(const char *name)
{
	unsigned long key;

	if (strncmp(name, "o-", 2) != 0 || strlen(name) != 5 ||
	    strspn(name + 2, "0123456789abcdef") != 3)
		return -EINVAL;
	key = strtoul(name + 2, NULL, 16);
	return key < REC_FILES ? (int)key : -ERANGE;
}

/* Every record file into memory; a damaged one is dropped and rewritten. */
static void index_load_all(struct index *x)
{
	DIR *d = index_list(x);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		int key = index_rec_key(de->d_name);

		if (key >= 0 && index_load(x, (unsigned int)key, false) < 0 &&
		    x->files[key]) {
			log_debug("brisk's index: %s is damaged", de->d_name);
			x->files[key]->loaded = x->files[key]->dirty = true;
		}
	}
	if (d)
		closedir(d);
	/* From here on, what is not loaded does not exist. */
	x->synced = true;
}

/* Where lease @name sits in the table of a sync: FNV-1a, then probing. */
static size_t index_slot(const struct index *x, const char *name)
{
	size_t h = 2166136261u, mask = x->n_names - 1;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (h &= mask; x->names[h] && strcmp(x->names[h]->name, name) != 0;
	     h = (h + 1) & mask)
		;
	return h;
}

int index_sync_begin(struct index *x)
{
	size_t n = 0;

	index_load_all(x);
	for (unsigned int k = 0; k < REC_FILES; k++)
		for (size_t i = 0; x->files[k] && i < x->files[k]->f.n; i++)
			n += x->files[k]->f.o[i].n;
	/* A table at most half full: a name is found in a probe or two. */
	for (x->n_names = 16; x->n_names < 2 * n; x->n_names *= 2)
		;
	x->names = calloc(x->n_names, sizeof(*x->names));
	if (!x->names)
		return -ENOMEM;
	for (unsigned int k = 0; k < REC_FILES; k++) {
		struct rec_file *f = x->files[k] ? &x->files[k]->f : NULL;

		for (size_t i = 0; f && i < f->n; i++)
			for (size_t j = 0; j < f->o[i].n; j++) {
				struct rec_lease *l = &f->o[i].l[j];

				l->seen = false;
				x->names[index_slot(x, l->name)] = l;
			}
	}
	map_reset(&x->map);
	return 0;
}

static struct rec_lease *index_sync_find(struct index *x, const char *name)
{
	return x->names ? x->names[index_slot(x, name)] : NULL;
}

bool index_sync_known(struct index *x, const char *name)
{
	return index_sync_find(x, name) != NULL;
}

bool index_sync_keep(struct index *x, const char *name, const struct stat *st)
{
	struct rec_lease *l = index_sync_find(x, name);

	if (l)
		l->seen = l->ino == (uint64_t)st->st_ino &&
			  l->sec == (int64_t)st->st_mtim.tv_sec &&
			  l->nsec == (int64_t)st->st_mtim.tv_nsec &&
			  l->size == (int64_t)st->st_size;
	return l && l->seen;
}

void index_sync_end(struct index *x, bool ok)
{
	x->failed |= !ok;
	free(x->names);
	x->names = NULL;
	x->n_names = 0;
	for (unsigned int k = 0; k < REC_FILES; k++) {
		struct rec_file *f = x->files[k] ? &x->files[k]->f : NULL;

		for (size_t i = 0; f && i < f->n; i++) {
			struct rec_owner *o = &f->o[i];
			size_t kept = 0;

			for (size_t j = 0; j < o->n; j++)
				if (o->l[j].seen)
					o->l[kept++] = o->l[j];
			x->files[k]->dirty |= kept != o->n;
			o->n = kept;
		}
		if (f)
			rec_prune(f);
	}
	if (x->fd >= 0 && ok)
		x->state = INDEX_VALID;
}

int index_walk(struct index *x, index_walk_fn fn, void *data)
{
	struct index_hit h;
	int r = 0;

	for (unsigned int k = 0; r >= 0 && k < REC_FILES; k++) {
		struct rec_file *f = x->files[k] ? &x->files[k]->f : NULL;

		for (size_t i = 0; f && r >= 0 && i < f->n; i++) {
			struct rec_owner *o = &f->o[i];

			for (size_t j = 0; r >= 0 && j < o->n; j++) {
				index_hit_of(o, &o->l[j], &h);
				r = fn(o->id, o->ifname, o->note, &h, data);
			}
		}
	}
	return r < 0 ? r : 0;
}

/* ------------------------------------------------------------- writing */

static int index_write_file(struct index *x, unsigned int key)
{
	struct index_file *f = x->files[key];
	_cleanup_free_ char *buf = NULL;
	char name[8];
	size_t len = 0;
	struct stat st;

	/* One left without owners keeps its file until a catch-up. */
	snprintf(name, sizeof(name), "o-%03x", key);
	rec_prune(&f->f);
	/* A new file: the spare a DEL made, when there is one (index_spare). */
	if (f->fd < 0 &&
	    renameat2(x->fd, INDEX_SPARE, x->fd, name, RENAME_NOREPLACE) == 0 &&
	    (f->fd = fsopen_file(x->fd, name, O_RDWR, &st)) >= 0)
		f->disk_len = (size_t)st.st_size;
	buf = rec_format(&f->f, f->disk_len, &len);
	if (!buf)
		return -ENOMEM;
	if (f->fd < 0)
		f->fd = fsopen_file(x->fd, name, O_RDWR | O_CREAT, NULL);
	/* One pwrite: padded to the old size, so no truncation to crash in. */
	if (f->fd < 0 || pwrite(f->fd, buf, len, 0) != (ssize_t)len)
		return f->fd < 0 ? f->fd : -EIO;
	f->disk_len = len;
	return 0;
}

/*
 * After a sync: remove the record files of no key or of no owner, and the
 * bitmaps not held in memory (every taken address was marked, so those
 * are stale). Every record file was loaded (index_load_all). Between
 * catch-ups an empty record file stays, to save the next owner of its key
 * a file creation; here, already the slow path, they go, or in time all
 * REC_FILES would be read by every catch-up (~14 us each).
 */
static void index_prune(struct index *x)
{
	DIR *d = index_list(x);
	struct dirent *de;
	bool keep;

	while (d && (de = readdir(d))) {
		const char *n = de->d_name;
		int key = index_rec_key(n);
		bool empty = key >= 0 && x->files[key] && !x->files[key]->f.n;

		if (key == -ERANGE || empty ||
		    (map_owns(&x->map, n, &keep) && !keep))
			unlinkat(x->fd, n, 0);
	}
	if (d)
		closedir(d);
	/* No more readable than the leases, also when made by an older brisk. */
	fchmodat(x->fd, "..", 0700, 0);
	fchmod(x->fd, 0700);
	fchmod(x->hdrfd, 0600);
}

/* After all our changes: the sentinel of gen + 1, then the header. */
static void index_commit(struct index *x, int storefd)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT },
				  index_sentinel(x->gen + 1) };
	char buf[INDEX_HEADER_SIZE];
	struct stat st;
	int len;

	if (futimens(storefd, ts) < 0 || fstat(storefd, &st) < 0)
		return;
	/* A filesystem without nanoseconds: every call syncs; say so. */
	if (!index_ts_eq(st.st_mtim, ts[1])) {
		log_debug(
			"store mtime not kept exactly; the index is not used");
		return;
	}
	x->gen++;
	len = snprintf(buf, sizeof(buf),
		       INDEX_MAGIC "\ngen %" PRIu64 "\nboot %s\ndir %" PRIu64
				   " %" PRIu64 "\nctime %lld %ld\n",
		       x->gen, x->boot, (uint64_t)st.st_dev,
		       (uint64_t)st.st_ino, (long long)st.st_ctim.tv_sec,
		       (long)st.st_ctim.tv_nsec);
	memset(buf + len, '\n', sizeof(buf) - (size_t)len);
	if (pwrite(x->hdrfd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		log_debug("cannot write brisk's index header");
}

static void index_write(struct index *x, int storefd, bool store_changed)
{
	struct timespec now[2] = { { .tv_nsec = UTIME_OMIT },
				   { .tv_nsec = UTIME_NOW } };
	int r = 0;

	for (unsigned int k = 0; k < REC_FILES; k++)
		if (x->files[k] && x->files[k]->dirty)
			r = index_write_file(x, k) ?: r;
	r = map_write(&x->map) ?: r;
	if (x->synced)
		index_prune(x);
	if (r < 0 || x->failed) {
		/* Whatever is on disk now must not pass for valid. */
		log_debug("brisk's index not fully written: %s", strerror(-r));
		futimens(storefd, now);
	} else if (x->state == INDEX_VALID && (x->synced || store_changed)) {
		index_commit(x, storefd);
	}
}

void index_spare(struct index *x)
{
	int fd = x->fd < 0 ? -1 :
			     openat(x->fd, INDEX_SPARE,
				    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					    O_CLOEXEC,
				    0600);

	if (fd >= 0)
		close(fd);
}

void index_close(struct index *x, int storefd, bool store_changed)
{
	if (!x)
		return;
	if (x->fd >= 0)
		index_write(x, storefd, store_changed);
	free(x->names);
	for (unsigned int k = 0; k < REC_FILES; k++) {
		if (!x->files[k])
			continue;
		rec_clear(&x->files[k]->f);
		cleanup_closep(&x->files[k]->fd);
		free(x->files[k]);
	}
	map_free(&x->map);
	cleanup_closep(&x->hdrfd);
	cleanup_closep(&x->fd);
	free(x);
}
