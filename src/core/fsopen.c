// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/fsopen.h"

const char *fsopen_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFLNK:
		return "a symlink";
	default:
		return "a special file";
	}
}

int fsopen_typed(int atfd, const char *path, int flags, mode_t want,
		 mode_t *ret_mode)
{
	_cleanup_close_ int pfd = -1;
	char proc[32];
	struct stat st;
	int fd;

	pfd = openat(atfd, path, O_PATH | O_CLOEXEC | (flags & O_NOFOLLOW));
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st) < 0)
		return -errno;
	if (ret_mode)
		*ret_mode = st.st_mode;
	/* O_PATH|O_NOFOLLOW opens the symlink itself: refuse it like open. */
	if ((st.st_mode & S_IFMT) == S_IFLNK)
		return -ELOOP;
	if ((st.st_mode & S_IFMT) != want)
		return -EMEDIUMTYPE;
	/* The same inode, whatever happens to the name meanwhile. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc,
		  (flags & ~O_NOFOLLOW) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

int fsopen_dir(int atfd, const char *name, mode_t mode)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(atfd, name, flags);

	if (fd < 0 && errno == ENOENT && mode &&
	    (mkdirat(atfd, name, mode) == 0 || errno == EEXIST))
		fd = openat(atfd, name, flags);
	return fd < 0 ? -errno : fd;
}

int fsopen_file(int atfd, const char *name, int flags, struct stat *ret_st)
{
	struct stat st, *sp = ret_st ? ret_st : &st;
	int fd = openat(atfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
			0600);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, sp) < 0)
		r = -errno;
	else if (!S_ISREG(sp->st_mode))
		r = -EMEDIUMTYPE;
	if (r < 0)
		close(fd);
	return r < 0 ? r : fd;
}

int fsopen_link_unnamed(int fd, int dirfd, const char *name)
{
	char proc[32];

	if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc does not. */
	if (errno != ENOENT && errno != EPERM)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW);
}
