/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_NETNS_H
#define BRISK_NETNS_H

#include <stdbool.h>

#include "brisk/err.h"
#include "brisk/netlink.h"
#include "brisk/sysctl.h"

/*
 * Open @path as a network namespace (O_CLOEXEC). A missing path returns
 * -ENOENT with err unset (DEL decides what that means); a path that is not
 * a network namespace is -EINVAL and the caller's own -EPERM, both code 4
 * naming CNI_NETNS.
 */
int netns_open(const char *path, int *ret_fd, struct cni_err *err);
/*
 * Open a netlink socket that lives in namespace @nsfd: enter, open, and
 * come back to the caller's namespace at once.
 */
int netns_netlink_open(int nsfd, struct netlink *ret, struct cni_err *err);

/*
 * Apply sysctls (see sysctl_apply) inside namespace @nsfd: enter, write,
 * and come back to the caller's namespace at once.
 */
int netns_sysctl_apply(int nsfd, const struct sysctl_set *s, size_t n,
		       struct cni_err *err);

#endif
