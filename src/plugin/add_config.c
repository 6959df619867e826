// SPDX-License-Identifier: Apache-2.0
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "brisk/addr.h"
#include "brisk/cleanup.h"
#include "brisk/mac.h"
#include "brisk/route.h"
#include "brisk/sysctl.h"
#include "add.h"

/* The container's index in result.interfaces, as the reference has it. */
#define CONT_IFACE_IDX 2

/*
 * Our own routes only: an earlier plugin's are on its own interface. As the
 * reference, a default route with a gateway; also one without, in the main
 * table at metric 0: it goes through the family's gateway (route_fill_gw),
 * so a second one would be the same route, which the kernel refuses (the
 * reference fails there with "file exists").
 */
static bool has_default_route(const struct add_state *s, int family)
{
	const struct result *res = &s->res;

	for (int i = s->own_route0; i < res->n_routes; i++) {
		const struct iproute *rt = &res->routes[i];

		if (rt->dst.addr.family == family &&
		    ipnet_is_default(&rt->dst) &&
		    (rt->gw.family ||
		     ((rt->table == 0 || rt->table == RT_TABLE_MAIN) &&
		      rt->priority == 0)))
			return true;
	}
	return false;
}

static int plan_default_route(struct add_state *s, const struct result_ip *ip)
{
	struct iproute rt = { .scope = -1 };

	if (!s->a.conf->is_default_gw || !ip->gw.family ||
	    has_default_route(s, ip->addr.addr.family))
		return 0;
	rt.dst.addr.family = ip->addr.addr.family;
	rt.gw = ip->gw;
	return result_add_route(&s->res, &rt);
}

int add_plan(struct add_state *s, struct cni_err *err)
{
	json_t *dns;
	int r = 0;

	if (s->res.n_ips + (int)s->n_leases > RESULT_MAX_IPS)
		return cni_err_set(
			err, CNI_ERR_CONFIG, E2BIG,
			"prevResult: %d addresses and our %zu make more than %d",
			s->res.n_ips, s->n_leases, RESULT_MAX_IPS);
	for (size_t i = 0; i < s->n_ipam_routes && r == 0; i++)
		r = result_add_route(&s->res, &s->ipam_routes[i]);
	for (size_t i = 0; i < s->n_leases && r == 0; i++) {
		struct result_ip *ip = &s->res.ips[s->res.n_ips++];

		ip->addr = s->leases[i].addr;
		ip->gw = s->leases[i].gw;
		ip->iface = s->own_iface0 + CONT_IFACE_IDX;
		/* As the reference: the gateway defaults to the subnet's first host. */
		if (!ip->gw.family && s->a.conf->is_gw) {
			ipnet_first(&ip->addr, &ip->gw);
			ipaddr_next(&ip->gw);
		}
		r = plan_default_route(s, ip);
	}
	/* The network's own dns wins over what IPAM found, as in the reference. */
	dns = r < 0 ? NULL :
		      result_dns_merge(s->res.dns, s->a.conf->dns ?
							   s->a.conf->dns :
							   s->ipam_dns);
	if (r < 0 || (!dns && (s->res.dns || s->a.conf->dns || s->ipam_dns)))
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	json_decref(s->res.dns);
	s->res.dns = dns;
	return 0;
}

/* A route without a gateway goes through its family's first gateway. */
static void route_fill_gw(const struct add_state *s, struct iproute *rt)
{
	const struct result *res = &s->res;

	for (int i = s->own_ip0; i < res->n_ips && !rt->gw.family; i++)
		if (res->ips[i].addr.addr.family == rt->dst.addr.family)
			rt->gw = res->ips[i].gw;
}

/* Name the request of the container batch that the kernel refused. */
static void container_what(const struct add_state *s, int index, int nips,
			   bool up, char *what, size_t n)
{
	int ri = index - nips - (up ? 1 : 0);
	char buf[IPNET_STRLEN];

	if (index >= 0 && index < nips)
		snprintf(what, n, "container address %s",
			 ipnet_fmt(&s->res.ips[s->own_ip0 + index].addr, buf));
	else if (up && index == nips)
		snprintf(what, n, "set %s up", s->a.env->ifname);
	else if (index >= 0 && ri >= 0)
		snprintf(what, n, "container route %s",
			 ipnet_fmt(&s->res.routes[s->own_route0 + ri].dst,
				   buf));
	else
		snprintf(what, n, "container interface %s", s->a.env->ifname);
}

/*
 * One batch: the addresses, then up (so that arp_notify/ndisc_notify
 * announce them, as the reference's order does), then the routes, which
 * need the link up.
 */
int add_container_config(struct add_state *s, struct cni_err *err)
{
	bool nodad = !s->a.conf->enable_dad;
	bool up = !s->a.conf->disable_container_iface;
	int r = 0, nips = s->res.n_ips - s->own_ip0;
	struct netlink_batch b;
	struct netlink_ack ack;
	char what[96];

	netlink_batch_init(&b);
	for (int i = s->own_ip0; i < s->res.n_ips && r == 0; i++)
		r = addr_put_add(&s->a.cont, &b, s->cont.ifindex,
				 &s->res.ips[i].addr, nodad);
	if (r == 0 && up)
		r = link_put_flags(&s->a.cont, &b, s->cont.ifindex, IFF_UP,
				   IFF_UP);
	for (int i = s->own_route0; i < s->res.n_routes && r == 0; i++) {
		struct iproute rt = s->res.routes[i];

		route_fill_gw(s, &rt);
		r = route_put_add(&s->a.cont, &b, s->cont.ifindex, &rt);
	}
	if (r < 0)
		return cni_err_set(err, CNI_ERR_CONFIG, E2BIG,
				   "too many addresses and routes");
	if (netlink_batch_run(&s->a.cont, &b, NULL, NULL, &ack) == 0)
		return 0;
	container_what(s, ack.index, nips, up, what, sizeof(what));
	return netlink_ack_err(&ack, err, what);
}

/*
 * The reference's rule: one IPv4 address per bridge, IPv6 per subnet. The
 * gateway with another prefix length (a /24 there, a /30 wanted) conflicts
 * too: the reference compares address and prefix together.
 */
static bool addr_conflicts(const struct ipnet *have, const struct ipnet *want)
{
	if (have->addr.family != want->addr.family)
		return false;
	return want->addr.family == AF_INET || ipnet_contains(have, &want->addr) ||
	       ipnet_contains(want, &have->addr);
}

/* The gateway goes on the bridge, or with a VLAN on "<bridge>.<vlan>". */
static int gateway_addr(struct add_state *s, const struct ipnet *gw,
			struct cni_err *err)
{
	const struct link_info *on = s->vlan_gw.ifindex ? &s->vlan_gw : &s->br;
	struct ipnet have[32];
	size_t n = 0;
	char buf[IPNET_STRLEN];
	int r;

	r = addr_list(&s->a.host, on->ifindex, gw->addr.family, have,
		      ARRAY_SIZE(have), &n, err);
	for (size_t i = 0; i < n && r == 0; i++) {
		/* There already, as every ADD after the first finds it. */
		if (ipaddr_eq(&have[i].addr, &gw->addr) &&
		    have[i].prefixlen == gw->prefixlen)
			return 0;
		if (!addr_conflicts(&have[i], gw))
			continue;
		if (!s->a.conf->force_address)
			return cni_err_set(
				err, CNI_ERR_INTERNAL, EEXIST,
				"%s %s already has an address different from %s",
				on == &s->br ? "bridge" : "VLAN gateway",
				on->name, ipnet_fmt(gw, buf));
		r = addr_del(&s->a.host, on->ifindex, &have[i], err);
	}
	if (r < 0)
		return r;
	return addr_add(&s->a.host, on->ifindex, gw, !s->a.conf->enable_dad,
			err);
}

int add_gateway(struct add_state *s, struct cni_err *err)
{
	bool v4 = false, v6 = false;
	int r = 0;

	if (!s->a.conf->is_gw)
		return 0;
	for (int i = s->own_ip0; i < s->res.n_ips && r == 0; i++) {
		const struct result_ip *ip = &s->res.ips[i];
		struct ipnet gw = { ip->gw, ip->addr.prefixlen };

		if (!ip->gw.family)
			continue;
		r = gateway_addr(s, &gw, err);
		v4 |= ip->gw.family == AF_INET;
		v6 |= ip->gw.family == AF_INET6;
	}
	if (r == 0 && v4)
		r = sysctl_ensure("net/ipv4/ip_forward", "1", err);
	if (r == 0 && v6)
		r = sysctl_ensure("net/ipv6/conf/all/forwarding", "1", err);
	return r;
}

/* @sandbox NULL for a host interface. 0 or -ENOMEM. */
static int put_iface(struct result *res, const char *name,
		     const uint8_t mac[6], const char *sandbox, int mtu)
{
	struct result_iface *f = &res->ifaces[res->n_ifaces++];

	snprintf(f->name, sizeof(f->name), "%s", name);
	mac_fmt(mac, f->mac);
	f->sandbox = sandbox ? strdup(sandbox) : NULL;
	f->mtu = mtu;
	return sandbox && !f->sandbox ? -ENOMEM : 0;
}

int add_result(struct add_state *s, json_t **ret_out, struct cni_err *err)
{
	struct result *res = &s->res;
	int r;

	put_iface(res, s->br.name, s->br.mac, NULL, s->br.mtu);
	put_iface(res, s->a.host_ifname, s->host_mac, NULL, s->cont.mtu);
	r = put_iface(res, s->a.env->ifname, s->cont.mac, s->a.env->netns,
		      s->cont.mtu);
	/* As the reference: the VLAN gateway follows, in the host namespace. */
	if (s->vlan_gw.ifindex)
		put_iface(res, s->vlan_gw.name, s->vlan_gw.mac, NULL,
			  s->vlan_gw.mtu);
	*ret_out = r < 0 ? NULL : result_encode(res, s->a.conf->ver);
	if (!*ret_out)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "cannot encode the result");
	return 0;
}
