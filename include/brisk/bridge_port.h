/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_BRIDGE_PORT_H
#define BRISK_BRIDGE_PORT_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brisk/err.h"
#include "brisk/netlink.h"

/*
 * Bridge ports as the bridge (AF_BRIDGE) messages see them: the port
 * flags brisk sets (hairpin, isolated) and the port's VLANs.
 */

/* One VLAN or a range of them, with BRIDGE_VLAN_INFO_PVID/_UNTAGGED. */
struct bport_vlan {
	uint16_t vid;
	uint16_t vid_end; /* == vid for a single VLAN */
	uint16_t flags;
};

/* What IFLA_INFO_SLAVE_DATA (a port) or IFLA_INFO_DATA (a bridge) says. */
struct bport_info {
	bool is_port; /* the link is a bridge port */
	bool is_hairpin;
	bool is_isolated;
	bool is_vlan_filtering; /* of a bridge */
	int default_pvid; /* of a bridge; -1 when the kernel does not say */
};

/* Append RTM_SETLINK(AF_BRIDGE) setting port @ifindex's hairpin and isolated. */
int bport_put_flags(struct netlink *nl, struct netlink_batch *b, int ifindex,
		    bool hairpin, bool isolated);
/*
 * Append one message adding (RTM_SETLINK) or removing (RTM_DELLINK) @n
 * VLAN entries on port @ifindex, in order; an entry with vid_end > vid
 * goes as a RANGE_BEGIN/RANGE_END pair (which cannot carry PVID: -EINVAL).
 * -ENOBUFS when the batch is full.
 */
int bport_put_vlans(struct netlink *nl, struct netlink_batch *b, int ifindex,
		    bool del, const struct bport_vlan *v, size_t n);
/*
 * Fill @ret from a link's IFLA_LINKINFO nest: the port flags of a bridge
 * port, the VLAN settings of a bridge. Leaves @ret zeroed (default_pvid
 * -1) for other links.
 */
void bport_parse_linkinfo(const struct nlattr *linkinfo,
			  struct bport_info *ret);
/*
 * From one RTM_NEWLINK(AF_BRIDGE) message of a VLAN dump, append port
 * @ifindex's VLANs (ranges kept as ranges) to @ret (room for @max).
 * Other ports' messages are skipped. -E2BIG past @max, -EBADMSG when
 * malformed.
 */
int bport_parse_vlans(const struct nlmsghdr *nlh, int ifindex,
		      struct bport_vlan *ret, size_t max, size_t *ret_n);
/* The VLANs of port @ifindex, by a dump of the namespace's bridge ports. */
int bport_vlan_list(struct netlink *nl, int ifindex, struct bport_vlan *ret,
		    size_t max, size_t *ret_n, struct cni_err *err);

#endif
