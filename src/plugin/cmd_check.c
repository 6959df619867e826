// SPDX-License-Identifier: Apache-2.0
#include <linux/if_bridge.h>
#include <stdio.h>
#include <string.h>

#include "brisk/addr.h"
#include "brisk/attach.h"
#include "brisk/cleanup.h"
#include "brisk/cmd.h"
#include "brisk/mac.h"
#include "brisk/result.h"
#include "brisk/route.h"
#include "fwstep.h"
#include "port.h"

#define CHECK_MAX_ADDRS 64
#define CHECK_MAX_ROUTES 256

/* The prevResult interface that is ours: the one in our namespace. */
static const struct result_iface *check_find_iface(const struct result *pr,
						   const struct cni_env *env,
						   int *ret_idx)
{
	for (int i = 0; i < pr->n_ifaces; i++) {
		if (strcmp(pr->ifaces[i].name, env->ifname) == 0 &&
		    pr->ifaces[i].sandbox &&
		    strcmp(pr->ifaces[i].sandbox, env->netns) == 0) {
			*ret_idx = i;
			return &pr->ifaces[i];
		}
	}
	return NULL;
}

static int check_link(struct attach *a, const struct result *pr,
		      struct link_info *ret_cont, int *ret_idx,
		      struct cni_err *err)
{
	const struct result_iface *want = check_find_iface(pr, a->env, ret_idx);
	char mac[18];
	int r;

	if (!want)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOENT,
				   "prevResult has no interface %s in %.200s",
				   a->env->ifname, a->env->netns);
	r = link_get(&a->cont, a->env->ifname, 0, ret_cont, err);
	if (r < 0)
		return r;
	if (ret_cont->ifindex == 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENODEV,
				   "interface %s not found in %.200s",
				   a->env->ifname, a->env->netns);
	mac_fmt(ret_cont->mac, mac);
	if (want->mac[0] && strcasecmp(want->mac, mac) != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, EINVAL,
				   "interface %s has MAC %s, expected %s",
				   a->env->ifname, mac, want->mac);
	return 0;
}

static const char *check_vid_str(uint16_t f)
{
	if (!f)
		return "absent";
	if (f & BRIDGE_VLAN_INFO_PVID)
		return f & BRIDGE_VLAN_INFO_UNTAGGED ?
			       "native (PVID, untagged)" :
			       "PVID, tagged";
	return f & BRIDGE_VLAN_INFO_UNTAGGED ? "untagged" : "tagged";
}

/* As the reference: the bridge's and host end's MACs, where the result has them. */
static int check_host_macs(const struct result *pr, const struct link_info *br,
			   const struct link_info *host, struct cni_err *err)
{
	const struct link_info *li[] = { br, host };
	char mac[18];

	for (int i = 0; i < pr->n_ifaces; i++) {
		const struct result_iface *f = &pr->ifaces[i];

		for (size_t k = 0; k < ARRAY_SIZE(li); k++) {
			if (f->sandbox || !f->mac[0] ||
			    strcmp(f->name, li[k]->name) != 0)
				continue;
			mac_fmt(li[k]->mac, mac);
			if (strcasecmp(f->mac, mac) != 0)
				return cni_err_set(
					err, CNI_ERR_INTERNAL, EINVAL,
					"interface %s has MAC %s, expected %s",
					f->name, mac, f->mac);
		}
	}
	return 0;
}

/* The host end must be a port of our bridge and the container end's peer. */
static int check_peer(struct attach *a, const struct link_info *cont,
		      struct link_info *br, struct link_info *host,
		      struct cni_err *err)
{
	int r;

	r = link_get(&a->host, a->conf->bridge, 0, br, err);
	if (r == 0 && br->ifindex == 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENODEV,
				   "bridge %s not found", a->conf->bridge);
	if (r == 0)
		r = link_get(&a->host, a->host_ifname, 0, host, err);
	if (r < 0)
		return r;
	if (host->ifindex == 0 || host->ifindex != cont->peer)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENODEV,
				   "host end %s of %s not found",
				   a->host_ifname, a->env->ifname);
	if (host->master != br->ifindex)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOLINK,
				   "%s is not attached to bridge %s",
				   a->host_ifname, a->conf->bridge);
	return 0;
}

/* The port's VLANs, as port_configure left them on this bridge. */
static int check_vlans(struct attach *a, const struct link_info *br,
		       const struct link_info *host, struct cni_err *err)
{
	uint16_t want[VLAN_ID_MAX + 1], have[VLAN_ID_MAX + 1];
	struct bport_vlan v[PORT_VLAN_MAX];
	struct port_spec p;
	size_t n = 0;
	int r;

	r = bport_vlan_list(&a->host, host->ifindex, v, ARRAY_SIZE(v), &n, err);
	if (r < 0)
		return r;
	if (port_vlan_table(v, n, have) < 0)
		return cni_err_set(
			err, CNI_ERR_INTERNAL, EBADMSG,
			"port %s: the kernel lists a VLAN out of range",
			host->name);
	port_spec_from_conf(a->conf, &p);
	port_vlan_expect(&p, br->port.default_pvid, want);
	for (int vid = 1; vid <= VLAN_ID_MAX; vid++)
		if (have[vid] != want[vid])
			return cni_err_set(
				err, CNI_ERR_INTERNAL, EINVAL,
				"port %s: VLAN %d is %s, the config says %s",
				host->name, vid, check_vid_str(have[vid]),
				check_vid_str(want[vid]));
	return 0;
}

static int check_flag(const char *key, const char *on, bool have, bool want,
		      struct cni_err *err)
{
	if (have == want)
		return 0;
	return cni_err_set(err, CNI_ERR_INTERNAL, EINVAL,
			   "%s: %s is %s, the config says %s", key, on,
			   have ? "on" : "off", want ? "on" : "off");
}

/* What the config set on the bridge and its port, as the kernel has it. */
static int check_port(struct attach *a, const struct link_info *br,
		      const struct link_info *host, struct cni_err *err)
{
	const struct netconf *c = a->conf;
	char on[64];
	int r;

	snprintf(on, sizeof(on), "bridge %s", br->name);
	/* As the reference, both ways. */
	r = check_flag("promiscMode", on, br->flags & IFF_PROMISC, c->promisc,
		       err);
	snprintf(on, sizeof(on), "port %s", host->name);
	if (r == 0)
		r = check_flag("portIsolation", on, host->port.is_isolated,
			       c->port_isolation, err);
	if (r == 0)
		r = check_flag("hairpinMode", on, host->port.is_hairpin,
			       port_wants_hairpin(c), err);
	if (r == 0 && netconf_vlan_filtering(c))
		r = check_vlans(a, br, host, err);
	return r;
}

static int check_addrs(struct attach *a, const struct result *pr, int idx,
		       const struct link_info *cont, struct cni_err *err)
{
	struct ipnet have[CHECK_MAX_ADDRS];
	char buf[IPNET_STRLEN];
	size_t n = 0;
	int r;

	r = addr_list(&a->cont, cont->ifindex, AF_UNSPEC, have, ARRAY_SIZE(have),
		      &n, err);
	for (int i = 0; i < pr->n_ips && r == 0; i++) {
		const struct ipnet *want = &pr->ips[i].addr;
		bool found = false;

		if (pr->ips[i].iface >= 0 && pr->ips[i].iface != idx)
			continue;
		for (size_t j = 0; j < n && !found; j++)
			found = ipaddr_eq(&have[j].addr, &want->addr) &&
				have[j].prefixlen == want->prefixlen;
		if (!found)
			return cni_err_set(err, CNI_ERR_INTERNAL, ENOENT,
					   "address %s not found on %s",
					   ipnet_fmt(want, buf), a->env->ifname);
	}
	return r;
}

/*
 * A route without a gateway was given the first gateway of its family:
 * our interface's (@idx) first, since a chained result holds others'.
 */
static struct ipaddr route_gw(const struct iproute *want,
			      const struct result *pr, int idx)
{
	struct ipaddr gw = want->gw;

	for (int pass = 0; pass < 2 && !gw.family; pass++)
		for (int i = 0; i < pr->n_ips && !gw.family; i++)
			if (pr->ips[i].addr.addr.family ==
				    want->dst.addr.family &&
			    (pass || pr->ips[i].iface == idx))
				gw = pr->ips[i].gw;
	return gw;
}

static bool route_matches(const struct iproute *have,
			  const struct iproute *want, const struct result *pr,
			  int idx)
{
	struct ipaddr wdst, hdst;
	struct ipaddr gw = route_gw(want, pr, idx);

	ipnet_first(&want->dst, &wdst);
	ipnet_first(&have->dst, &hdst);
	/* Before 1.1.0 a result does not say which table: any will do. */
	return (!want->table || have->table == want->table) &&
	       have->dst.prefixlen == want->dst.prefixlen &&
	       ipaddr_eq(&wdst, &hdst) &&
	       (!gw.family || ipaddr_eq(&gw, &have->gw));
}

/* As the reference: each route of the result, through any interface. */
static int check_routes(struct attach *a, const struct result *pr, int idx,
			struct cni_err *err)
{
	struct iproute have[CHECK_MAX_ROUTES];
	char buf[IPNET_STRLEN];
	size_t n = 0;
	int r;

	if (pr->n_routes == 0)
		return 0;
	r = route_list(&a->cont, 0, AF_UNSPEC, -1, have, ARRAY_SIZE(have), &n,
		       err);
	for (int i = 0; i < pr->n_routes && r == 0; i++) {
		bool found = false;

		for (size_t j = 0; j < n && !found; j++)
			found = route_matches(&have[j], &pr->routes[i], pr,
					      idx);
		if (!found)
			return cni_err_set(err, CNI_ERR_INTERNAL, ENOENT,
					   "route to %s not found in %.200s",
					   ipnet_fmt(&pr->routes[i].dst, buf),
					   a->env->netns);
	}
	return r;
}

static int check_steps(struct attach *a, const struct result *pr,
		       struct cni_err *err)
{
	struct link_info cont, br, host;
	int idx = -1, r;

	r = check_link(a, pr, &cont, &idx, err);
	if (r < 0)
		return r;
	r = check_peer(a, &cont, &br, &host, err);
	if (r < 0)
		return r;
	r = check_port(a, &br, &host, err);
	if (r < 0)
		return r;
	r = check_host_macs(pr, &br, &host, err);
	if (r < 0)
		return r;
	r = check_addrs(a, pr, idx, &cont, err);
	if (r < 0)
		return r;
	r = check_routes(a, pr, idx, err);
	if (r < 0)
		return r;
	r = fwstep_check(a->env, a->conf, err);
	if (r < 0)
		return r;
	return attach_ipam_check(a->env, a->conf, pr, idx, err);
}

int cmd_check(const struct cni_env *env, struct netconf *c, struct cni_err *err)
{
	struct result pr;
	struct attach a;
	int r;

	result_init(&pr);
	r = attach_prev_result(c, &pr, err);
	if (r == 0) {
		r = attach_open(&a, env, c, false, err);
		if (r == 0)
			r = check_steps(&a, &pr, err);
		attach_close(&a);
	}
	result_clear(&pr);
	return r;
}
