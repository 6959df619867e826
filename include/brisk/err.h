/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_ERR_H
#define BRISK_ERR_H

#include <errno.h>

/* Error codes from the CNI specification, plus brisk's internal one. */
enum cni_code {
	CNI_ERR_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_CONFIG = 7,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_UNAVAILABLE = 50,
	CNI_ERR_INTERNAL = 999,
};

struct cni_err {
	int code;
	int sys_errno;
	char msg[128];
	char details[1024];
};

/*
 * Fill @err (unless it already holds an error: the first error wins) and
 * return -@sys_errno, or -EINVAL when @sys_errno is 0, so a failure is one
 * line: return cni_err_set(err, CNI_ERR_CONFIG, EINVAL, "key %s", k);
 */
int cni_err_set(struct cni_err *err, int code, int sys_errno, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

/* Append text to err->details (separated by "; "). Returns nothing. */
void cni_err_detail(struct cni_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefix err->msg with context ("ctx: old msg"), keeping code and errno. */
void cni_err_wrap(struct cni_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* True when @err holds an error. */
static inline int cni_err_is_set(const struct cni_err *err)
{
	return err->code != 0;
}

#endif
