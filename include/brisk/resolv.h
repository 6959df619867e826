/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_RESOLV_H
#define BRISK_RESOLV_H

#include <jansson.h>
#include <stddef.h>

#include "brisk/err.h"

/* Caps: a resolv.conf is small; past these the rest is ignored. */
#define RESOLV_MAX_BYTES 65536
#define RESOLV_MAX_ITEMS 64

/*
 * Parse resolv.conf text as host-local's resolvConf does: "nameserver",
 * "domain", "search" and "options" lines become a CNI dns object
 * {nameservers, domain, search, options}; comments (# and ;) and other
 * lines are ignored. Returns a new reference, or NULL on allocation failure.
 */
json_t *resolv_parse(const char *buf, size_t len);

/* Read @path (size-capped) and parse it. Code 5 when it cannot be read. */
int resolv_read(const char *path, json_t **ret, struct cni_err *err);

#endif
