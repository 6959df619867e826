// SPDX-License-Identifier: Apache-2.0
/*
 * host-local's lease store (see lease.h): opening it, its lock, and every
 * read and write of its files. Nothing here knows of brisk's index.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/fault.h"
#include "brisk/fsopen.h"
#include "brisk/lease.h"
#include "brisk/log.h"

#define LEASE_LAST_PREFIX "last_reserved_ip."
/* Temporaries start with a dot: never an address, so no scan (ours or
 * host-local's) takes one for a lease. */
#define LEASE_TMP_PREFIX ".tmp."
/* An ID (1024 bytes), a line break and an ifname, with room to spare. */
#define LEASE_GARBAGE_MAX 2048
#define LEASE_MODE 0600
#define LEASE_DIR_MODE 0755
#define LEASE_SPACE " \t\r\n\v\f"

/* Create every missing component of @path, like mkdir -p. */
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
		if (mkdir(buf, LEASE_DIR_MODE) < 0 && errno != EEXIST)
			return cni_err_set(err, CNI_ERR_IO, errno,
					   "cannot create %s", buf);
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/* Open directory @name under @atfd (made when missing): code 5 if not. */
static int lease_open_dir(int atfd, const char *name, const char *shown,
			  int *ret_fd, struct cni_err *err)
{
	int fd = fsopen_dir(atfd, name, LEASE_DIR_MODE), r;
	struct stat st;

	if (fd == -ENOENT && atfd == AT_FDCWD) {
		r = lease_mkdir_p(name, err);
		if (r < 0)
			return r;
		fd = fsopen_dir(atfd, name, 0);
	}
	if ((fd == -ELOOP || fd == -ENOTDIR) &&
	    fstatat(atfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		return cni_err_set(err, CNI_ERR_IO, ELOOP,
				   "%s is a symlink; refusing to use it",
				   shown);
	if (fd < 0)
		return cni_err_set(err, CNI_ERR_IO, -fd, "cannot open %s",
				   shown);
	*ret_fd = fd;
	return 0;
}

int lease_open(const char *data_dir, const char *network, struct lease_dir *ret,
	       struct cni_err *err)
{
	size_t len = strlen(data_dir);
	int r;

	*ret = (struct lease_dir)LEASE_DIR_INIT;
	/* Validated by the caller; this only guards the path arithmetic. */
	if (!*network || strchr(network, '/') || strcmp(network, ".") == 0 ||
	    strcmp(network, "..") == 0)
		return cni_err_set(
			err, CNI_ERR_CONFIG, EINVAL,
			"network name \"%s\" is not a directory name", network);
	if ((size_t)snprintf(ret->path, sizeof(ret->path), "%s/%s", data_dir,
			     network) >= sizeof(ret->path))
		return cni_err_set(err, CNI_ERR_IO, ENAMETOOLONG,
				   "dataDir %s is too long", data_dir);
	ret->network = ret->path + len + 1;
	r = lease_open_dir(AT_FDCWD, data_dir, data_dir, &ret->datafd, err);
	if (r == 0)
		r = lease_open_dir(ret->datafd, network, ret->path, &ret->dirfd,
				   err);
	return r;
}

static long lease_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void lease_alarm(int sig)
{
	(void)sig;
}

/*
 * A blocking flock(), cut short by a timer at the deadline: the waiter
 * wakes the moment the holder lets go, with no polling. The timer repeats
 * every 10 ms after the deadline, so a tick that lands just before flock()
 * is entered cannot leave it blocked for good.
 */
static int lease_flock_wait(struct lease_dir *d, int timeout_ms,
			    struct cni_err *err)
{
	struct itimerval it = {
		.it_value = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 },
		.it_interval = { 0, 10000 },
	};
	struct itimerval off = { 0 };
	struct sigaction sa = { .sa_handler = lease_alarm }, old;
	long deadline = lease_now_ms() + timeout_ms;
	int r, e;

	if (flock(d->lockfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return cni_err_set(err, CNI_ERR_IO, errno,
				   "cannot lock %s/lock", d->path);
	/* No SA_RESTART: the alarm must interrupt flock(). */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	do {
		r = flock(d->lockfd, LOCK_EX);
		e = errno;
	} while (r < 0 && e == EINTR && lease_now_ms() < deadline);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (r == 0)
		return 0;
	if (e != EINTR)
		return cni_err_set(err, CNI_ERR_IO, e, "cannot lock %s/lock",
				   d->path);
	cni_err_set(err, CNI_ERR_TRY_AGAIN, EAGAIN,
		    "lease store is locked by another call");
	cni_err_detail(err, "waited %d ms for %s/lock", timeout_ms, d->path);
	return -EAGAIN;
}

/* Code 5 for @r, fsopen_file's failure to open the store's @name. */
static int lease_open_failed(struct lease_dir *d, const char *name, int r,
			     mode_t mode, struct cni_err *err)
{
	if (r == -EMEDIUMTYPE)
		return cni_err_set(err, CNI_ERR_IO, EMEDIUMTYPE,
				   "%s/%s is %s, not a file", d->path, name,
				   fsopen_kind(mode));
	return cni_err_set(err, CNI_ERR_IO, -r, "cannot open %s/%s", d->path,
			   name);
}

int lease_lock(struct lease_dir *d, int timeout_ms, struct cni_err *err)
{
	struct stat st = { .st_mode = 0 };
	int r;

	if (d->lockfd >= 0)
		return 0;
	/* Never a FIFO's wait (flock ignores O_NONBLOCK). */
	d->lockfd = fsopen_file(d->dirfd, "lock", O_RDWR | O_CREAT, &st);
	if (d->lockfd < 0)
		return lease_open_failed(d, "lock", d->lockfd, st.st_mode, err);
	r = lease_flock_wait(d, timeout_ms, err);
	if (r < 0) {
		close(d->lockfd);
		d->lockfd = -1;
	}
	return r;
}

void lease_close(struct lease_dir *d)
{
	/* Closing the only fd of the lock file drops the flock. */
	cleanup_closep(&d->lockfd);
	cleanup_closep(&d->dirfd);
	cleanup_closep(&d->datafd);
	d->lockfd = d->dirfd = d->datafd = -1;
}

/* A lease being written: an unnamed O_TMPFILE, or a named temporary. */
struct lease_tmp {
	int fd;
	int dirfd; /* where the named one is: the store, or the spare's */
	char name[64]; /* "" for an O_TMPFILE */
};

/*
 * A named temporary, where O_TMPFILE is not supported. Only the lock holder
 * writes one, so only a dead writer's leftover (of a reused pid) can be in
 * the way: the next number passes it.
 */
static int lease_tmp_named(struct lease_dir *d, struct lease_tmp *t)
{
	t->dirfd = d->dirfd;
	for (int tries = 0; t->fd < 0; tries++) {
		snprintf(t->name, sizeof(t->name), LEASE_TMP_PREFIX "%d.%d",
			 (int)getpid(), tries);
		t->fd = openat(d->dirfd, t->name,
			       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				       O_CLOEXEC,
			       LEASE_MODE);
		if (t->fd < 0 && (errno != EEXIST || tries >= 8))
			return -errno;
	}
	return 0;
}

static void lease_tmp_drop(struct lease_dir *d, struct lease_tmp *t)
{
	cleanup_closep(&t->fd);
	t->fd = -1;
	if (t->name[0])
		unlinkat(t->dirfd, t->name, 0);
	t->name[0] = '\0';
}

/*
 * The spare slot's file, rewritten to hold @buf: false when there is none
 * to use. One that is also linked elsewhere (a crash between the link of
 * a lease and the removal of the spare's name) must not be written: its
 * name is dropped instead.
 */
static bool lease_tmp_spare(struct lease_dir *d, const char *buf, size_t len,
			    struct lease_tmp *t)
{
	struct stat st;

	if (d->spare_dirfd < 0)
		return false;
	t->fd = fsopen_file(d->spare_dirfd, d->spare_name, O_RDWR, &st);
	if (t->fd < 0 && t->fd != -ENOENT)
		unlinkat(d->spare_dirfd, d->spare_name, 0);
	if (t->fd < 0) {
		t->fd = -1;
		return false;
	}
	t->dirfd = d->spare_dirfd;
	snprintf(t->name, sizeof(t->name), "%s", d->spare_name);
	if (st.st_nlink == 1 && pwrite(t->fd, buf, len, 0) == (ssize_t)len &&
	    (st.st_size <= (off_t)len || ftruncate(t->fd, (off_t)len) == 0))
		return true;
	lease_tmp_drop(d, t);
	return false;
}

/*
 * Write @buf to a new file of the store that has no lease name yet:
 * preferably an O_TMPFILE, which has no name at all, costs no directory
 * entry and vanishes by itself if we die.
 *
 * No fsync: it cost 1-3 ms per ADD on a disk, and buys nothing the lock
 * does not. A kill at any point leaves the lease absent or whole (link()
 * of a fully written file). A power cut may leave a linked lease empty
 * (the data not yet on disk); every container died with the machine, and
 * an empty or garbled lease is taken over under the lock (lease_create).
 */
static int lease_tmp_write(struct lease_dir *d, const char *buf, size_t len,
			   struct lease_tmp *t, struct stat *ret_st,
			   struct cni_err *err)
{
	ssize_t n = (ssize_t)len;
	int r = 0;

	t->name[0] = '\0';
	if (!lease_tmp_spare(d, buf, len, t)) {
		t->fd = openat(d->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC,
			       LEASE_MODE);
		if (t->fd < 0)
			r = lease_tmp_named(d, t);
		if (r < 0)
			return cni_err_set(err, CNI_ERR_IO, -r,
					   "cannot create a file in %s",
					   d->path);
		/* A regular file takes a lease's few bytes in one write: it
		 * is short only when the disk is full. */
		n = write(t->fd, buf, len);
	}
	if (n != (ssize_t)len)
		r = n < 0 ? -errno : -ENOSPC;
	/* link() keeps inode, mtime and size: the lease's stat for the index. */
	if (r == 0 && fstat(t->fd, ret_st) < 0)
		r = -errno;
	if (r < 0) {
		lease_tmp_drop(d, t);
		return cni_err_set(err, CNI_ERR_IO, -r, "cannot write in %s",
				   d->path);
	}
	return 0;
}

/* Give the written file its lease name; fails with EEXIST when taken. */
static int lease_tmp_link(struct lease_dir *d, struct lease_tmp *t,
			  const char *name)
{
	if (t->name[0])
		return linkat(t->dirfd, t->name, d->dirfd, name, 0);
	return fsopen_link_unnamed(t->fd, d->dirfd, name);
}

/*
 * True for a lease file no writer could have meant: empty (host-local
 * creates, then writes: a crash between leaves it so; so does a power cut
 * before the data reached the disk), larger than any ID and ifname, or
 * holding control bytes other than the line break.
 */
static bool lease_is_garbage(struct lease_dir *d, const char *name)
{
	char buf[LEASE_READ_MAX];
	struct stat st = { .st_mode = 0 };

	/* lease_read refuses what is no file, or too large to be a lease. */
	if (!lease_read(d, name, buf, sizeof(buf), &st))
		return S_ISREG(st.st_mode) && st.st_size > LEASE_GARBAGE_MAX;
	if (!buf[0] || st.st_size > LEASE_GARBAGE_MAX)
		return true;
	for (const char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 && !strchr(LEASE_SPACE, *p))
			return true;
	return false;
}

int lease_create(struct lease_dir *d, const char *name, const char *id,
		 const char *ifname, struct stat *ret_st, bool *ret_ok,
		 struct cni_err *err)
{
	struct lease_tmp t = { .fd = -1 };
	char content[LEASE_READ_MAX];
	int len, r, saved;

	*ret_ok = false;
	len = snprintf(content, sizeof(content), "%s\r\n%s", id, ifname);
	if (len < 0 || (size_t)len >= sizeof(content))
		return cni_err_set(
			err, CNI_ERR_INTERNAL, E2BIG,
			"container ID and ifname too long for a lease");
	r = lease_tmp_write(d, content, (size_t)len, &t, ret_st, err);
	if (r < 0)
		return r;
	fault_point("lease-tmp-written");
	/* link() fails with EEXIST instead of replacing: the test-and-set. */
	r = lease_tmp_link(d, &t, name);
	saved = errno;
	if (r < 0 && saved == EEXIST && lease_is_garbage(d, name)) {
		log_warn("%s/%s: taking over an empty or garbled lease",
			 d->path, name);
		unlinkat(d->dirfd, name, 0);
		r = lease_tmp_link(d, &t, name);
		saved = errno;
	}
	lease_tmp_drop(d, &t);
	if (r < 0 && saved == EEXIST)
		return 0;
	if (r < 0)
		return cni_err_set(err, CNI_ERR_IO, saved,
				   "cannot create %s/%s", d->path, name);
	fault_point("lease-linked");
	*ret_ok = true;
	return 0;
}

/*
 * Whether @name may wait in the spare slot to be written again: a file of
 * ours as brisk makes leases (host-local before v1.4.0 made them 0644),
 * linked nowhere else. Anything else is unlinked, or refused, as before.
 */
static bool lease_recyclable(struct lease_dir *d, const char *name)
{
	struct stat st;

	return d->spare_dirfd >= 0 &&
	       fstatat(d->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode) && st.st_nlink == 1 &&
	       st.st_uid == geteuid() && (st.st_mode & 07777) == LEASE_MODE;
}

int lease_unlink(struct lease_dir *d, const char *name)
{
	/* Into the spare slot (replacing what was there): the next
	 * lease_create reuses the inode. */
	if (lease_recyclable(d, name) &&
	    renameat(d->dirfd, name, d->spare_dirfd, d->spare_name) == 0)
		return 1;
	if (unlinkat(d->dirfd, name, 0) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int lease_stat(struct lease_dir *d, const char *name, struct stat *ret)
{
	return fstatat(d->dirfd, name, ret, AT_SYMLINK_NOFOLLOW) < 0 ? -errno :
								       0;
}

bool lease_read(struct lease_dir *d, const char *name, char *buf, size_t size,
		struct stat *ret_st)
{
	_cleanup_close_ int fd = -1;
	size_t len;
	ssize_t n;
	char *p;

	/* Never a FIFO planted under a lease's name. */
	fd = fsopen_file(d->dirfd, name, O_RDONLY, ret_st);
	if (fd < 0)
		return false;
	/* A regular file: one read to its end, unless it is too large. */
	n = read(fd, buf, size);
	if (n < 0 || (size_t)n >= size)
		return false;
	len = (size_t)n;
	while (len > 0 && strchr(LEASE_SPACE, buf[len - 1]))
		len--;
	buf[len] = '\0';
	p = buf + strspn(buf, LEASE_SPACE);
	memmove(buf, p, strlen(p) + 1);
	return true;
}

const char *lease_split(char *content, bool *ret_is_old)
{
	char *br = strstr(content, "\r\n");

	*ret_is_old = !br;
	if (!br)
		return "";
	*br = '\0';
	return br + 2;
}

bool lease_name_canonical(const char *name, struct ipaddr *ret)
{
	char buf[IPADDR_STRLEN];

	return ipaddr_parse(name, ret) == 0 &&
	       strcmp(ipaddr_fmt(ret, buf), name) == 0;
}

/* A hint only: a missing or garbled file just restarts the round robin. */
int lease_last_read(struct lease_dir *d, int set, struct ipaddr *ret,
		    struct cni_err *err)
{
	char name[64], buf[IPADDR_STRLEN + 16];
	struct stat st;

	ret->family = 0;
	snprintf(name, sizeof(name), LEASE_LAST_PREFIX "%d", set);
	if (lease_read(d, name, buf, sizeof(buf), &st)) {
		if (ipaddr_parse(buf, ret) < 0)
			ret->family = 0;
		return 0;
	}
	/* ...but one that is no file could never be written back. */
	if (lease_stat(d, name, &st) == 0 && !S_ISREG(st.st_mode))
		return lease_open_failed(d, name, -EMEDIUMTYPE, st.st_mode,
					 err);
	return 0;
}

/*
 * Written in place, no O_TRUNC and no rename: a truncation to zero or a
 * rename over a file makes ext4 (auto_da_alloc) start writeback on close,
 * which cost more than the rest of an ADD's file work together.
 */
int lease_last_write(struct lease_dir *d, int set, const struct ipaddr *ip,
		     struct cni_err *err)
{
	_cleanup_close_ int fd = -1;
	char name[64], buf[IPADDR_STRLEN];
	size_t len = strlen(ipaddr_fmt(ip, buf));
	struct stat st = { .st_mode = 0 };

	snprintf(name, sizeof(name), LEASE_LAST_PREFIX "%d", set);
	fd = fsopen_file(d->dirfd, name, O_WRONLY | O_CREAT, &st);
	if (fd < 0)
		return lease_open_failed(d, name, fd, st.st_mode, err);
	if (pwrite(fd, buf, len, 0) != (ssize_t)len ||
	    (st.st_size > (off_t)len && ftruncate(fd, (off_t)len) < 0))
		return cni_err_set(err, CNI_ERR_IO, errno ?: EIO,
				   "cannot write %s/%s", d->path, name);
	return 0;
}

int lease_walk(struct lease_dir *d, lease_walk_fn fn, void *data,
	       struct cni_err *err)
{
	struct dirent *de;
	struct ipaddr ip;
	DIR *dir;
	int fd, r = 0;

	/* A fresh open of ".": readdir must not move dirfd's own offset. */
	fd = openat(d->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		r = cni_err_set(err, CNI_ERR_IO, errno, "cannot read %s",
				d->path);
		cleanup_closep(&fd);
		return r;
	}
	while (r >= 0 && (de = readdir(dir))) {
		if (strncmp(de->d_name, LEASE_TMP_PREFIX,
			    strlen(LEASE_TMP_PREFIX)) == 0)
			unlinkat(d->dirfd, de->d_name, 0);
		/* "lock", "last_reserved_ip.N" and dotfiles are not leases. */
		else if (ipaddr_parse(de->d_name, &ip) == 0)
			r = fn(de->d_name, &ip, data);
	}
	closedir(dir);
	return r < 0 ? r : 0;
}
