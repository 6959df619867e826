// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/log.h"
#include "brisk/sysctl.h"

int sysctl_ensure(const char *path, const char *value, struct cni_err *err)
{
	_cleanup_close_ int fd = -1;
	char full[256], cur[64];
	size_t vlen = strlen(value);
	ssize_t n;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	fd = open(full, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, errno,
				   "sysctl %s: cannot open", path);
	n = read(fd, cur, sizeof(cur) - 1);
	if (n > 0) {
		cur[n] = '\0';
		cur[strcspn(cur, "\n")] = '\0';
		/* Skip the write: it is what costs, and needs privileges. */
		if (strcmp(cur, value) == 0)
			return 0;
	}
	if (pwrite(fd, value, vlen, 0) != (ssize_t)vlen)
		return cni_err_set(err, CNI_ERR_INTERNAL, errno,
				   "sysctl %s: cannot write %s", path, value);
	return 0;
}

void sysctl_set_if(struct sysctl_set *s, int ipver, const char *ifname,
		   const char *key, const char *value, bool is_best_effort)
{
	/* "/" separators: a name with a dot (br0.100) stays one component. */
	snprintf(s->path, sizeof(s->path), "net/ipv%d/conf/%s/%s", ipver,
		 ifname, key);
	s->value = value;
	s->is_best_effort = is_best_effort;
}

int sysctl_apply(const struct sysctl_set *s, size_t n, struct cni_err *err)
{
	for (size_t i = 0; i < n; i++) {
		struct cni_err e = { 0 };
		int r = sysctl_ensure(s[i].path, s[i].value, &e);

		if (r == 0 || r == -ENOENT)
			continue;
		if (!s[i].is_best_effort) {
			*err = e;
			return r;
		}
		log_info("%s (ignored)", e.msg);
	}
	return 0;
}
