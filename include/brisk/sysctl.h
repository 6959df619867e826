/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_SYSCTL_H
#define BRISK_SYSCTL_H

#include "brisk/err.h"

/*
 * Make the sysctl at @path (under /proc/sys, e.g. "net/ipv4/ip_forward")
 * read @value, writing only when it differs.
 */
int sysctl_ensure(const char *path, const char *value, struct cni_err *err);

#endif
