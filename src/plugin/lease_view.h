/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to `brisk leases`: every lease of a store with what brisk
 * recorded about its attachment, read through the store façade.
 */
#ifndef BRISK_PLUGIN_LEASE_VIEW_H
#define BRISK_PLUGIN_LEASE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brisk/err.h"
#include "brisk/ipnet.h"
#include "brisk/meta.h"

struct lease_row {
	const char *network; /* borrowed from the caller of lease_view_load */
	struct ipaddr ip;
	char *id; /* owned; "" when the lease file is empty or unreadable */
	char *ifname; /* owned; "" in host-local's oldest format (id only) */
	int64_t mtime; /* the lease file's, in seconds; 0 when unknown */
	bool has_meta; /* brisk recorded the ADD that made it */
	struct meta_attach meta; /* owned when has_meta */
};

struct lease_view {
	struct lease_row *rows;
	size_t n;
	size_t cap;
	char boot[META_BOOT_ID_LEN]; /* this boot's id, as the store knows it */
};

/*
 * Append the leases of <data_dir>/<network>, which must exist (nothing is
 * created but its lock file and brisk's index). Holds the store lock only
 * while reading; also fills v->boot. Code 5 when the store cannot be read.
 */
int lease_view_load(struct lease_view *v, const char *data_dir,
		    const char *network, struct cni_err *err);
void lease_view_clear(struct lease_view *v);
/* IPv4 before IPv6, then by address. */
int lease_view_ipcmp(const struct ipaddr *a, const struct ipaddr *b);

#endif
