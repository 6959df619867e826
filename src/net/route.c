// SPDX-License-Identifier: Apache-2.0
#include <linux/rtnetlink.h>
#include <string.h>

#include "brisk/route.h"

static void put_metrics(struct nlmsghdr *nlh, const struct iproute *rt)
{
	struct nlattr *m;

	if (rt->mtu <= 0 && rt->advmss <= 0)
		return;
	m = mnl_attr_nest_start(nlh, RTA_METRICS);
	if (rt->mtu > 0)
		mnl_attr_put_u32(nlh, RTAX_MTU, (uint32_t)rt->mtu);
	if (rt->advmss > 0)
		mnl_attr_put_u32(nlh, RTAX_ADVMSS, (uint32_t)rt->advmss);
	mnl_attr_nest_end(nlh, m);
}

int route_put_add(struct netlink *nl, struct netlink_batch *b, int ifindex,
		  const struct iproute *rt)
{
	size_t len = ipaddr_len(rt->dst.addr.family);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct ipaddr dst;

	nlh = netlink_batch_add(nl, b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	if (!nlh)
		return -ENOBUFS;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)rt->dst.addr.family;
	rtm->rtm_dst_len = (unsigned char)rt->dst.prefixlen;
	rtm->rtm_table = rt->table > 0 && rt->table < 256 ? rt->table :
							    RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_scope = rt->gw.family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	if (rt->scope >= 0)
		rtm->rtm_scope = (unsigned char)rt->scope;
	/* The kernel wants the network address, like `ip route` sends. */
	ipnet_first(&rt->dst, &dst);
	if (rt->dst.prefixlen > 0)
		mnl_attr_put(nlh, RTA_DST, len, dst.b);
	if (rt->gw.family)
		mnl_attr_put(nlh, RTA_GATEWAY, len, rt->gw.b);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	if (rt->priority > 0)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, (uint32_t)rt->priority);
	if (rt->table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, (uint32_t)rt->table);
	put_metrics(nlh, rt);
	return 0;
}

struct route_list_ctx {
	int ifindex;
	int table;
	struct iproute *ret;
	size_t max;
	size_t n;
};

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, RTA_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static void route_copy_addr(const struct nlattr *a, int family,
			    struct ipaddr *ret)
{
	size_t len = ipaddr_len(family);

	if (!a || mnl_attr_get_payload_len(a) != len)
		return;
	ret->family = family;
	memcpy(ret->b, mnl_attr_get_payload(a), len);
}

static int route_list_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct route_list_ctx *c = data;
	struct iproute *out;
	int table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_type != RTN_UNICAST ||
	    c->n >= c->max)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb);
	table = tb[RTA_TABLE] ? (int)mnl_attr_get_u32(tb[RTA_TABLE]) :
				rtm->rtm_table;
	if ((c->table >= 0 && table != c->table) ||
	    (c->ifindex && (!tb[RTA_OIF] ||
			    (int)mnl_attr_get_u32(tb[RTA_OIF]) != c->ifindex)))
		return MNL_CB_OK;
	out = &c->ret[c->n++];
	memset(out, 0, sizeof(*out));
	out->scope = rtm->rtm_scope;
	out->table = table;
	out->dst.addr.family = rtm->rtm_family;
	out->dst.prefixlen = rtm->rtm_dst_len;
	route_copy_addr(tb[RTA_DST], rtm->rtm_family, &out->dst.addr);
	route_copy_addr(tb[RTA_GATEWAY], rtm->rtm_family, &out->gw);
	if (tb[RTA_PRIORITY])
		out->priority = (int)mnl_attr_get_u32(tb[RTA_PRIORITY]);
	return MNL_CB_OK;
}

int route_list(struct netlink *nl, int ifindex, int family, int table,
	       struct iproute *ret, size_t max, size_t *ret_n,
	       struct cni_err *err)
{
	char buf[512] __attribute__((aligned(8)));
	struct route_list_ctx c = { ifindex, table ? table : RT_TABLE_MAIN,
				    ret, max, 0 };

	if (table < 0)
		c.table = -1;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct netlink_ack ack;
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	/* A strict dump filters on these attributes in the kernel. */
	if (ifindex)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	if (netlink_dump(nl, nlh, route_list_cb, &c, &ack) < 0)
		return netlink_ack_err(&ack, err, "list routes");
	*ret_n = c.n;
	return 0;
}
