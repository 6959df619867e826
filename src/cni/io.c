// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/cni.h"

int cni_read_all(int fd, char **ret, size_t *ret_len, struct cni_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t cap = 4096, len = 0;

	buf = malloc(cap + 1);
	if (!buf)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM, "out of memory");
	for (;;) {
		ssize_t n;

		if (len > CNI_STDIN_MAX)
			return cni_err_set(err, CNI_ERR_DECODE, EFBIG,
					   "stdin: config larger than %d bytes",
					   CNI_STDIN_MAX);
		if (len == cap) {
			char *nb;

			/* One byte past the cap tells "exactly at" from "over". */
			cap *= 4;
			if (cap > CNI_STDIN_MAX + 1)
				cap = CNI_STDIN_MAX + 1;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return cni_err_set(err, CNI_ERR_INTERNAL,
						   ENOMEM, "out of memory");
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cni_err_set(err, CNI_ERR_IO, errno,
					   "stdin: read failed");
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int cni_args_get(const char *args, const char *key, char *buf, size_t n,
		 struct cni_err *err)
{
	size_t klen = strlen(key);
	const char *p = args;
	int found = 0;

	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);

		if (len > 0 && !eq)
			return cni_err_set(err, CNI_ERR_ENV, EINVAL,
					   "CNI_ARGS: \"%.*s\" is not KEY=VALUE",
					   (int)(len > 40 ? 40 : len), p);
		if (eq && (size_t)(eq - p) == klen && memcmp(p, key, klen) == 0) {
			size_t vlen = len - klen - 1;

			if (vlen >= n)
				return cni_err_set(err, CNI_ERR_ENV, E2BIG,
						   "CNI_ARGS: %s is too long", key);
			memcpy(buf, eq + 1, vlen);
			buf[vlen] = '\0';
			found = 1;
		}
		p = end ? end + 1 : NULL;
	}
	return found;
}
