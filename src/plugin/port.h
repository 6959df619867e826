/* SPDX-License-Identifier: Apache-2.0 */
/* Private to plugin/: a bridge port's flags and VLANs, for ADD and CHECK. */
#ifndef BRISK_PLUGIN_PORT_H
#define BRISK_PLUGIN_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brisk/bridge_port.h"
#include "brisk/netconf.h"

/* The most VLAN entries a port's plan or listing can hold. */
#define PORT_VLAN_MAX (VLAN_ID_MAX + 2)

/* What one bridge port is to be. */
struct port_spec {
	bool is_hairpin;
	bool is_isolated;
	int vlan; /* native VLAN (PVID, untagged); 0 for none */
	const uint64_t *trunk; /* tagged VLANs by bit; NULL for none */
	bool is_preserve_default; /* keep the bridge's default VLAN */
};

/* The container's host port as @c asks for it. */
void port_spec_from_conf(const struct netconf *c, struct port_spec *ret);

/*
 * The VLAN entries to add, in the reference's order: the native VLAN,
 * the trunk (runs of VLANs as ranges), then VLAN 1 as native when a trunk
 * has no "vlan". Returns how many were written (at most @max).
 */
size_t port_vlan_plan(const struct port_spec *p, struct bport_vlan *ret,
		      size_t max);

/*
 * Set port @ifindex (named @name, for messages) as @p says, on a bridge
 * whose default VLAN is @default_pvid (-1: unknown, taken as 1). Nothing is
 * sent when there is nothing to change from a new port's defaults.
 */
int port_configure(struct netlink *nl, int ifindex, const char *name,
		   const struct port_spec *p, int default_pvid,
		   struct cni_err *err);

/*
 * The VLANs port_configure leaves on a new port: per VLAN id 0 (absent)
 * or PORT_VID_PRESENT | BRIDGE_VLAN_INFO_UNTAGGED | BRIDGE_VLAN_INFO_PVID.
 */
#define PORT_VID_PRESENT 0x100
void port_vlan_expect(const struct port_spec *p, int default_pvid,
		      uint16_t ret[VLAN_ID_MAX + 1]);
/* The same table from a port's listing. -EINVAL for a VLAN id out of range. */
int port_vlan_table(const struct bport_vlan *v, size_t n,
		    uint16_t ret[VLAN_ID_MAX + 1]);

#endif
