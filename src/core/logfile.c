// SPDX-License-Identifier: Apache-2.0
/*
 * Appending a line to the call log. Many brisk processes append at once,
 * so a line is one write(2) on an O_APPEND descriptor (the kernel appends
 * it whole), and the file is only rotated under a non-blocking flock: a
 * call never waits for the log, and a log it cannot write is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brisk/calllog.h"
#include "brisk/cleanup.h"

#define LOGFILE_FLAGS                                                         \
	(O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | \
	 O_CLOEXEC)

/*
 * Look before opening: O_PATH opens nothing but the name, so a FIFO,
 * device or symlink is refused without ever being opened for writing.
 */
static int logfile_probe(const char *path)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	return S_ISREG(st.st_mode) ? 0 : -EINVAL;
}

/* Open for appending; whatever was swapped in since the probe is checked. */
static int logfile_open(const char *path, struct stat *ret)
{
	int fd, r = logfile_probe(path);

	if (r < 0)
		return r;
	fd = open(path, LOGFILE_FLAGS, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, ret) < 0 || !S_ISREG(ret->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/*
 * The file is full: whoever gets the lock renames it to "<path>.1" and
 * opens a new one; the others keep appending to the file they hold (a
 * line or two past the cap) rather than wait. Returns the fd to write to.
 */
static int logfile_rotate(const char *path, int fd, const struct stat *st)
{
	char old[PATH_MAX + 2];
	struct stat now, nst;
	int nfd;

	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return fd;
	/* Someone else rotated already: append to the new file. */
	if (lstat(path, &now) < 0 || now.st_ino != st->st_ino ||
	    now.st_dev != st->st_dev)
		goto reopen;
	if (snprintf(old, sizeof(old), "%s.1", path) >= (int)sizeof(old) ||
	    rename(path, old) < 0)
		return fd;
reopen:
	nfd = logfile_open(path, &nst);
	if (nfd < 0)
		return fd;
	close(fd); /* drops the lock */
	return nfd;
}

int logfile_append(const char *path, const char *line, size_t len,
		   long max_size)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;

	fd = logfile_open(path, &st);
	if (fd < 0)
		return fd;
	if (st.st_size + (off_t)len > max_size)
		fd = logfile_rotate(path, fd, &st);
	n = write(fd, line, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}
