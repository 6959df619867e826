/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_ROUTE_H
#define BRISK_ROUTE_H

#include <stddef.h>

#include "brisk/err.h"
#include "brisk/ipnet.h"
#include "brisk/netlink.h"

/* Append an RTM_NEWROUTE for @rt through @ifindex to @b. -ENOBUFS if full. */
int route_put_add(struct netlink *nl, struct netlink_batch *b, int ifindex,
		  const struct iproute *rt);
/*
 * List the routes (main table unless @table is set, every table when it
 * is negative; unicast) that leave through @ifindex (0: any interface). Up to @max into @ret; *ret_n is the count stored.
 */
int route_list(struct netlink *nl, int ifindex, int family, int table,
	       struct iproute *ret, size_t max, size_t *ret_n,
	       struct cni_err *err);

#endif
