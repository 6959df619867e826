/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_ADDR_H
#define BRISK_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "brisk/err.h"
#include "brisk/ipnet.h"
#include "brisk/netlink.h"

/*
 * Append an RTM_NEWADDR for @a on @ifindex to @b. With @nodad the address
 * skips duplicate address detection (IPv6), so it is usable at once.
 * Returns -ENOBUFS when the batch is full.
 */
int addr_put_add(struct netlink *nl, struct netlink_batch *b, int ifindex,
		 const struct ipnet *a, bool nodad);
/* Add one address; an address already there is success. */
int addr_add(struct netlink *nl, int ifindex, const struct ipnet *a,
	     bool nodad, struct cni_err *err);
/* Remove one address; an address not there is success. */
int addr_del(struct netlink *nl, int ifindex, const struct ipnet *a,
	     struct cni_err *err);
/*
 * List the addresses of @family (AF_UNSPEC: both) on @ifindex, with a
 * kernel-filtered dump. Up to @max into @ret; *ret_n is the count stored.
 */
int addr_list(struct netlink *nl, int ifindex, int family, struct ipnet *ret,
	      size_t max, size_t *ret_n, struct cni_err *err);

/*
 * Where duplicate address detection stands on @ifindex's IPv6 addresses:
 * how many are still tentative, and the first whose DAD failed (family 0
 * when none did).
 */
int addr_dad_state(struct netlink *nl, int ifindex, int *ret_tentative,
		   struct ipnet *ret_failed, struct cni_err *err);

#endif
