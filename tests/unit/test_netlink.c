// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <malloc.h>
#include <net/if.h>

#include "brisk/addr.h"
#include "brisk/link.h"
#include "brisk/netlink.h"
#include "brisk/route.h"

/*
 * Offline round trips: build requests with the *_put_* builders into a
 * batch on a socket-less struct netlink (netlink_batch_add only uses
 * nl->seq), then parse the buffer back with libmnl.
 */

#define SEQ0 1000u
#define ATTR_MAX 64

struct msgs {
	const struct nlmsghdr *m[NETLINK_BATCH_MAX + 1];
	int n;
};

struct attrs {
	const struct nlattr *tb[ATTR_MAX];
	int count[ATTR_MAX];
};

static struct netlink_batch *batch_new(void)
{
	struct netlink_batch *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	netlink_batch_init(b);
	return b;
}

static void batch_free(struct netlink_batch *b)
{
	free(b);
}

/*
 * Close the batch as netlink_batch_run does (move past the last message)
 * and split the buffer back into its messages.
 */
static void batch_walk(struct netlink_batch *b, struct msgs *out)
{
	const struct nlmsghdr *nlh;
	int len;

	assert_true(netlink_batch_close(b));
	nlh = (const struct nlmsghdr *)b->buf;
	len = (int)b->len;
	out->n = 0;
	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		assert_true(out->n <= NETLINK_BATCH_MAX);
		out->m[out->n++] = nlh;
	}
	/* Nothing left over: the batch is exactly its messages. */
	assert_int_equal(len, 0);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *t = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type < ATTR_MAX) {
		t->tb[type] = a;
		t->count[type]++;
	}
	return MNL_CB_OK;
}

static void parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen,
			struct attrs *t)
{
	memset(t, 0, sizeof(*t));
	assert_int_equal(mnl_attr_parse(nlh, (unsigned int)hdrlen, attr_cb, t),
			 MNL_CB_OK);
	for (int i = 0; i < ATTR_MAX; i++)
		assert_true(t->count[i] <= 1); /* no attribute twice */
}

static void assert_attr_bytes(const struct attrs *t, int type, const char *addr)
{
	struct ipaddr a;
	size_t len;

	assert_int_equal(ipaddr_parse(addr, &a), 0);
	len = ipaddr_len(a.family);
	if (!t->tb[type])
		fail_msg("attribute %d missing, want %s", type, addr);
	assert_int_equal(mnl_attr_get_payload_len(t->tb[type]), len);
	assert_memory_equal(mnl_attr_get_payload(t->tb[type]), a.b, len);
}

static struct ipnet net(const char *s)
{
	struct ipnet n;

	assert_int_equal(ipnet_parse(s, &n), 0);
	return n;
}

static struct iproute route(const char *dst, const char *gw)
{
	struct iproute rt = { .scope = -1 };

	rt.dst = net(dst);
	if (gw)
		assert_int_equal(ipaddr_parse(gw, &rt.gw), 0);
	return rt;
}

static const uint16_t create_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
				     NLM_F_EXCL;

/* Build one RTM_NEWADDR and return its parsed attributes. */
static const struct ifaddrmsg *one_addr(struct netlink_batch *b,
					const char *prefix, bool nodad,
					struct attrs *t)
{
	struct netlink nl = { .sock = NULL, .seq = SEQ0 };
	struct ipnet n = net(prefix);
	const struct ifaddrmsg *ifa;
	struct msgs m;

	assert_int_equal(addr_put_add(&nl, b, 7, &n, nodad), 0);
	batch_walk(b, &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.m[0]->nlmsg_type, RTM_NEWADDR);
	assert_int_equal(m.m[0]->nlmsg_flags, create_flags);
	assert_int_equal(m.m[0]->nlmsg_seq, SEQ0 + 1);
	assert_int_equal(m.m[0]->nlmsg_pid, 0);
	assert_true(m.m[0]->nlmsg_len >=
		    mnl_nlmsg_size(sizeof(struct ifaddrmsg)));
	ifa = mnl_nlmsg_get_payload(m.m[0]);
	assert_int_equal(ifa->ifa_family, n.addr.family);
	assert_int_equal(ifa->ifa_prefixlen, n.prefixlen);
	assert_int_equal(ifa->ifa_index, 7);
	assert_int_equal(ifa->ifa_flags, 0);
	assert_int_equal(ifa->ifa_scope, 0);
	parse_attrs(m.m[0], sizeof(*ifa), t);
	return ifa;
}

static void test_addr_v4(void **state)
{
	struct netlink_batch *b = batch_new();
	struct attrs t;

	one_addr(b, "10.0.0.5/24", true, &t);
	assert_attr_bytes(&t, IFA_LOCAL, "10.0.0.5");
	assert_attr_bytes(&t, IFA_ADDRESS, "10.0.0.5");
	assert_attr_bytes(&t, IFA_BROADCAST, "10.0.0.255");
	/* nodad is an IPv6 notion: no flags attribute for IPv4. */
	assert_null(t.tb[IFA_FLAGS]);
	assert_int_equal(b->count, 1);
	assert_int_equal(b->first_seq, SEQ0 + 1);
	batch_free(b);

	b = batch_new();
	one_addr(b, "192.168.7.9/30", false, &t);
	assert_attr_bytes(&t, IFA_BROADCAST, "192.168.7.11");
	batch_free(b);

	b = batch_new();
	one_addr(b, "172.16.5.4/12", false, &t);
	assert_attr_bytes(&t, IFA_LOCAL, "172.16.5.4");
	assert_attr_bytes(&t, IFA_BROADCAST, "172.31.255.255");
	batch_free(b);
}

static void test_addr_v4_no_broadcast(void **state)
{
	static const char *const nets[] = { "10.0.0.4/31", "10.0.0.4/32" };

	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct netlink_batch *b = batch_new();
		struct attrs t;

		one_addr(b, nets[i], false, &t);
		assert_attr_bytes(&t, IFA_LOCAL, "10.0.0.4");
		if (t.tb[IFA_BROADCAST])
			fail_msg("%s: IFA_BROADCAST present", nets[i]);
		batch_free(b);
	}
}

static void test_addr_v6(void **state)
{
	struct netlink_batch *b = batch_new();
	struct attrs t;

	one_addr(b, "fd00:1::5/64", true, &t);
	assert_attr_bytes(&t, IFA_LOCAL, "fd00:1::5");
	assert_attr_bytes(&t, IFA_ADDRESS, "fd00:1::5");
	assert_null(t.tb[IFA_BROADCAST]);
	assert_non_null(t.tb[IFA_FLAGS]);
	assert_int_equal(mnl_attr_get_payload_len(t.tb[IFA_FLAGS]), 4);
	assert_int_equal(mnl_attr_get_u32(t.tb[IFA_FLAGS]), IFA_F_NODAD);
	batch_free(b);

	/* With DAD: no flags. */
	b = batch_new();
	one_addr(b, "fd00:1::5/64", false, &t);
	assert_null(t.tb[IFA_FLAGS]);
	assert_null(t.tb[IFA_BROADCAST]);
	batch_free(b);

	b = batch_new();
	one_addr(b, "fd00::1/128", true, &t);
	assert_attr_bytes(&t, IFA_LOCAL, "fd00::1");
	assert_null(t.tb[IFA_BROADCAST]);
	batch_free(b);
}

/* Build one RTM_NEWROUTE through ifindex 9 and parse it. */
static const struct rtmsg *one_route(struct netlink_batch *b,
				     const struct iproute *rt, struct attrs *t)
{
	struct netlink nl = { .sock = NULL, .seq = SEQ0 };
	const struct rtmsg *rtm;
	struct msgs m;

	assert_int_equal(route_put_add(&nl, b, 9, rt), 0);
	batch_walk(b, &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.m[0]->nlmsg_type, RTM_NEWROUTE);
	assert_int_equal(m.m[0]->nlmsg_flags, create_flags);
	assert_int_equal(m.m[0]->nlmsg_seq, SEQ0 + 1);
	rtm = mnl_nlmsg_get_payload(m.m[0]);
	assert_int_equal(rtm->rtm_family, rt->dst.addr.family);
	assert_int_equal(rtm->rtm_dst_len, rt->dst.prefixlen);
	assert_int_equal(rtm->rtm_src_len, 0);
	assert_int_equal(rtm->rtm_tos, 0);
	assert_int_equal(rtm->rtm_protocol, RTPROT_BOOT);
	assert_int_equal(rtm->rtm_type, RTN_UNICAST);
	parse_attrs(m.m[0], sizeof(*rtm), t);
	assert_non_null(t->tb[RTA_OIF]);
	assert_int_equal(mnl_attr_get_u32(t->tb[RTA_OIF]), 9);
	return rtm;
}

static void test_route_link_scope(void **state)
{
	struct netlink_batch *b = batch_new();
	/* Host bits in the prefix: the kernel must get the network. */
	struct iproute rt = route("10.1.2.3/16", NULL);
	const struct rtmsg *rtm;
	struct attrs t;

	rtm = one_route(b, &rt, &t);
	assert_int_equal(rtm->rtm_table, RT_TABLE_MAIN);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_LINK);
	assert_attr_bytes(&t, RTA_DST, "10.1.0.0");
	assert_null(t.tb[RTA_GATEWAY]);
	assert_null(t.tb[RTA_PRIORITY]);
	assert_null(t.tb[RTA_METRICS]);
	assert_null(t.tb[RTA_TABLE]);
	batch_free(b);

	b = batch_new();
	rt = route("fd00:1:2:3:4::1/64", NULL);
	rtm = one_route(b, &rt, &t);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_LINK);
	assert_attr_bytes(&t, RTA_DST, "fd00:1:2:3::");
	batch_free(b);
}

static void test_route_gateway(void **state)
{
	struct netlink_batch *b = batch_new();
	struct iproute rt = route("0.0.0.0/0", "10.0.0.1");
	const struct rtmsg *rtm;
	struct attrs t;

	rt.priority = 100;
	rtm = one_route(b, &rt, &t);
	assert_int_equal(rtm->rtm_table, RT_TABLE_MAIN);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(rtm->rtm_dst_len, 0);
	/* A default route carries no destination. */
	assert_null(t.tb[RTA_DST]);
	assert_attr_bytes(&t, RTA_GATEWAY, "10.0.0.1");
	assert_non_null(t.tb[RTA_PRIORITY]);
	assert_int_equal(mnl_attr_get_u32(t.tb[RTA_PRIORITY]), 100);
	assert_null(t.tb[RTA_METRICS]);
	batch_free(b);

	b = batch_new();
	rt = route("fd00:2::/48", "fd00:1::1");
	rtm = one_route(b, &rt, &t);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_attr_bytes(&t, RTA_DST, "fd00:2::");
	assert_attr_bytes(&t, RTA_GATEWAY, "fd00:1::1");
	batch_free(b);

	/* An explicit scope wins over the derived one. */
	b = batch_new();
	rt = route("10.5.0.0/16", NULL);
	rt.scope = RT_SCOPE_UNIVERSE;
	rtm = one_route(b, &rt, &t);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	batch_free(b);
	b = batch_new();
	rt = route("10.5.0.0/16", "10.0.0.1");
	rt.scope = RT_SCOPE_HOST;
	rtm = one_route(b, &rt, &t);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_HOST);
	batch_free(b);
}

static void test_route_metrics_table(void **state)
{
	struct netlink_batch *b = batch_new();
	struct iproute rt = route("10.5.0.0/16", "10.0.0.1");
	const struct nlattr *a;
	const struct rtmsg *rtm;
	struct attrs t;
	int seen = 0;

	rt.mtu = 1400;
	rt.advmss = 1360;
	rt.table = 100;
	rtm = one_route(b, &rt, &t);
	assert_int_equal(rtm->rtm_table, 100);
	assert_null(t.tb[RTA_TABLE]);
	assert_non_null(t.tb[RTA_METRICS]);
	mnl_attr_for_each_nested(a, t.tb[RTA_METRICS]) {
		if (mnl_attr_get_type(a) == RTAX_MTU) {
			assert_int_equal(mnl_attr_get_u32(a), 1400);
			seen |= 1;
		} else if (mnl_attr_get_type(a) == RTAX_ADVMSS) {
			assert_int_equal(mnl_attr_get_u32(a), 1360);
			seen |= 2;
		} else {
			fail_msg("unexpected metric %d", mnl_attr_get_type(a));
		}
	}
	assert_int_equal(seen, 3);
	batch_free(b);

	/* MTU alone; a table past 255 needs RTA_TABLE. */
	b = batch_new();
	rt = route("10.5.0.0/16", NULL);
	rt.mtu = 9000;
	rt.table = 1000;
	one_route(b, &rt, &t);
	assert_non_null(t.tb[RTA_TABLE]);
	assert_int_equal(mnl_attr_get_u32(t.tb[RTA_TABLE]), 1000);
	assert_non_null(t.tb[RTA_METRICS]);
	seen = 0;
	mnl_attr_for_each_nested(a, t.tb[RTA_METRICS]) {
		assert_int_equal(mnl_attr_get_type(a), RTAX_MTU);
		assert_int_equal(mnl_attr_get_u32(a), 9000);
		seen++;
	}
	assert_int_equal(seen, 1);
	batch_free(b);
}

static void test_link_flags(void **state)
{
	struct netlink nl = { .sock = NULL, .seq = SEQ0 };
	struct netlink_batch *b = batch_new();
	const struct ifinfomsg *ifi;
	struct msgs m;

	assert_int_equal(link_put_flags(&nl, b, 3, IFF_UP, IFF_UP), 0);
	batch_walk(b, &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.m[0]->nlmsg_type, RTM_NEWLINK);
	/* A change to an existing link: no CREATE or EXCL. */
	assert_int_equal(m.m[0]->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(m.m[0]->nlmsg_seq, SEQ0 + 1);
	/* Just the header and the ifinfomsg. */
	assert_int_equal(m.m[0]->nlmsg_len,
			 mnl_nlmsg_size(sizeof(struct ifinfomsg)));
	ifi = mnl_nlmsg_get_payload(m.m[0]);
	assert_int_equal(ifi->ifi_family, AF_UNSPEC);
	assert_int_equal(ifi->ifi_index, 3);
	assert_int_equal(ifi->ifi_flags, IFF_UP);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	assert_int_equal(ifi->ifi_type, 0);
	batch_free(b);

	/* Clearing a flag: flags 0, change says which. */
	b = batch_new();
	assert_int_equal(link_put_flags(&nl, b, 4, 0, IFF_UP | IFF_PROMISC), 0);
	batch_walk(b, &m);
	ifi = mnl_nlmsg_get_payload(m.m[0]);
	assert_int_equal(ifi->ifi_index, 4);
	assert_int_equal(ifi->ifi_flags, 0);
	assert_int_equal(ifi->ifi_change, IFF_UP | IFF_PROMISC);
	assert_int_equal(m.m[0]->nlmsg_seq, SEQ0 + 2);
	batch_free(b);
}

static void test_batch_mixed(void **state)
{
	struct netlink nl = { .sock = NULL, .seq = SEQ0 };
	struct netlink_batch *b = batch_new();
	struct ipnet a4 = net("10.0.0.2/24"), a6 = net("fd00::2/64");
	struct iproute r1 = route("0.0.0.0/0", "10.0.0.1");
	struct iproute r2 = route("::/0", "fd00::1");
	static const uint16_t types[] = { RTM_NEWLINK, RTM_NEWADDR, RTM_NEWADDR,
					  RTM_NEWROUTE, RTM_NEWROUTE };
	size_t total = 0;
	struct msgs m;

	assert_int_equal(b->count, 0);
	assert_int_equal(link_put_flags(&nl, b, 5, IFF_UP, IFF_UP), 0);
	assert_int_equal(addr_put_add(&nl, b, 5, &a4, true), 0);
	assert_int_equal(addr_put_add(&nl, b, 5, &a6, true), 0);
	assert_int_equal(route_put_add(&nl, b, 5, &r1), 0);
	assert_int_equal(route_put_add(&nl, b, 5, &r2), 0);
	assert_int_equal(b->count, 5);
	assert_int_equal(b->first_seq, SEQ0 + 1);
	assert_int_equal(nl.seq, SEQ0 + 5);
	batch_walk(b, &m);
	assert_int_equal(m.n, 5);
	for (int i = 0; i < m.n; i++) {
		assert_int_equal(m.m[i]->nlmsg_type, types[i]);
		/* One sequence number each, in order. */
		assert_int_equal(m.m[i]->nlmsg_seq, SEQ0 + 1 + (unsigned int)i);
		assert_true(m.m[i]->nlmsg_flags & NLM_F_ACK);
		total += MNL_ALIGN(m.m[i]->nlmsg_len);
	}
	assert_int_equal(total, b->len);
	batch_free(b);

	/* A second batch on the same socket continues the numbering. */
	b = batch_new();
	assert_int_equal(link_put_flags(&nl, b, 5, 0, IFF_UP), 0);
	assert_int_equal(b->first_seq, SEQ0 + 6);
	batch_free(b);
}

static void test_batch_cap(void **state)
{
	struct netlink nl = { .sock = NULL, .seq = SEQ0 };
	struct netlink_batch *b = batch_new();
	struct ipnet a = net("10.0.0.2/24");
	struct iproute rt = route("0.0.0.0/0", "10.0.0.1");
	struct msgs m;

	for (int i = 0; i < NETLINK_BATCH_MAX; i++)
		assert_int_equal(link_put_flags(&nl, b, i + 1, IFF_UP, IFF_UP),
				 0);
	assert_int_equal(b->count, NETLINK_BATCH_MAX);
	/* Full: every builder refuses, and no sequence number is spent. */
	assert_int_equal(link_put_flags(&nl, b, 99, IFF_UP, IFF_UP), -ENOBUFS);
	assert_int_equal(addr_put_add(&nl, b, 99, &a, false), -ENOBUFS);
	assert_int_equal(route_put_add(&nl, b, 99, &rt), -ENOBUFS);
	assert_null(netlink_batch_add(&nl, b, RTM_NEWLINK, 0));
	assert_int_equal(b->count, NETLINK_BATCH_MAX);
	assert_int_equal(nl.seq, SEQ0 + NETLINK_BATCH_MAX);
	batch_walk(b, &m);
	assert_int_equal(m.n, NETLINK_BATCH_MAX);
	for (int i = 0; i < m.n; i++) {
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(m.m[i]);

		assert_int_equal(ifi->ifi_index, i + 1);
		assert_int_equal(m.m[i]->nlmsg_seq, SEQ0 + 1 + (unsigned int)i);
	}
	batch_free(b);
}

/*
 * A refused add (the message cap reached) must leave the batch as it was,
 * so that the 64 messages already in it still go out whole.
 */
static void test_batch_refusal_keeps_batch(void **state)
{
	struct netlink nl = { .sock = NULL, .seq = SEQ0 };
	struct netlink_batch *b = malloc(sizeof(*b));
	size_t before, closed_size;
	bool closed;

	assert_non_null(b);
	/* What a stack-allocated batch holds before use. */
	memset(b, 0xa5, sizeof(*b));
	netlink_batch_init(b);
	for (int i = 0; i < NETLINK_BATCH_MAX; i++)
		assert_int_equal(link_put_flags(&nl, b, i + 1, IFF_UP, IFF_UP),
				 0);
	before = b->len;
	assert_int_equal(link_put_flags(&nl, b, 99, IFF_UP, IFF_UP), -ENOBUFS);
	assert_int_equal(b->len, before);
	closed = netlink_batch_close(b);
	closed_size = b->len;
	batch_free(b);
	assert_true(closed);
	assert_int_equal(closed_size,
			 NETLINK_BATCH_MAX *
				 mnl_nlmsg_size(sizeof(struct ifinfomsg)));
}

static void test_batch_byte_limit(void **state)
{
	struct netlink nl = { .sock = NULL, .seq = SEQ0 };
	struct netlink_batch *b = batch_new();
	struct ipnet a = net("10.0.0.2/24");
	static const char blob[2000];
	struct nlmsghdr *nlh;
	int added = 0;

	/* Big messages hit NETLINK_BATCH_SIZE long before the count cap. */
	while ((nlh = netlink_batch_add(&nl, b, RTM_NEWLINK, 0)) != NULL) {
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
		mnl_attr_put(nlh, IFLA_IFALIAS, sizeof(blob), blob);
		added++;
		assert_true(added < NETLINK_BATCH_MAX);
	}
	assert_true(added * (int)sizeof(blob) > NETLINK_BATCH_SIZE / 2);
	assert_true(added * (int)sizeof(blob) <= NETLINK_BATCH_SIZE + 2 * 2048);
	assert_int_equal(addr_put_add(&nl, b, 1, &a, false), -ENOBUFS);
	/* The batch holds no more than NETLINK_BATCH_SIZE bytes. */
	assert_true(netlink_batch_close(b));
	assert_true(b->len <= NETLINK_BATCH_SIZE);
	batch_free(b);
}

/* A batch lives where the caller puts it: init allocates nothing. */
static void test_batch_init_allocates_nothing(void **state)
{
	struct netlink_batch *b = calloc(1, sizeof(*b));
	void *hold[32];
	size_t before, after;

	assert_non_null(b);
	/*
	 * glibc counts chunks cached in its per-thread cache as in use; take
	 * the cached small chunks out first so a new allocation shows.
	 */
	for (size_t i = 0; i < sizeof(hold) / sizeof(hold[0]); i++)
		hold[i] = malloc(8 + 8 * (i % 8));
	before = mallinfo2().uordblks;
	netlink_batch_init(b);
	after = mallinfo2().uordblks;
	for (size_t i = 0; i < sizeof(hold) / sizeof(hold[0]); i++)
		free(hold[i]);
	free(b);
	assert_int_equal(after, before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_v4),
		cmocka_unit_test(test_addr_v4_no_broadcast),
		cmocka_unit_test(test_addr_v6),
		cmocka_unit_test(test_route_link_scope),
		cmocka_unit_test(test_route_gateway),
		cmocka_unit_test(test_route_metrics_table),
		cmocka_unit_test(test_link_flags),
		cmocka_unit_test(test_batch_mixed),
		cmocka_unit_test(test_batch_cap),
		cmocka_unit_test(test_batch_refusal_keeps_batch),
		cmocka_unit_test(test_batch_byte_limit),
		cmocka_unit_test(test_batch_init_allocates_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
