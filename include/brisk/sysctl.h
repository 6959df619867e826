/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_SYSCTL_H
#define BRISK_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "brisk/err.h"

/*
 * Make the sysctl at @path (under /proc/sys, e.g. "net/ipv4/ip_forward")
 * read @value, writing only when it differs.
 */
int sysctl_ensure(const char *path, const char *value, struct cni_err *err);

/* One setting of a list applied together. */
struct sysctl_set {
	char path[64]; /* under /proc/sys */
	const char *value; /* static */
	bool is_best_effort; /* a failure is logged, not returned */
};

/* Fill @s with net/ipv@ipver/conf/@ifname/@key = @value. */
void sysctl_set_if(struct sysctl_set *s, int ipver, const char *ifname,
		   const char *key, const char *value, bool is_best_effort);
/*
 * Apply @n settings in order, in the caller's network namespace. A setting
 * whose file does not exist (a kernel without IPv6) is skipped; any other
 * failure is returned, unless the setting is best effort.
 */
int sysctl_apply(const struct sysctl_set *s, size_t n, struct cni_err *err);

#endif
