// SPDX-License-Identifier: Apache-2.0
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "brisk/addr.h"
#include "brisk/cleanup.h"
#include "brisk/route.h"
#include "brisk/sysctl.h"
#include "add.h"

/* The container's index in result.interfaces, as the reference has it. */
#define CONT_IFACE_IDX 2

static bool has_default_route(const struct result *res, int family)
{
	for (int i = 0; i < res->n_routes; i++)
		if (res->routes[i].dst.addr.family == family &&
		    ipnet_is_default(&res->routes[i].dst) &&
		    res->routes[i].gw.family)
			return true;
	return false;
}

static int plan_default_route(struct add_state *s, const struct result_ip *ip)
{
	struct iproute rt = { .scope = -1 };

	if (!s->a.conf->is_default_gw || !ip->gw.family ||
	    has_default_route(&s->res, ip->addr.addr.family))
		return 0;
	rt.dst.addr.family = ip->addr.addr.family;
	rt.gw = ip->gw;
	return result_add_route(&s->res, &rt);
}

int add_plan(struct add_state *s, struct cni_err *err)
{
	int r = 0;

	for (size_t i = 0; i < s->n_ipam_routes && r == 0; i++)
		r = result_add_route(&s->res, &s->ipam_routes[i]);
	for (size_t i = 0; i < s->n_leases && r == 0; i++) {
		struct result_ip *ip = &s->res.ips[s->res.n_ips++];

		ip->addr = s->leases[i].addr;
		ip->gw = s->leases[i].gw;
		ip->iface = CONT_IFACE_IDX;
		/* As the reference: the gateway defaults to the subnet's first host. */
		if (!ip->gw.family && s->a.conf->is_gw) {
			ipnet_first(&ip->addr, &ip->gw);
			ipaddr_next(&ip->gw);
		}
		r = plan_default_route(s, ip);
	}
	if (r < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM, "out of memory");
	/* The network's own dns wins over what IPAM found, as in the reference. */
	s->res.dns = json_incref(s->a.conf->dns ? s->a.conf->dns : s->ipam_dns);
	return 0;
}

/* A route without a gateway goes through its family's first gateway. */
static void route_fill_gw(const struct result *res, struct iproute *rt)
{
	for (int i = 0; i < res->n_ips && !rt->gw.family; i++)
		if (res->ips[i].addr.addr.family == rt->dst.addr.family)
			rt->gw = res->ips[i].gw;
}

int add_container_config(struct add_state *s, struct cni_err *err)
{
	bool nodad = !s->a.conf->enable_dad;
	struct netlink_batch b;
	struct netlink_ack ack;
	int r = 0, nips = s->res.n_ips;
	char what[96], buf[IPNET_STRLEN];

	netlink_batch_init(&b);
	/* Message 0 brings the interface up; addresses follow, then routes. */
	if (!s->a.conf->disable_container_iface)
		r = link_put_flags(&s->a.cont, &b, s->cont.ifindex, IFF_UP,
				   IFF_UP);
	for (int i = 0; i < nips && r == 0; i++)
		r = addr_put_add(&s->a.cont, &b, s->cont.ifindex,
				 &s->res.ips[i].addr, nodad);
	for (int i = 0; i < s->res.n_routes && r == 0; i++) {
		struct iproute rt = s->res.routes[i];

		route_fill_gw(&s->res, &rt);
		r = route_put_add(&s->a.cont, &b, s->cont.ifindex, &rt);
	}
	if (r < 0)
		return cni_err_set(err, CNI_ERR_CONFIG, E2BIG,
				   "too many addresses and routes");
	if (netlink_batch_run(&s->a.cont, &b, NULL, NULL, &ack) == 0)
		return 0;
	if (!s->a.conf->disable_container_iface)
		ack.index--;
	if (ack.index == -1)
		snprintf(what, sizeof(what), "set %s up", s->a.env->ifname);
	else if (ack.index >= 0 && ack.index < nips)
		snprintf(what, sizeof(what), "container address %s",
			 ipnet_fmt(&s->res.ips[ack.index].addr, buf));
	else if (ack.index >= nips)
		snprintf(what, sizeof(what), "container route %s",
			 ipnet_fmt(&s->res.routes[ack.index - nips].dst, buf));
	return netlink_ack_err(&ack, err, what);
}

/* The reference's rule: one IPv4 address per bridge, IPv6 per subnet. */
static bool addr_conflicts(const struct ipnet *have, const struct ipnet *want)
{
	if (have->addr.family != want->addr.family)
		return false;
	if (ipaddr_eq(&have->addr, &want->addr))
		return false;
	return want->addr.family == AF_INET || ipnet_contains(have, &want->addr) ||
	       ipnet_contains(want, &have->addr);
}

static int gateway_addr(struct add_state *s, const struct ipnet *gw,
			struct cni_err *err)
{
	struct ipnet have[32];
	size_t n = 0;
	char buf[IPNET_STRLEN];
	int r;

	r = addr_list(&s->a.host, s->br.ifindex, gw->addr.family, have,
		      ARRAY_SIZE(have), &n, err);
	for (size_t i = 0; i < n && r == 0; i++) {
		if (!addr_conflicts(&have[i], gw))
			continue;
		if (!s->a.conf->force_address)
			return cni_err_set(err, CNI_ERR_INTERNAL, EEXIST,
					   "bridge %s already has an address different from %s",
					   s->a.conf->bridge, ipnet_fmt(gw, buf));
		r = addr_del(&s->a.host, s->br.ifindex, &have[i], err);
	}
	if (r < 0)
		return r;
	return addr_add(&s->a.host, s->br.ifindex, gw, !s->a.conf->enable_dad,
			err);
}

int add_gateway(struct add_state *s, struct cni_err *err)
{
	bool v4 = false, v6 = false;
	int r = 0;

	if (!s->a.conf->is_gw)
		return 0;
	for (int i = 0; i < s->res.n_ips && r == 0; i++) {
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

int add_hairpin(struct add_state *s, struct cni_err *err)
{
	struct link_info li;
	int r = link_get(&s->a.host, s->a.host_ifname, 0, &li, err);

	if (r == 0 && li.ifindex == 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENODEV,
				   "%s vanished", s->a.host_ifname);
	if (r < 0)
		return r;
	return link_set_hairpin(&s->a.host, li.ifindex, true, err);
}

static void put_iface(struct result *res, const char *name,
		      const uint8_t mac[6], const char *sandbox, int mtu)
{
	struct result_iface *f = &res->ifaces[res->n_ifaces++];

	snprintf(f->name, sizeof(f->name), "%s", name);
	link_mac_fmt(mac, f->mac);
	snprintf(f->sandbox, sizeof(f->sandbox), "%s", sandbox);
	f->mtu = mtu;
}

int add_result(struct add_state *s, json_t **ret_out, struct cni_err *err)
{
	struct result *res = &s->res;

	put_iface(res, s->br.name, s->br.mac, "", s->br.mtu);
	put_iface(res, s->a.host_ifname, s->host_mac, "", s->cont.mtu);
	put_iface(res, s->a.env->ifname, s->cont.mac, s->a.env->netns,
		  s->cont.mtu);
	*ret_out = result_encode(res, s->a.conf->ver);
	if (!*ret_out)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "cannot encode the result");
	return 0;
}
