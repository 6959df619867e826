/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_FSOPEN_H
#define BRISK_FSOPEN_H

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>

/*
 * Opening paths that come from the input without blocking and without
 * side effects: a FIFO would hang an open for reading or writing, and
 * opening a device node can do anything its driver does on open.
 */

/* "a FIFO", "a socket", "a directory", "a device", ... for messages. */
const char *fsopen_kind(mode_t mode);

/*
 * Open @path (relative to @atfd, or AT_FDCWD) with @flags (O_RDONLY, O_RDWR;
 * O_NOFOLLOW is honoured) only once it is known to be of file type @want
 * (S_IFREG or S_IFDIR): an O_PATH open first, which never blocks nor
 * reaches a driver, then the type check, then the real open of that same
 * inode through /proc/self/fd. O_CLOEXEC, O_NOCTTY and O_NONBLOCK are
 * always added. Returns the fd or -errno; a file of another type is
 * -EMEDIUMTYPE with its mode in *ret_mode (when not NULL).
 */
int fsopen_typed(int atfd, const char *path, int flags, mode_t want,
		 mode_t *ret_mode);

/*
 * Open directory @name under @atfd, never through a symlink, making it
 * with @mode when it is missing (unless @mode is 0). The fd, or -errno.
 */
int fsopen_dir(int atfd, const char *name, mode_t mode);

/*
 * Open @name under @atfd with @flags (O_CREAT makes it 0600), never through
 * a symlink nor so that it can block: the fd once it is known to be a
 * regular file, -EMEDIUMTYPE when it is not, or -errno. Its stat goes to
 * *ret_st (when not NULL) in both of the first two cases.
 */
int fsopen_file(int atfd, const char *name, int flags, struct stat *ret_st);

/*
 * Give @fd, an O_TMPFILE file, the name @name under @dirfd: a file that
 * appears whole, and that nobody sees if its writer dies before (nothing
 * to clean up). 0, or -1 with errno (EEXIST when @name is taken: never
 * replaced).
 */
int fsopen_link_unnamed(int fd, int dirfd, const char *name);

#endif
