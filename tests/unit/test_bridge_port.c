// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>

#include "brisk/bridge_port.h"
#include "brisk/link.h"
#include "brisk/netlink.h"

/*
 * Offline round trips for the bridge port and link builders: each request
 * is built into a batch on a socket-less struct netlink and parsed back
 * with libmnl; the parsers read replies built the same way.
 */

static struct netlink nl0; /* only nl0.seq is used by the builders */

static const struct nlmsghdr *build_one(struct netlink_batch *b)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)b->buf;

	assert_true(netlink_batch_close(b));
	assert_int_equal(b->count, 1);
	assert_true(mnl_nlmsg_ok(nlh, (int)b->len));
	assert_int_equal(NLMSG_ALIGN(nlh->nlmsg_len), b->len);
	return nlh;
}

/* The first attribute of @type in the message (after its ifinfomsg). */
static const struct nlattr *msg_attr(const struct nlmsghdr *nlh, int type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static const struct nlattr *nested_attr(const struct nlattr *nest, int type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static void test_port_flags(void **state)
{
	struct netlink_batch *b = calloc(1, sizeof(*b));
	const struct nlmsghdr *nlh;
	const struct ifinfomsg *ifi;
	const struct nlattr *pi, *a;

	netlink_batch_init(b);
	assert_int_equal(bport_put_flags(&nl0, b, 42, false, true), 0);
	nlh = build_one(b);
	assert_int_equal(nlh->nlmsg_type, RTM_SETLINK);
	assert_true(nlh->nlmsg_flags & NLM_F_ACK);
	ifi = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifi->ifi_family, AF_BRIDGE);
	assert_int_equal(ifi->ifi_index, 42);
	pi = msg_attr(nlh, IFLA_PROTINFO);
	assert_non_null(pi);
	/* Nested, or the bridge takes it for a legacy STP state. */
	assert_true(pi->nla_type & NLA_F_NESTED);
	a = nested_attr(pi, IFLA_BRPORT_ISOLATED);
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_u8(a), 1);
	a = nested_attr(pi, IFLA_BRPORT_MODE);
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_u8(a), 0);
	free(b);
}

/* The VLAN infos of a message, in order, into @ret. */
static size_t msg_vlans(const struct nlmsghdr *nlh,
			struct bridge_vlan_info *ret, size_t max,
			uint16_t *ret_flags_attr)
{
	const struct nlattr *af = msg_attr(nlh, IFLA_AF_SPEC), *a;
	size_t n = 0;

	assert_non_null(af);
	*ret_flags_attr = 0;
	mnl_attr_for_each_nested(a, af) {
		if (mnl_attr_get_type(a) == IFLA_BRIDGE_FLAGS) {
			*ret_flags_attr = mnl_attr_get_u16(a);
			continue;
		}
		assert_int_equal(mnl_attr_get_type(a), IFLA_BRIDGE_VLAN_INFO);
		assert_int_equal(mnl_attr_get_payload_len(a),
				 sizeof(struct bridge_vlan_info));
		assert_true(n < max);
		memcpy(&ret[n++], mnl_attr_get_payload(a), sizeof(*ret));
	}
	return n;
}

static void test_port_vlans(void **state)
{
	static const struct bport_vlan v[] = {
		{ 100, 100, BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED },
		{ 200, 210, 0 },
		{ 4094, 4094, 0 },
	};
	struct netlink_batch *b = calloc(1, sizeof(*b));
	struct bridge_vlan_info got[8];
	const struct nlmsghdr *nlh;
	uint16_t bflags;
	size_t n;

	netlink_batch_init(b);
	assert_int_equal(bport_put_vlans(&nl0, b, 7, false, v, 3), 0);
	nlh = build_one(b);
	assert_int_equal(nlh->nlmsg_type, RTM_SETLINK);
	assert_int_equal(
		((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_family,
		AF_BRIDGE);
	n = msg_vlans(nlh, got, 8, &bflags);
	/* Addressed to the master bridge, not the port's own driver. */
	assert_int_equal(bflags, BRIDGE_FLAGS_MASTER);
	assert_int_equal(n, 4);
	assert_int_equal(got[0].vid, 100);
	assert_int_equal(got[0].flags,
			 BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED);
	assert_int_equal(got[1].vid, 200);
	assert_int_equal(got[1].flags, BRIDGE_VLAN_INFO_RANGE_BEGIN);
	assert_int_equal(got[2].vid, 210);
	assert_int_equal(got[2].flags, BRIDGE_VLAN_INFO_RANGE_END);
	assert_int_equal(got[3].vid, 4094);
	assert_int_equal(got[3].flags, 0);

	/* Removal is RTM_DELLINK with the same body. */
	netlink_batch_init(b);
	assert_int_equal(bport_put_vlans(&nl0, b, 7, true, &v[2], 1), 0);
	nlh = build_one(b);
	assert_int_equal(nlh->nlmsg_type, RTM_DELLINK);
	n = msg_vlans(nlh, got, 8, &bflags);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].vid, 4094);

	/* A range cannot be a PVID: refused, and nothing added. */
	netlink_batch_init(b);
	{
		struct bport_vlan bad = { 5, 9, BRIDGE_VLAN_INFO_PVID };

		assert_int_equal(bport_put_vlans(&nl0, b, 7, false, &bad, 1),
				 -EINVAL);
	}
	assert_int_equal(b->count, 0);
	free(b);
}

static void test_bridge_create_vlan_filtering(void **state)
{
	static const uint8_t mac[6] = { 2, 1, 2, 3, 4, 5 };
	struct netlink_batch *b = calloc(1, sizeof(*b));
	const struct nlattr *li, *data, *a;
	const struct nlmsghdr *nlh;
	const struct ifinfomsg *ifi;

	for (int vf = 0; vf <= 1; vf++) {
		netlink_batch_init(b);
		assert_int_equal(link_put_bridge(&nl0, b, "br9", 1400, mac,
						 false, vf),
				 0);
		nlh = build_one(b);
		assert_int_equal(nlh->nlmsg_type, RTM_NEWLINK);
		assert_true(nlh->nlmsg_flags & NLM_F_EXCL);
		ifi = mnl_nlmsg_get_payload(nlh);
		/* Created down: its sysctls come before it is up. */
		assert_false(ifi->ifi_flags & IFF_UP);
		assert_string_equal(
			mnl_attr_get_str(msg_attr(nlh, IFLA_IFNAME)), "br9");
		assert_int_equal(mnl_attr_get_u32(msg_attr(nlh, IFLA_MTU)),
				 1400);
		li = msg_attr(nlh, IFLA_LINKINFO);
		assert_non_null(li);
		assert_string_equal(
			mnl_attr_get_str(nested_attr(li, IFLA_INFO_KIND)),
			"bridge");
		data = nested_attr(li, IFLA_INFO_DATA);
		if (!vf) {
			assert_null(data);
			continue;
		}
		assert_non_null(data);
		a = nested_attr(data, IFLA_BR_VLAN_FILTERING);
		assert_non_null(a);
		assert_int_equal(mnl_attr_get_u8(a), 1);
	}
	free(b);
}

/* The VLAN gateway pair: both ends in the caller's namespace. */
static void test_veth_same_namespace(void **state)
{
	struct netlink_batch *b = calloc(1, sizeof(*b));
	struct veth_spec v = { .host_name = "vethgw",
			       .peer_name = "br0.100",
			       .peer_nsfd = -1,
			       .master = 3 };
	const struct nlattr *li, *data, *peer, *a;
	const struct nlmsghdr *nlh;
	bool has_ns = false, has_name = false;

	for (int nsfd = -1; nsfd <= 5; nsfd += 6) {
		v.peer_nsfd = nsfd;
		has_ns = has_name = false;
		netlink_batch_init(b);
		assert_int_equal(link_put_veth(&nl0, b, &v), 0);
		nlh = build_one(b);
		assert_int_equal(mnl_attr_get_u32(msg_attr(nlh, IFLA_MASTER)),
				 3);
		li = msg_attr(nlh, IFLA_LINKINFO);
		data = nested_attr(li, IFLA_INFO_DATA);
		peer = nested_attr(data, VETH_INFO_PEER);
		assert_non_null(peer);
		/* The peer starts with its own ifinfomsg. */
		for (a = (const struct nlattr
				  *)((const char *)mnl_attr_get_payload(peer) +
				     NLMSG_ALIGN(sizeof(struct ifinfomsg)));
		     mnl_attr_ok(a, (int)((const char *)peer + peer->nla_len -
					  (const char *)a));
		     a = mnl_attr_next(a)) {
			if (mnl_attr_get_type(a) == IFLA_NET_NS_FD) {
				has_ns = true;
				assert_int_equal(mnl_attr_get_u32(a), 5);
			}
			if (mnl_attr_get_type(a) == IFLA_IFNAME)
				has_name =
					!strcmp(mnl_attr_get_str(a), "br0.100");
		}
		assert_true(has_name);
		assert_int_equal(has_ns, nsfd >= 0);
	}
	free(b);
}

/* An RTM_NEWLINK reply with an IFLA_LINKINFO of our making. */
static struct nlmsghdr *linkinfo_msg(char *buf, const char *kind,
				     const char *slave_kind, bool data)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct nlattr *li, *d;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 9;
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	if (data && !strcmp(kind, "bridge")) {
		d = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, 0);
		mnl_attr_put_u8(nlh, IFLA_BR_VLAN_FILTERING, 1);
		mnl_attr_put_u16(nlh, IFLA_BR_VLAN_DEFAULT_PVID, 7);
		mnl_attr_nest_end(nlh, d);
	}
	if (slave_kind) {
		mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, slave_kind);
		d = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
		mnl_attr_put_u8(nlh, IFLA_BRPORT_STATE, 3);
		mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
		mnl_attr_put_u8(nlh, IFLA_BRPORT_ISOLATED, 1);
		mnl_attr_nest_end(nlh, d);
	}
	mnl_attr_nest_end(nlh, li);
	return nlh;
}

static void test_parse_linkinfo(void **state)
{
	char buf[512] __attribute__((aligned(8)));
	struct bport_info bi;
	struct nlmsghdr *nlh;

	nlh = linkinfo_msg(buf, "veth", "bridge", false);
	bport_parse_linkinfo(msg_attr(nlh, IFLA_LINKINFO), &bi);
	assert_true(bi.is_port);
	assert_true(bi.is_hairpin);
	assert_true(bi.is_isolated);
	assert_int_equal(bi.default_pvid, -1);

	/* A bond's port is no bridge port: its flags are not read. */
	nlh = linkinfo_msg(buf, "veth", "bond", false);
	bport_parse_linkinfo(msg_attr(nlh, IFLA_LINKINFO), &bi);
	assert_false(bi.is_port);
	assert_false(bi.is_isolated);

	nlh = linkinfo_msg(buf, "bridge", NULL, true);
	bport_parse_linkinfo(msg_attr(nlh, IFLA_LINKINFO), &bi);
	assert_false(bi.is_port);
	assert_true(bi.is_vlan_filtering);
	assert_int_equal(bi.default_pvid, 7);

	/* A kernel without VLAN filtering says nothing of it. */
	nlh = linkinfo_msg(buf, "bridge", NULL, false);
	bport_parse_linkinfo(msg_attr(nlh, IFLA_LINKINFO), &bi);
	assert_false(bi.is_vlan_filtering);
	assert_int_equal(bi.default_pvid, -1);
}

/* A bridge VLAN dump reply for port @ifindex with the given infos. */
static struct nlmsghdr *vlan_reply(char *buf, int ifindex, int family,
				   const struct bridge_vlan_info *vi, size_t n)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct nlattr *af;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = (unsigned char)family;
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "veth0");
	mnl_attr_put_u32(nlh, IFLA_MASTER, 2);
	af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	for (size_t i = 0; i < n; i++)
		mnl_attr_put(nlh, IFLA_BRIDGE_VLAN_INFO, sizeof(vi[i]), &vi[i]);
	mnl_attr_nest_end(nlh, af);
	return nlh;
}

static void test_parse_vlans(void **state)
{
	static const struct bridge_vlan_info vi[] = {
		{ BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, 10 },
		{ BRIDGE_VLAN_INFO_RANGE_BEGIN, 20 },
		{ BRIDGE_VLAN_INFO_RANGE_END, 29 },
		{ 0, 4094 },
	};
	char buf[1024] __attribute__((aligned(8)));
	struct bport_vlan got[8];
	size_t n = 0;

	assert_int_equal(bport_parse_vlans(vlan_reply(buf, 5, AF_BRIDGE, vi, 4),
					   5, got, 8, &n),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(got[0].vid, 10);
	assert_int_equal(got[0].vid_end, 10);
	assert_int_equal(got[0].flags,
			 BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED);
	assert_int_equal(got[1].vid, 20);
	assert_int_equal(got[1].vid_end, 29);
	assert_int_equal(got[1].flags, 0);
	assert_int_equal(got[2].vid, 4094);

	/* Another port's message, or not AF_BRIDGE: nothing taken. */
	assert_int_equal(bport_parse_vlans(vlan_reply(buf, 6, AF_BRIDGE, vi, 4),
					   5, got, 8, &n),
			 0);
	assert_int_equal(bport_parse_vlans(vlan_reply(buf, 5, AF_UNSPEC, vi, 4),
					   5, got, 8, &n),
			 0);
	assert_int_equal(n, 3);
	/* Appends; and stops at max. */
	assert_int_equal(bport_parse_vlans(vlan_reply(buf, 5, AF_BRIDGE, vi, 4),
					   5, got, 5, &n),
			 -E2BIG);
	/* A range's end without a begin, or a begin never closed. */
	n = 0;
	assert_int_equal(
		bport_parse_vlans(vlan_reply(buf, 5, AF_BRIDGE, &vi[2], 2), 5,
				  got, 8, &n),
		-EBADMSG);
	assert_int_equal(
		bport_parse_vlans(vlan_reply(buf, 5, AF_BRIDGE, &vi[1], 1), 5,
				  got, 8, &n),
		-EBADMSG);
	assert_int_equal(n, 0);
	/* A port without VLANs. */
	assert_int_equal(bport_parse_vlans(vlan_reply(buf, 5, AF_BRIDGE, vi, 0),
					   5, got, 8, &n),
			 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_flags),
		cmocka_unit_test(test_port_vlans),
		cmocka_unit_test(test_bridge_create_vlan_filtering),
		cmocka_unit_test(test_veth_same_namespace),
		cmocka_unit_test(test_parse_linkinfo),
		cmocka_unit_test(test_parse_vlans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
