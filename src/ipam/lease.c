// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/fault.h"
#include "brisk/lease.h"
#include "brisk/log.h"

#define LEASE_LINE_BREAK "\r\n"
#define LEASE_LAST_PREFIX "last_reserved_ip."
/* Larger than any lease host-local or brisk writes (id + ifname). */
#define LEASE_READ_MAX 4096
/* Temporary files start with a dot: never a valid address, so no scan
 * (ours or host-local's) takes one for a lease. */
#define LEASE_TMP_PREFIX ".tmp."

static void lease_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_closedir_ _cleanup_(lease_closedirp)

/* Create every missing component of @path (0755), like mkdir -p. */
static int lease_mkdir_p(const char *path, struct cni_err *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return cni_err_set(err, CNI_ERR_IO, ENAMETOOLONG,
				   "dataDir \"%s\" is not a usable path", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return cni_err_set(err, CNI_ERR_IO, errno,
					   "cannot create %s", buf);
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/*
 * Open directory @name under @atfd refusing a symlink: lstat first so the
 * operator gets a precise message, O_NOFOLLOW so a swap after it still fails.
 */
static int lease_open_dir(int atfd, const char *name, const char *shown,
			  int *ret_fd, struct cni_err *err)
{
	struct stat st;
	int fd;

	if (fstatat(atfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		return cni_err_set(err, CNI_ERR_IO, ELOOP,
				   "%s is a symlink; refusing to use it", shown);
	fd = openat(atfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cni_err_set(err, CNI_ERR_IO, errno, "cannot open %s",
				   shown);
	*ret_fd = fd;
	return 0;
}

int lease_store_open(const char *data_dir, const char *network,
		     struct lease_store *ret, struct cni_err *err)
{
	_cleanup_close_ int datafd = -1;
	int r;

	ret->dirfd = -1;
	ret->lockfd = -1;
	/* Validated by the caller; this only guards the path arithmetic. */
	if (!*network || strchr(network, '/') || strcmp(network, ".") == 0 ||
	    strcmp(network, "..") == 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "network name \"%s\" is not a directory name",
				   network);
	if ((size_t)snprintf(ret->path, sizeof(ret->path), "%s/%s", data_dir,
			     network) >= sizeof(ret->path))
		return cni_err_set(err, CNI_ERR_IO, ENAMETOOLONG,
				   "dataDir %s is too long", data_dir);
	r = lease_mkdir_p(data_dir, err);
	if (r < 0)
		return r;
	r = lease_open_dir(AT_FDCWD, data_dir, data_dir, &datafd, err);
	if (r < 0)
		return r;
	if (mkdirat(datafd, network, 0755) < 0 && errno != EEXIST)
		return cni_err_set(err, CNI_ERR_IO, errno, "cannot create %s",
				   ret->path);
	return lease_open_dir(datafd, network, ret->path, &ret->dirfd, err);
}

static long lease_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait with growing sleeps, so a long wait costs a few hundred wakeups. */
static int lease_flock_wait(struct lease_store *s, int timeout_ms,
			    struct cni_err *err)
{
	long deadline = lease_now_ms() + timeout_ms;
	long delay_us = 1000;

	for (;;) {
		if (flock(s->lockfd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return cni_err_set(err, CNI_ERR_IO, errno,
					   "cannot lock %s/lock", s->path);
		if (lease_now_ms() >= deadline)
			break;
		usleep((useconds_t)delay_us);
		delay_us = delay_us * 2 > 20000 ? 20000 : delay_us * 2;
	}
	cni_err_set(err, CNI_ERR_TRY_AGAIN, EAGAIN,
		    "lease store is locked by another call");
	cni_err_detail(err, "waited %d ms for %s/lock", timeout_ms, s->path);
	return -EAGAIN;
}

int lease_store_lock(struct lease_store *s, int timeout_ms,
		     struct cni_err *err)
{
	int r;

	if (s->lockfd >= 0)
		return 0;
	s->lockfd = openat(s->dirfd, "lock",
			   O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (s->lockfd < 0)
		return cni_err_set(err, CNI_ERR_IO, errno, "cannot open %s/lock",
				   s->path);
	r = lease_flock_wait(s, timeout_ms, err);
	if (r < 0) {
		close(s->lockfd);
		s->lockfd = -1;
	}
	return r;
}

void lease_store_close(struct lease_store *s)
{
	/* Closing the only fd of the lock file drops the flock. */
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->lockfd = -1;
	s->dirfd = -1;
}

static int lease_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Write @buf to a new temporary file of the store, fsync'ed when @durable. Its name
 * starts with a dot, so no scan takes it for a lease; it goes to @ret_name.
 */
static int lease_write_tmp(struct lease_store *s, const char *buf, size_t len,
			   bool durable, char ret_name[static 64],
			   struct cni_err *err)
{
	_cleanup_close_ int fd = -1;
	unsigned long long rnd;
	int r;

	for (int tries = 0; fd < 0; tries++) {
		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			rnd = (unsigned long long)lease_now_ms() ^
			      ((unsigned long long)tries << 32);
		snprintf(ret_name, 64, LEASE_TMP_PREFIX "%d.%016llx", (int)getpid(), rnd);
		fd = openat(s->dirfd, ret_name,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0644);
		if (fd < 0 && (errno != EEXIST || tries >= 8))
			return cni_err_set(err, CNI_ERR_IO, errno,
					   "cannot create %s/%s", s->path,
					   ret_name);
	}
	r = lease_write_all(fd, buf, len);
	/* A lease must survive a power cut whole; last_reserved_ip is a hint. */
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(s->dirfd, ret_name, 0);
		return cni_err_set(err, CNI_ERR_IO, -r, "cannot write %s/%s",
				   s->path, ret_name);
	}
	return 0;
}

/* Record @ip as the last one given in @set; replaced whole, never empty. */
static int lease_write_last(struct lease_store *s, const char *ipstr, int set,
			    struct cni_err *err)
{
	char tmp[64], name[64];
	int r;

	snprintf(name, sizeof(name), LEASE_LAST_PREFIX "%d", set);
	r = lease_write_tmp(s, ipstr, strlen(ipstr), false, tmp, err);
	if (r < 0)
		return r;
	if (renameat(s->dirfd, tmp, s->dirfd, name) < 0) {
		r = cni_err_set(err, CNI_ERR_IO, errno, "cannot write %s/%s",
				s->path, name);
		unlinkat(s->dirfd, tmp, 0);
		return r;
	}
	return 0;
}

static bool lease_is_empty(struct lease_store *s, const char *name)
{
	struct stat st;

	return fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode) && st.st_size == 0;
}

int lease_reserve(struct lease_store *s, const struct ipaddr *ip,
		  const char *id, const char *ifname, int set, bool *ret_ok,
		  struct cni_err *err)
{
	_cleanup_free_ char *content = NULL;
	char name[IPADDR_STRLEN], tmp[64];
	int r, saved;

	*ret_ok = false;
	ipaddr_fmt(ip, name);
	if (asprintf(&content, "%s" LEASE_LINE_BREAK "%s", id, ifname) < 0) {
		content = NULL;
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	}
	r = lease_write_tmp(s, content, strlen(content), true, tmp, err);
	if (r < 0)
		return r;
	fault_point("lease-tmp-written");
	/* link() fails with EEXIST instead of replacing: the test-and-set. */
	r = linkat(s->dirfd, tmp, s->dirfd, name, 0);
	if (r < 0 && errno == EEXIST && lease_is_empty(s, name)) {
		/* host-local creates then writes: a crash between leaves an
		 * empty file that would block the address forever. We hold
		 * the lock, so no writer is still at work on it. */
		log_warn("%s/%s: recovering an empty lease", s->path, name);
		unlinkat(s->dirfd, name, 0);
		r = linkat(s->dirfd, tmp, s->dirfd, name, 0);
	}
	saved = errno;
	unlinkat(s->dirfd, tmp, 0);
	if (r < 0 && saved == EEXIST)
		return 0;
	if (r < 0)
		return cni_err_set(err, CNI_ERR_IO, saved, "cannot create %s/%s",
				   s->path, name);
	fault_point("lease-linked");
	r = lease_write_last(s, name, set, err);
	if (r < 0) {
		/* Unlike host-local, do not leave a lease nobody will return. */
		unlinkat(s->dirfd, name, 0);
		return r;
	}
	*ret_ok = true;
	return 0;
}

int lease_exists(struct lease_store *s, const struct ipaddr *ip, bool *ret,
		 struct cni_err *err)
{
	char name[IPADDR_STRLEN];
	struct stat st;

	*ret = false;
	if (fstatat(s->dirfd, ipaddr_fmt(ip, name), &st,
		    AT_SYMLINK_NOFOLLOW) == 0) {
		*ret = true;
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	return cni_err_set(err, CNI_ERR_IO, errno, "cannot stat %s/%s", s->path,
			   name);
}

int lease_release_ip(struct lease_store *s, const struct ipaddr *ip,
		     struct cni_err *err)
{
	char name[IPADDR_STRLEN];

	if (unlinkat(s->dirfd, ipaddr_fmt(ip, name), 0) == 0 || errno == ENOENT)
		return 0;
	return cni_err_set(err, CNI_ERR_IO, errno, "cannot remove %s/%s",
			   s->path, name);
}

/*
 * Read a small regular file of the store into @buf (NUL-terminated), with
 * surrounding whitespace trimmed as host-local's strings.TrimSpace does.
 * False when it cannot be read or is too large to be one of ours.
 */
static bool lease_read_trimmed(struct lease_store *s, const char *name,
			       char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len = 0;
	ssize_t n = 0;
	char *p;

	/* O_NONBLOCK: a FIFO planted under a lease's name must not hang us. */
	fd = openat(s->dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (n < 0 || len >= size)
		return false;
	while (len > 0 && strchr(" \t\r\n\v\f", buf[len - 1]))
		len--;
	buf[len] = '\0';
	p = buf + strspn(buf, " \t\r\n\v\f");
	memmove(buf, p, strlen(p) + 1);
	return true;
}

enum lease_match { LEASE_MATCH_NONE, LEASE_MATCH_NEW, LEASE_MATCH_OLD };

static enum lease_match lease_match(const char *content, const char *id,
				    const char *ifname)
{
	size_t idlen = strlen(id);

	if (strncmp(content, id, idlen) != 0)
		return LEASE_MATCH_NONE;
	if (content[idlen] == '\0')
		return LEASE_MATCH_OLD;
	if (strncmp(content + idlen, LEASE_LINE_BREAK, 2) == 0 &&
	    strcmp(content + idlen + 2, ifname) == 0)
		return LEASE_MATCH_NEW;
	return LEASE_MATCH_NONE;
}

/* Called for each lease of id/ifname; a negative return stops the scan. */
typedef int (*lease_visit_fn)(struct lease_store *s, const char *name,
			      const struct ipaddr *ip, enum lease_match m,
			      void *data, struct cni_err *err);

/* Called by lease_walk for every lease file, with its trimmed content. */
typedef int (*lease_walk_fn)(struct lease_store *s, const char *name,
			     const struct ipaddr *ip, char *content, void *data,
			     struct cni_err *err);

/*
 * Visit every lease file of the store. Callers hold the lock, so a
 * temporary file met on the way was left by a writer that died: remove it.
 */
static int lease_walk(struct lease_store *s, lease_walk_fn fn, void *data,
		      struct cni_err *err)
{
	_cleanup_free_ char *buf = malloc(LEASE_READ_MAX);
	_cleanup_closedir_ DIR *d = NULL;
	struct ipaddr ip;
	struct dirent *de;
	int fd, r;

	if (!buf)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	/* A fresh open of ".": readdir must not move dirfd's own offset. */
	fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		r = cni_err_set(err, CNI_ERR_IO, errno, "cannot read %s",
				s->path);
		if (fd >= 0)
			close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, LEASE_TMP_PREFIX,
			    strlen(LEASE_TMP_PREFIX)) == 0) {
			unlinkat(s->dirfd, de->d_name, 0);
			continue;
		}
		/* "lock", "last_reserved_ip.N" and dotfiles are not leases. */
		if (ipaddr_parse(de->d_name, &ip) < 0)
			continue;
		if (!lease_read_trimmed(s, de->d_name, buf, LEASE_READ_MAX))
			buf[0] = '\0';
		r = fn(s, de->d_name, &ip, buf, data, err);
		if (r < 0)
			return r;
	}
	return 0;
}

struct lease_scan_ctx {
	const char *id;
	const char *ifname;
	lease_visit_fn visit;
	void *data;
};

static int lease_scan_one(struct lease_store *s, const char *name,
			  const struct ipaddr *ip, char *content, void *data,
			  struct cni_err *err)
{
	struct lease_scan_ctx *c = data;
	enum lease_match m = lease_match(content, c->id, c->ifname);

	if (m == LEASE_MATCH_NONE)
		return 0;
	return c->visit(s, name, ip, m, c->data, err);
}

/* Visit every lease file of the store whose content matches id/ifname. */
static int lease_scan(struct lease_store *s, const char *id,
		      const char *ifname, lease_visit_fn visit, void *data,
		      struct cni_err *err)
{
	struct lease_scan_ctx c = { id, ifname, visit, data };

	return lease_walk(s, lease_scan_one, &c, err);
}

struct lease_found {
	struct ipaddr *ips;
	size_t max;
	size_t n;
};

static int lease_collect(struct lease_store *s, const char *name,
			 const struct ipaddr *ip, enum lease_match m, void *data,
			 struct cni_err *err)
{
	struct lease_found *f = data;

	if (f->n < f->max)
		f->ips[f->n++] = *ip;
	else
		log_warn("%s: more than %zu leases for one container; ignoring %s",
			 s->path, f->max, name);
	return 0;
}

int lease_find_by_id(struct lease_store *s, const char *id, const char *ifname,
		     struct ipaddr *ret, size_t max, size_t *ret_n,
		     struct cni_err *err)
{
	struct lease_found f = { .ips = ret, .max = max };
	int r;

	*ret_n = 0;
	r = lease_scan(s, id, ifname, lease_collect, &f, err);
	if (r < 0)
		return r;
	*ret_n = f.n;
	return 0;
}

struct lease_release {
	enum lease_match want;
	size_t n;
	int first_errno;
	char first_name[IPADDR_STRLEN];
};

/* Keep going after a failed unlink so that DEL frees all it can. */
static int lease_unlink_match(struct lease_store *s, const char *name,
			      const struct ipaddr *ip, enum lease_match m,
			      void *data, struct cni_err *err)
{
	struct lease_release *rel = data;

	if (m != rel->want)
		return 0;
	if (unlinkat(s->dirfd, name, 0) == 0) {
		rel->n++;
	} else if (errno != ENOENT && rel->first_errno == 0) {
		rel->first_errno = errno;
		snprintf(rel->first_name, sizeof(rel->first_name), "%s", name);
	}
	return 0;
}

int lease_release_by_id(struct lease_store *s, const char *id,
			const char *ifname, struct cni_err *err)
{
	struct lease_release rel = { .want = LEASE_MATCH_NEW };
	int r;

	r = lease_scan(s, id, ifname, lease_unlink_match, &rel, err);
	/* As host-local: old id-only leases go only when no new one matched. */
	if (r == 0 && rel.n == 0 && rel.first_errno == 0) {
		rel.want = LEASE_MATCH_OLD;
		r = lease_scan(s, id, ifname, lease_unlink_match, &rel, err);
	}
	if (r < 0)
		return r;
	if (rel.first_errno)
		return cni_err_set(err, CNI_ERR_IO, rel.first_errno,
				   "cannot remove %s/%s", s->path,
				   rel.first_name);
	return 0;
}

int lease_last_reserved(struct lease_store *s, int set, struct ipaddr *ret,
			struct cni_err *err)
{
	char name[64], buf[IPADDR_STRLEN + 16];

	ret->family = 0;
	snprintf(name, sizeof(name), LEASE_LAST_PREFIX "%d", set);
	/* A hint only: a missing or garbled file just restarts the cycle. */
	if (!lease_read_trimmed(s, name, buf, sizeof(buf)))
		return 0;
	if (ipaddr_parse(buf, ret) < 0)
		ret->family = 0;
	return 0;
}

/* Split "<id>\r\n<ifname>" (or the old "<id>") in place. */
static const char *lease_split(char *content)
{
	char *br = strstr(content, LEASE_LINE_BREAK);

	if (!br)
		return "";
	*br = '\0';
	return br + 2;
}

struct lease_list_ctx {
	lease_list_fn fn;
	void *data;
};

static int lease_list_one(struct lease_store *s, const char *name,
			  const struct ipaddr *ip, char *content, void *data,
			  struct cni_err *err)
{
	struct lease_list_ctx *c = data;
	const char *ifname = lease_split(content);

	return c->fn(ip, content, ifname, c->data, err);
}

int lease_list(struct lease_store *s, lease_list_fn fn, void *data,
	       struct cni_err *err)
{
	struct lease_list_ctx c = { fn, data };

	return lease_walk(s, lease_list_one, &c, err);
}
