/* SPDX-License-Identifier: Apache-2.0 */
/* Private to ADD: the state its steps share. */
#ifndef BRISK_PLUGIN_ADD_H
#define BRISK_PLUGIN_ADD_H

#include "brisk/attach.h"
#include "brisk/ipam.h"
#include "brisk/result.h"
#include "brisk/undo.h"

struct add_state {
	struct attach a;
	struct undo undo;
	struct link_info br;
	struct link_info cont;
	struct link_info vlan_gw; /* "<bridge>.<vlan>": ifindex 0 when none */
	uint8_t host_mac[6];
	size_t n_leases;
	struct ipam_lease leases[IPAM_MAX_SETS];
	struct iproute *ipam_routes; /* the routes IPAM handed out */
	size_t n_ipam_routes;
	json_t *ipam_dns; /* from a delegated IPAM result; owned */
	struct result ipam_res; /* a delegated IPAM's result */
	struct result res; /* prevResult's entries, then ours */
	int own_iface0; /* our first entries in res: after prevResult's */
	int own_ip0;
	int own_route0;
};

/* Take addresses from the built-in store or the delegated plugin. */
int add_ipam_acquire(struct add_state *s, struct cni_err *err);
/* Give them back (rollback). */
int add_ipam_release(struct add_state *s, struct cni_err *err);
/* The result's addresses, routes and dns, before anything is configured. */
int add_plan(struct add_state *s, struct cni_err *err);
/* Keep a prevResult's interfaces, addresses, routes and dns (chaining). */
int add_prev(struct add_state *s, struct cni_err *err);
/* The host end's sysctl and bridge port settings: isolation, hairpin, VLANs. */
int add_port(struct add_state *s, struct cni_err *err);
/* With vlan and isGateway: the "<bridge>.<vlan>" interface for the gateway. */
int add_vlan_gateway(struct add_state *s, struct cni_err *err);
/* The container interface's sysctls, set while it is still down. */
int add_sysctls(struct add_state *s, struct cni_err *err);
/* Addresses and routes on the container interface, in one batch. */
int add_container_config(struct add_state *s, struct cni_err *err);
/* With enabledad: wait until DAD is done; a duplicate address fails. */
int add_settle(struct add_state *s, struct cni_err *err);
/* Gateway addresses on the bridge and forwarding, with isGateway. */
int add_gateway(struct add_state *s, struct cni_err *err);
/* Build the CNI result for the config's version. */
int add_result(struct add_state *s, json_t **ret_out, struct cni_err *err);

#endif
