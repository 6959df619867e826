// SPDX-License-Identifier: Apache-2.0
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "brisk/bridge_port.h"

static struct nlmsghdr *put_bridge_msg(struct netlink *nl,
				       struct netlink_batch *b, uint16_t type,
				       int ifindex)
{
	struct nlmsghdr *nlh = netlink_batch_add(nl, b, type, 0);
	struct ifinfomsg *ifi;

	if (!nlh)
		return NULL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_BRIDGE;
	ifi->ifi_index = ifindex;
	return nlh;
}

int bport_put_flags(struct netlink *nl, struct netlink_batch *b, int ifindex,
		    bool hairpin, bool isolated)
{
	struct nlmsghdr *nlh = put_bridge_msg(nl, b, RTM_SETLINK, ifindex);
	struct nlattr *pi;

	if (!nlh)
		return -ENOBUFS;
	pi = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
	/* The bridge reads a non-nested PROTINFO as a legacy STP state. */
	pi->nla_type |= NLA_F_NESTED;
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, hairpin);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_ISOLATED, isolated);
	mnl_attr_nest_end(nlh, pi);
	return 0;
}

static void put_vlan_info(struct nlmsghdr *nlh, uint16_t vid, uint16_t flags)
{
	struct bridge_vlan_info vi = { .flags = flags, .vid = vid };

	mnl_attr_put(nlh, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi);
}

int bport_put_vlans(struct netlink *nl, struct netlink_batch *b, int ifindex,
		    bool del, const struct bport_vlan *v, size_t n)
{
	struct nlmsghdr *nlh;
	struct nlattr *af;

	for (size_t i = 0; i < n; i++)
		if (v[i].vid_end > v[i].vid &&
		    (v[i].flags & BRIDGE_VLAN_INFO_PVID))
			return -EINVAL;
	/* Four bytes of payload per entry: bound the message, not the batch. */
	if (n > 512)
		return -ENOBUFS;
	nlh = put_bridge_msg(nl, b, del ? RTM_DELLINK : RTM_SETLINK, ifindex);
	if (!nlh)
		return -ENOBUFS;
	af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	af->nla_type |= NLA_F_NESTED;
	/* To the bridge the port belongs to, not to the port's own driver. */
	mnl_attr_put_u16(nlh, IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_MASTER);
	for (size_t i = 0; i < n; i++) {
		if (v[i].vid_end <= v[i].vid) {
			put_vlan_info(nlh, v[i].vid, v[i].flags);
			continue;
		}
		put_vlan_info(nlh, v[i].vid,
			      v[i].flags | BRIDGE_VLAN_INFO_RANGE_BEGIN);
		put_vlan_info(nlh, v[i].vid_end,
			      v[i].flags | BRIDGE_VLAN_INFO_RANGE_END);
	}
	mnl_attr_nest_end(nlh, af);
	return 0;
}

static void parse_port_data(const struct nlattr *data, struct bport_info *ret)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, data) {
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			continue;
		if (mnl_attr_get_type(a) == IFLA_BRPORT_MODE)
			ret->is_hairpin = mnl_attr_get_u8(a) != 0;
		else if (mnl_attr_get_type(a) == IFLA_BRPORT_ISOLATED)
			ret->is_isolated = mnl_attr_get_u8(a) != 0;
	}
}

static void parse_bridge_data(const struct nlattr *data, struct bport_info *ret)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, data) {
		int type = mnl_attr_get_type(a);

		if (type == IFLA_BR_VLAN_FILTERING &&
		    mnl_attr_validate(a, MNL_TYPE_U8) == 0)
			ret->is_vlan_filtering = mnl_attr_get_u8(a) != 0;
		else if (type == IFLA_BR_VLAN_DEFAULT_PVID &&
			 mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			ret->default_pvid = mnl_attr_get_u16(a);
	}
}

void bport_parse_linkinfo(const struct nlattr *linkinfo, struct bport_info *ret)
{
	const struct nlattr *a, *data = NULL, *sdata = NULL;
	bool is_bridge = false;

	memset(ret, 0, sizeof(*ret));
	ret->default_pvid = -1;
	mnl_attr_for_each_nested(a, linkinfo) {
		int type = mnl_attr_get_type(a);

		if (type == IFLA_INFO_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			is_bridge = strcmp(mnl_attr_get_str(a), "bridge") == 0;
		else if (type == IFLA_INFO_SLAVE_KIND &&
			 mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			ret->is_port = strcmp(mnl_attr_get_str(a), "bridge") ==
				       0;
		else if (type == IFLA_INFO_DATA)
			data = a;
		else if (type == IFLA_INFO_SLAVE_DATA)
			sdata = a;
	}
	if (ret->is_port && sdata)
		parse_port_data(sdata, ret);
	if (is_bridge && data)
		parse_bridge_data(data, ret);
}

struct vlan_acc {
	struct bport_vlan *v;
	size_t max, n;
	int begin; /* the open range's first VLAN, -1 when none */
};

static int vlan_acc_add(struct vlan_acc *acc, const struct bridge_vlan_info *vi)
{
	uint16_t flags = vi->flags & ~(BRIDGE_VLAN_INFO_RANGE_BEGIN |
				       BRIDGE_VLAN_INFO_RANGE_END);

	if (vi->flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
		acc->begin = vi->vid;
		return 0;
	}
	if ((vi->flags & BRIDGE_VLAN_INFO_RANGE_END) &&
	    (acc->begin < 0 || acc->begin > vi->vid))
		return -EBADMSG;
	if (acc->n >= acc->max)
		return -E2BIG;
	acc->v[acc->n].vid_end = vi->vid;
	acc->v[acc->n].vid = (vi->flags & BRIDGE_VLAN_INFO_RANGE_END) ?
				     (uint16_t)acc->begin :
				     vi->vid;
	acc->v[acc->n].flags = flags;
	acc->n++;
	acc->begin = -1;
	return 0;
}

int bport_parse_vlans(const struct nlmsghdr *nlh, int ifindex,
		      struct bport_vlan *ret, size_t max, size_t *ret_n)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct vlan_acc acc = { ret + *ret_n, max - *ret_n, 0, -1 };
	const struct nlattr *a, *s;
	int r;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return nlh->nlmsg_type == RTM_NEWLINK ? -EBADMSG : 0;
	if (ifi->ifi_family != AF_BRIDGE || ifi->ifi_index != ifindex)
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(a) != IFLA_AF_SPEC)
			continue;
		mnl_attr_for_each_nested(s, a) {
			if (mnl_attr_get_type(s) != IFLA_BRIDGE_VLAN_INFO)
				continue;
			if (mnl_attr_get_payload_len(s) !=
			    sizeof(struct bridge_vlan_info))
				return -EBADMSG;
			r = vlan_acc_add(&acc, mnl_attr_get_payload(s));
			if (r < 0)
				return r;
		}
	}
	if (acc.begin >= 0)
		return -EBADMSG;
	*ret_n += acc.n;
	return 0;
}

struct vlan_dump {
	int ifindex;
	struct bport_vlan *ret;
	size_t max, n;
	int error;
};

static int vlan_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct vlan_dump *d = data;
	int r = bport_parse_vlans(nlh, d->ifindex, d->ret, d->max, &d->n);

	if (r < 0 && d->error == 0)
		d->error = r;
	return MNL_CB_OK;
}

int bport_vlan_list(struct netlink *nl, int ifindex, struct bport_vlan *ret,
		    size_t max, size_t *ret_n, struct cni_err *err)
{
	char buf[256] __attribute__((aligned(8)));
	struct vlan_dump d = { ifindex, ret, max, 0, 0 };
	struct netlink_ack ack;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	/* The kernel refuses an index in a bridge dump: every port comes. */
	ifi->ifi_family = AF_BRIDGE;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN_COMPRESSED);
	if (netlink_dump(nl, nlh, vlan_dump_cb, &d, &ack) < 0)
		return netlink_ack_err(&ack, err, "bridge VLAN list");
	*ret_n = d.n;
	if (d.error < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, -d.error,
				   "bridge VLAN list: %s",
				   d.error == -E2BIG ? "too many VLANs" :
						       "malformed reply");
	return 0;
}
