// SPDX-License-Identifier: Apache-2.0
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <string.h>

#include "brisk/bridge_port.h"
#include "brisk/link.h"

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int family,
				    int ifindex)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = (unsigned char)family;
	ifi->ifi_index = ifindex;
	return ifi;
}

/*
 * A request creating link @name in @b, with @flags set: NULL when the batch
 * is full.
 */
static struct nlmsghdr *put_create(struct netlink *nl, struct netlink_batch *b,
				   const char *name, unsigned int flags)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = netlink_batch_add(nl, b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	if (!nlh)
		return NULL;
	ifi = put_ifinfo(nlh, AF_UNSPEC, 0);
	ifi->ifi_flags = flags;
	ifi->ifi_change = flags;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFLA_MAX) > 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static void link_parse_kind(const struct nlattr *linkinfo,
			    struct link_info *ret)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, linkinfo) {
		if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(ret->kind, sizeof(ret->kind), "%s",
				 mnl_attr_get_str(attr));
	}
}

static int link_info_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct link_info *ret = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, tb);
	ret->ifindex = ifi->ifi_index;
	ret->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		snprintf(ret->name, sizeof(ret->name), "%s",
			 mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MASTER])
		ret->master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_LINK])
		ret->peer = (int)mnl_attr_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_MTU])
		ret->mtu = (int)mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(ret->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_LINKINFO]) {
		link_parse_kind(tb[IFLA_LINKINFO], ret);
		bport_parse_linkinfo(tb[IFLA_LINKINFO], &ret->port);
	}
	return MNL_CB_OK;
}

int link_get(struct netlink *nl, const char *name, int ifindex,
	     struct link_info *ret, struct cni_err *err)
{
	struct netlink_batch b;
	struct nlmsghdr *nlh;
	int r;

	memset(ret, 0, sizeof(*ret));
	netlink_batch_init(&b);
	nlh = netlink_batch_add(nl, &b, RTM_GETLINK, 0);
	put_ifinfo(nlh, AF_UNSPEC, name ? 0 : ifindex);
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Skip per-VF and stats blocks: we only need the basics. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = netlink_run(nl, &b, link_info_cb, ret, (const int[]){ ENODEV, 0 },
			name ? name : "link lookup", err);
	if (r == -ENODEV) {
		memset(ret, 0, sizeof(*ret));
		return 0;
	}
	return r;
}

int link_put_bridge(struct netlink *nl, struct netlink_batch *b,
		    const char *name, int mtu, const uint8_t mac[6],
		    bool promisc, bool vlan_filtering)
{
	/* Down: its sysctls are set before it can hear anything. */
	struct nlmsghdr *nlh =
		put_create(nl, b, name, promisc ? IFF_PROMISC : 0);
	struct nlattr *li;

	if (!nlh)
		return -ENOBUFS;
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	if (mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	if (vlan_filtering) {
		struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);

		mnl_attr_put_u8(nlh, IFLA_BR_VLAN_FILTERING, 1);
		mnl_attr_nest_end(nlh, data);
	}
	mnl_attr_nest_end(nlh, li);
	return 0;
}

int link_bridge_create(struct netlink *nl, const char *name, int mtu,
		       const uint8_t mac[6], bool promisc, bool vlan_filtering,
		       struct cni_err *err)
{
	struct netlink_batch b;

	netlink_batch_init(&b);
	link_put_bridge(nl, &b, name, mtu, mac, promisc, vlan_filtering);
	return netlink_run(nl, &b, NULL, NULL, (const int[]){ EEXIST, 0 },
			   "bridge create", err);
}

static void put_veth_peer(struct nlmsghdr *nlh, const struct veth_spec *v)
{
	struct nlattr *data, *peer;
	struct ifinfomsg *pifi;

	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* Not a true nest (it starts with an ifinfomsg): no NESTED flag. */
	peer->nla_type = VETH_INFO_PEER;
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	/* The peer's header is counted inside the nest, not the message. */
	/* No IFF_UP here: veth_open() fails with ENOTCONN until the pair is
	 * linked, which happens after the peer is configured. */
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, v->peer_name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, v->peer_mac);
	if (v->peer_nsfd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)v->peer_nsfd);
	if (v->mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)v->mtu);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
}

int link_put_veth(struct netlink *nl, struct netlink_batch *b,
		  const struct veth_spec *v)
{
	struct nlmsghdr *nlh = put_create(nl, b, v->host_name, IFF_UP);
	struct nlattr *li;

	if (!nlh)
		return -ENOBUFS;
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, v->host_mac);
	if (v->mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)v->mtu);
	if (v->master > 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)v->master);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	put_veth_peer(nlh, v);
	mnl_attr_nest_end(nlh, li);
	return 0;
}

int link_veth_create(struct netlink *nl, const struct veth_spec *v,
		     struct cni_err *err)
{
	struct netlink_batch b;

	netlink_batch_init(&b);
	link_put_veth(nl, &b, v);
	return netlink_run(nl, &b, NULL, NULL, (const int[]){ EEXIST, 0 },
			   "veth create", err);
}

int link_del(struct netlink *nl, const char *name, bool *ret_deleted,
	     struct cni_err *err)
{
	struct netlink_batch b;
	struct nlmsghdr *nlh;
	int r;

	netlink_batch_init(&b);
	nlh = netlink_batch_add(nl, &b, RTM_DELLINK, 0);
	put_ifinfo(nlh, AF_UNSPEC, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = netlink_run(nl, &b, NULL, NULL, (const int[]){ ENODEV, 0 },
			"link delete", err);
	*ret_deleted = r == 0;
	return r == -ENODEV ? 0 : r;
}

int link_put_flags(struct netlink *nl, struct netlink_batch *b, int ifindex,
		   unsigned int flags, unsigned int change)
{
	struct nlmsghdr *nlh = netlink_batch_add(nl, b, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi;

	if (!nlh)
		return -ENOBUFS;
	ifi = put_ifinfo(nlh, AF_UNSPEC, ifindex);
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	return 0;
}

int link_set_flags(struct netlink *nl, int ifindex, unsigned int flags,
		   unsigned int change, struct cni_err *err)
{
	struct netlink_batch b;

	netlink_batch_init(&b);
	link_put_flags(nl, &b, ifindex, flags, change);
	return netlink_run(nl, &b, NULL, NULL, NULL, "link set flags", err);
}
