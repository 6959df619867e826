/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_FWPLAN_H
#define BRISK_FWPLAN_H

/* One attachment's part of brisk's firewall, as plain data (see fw.h). */

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brisk/ipnet.h"

#define FW_MAX_ADDRS 8
/* Every range of 8 sets of 16, 32 result addresses, 32 ipMasqExclude. */
#define FW_MAX_NETS 192
#define FW_MAX_PORTS 256
#define FW_OWNER_MAX 128

#define FW_TABLE "brisk"

/* One host port: proto is IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP. */
struct fw_port {
	uint8_t proto;
	uint16_t host_port;
	uint16_t cont_port;
	/*
	 * family 0: every local address of both families; 0.0.0.0 or ::
	 * (as portmap): every local address of that family.
	 */
	struct ipaddr host_ip;
};

/* What one attachment puts into brisk's tables. */
struct fw_plan {
	char owner[FW_OWNER_MAX]; /* element comment: "network/id/ifname" */
	size_t n_addrs;
	struct ipaddr addrs[FW_MAX_ADDRS]; /* the container's, in result order */
	bool masq; /* ipMasq: masquerade addrs except towards nomasq */
	size_t n_nomasq;
	struct ipnet nomasq[FW_MAX_NETS]; /* reduced (fw_nets_reduce) */
	size_t n_ports;
	struct fw_port ports[FW_MAX_PORTS];
	size_t n_hpnat;
	struct ipnet
		hpnat[FW_MAX_NETS]; /* sources of DNATed traffic to masquerade */
	char spoof_ifname[IFNAMSIZ]; /* host veth with the MAC check, or "" */
	uint8_t spoof_mac[6]; /* the only source MAC allowed in from it */
};

/* True when @pm takes every local address (of its family, if it has one). */
bool fw_port_is_wildcard(const struct fw_port *pm);

/* The first address of @family in @p, or NULL: the DNAT target. */
const struct ipaddr *fw_plan_addr(const struct fw_plan *p, int family);

/*
 * Sort @nets (host bits cleared) and drop every prefix that lies inside
 * another, so that no two left overlap (a concatenated interval set
 * refuses overlapping elements).
 */
void fw_nets_reduce(struct ipnet *nets, size_t *n);

#endif
