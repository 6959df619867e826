/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_IPAM_H
#define BRISK_IPAM_H

#include <stdbool.h>
#include <stddef.h>

#include "brisk/err.h"
#include "brisk/netconf.h"

/*
 * Allocation policy of the built-in IPAM, as host-local's: the range sets,
 * round robin from last_reserved_ip, requested addresses, all or nothing.
 * The leases themselves are the store's (store.h).
 */

/* One address handed out: the address with its subnet's prefix, and gw. */
struct ipam_lease {
	struct ipnet addr;
	struct ipaddr gw; /* family 0 when the range has none */
	int set; /* index of the range set it came from */
};

/*
 * Give id/ifname one address from each range set of @c, or those it holds
 * already (a repeated ADD is idempotent), all or nothing: *ret_n entries.
 * Requested addresses (c->req_ips) must lie in a set and be free. @netns
 * (may be NULL) is recorded for brisk gc and reclaimStale (see stale.h).
 */
int ipam_allocate(const struct ipamconf *c, const char *network, const char *id,
		  const char *ifname, const char *netns, struct ipam_lease *ret,
		  size_t *ret_n, struct cni_err *err);

/* The addresses one release freed (the first IPAM_FREED_MAX of them). */
#define IPAM_FREED_MAX 16
struct ipam_freed {
	size_t n;
	struct ipaddr ip[IPAM_FREED_MAX];
};

/*
 * Release every lease of id/ifname in @network; absence is success. What
 * was freed is in @ret (may be NULL).
 */
int ipam_release(const struct ipamconf *c, const char *network, const char *id,
		 const char *ifname, struct ipam_freed *ret,
		 struct cni_err *err);

/*
 * Verify that each of @ips is leased to id/ifname. Code 999 naming the
 * first address that is not.
 */
int ipam_check(const struct ipamconf *c, const char *network, const char *id,
	       const char *ifname, const struct ipaddr *ips, size_t n,
	       struct cni_err *err);

/*
 * STATUS: the store of @network is writable and every range set has a
 * free address. Code 50 otherwise.
 */
int ipam_status(const struct ipamconf *c, const char *network,
		struct cni_err *err);

#endif
