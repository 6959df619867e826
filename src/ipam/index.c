// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/log.h"
#include "index.h"

#define INDEX_DIR ".brisk"
#define INDEX_HEADER "index"
#define INDEX_MAGIC "brisk-index 1"

/* The header: what the store looked like right after our last change. */
struct index_header {
	uint64_t gen;
	char boot[META_BOOT_ID_LEN];
	uint64_t dev;
	uint64_t ino;
	struct timespec ctime;
	int has_old;
};

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

/* Open directory @name under @atfd, never through a symlink. */
static int index_open_dir(int atfd, const char *name, bool create)
{
	int fd;

	/*
	 * O_DIRECTORY|O_NOFOLLOW refuses a symlink or a file (ELOOP or
	 * ENOTDIR); the directory usually exists, so mkdir only on ENOENT.
	 */
	fd = openat(atfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd < 0 ? -errno : fd;
	if (mkdirat(atfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(atfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int index_subdir(struct lease_store *s, const char *name, bool create)
{
	struct lease_index *x = s->idx;
	int *fdp = strcmp(name, "ids") == 0 ? &x->idsfd : &x->mapfd;
	int fd;

	if (*fdp >= 0)
		return *fdp;
	fd = index_open_dir(x->fd, name, create);
	if (fd >= 0)
		*fdp = fd;
	return fd;
}

static int index_header_read(struct lease_index *x, struct index_header *h)
{
	_cleanup_close_ int fd = -1;
	char buf[512];
	long long csec;
	long cnsec;
	int used = 0;
	ssize_t n;

	fd = openat(x->fd, INDEX_HEADER,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -EBADMSG;
	buf[n] = '\0';
	if (sscanf(buf,
		   INDEX_MAGIC "\ngen %" SCNu64 "\nboot %36s\ndir %" SCNu64
			       " %" SCNu64 "\nctime %lld %ld\nold %d\n%n",
		   &h->gen, h->boot, &h->dev, &h->ino, &csec, &cnsec,
		   &h->has_old, &used) != 7 ||
	    used != n)
		return -EBADMSG;
	h->ctime.tv_sec = (time_t)csec;
	h->ctime.tv_nsec = cnsec;
	return 0;
}

/* Valid: the store is exactly as our last commit left it, in this boot. */
static bool index_header_valid(struct lease_store *s)
{
	struct lease_index *x = s->idx;
	struct index_header h;
	struct stat st;

	if (index_header_read(x, &h) < 0 || fstat(s->dirfd, &st) < 0)
		return false;
	x->gen = h.gen;
	x->has_old = h.has_old != 0;
	return strcmp(h.boot, x->boot) == 0 && h.dev == (uint64_t)st.st_dev &&
	       h.ino == (uint64_t)st.st_ino &&
	       index_ts_eq(st.st_mtim, index_sentinel(h.gen)) &&
	       index_ts_eq(st.st_ctim, h.ctime);
}

static int index_header_write(struct lease_index *x, const struct stat *st)
{
	char buf[512];
	int len;

	len = snprintf(buf, sizeof(buf),
		       INDEX_MAGIC "\ngen %" PRIu64 "\nboot %s\ndir %" PRIu64
				   " %" PRIu64 "\nctime %lld %ld\nold %d\n",
		       x->gen, x->boot, (uint64_t)st->st_dev,
		       (uint64_t)st->st_ino, (long long)st->st_ctim.tv_sec,
		       (long)st->st_ctim.tv_nsec, x->has_old);
	return index_write_file(x->fd, INDEX_HEADER, buf, (size_t)len);
}

int index_write_file(int dirfd, const char *name, const void *buf, size_t len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;

	/* O_NONBLOCK: a FIFO under this name must fail, not hang the call. */
	fd = openat(dirfd, name,
		    O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		    0644);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EMEDIUMTYPE;
	n = pwrite(fd, buf, len, 0);
	if (n != (ssize_t)len)
		return n < 0 ? -errno : -EIO;
	/* The size before the write: longer means old bytes follow ours. */
	if (st.st_size > (off_t)len && ftruncate(fd, (off_t)len) < 0)
		return -errno;
	return 0;
}

/* .brisk/<network>, made as needed; the network is s->path's last part. */
static int index_open_root(struct lease_store *s)
{
	const char *net = strrchr(s->path, '/');
	_cleanup_close_ int top = -1;
	int fd;

	if (s->datafd < 0 || !net || !net[1])
		return -EINVAL;
	top = index_open_dir(s->datafd, INDEX_DIR, true);
	if (top < 0)
		return top;
	fd = index_open_dir(top, net + 1, true);
	if (fd < 0)
		return fd;
	s->idx->fd = fd;
	return 0;
}

void index_open(struct lease_store *s)
{
	struct lease_index *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return;
	x->fd = x->idsfd = x->mapfd = -1;
	x->state = INDEX_OFF;
	s->idx = x;
	/* Without a boot id a reboot (and its unsynced files) goes unseen. */
	meta_boot_id(x->boot);
	if (!x->boot[0]) {
		log_debug("%s: no boot id; not using the index", s->path);
		return;
	}
	r = index_open_root(s);
	if (r < 0) {
		log_debug("%s: index unusable: %s", s->path, strerror(-r));
		return;
	}
	x->state = index_header_valid(s) ? INDEX_VALID : INDEX_STALE;
}

void index_touch(struct lease_store *s)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT },
				  { .tv_nsec = UTIME_NOW } };
	struct lease_index *x = s->idx;

	if (!x || x->dirty || x->state == INDEX_OFF)
		return;
	/* From here until the commit the header cannot match the store. */
	if (futimens(s->dirfd, ts) < 0) {
		log_debug("%s: cannot set mtime (%s); not using the index",
			  s->path, strerror(errno));
		x->state = INDEX_OFF;
		return;
	}
	x->dirty = true;
}

void index_invalidate(struct lease_store *s, const char *why)
{
	struct lease_index *x = s->idx;

	if (!x || x->state == INDEX_OFF)
		return;
	log_debug("%s: index out of date: %s", s->path, why);
	index_touch(s);
	/* Rebuild at most once per call; then scan instead. */
	x->state = x->rebuilt ? INDEX_OFF : INDEX_STALE;
}

static void index_chunks_free(struct lease_index *x)
{
	for (size_t i = 0; i < x->n_chunks; i++) {
		if (x->chunks[i]->fd >= 0)
			close(x->chunks[i]->fd);
		free(x->chunks[i]);
	}
	free(x->chunks);
	x->chunks = NULL;
	x->n_chunks = 0;
}

bool index_ready(struct lease_store *s)
{
	struct lease_index *x = s->idx;
	int r;

	if (!x || x->state == INDEX_OFF)
		return false;
	if (x->state == INDEX_VALID)
		return true;
	if (x->rebuilt) {
		x->state = INDEX_OFF;
		return false;
	}
	index_touch(s);
	if (x->state == INDEX_OFF)
		return false;
	index_chunks_free(x);
	x->rebuilt = true;
	r = index_rebuild(s);
	if (r < 0) {
		log_warn("%s: cannot rebuild brisk's index: %s", s->path,
			 strerror(-r));
		x->state = INDEX_OFF;
		return false;
	}
	x->state = INDEX_VALID;
	return true;
}

/* After our last change: the sentinel of gen + 1, then the header. */
static void index_commit(struct lease_store *s)
{
	struct lease_index *x = s->idx;
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT },
				  index_sentinel(x->gen + 1) };
	struct stat st;

	if (futimens(s->dirfd, ts) < 0 || fstat(s->dirfd, &st) < 0)
		return;
	/* A filesystem without nanoseconds: every call rebuilds; say so. */
	if (!index_ts_eq(st.st_mtim, ts[1])) {
		log_debug("%s: mtime not kept exactly; index not used",
			  s->path);
		return;
	}
	x->gen++;
	if (index_header_write(x, &st) < 0)
		log_debug("%s: cannot write the index header", s->path);
}

void index_close(struct lease_store *s)
{
	struct lease_index *x = s->idx;

	if (!x)
		return;
	if (x->state == INDEX_VALID && x->dirty)
		index_commit(s);
	index_chunks_free(x);
	free(x->used);
	if (x->idsfd >= 0)
		close(x->idsfd);
	if (x->mapfd >= 0)
		close(x->mapfd);
	if (x->fd >= 0)
		close(x->fd);
	free(x);
	s->idx = NULL;
}

/* ---------------------------------------------------------------- buckets */

#define INDEX_BUCKET_MAX (1024 * 1024)

int index_raw_load(struct lease_store *s, const char *name, char **ret,
		   size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t got = 0;
	struct stat st;
	int idsfd;

	*ret = NULL;
	*ret_len = 0;
	idsfd = index_subdir(s, "ids", false);
	if (idsfd < 0)
		return idsfd;
	fd = openat(idsfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > INDEX_BUCKET_MAX)
		return -EBADMSG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EBADMSG;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = got;
	return 0;
}

int index_raw_store(struct lease_store *s, const char *name, const char *buf,
		    size_t len)
{
	int idsfd = index_subdir(s, "ids", true);

	if (idsfd < 0)
		return idsfd;
	if (len == 0)
		return unlinkat(idsfd, name, 0) == 0 || errno == ENOENT ?
			       0 :
			       -errno;
	return index_write_file(idsfd, name, buf, len);
}

int index_bucket_load(struct lease_store *s, const char *name,
		      struct index_bucket *ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = index_raw_load(s, name, &buf, &len);
	if (r < 0 || !buf)
		return r;
	return index_bucket_parse(buf, len, ret);
}

int index_bucket_store(struct lease_store *s, const char *name,
		       const struct index_bucket *b)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	if (b->n > 0) {
		buf = index_bucket_format(b, &len);
		if (!buf)
			return -ENOMEM;
	}
	return index_raw_store(s, name, buf, len);
}
