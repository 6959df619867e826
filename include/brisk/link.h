/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_LINK_H
#define BRISK_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "brisk/bridge_port.h"
#include "brisk/err.h"
#include "brisk/netlink.h"

struct link_info {
	int ifindex; /* 0 when the link does not exist */
	int master; /* ifindex of the bridge it is a port of, 0 if none */
	int peer; /* IFLA_LINK: a veth's peer ifindex (in its own netns) */
	unsigned int flags;
	int mtu;
	char name[IFNAMSIZ];
	char kind[16]; /* "bridge", "veth", ... ; "" for plain devices */
	uint8_t mac[6];
	struct bport_info
		port; /* port flags of a bridge port, a bridge's VLAN settings */
};

struct veth_spec {
	const char *host_name;
	const char *peer_name; /* created directly inside peer_nsfd */
	int peer_nsfd; /* -1: next to the host end */
	int mtu; /* 0: default */
	int master; /* bridge ifindex for the host end */
	uint8_t host_mac[6];
	uint8_t peer_mac[6];
};

/*
 * Look a link up by @name (or by @ifindex when name is NULL). Absence is
 * not an error: ret->ifindex is 0.
 */
int link_get(struct netlink *nl, const char *name, int ifindex,
	     struct link_info *ret, struct cni_err *err);
/*
 * Create a bridge with a fixed MAC, still down (the caller sets it up once
 * its sysctls are set), filtering VLANs with @vlan_filtering. -EEXIST (err
 * unset) if it exists.
 */
int link_bridge_create(struct netlink *nl, const char *name, int mtu,
		       const uint8_t mac[6], bool promisc, bool vlan_filtering,
		       struct cni_err *err);
/*
 * Create a veth pair in one request: the host end attached to its bridge
 * and up, the peer created straight inside its namespace (or next to the
 * host end), still down (the kernel cannot open a veth before its pair is
 * complete).
 * -EEXIST (err unset) when a name is taken.
 */
int link_veth_create(struct netlink *nl, const struct veth_spec *v,
		     struct cni_err *err);
/* The requests of the two functions above, appended to @b: -ENOBUFS when full. */
int link_put_bridge(struct netlink *nl, struct netlink_batch *b,
		    const char *name, int mtu, const uint8_t mac[6],
		    bool promisc, bool vlan_filtering);
int link_put_veth(struct netlink *nl, struct netlink_batch *b,
		  const struct veth_spec *v);

/* Delete by name; a missing link is success with *ret_deleted false. */
int link_del(struct netlink *nl, const char *name, bool *ret_deleted,
	     struct cni_err *err);
/* Change flags (e.g. IFF_UP, IFF_PROMISC) of @ifindex. */
int link_set_flags(struct netlink *nl, int ifindex, unsigned int flags,
		   unsigned int change, struct cni_err *err);
/* Append the same change to a batch. -ENOBUFS when it is full. */
int link_put_flags(struct netlink *nl, struct netlink_batch *b, int ifindex,
		   unsigned int flags, unsigned int change);

#endif
