/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_CLEANUP_H
#define BRISK_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(cleanup_freep)
#define _cleanup_close_ _cleanup_(cleanup_closep)

/* Hand ownership out of a cleanup-attributed local. */
#define TAKE_PTR(p)                              \
	({                                       \
		__typeof__(p) _tp = (p);         \
		(p) = NULL;                      \
		_tp;                             \
	})
#define TAKE_FD(fd)                              \
	({                                       \
		int _tf = (fd);                  \
		(fd) = -1;                       \
		_tf;                             \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
