// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/fault.h"
#include "brisk/fsopen.h"
#include "brisk/lease.h"
#include "brisk/log.h"
#include "index.h"
#include "lease_int.h"

#define LEASE_LAST_PREFIX "last_reserved_ip."

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
	ret->datafd = -1;
	ret->idx = NULL;
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
	/* Existing directories are the common case: probe before mkdir. */
	if (access(data_dir, F_OK) < 0 && errno == ENOENT) {
		r = lease_mkdir_p(data_dir, err);
		if (r < 0)
			return r;
	}
	r = lease_open_dir(AT_FDCWD, data_dir, data_dir, &datafd, err);
	if (r < 0)
		return r;
	if (faccessat(datafd, network, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    mkdirat(datafd, network, 0755) < 0 && errno != EEXIST)
		return cni_err_set(err, CNI_ERR_IO, errno, "cannot create %s",
				   ret->path);
	r = lease_open_dir(datafd, network, ret->path, &ret->dirfd, err);
	if (r == 0)
		ret->datafd = TAKE_FD(datafd);
	return r;
}

static long lease_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait with growing sleeps, so a long wait costs a few hundred wakeups. */
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
static int lease_flock_wait(struct lease_store *s, int timeout_ms,
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

	if (flock(s->lockfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return cni_err_set(err, CNI_ERR_IO, errno,
				   "cannot lock %s/lock", s->path);
	/* No SA_RESTART: the alarm must interrupt flock(). */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	do {
		r = flock(s->lockfd, LOCK_EX);
		e = errno;
	} while (r < 0 && e == EINTR && lease_now_ms() < deadline);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (r == 0)
		return 0;
	if (e != EINTR)
		return cni_err_set(err, CNI_ERR_IO, e, "cannot lock %s/lock",
				   s->path);
	cni_err_set(err, CNI_ERR_TRY_AGAIN, EAGAIN,
		    "lease store is locked by another call");
	cni_err_detail(err, "waited %d ms for %s/lock", timeout_ms, s->path);
	return -EAGAIN;
}

int lease_store_lock(struct lease_store *s, int timeout_ms,
		     struct cni_err *err)
{
	mode_t mode = 0;
	int r;

	if (s->lockfd >= 0)
		return 0;
	/* O_NONBLOCK only keeps a FIFO from hanging open(); flock ignores it. */
	s->lockfd = openat(
		s->dirfd, "lock",
		O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (s->lockfd < 0)
		return cni_err_set(err, CNI_ERR_IO, errno, "cannot open %s/lock",
				   s->path);
	r = fsopen_check_regular(s->lockfd, &mode);
	if (r < 0)
		cni_err_set(err, CNI_ERR_IO, -r, "%s/lock is %s, not a file",
			    s->path, fsopen_kind(mode));
	else
		r = lease_flock_wait(s, timeout_ms, err);
	if (r < 0) {
		close(s->lockfd);
		s->lockfd = -1;
		return r;
	}
	/* The index is only ever read or written under the lock. */
	index_open(s);
	return 0;
}

void lease_store_close(struct lease_store *s)
{
	/* Commit the index while the lock is still held. */
	index_close(s);
	/* Closing the only fd of the lock file drops the flock. */
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->datafd >= 0)
		close(s->datafd);
	s->lockfd = -1;
	s->dirfd = -1;
	s->datafd = -1;
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

/* A lease being written: an unnamed O_TMPFILE, or a named temporary. */
struct lease_tmp {
	int fd;
	char name[64]; /* "" for an O_TMPFILE */
};

/* A named temporary, where O_TMPFILE is not supported. Its name starts
 * with a dot, so no scan takes it for a lease. */
static int lease_tmp_named(struct lease_store *s, struct lease_tmp *t)
{
	unsigned long long rnd;

	for (int tries = 0; t->fd < 0; tries++) {
		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			rnd = (unsigned long long)lease_now_ms() ^
			      ((unsigned long long)tries << 32);
		snprintf(t->name, sizeof(t->name), LEASE_TMP_PREFIX "%d.%016llx",
			 (int)getpid(), rnd);
		t->fd = openat(s->dirfd, t->name,
			       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				       O_CLOEXEC,
			       0644);
		if (t->fd < 0 && (errno != EEXIST || tries >= 8))
			return -errno;
	}
	return 0;
}

static void lease_tmp_drop(struct lease_store *s, struct lease_tmp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->name[0])
		unlinkat(s->dirfd, t->name, 0);
	t->name[0] = '\0';
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
 * an empty or garbled lease is taken over under the lock (lease_reserve).
 */
static int lease_tmp_write(struct lease_store *s, const char *buf, size_t len,
			   struct lease_tmp *t, struct lease_stamp *ret_st,
			   struct cni_err *err)
{
	int r = 0;

	t->name[0] = '\0';
	t->fd = openat(s->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (t->fd < 0)
		r = lease_tmp_named(s, t);
	if (r < 0)
		return cni_err_set(err, CNI_ERR_IO, -r,
				   "cannot create a file in %s", s->path);
	r = lease_write_all(t->fd, buf, len);
	/* link() keeps inode, mtime and size: the lease's stamp for the index. */
	if (r == 0 && ret_st)
		r = lease_fstamp(t->fd, ret_st);
	if (r < 0) {
		lease_tmp_drop(s, t);
		return cni_err_set(err, CNI_ERR_IO, -r, "cannot write in %s",
				   s->path);
	}
	return 0;
}

/* Give the written file its lease name; fails with EEXIST when taken. */
static int lease_tmp_link(struct lease_store *s, struct lease_tmp *t,
			  const char *name)
{
	char proc[32];

	if (t->name[0])
		return linkat(s->dirfd, t->name, s->dirfd, name, 0);
	if (linkat(t->fd, "", s->dirfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc does not. */
	if (errno != ENOENT && errno != EPERM)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->fd);
	return linkat(AT_FDCWD, proc, s->dirfd, name, AT_SYMLINK_FOLLOW);
}

/*
 * Record @ip as the last one given in @set. Written in place (see
 * index_write_file): a hint only, read and written under the lock, and a
 * garbled one just restarts the round robin.
 */
static int lease_write_last(struct lease_store *s, const char *ipstr, int set,
			    struct cni_err *err)
{
	char name[64];
	int r;

	snprintf(name, sizeof(name), LEASE_LAST_PREFIX "%d", set);
	r = index_write_file(s->dirfd, name, ipstr, strlen(ipstr));
	if (r < 0)
		return cni_err_set(err, CNI_ERR_IO, -r, "cannot write %s/%s",
				   s->path, name);
	return 0;
}

/*
 * True for a lease file no writer could have meant: empty (host-local
 * creates, then writes: a crash between leaves it so; so does a power cut
 * before the data reached the disk), larger than any ID and ifname, or
 * holding control bytes other than the line break.
 */
static bool lease_is_garbage(struct lease_store *s, const char *name)
{
	_cleanup_close_ int fd = -1;
	char buf[LEASE_GARBAGE_MAX + 1];
	struct stat st;
	ssize_t n;

	fd = openat(s->dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	if (st.st_size == 0 || st.st_size > LEASE_GARBAGE_MAX)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n == 0;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 && buf[i] != '\r' &&
		    buf[i] != '\n' && buf[i] != '\t' && buf[i] != ' ')
			return true;
	return strspn(buf, " \t\r\n") == (size_t)n;
}

int lease_reserve(struct lease_store *s, const struct ipaddr *ip,
		  const char *id, const char *ifname, int set, bool *ret_ok,
		  struct cni_err *err)
{
	_cleanup_free_ char *content = NULL;
	struct lease_tmp t = { .fd = -1 };
	char name[IPADDR_STRLEN];
	struct lease_stamp st;
	int r, saved;

	*ret_ok = false;
	ipaddr_fmt(ip, name);
	if (asprintf(&content, "%s" LEASE_LINE_BREAK "%s", id, ifname) < 0) {
		content = NULL;
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	}
	index_touch(s);
	r = lease_tmp_write(s, content, strlen(content), &t, &st, err);
	if (r < 0)
		return r;
	fault_point("lease-tmp-written");
	/* link() fails with EEXIST instead of replacing: the test-and-set. */
	r = lease_tmp_link(s, &t, name);
	if (r < 0 && errno == EEXIST && lease_is_garbage(s, name)) {
		/* It would block the address forever. We hold the lock, so no
		 * writer is still at work on it. */
		log_warn("%s/%s: taking over an empty or garbled lease",
			 s->path, name);
		unlinkat(s->dirfd, name, 0);
		r = lease_tmp_link(s, &t, name);
	}
	saved = errno;
	lease_tmp_drop(s, &t);
	if (r < 0 && saved == EEXIST) {
		lease_idx_taken(s, ip);
		return 0;
	}
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
	lease_idx_reserved(s, name, ip, id, ifname, &st);
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

int lease_unlink(struct lease_store *s, const char *name,
		 const struct ipaddr *ip, const char *id, const char *ifname,
		 bool is_old)
{
	index_touch(s);
	if (unlinkat(s->dirfd, name, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	lease_idx_released(s, name, ip, id, ifname, is_old);
	return 1;
}

int lease_release_ip(struct lease_store *s, const struct ipaddr *ip,
		     struct cni_err *err)
{
	_cleanup_free_ char *buf = NULL;
	const char *ifname = NULL;
	char name[IPADDR_STRLEN];
	bool is_old = false;
	int r;

	ipaddr_fmt(ip, name);
	/* The index must learn whose lease goes: read it first. */
	if (s->idx && s->idx->state == INDEX_VALID) {
		buf = malloc(LEASE_READ_MAX);
		if (!buf)
			index_invalidate(s, "out of memory");
		else if (lease_read_file(s, name, buf, LEASE_READ_MAX, NULL) &&
			 *buf)
			ifname = lease_split(buf, &is_old);
	}
	r = lease_unlink(s, name, ip, ifname ? buf : NULL, ifname, is_old);
	lease_idx_forget_free(s);
	if (r < 0)
		return cni_err_set(err, CNI_ERR_IO, -r, "cannot remove %s/%s",
				   s->path, name);
	return 0;
}
