// SPDX-License-Identifier: Apache-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "brisk/err.h"

int cni_err_set(struct cni_err *err, int code, int sys_errno, const char *fmt,
		...)
{
	int r = sys_errno > 0 ? -sys_errno : -EINVAL;
	va_list ap;

	/* The first error is the one the operator needs; keep it. */
	if (!err || err->code != 0)
		return r;
	err->code = code;
	err->sys_errno = sys_errno;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->details[0] = '\0';
	if (sys_errno > 0)
		snprintf(err->details, sizeof(err->details), "%s",
			 strerror(sys_errno));
	return r;
}

void cni_err_detail(struct cni_err *err, const char *fmt, ...)
{
	size_t len = strlen(err->details);
	va_list ap;

	if (len >= sizeof(err->details) - 3)
		return;
	if (len > 0) {
		memcpy(err->details + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(err->details + len, sizeof(err->details) - len, fmt, ap);
	va_end(ap);
}

void cni_err_wrap(struct cni_err *err, const char *fmt, ...)
{
	char prefix[sizeof(err->msg)];
	char old[sizeof(err->msg)];
	int n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* A long prefix may cut the old text: the msg stays bounded. */
	n = snprintf(err->msg, sizeof(err->msg), "%s: ", prefix);
	if (n > 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, "%s", old);
}
