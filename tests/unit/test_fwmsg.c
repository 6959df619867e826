// SPDX-License-Identifier: Apache-2.0
/*
 * brisk's nftables messages, built into a buffer and parsed back with
 * libnftnl: no socket, no root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "brisk/fwmsg.h"

#define SEQ0 1000u
#define MAX_MSGS 64

#define T(msg) ((NFNL_SUBSYS_NFTABLES << 8) | (msg))

struct msgs {
	const struct nlmsghdr *m[MAX_MSGS];
	int n;
};

static void walk(const struct fw_batch *b, struct msgs *out)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)b->buf;
	int len = (int)b->len;

	out->n = 0;
	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		assert_true(out->n < MAX_MSGS);
		out->m[out->n++] = nlh;
	}
	assert_int_equal(len, 0);
}

/* Begin, the messages numbered from SEQ0 + 1 with an ACK each, end. */
static void assert_transaction(const struct fw_batch *b, struct msgs *ms)
{
	walk(b, ms);
	assert_int_equal(ms->n, (int)b->count + 2);
	assert_int_equal(ms->m[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	assert_int_equal(ms->m[0]->nlmsg_seq, SEQ0);
	assert_int_equal(ms->m[ms->n - 1]->nlmsg_type, NFNL_MSG_BATCH_END);
	for (int i = 1; i < ms->n - 1; i++) {
		assert_int_equal(ms->m[i]->nlmsg_seq, SEQ0 + (unsigned int)i);
		assert_true(ms->m[i]->nlmsg_flags & NLM_F_ACK);
		assert_true(ms->m[i]->nlmsg_flags & NLM_F_REQUEST);
	}
}

static void expr_names(struct nftnl_rule *r, char *buf, size_t len)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	size_t n = 0;

	buf[0] = '\0';
	while ((e = nftnl_expr_iter_next(it)))
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "",
				      nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	nftnl_expr_iter_destroy(it);
}

static struct nftnl_rule *parse_rule(const struct nlmsghdr *nlh)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	assert_int_equal(nlh->nlmsg_type, T(NFT_MSG_NEWRULE));
	assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
	return r;
}

static void test_layout_inet(void **state)
{
	static const char *const sets[] = { "masq4",   "masq6", "nomasq4",
					    "nomasq6", "hp4",	"hp6",
					    "hpip4",   "hpip6", "hpnat4",
					    "hpnat6" };
	struct fw_batch b;
	struct msgs ms;
	char names[256];

	fw_batch_init(&b, SEQ0, true);
	fw_msg_layout(&b, NFPROTO_INET);
	assert_true(fw_batch_finish(&b, true));
	assert_transaction(&b, &ms);
	/* table, 10 sets, 4 chains, then per chain a flush and its rules */
	assert_int_equal(b.count, 1 + 10 + 4 + 4 + 5 + 1 + 1 + 8);
	assert_int_equal(ms.m[1]->nlmsg_type, T(NFT_MSG_NEWTABLE));
	assert_false(ms.m[1]->nlmsg_flags & NLM_F_EXCL);
	for (int i = 0; i < 10; i++) {
		struct nftnl_set *s = nftnl_set_alloc();

		assert_int_equal(ms.m[2 + i]->nlmsg_type, T(NFT_MSG_NEWSET));
		assert_int_equal(nftnl_set_nlmsg_parse(ms.m[2 + i], s), 0);
		assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME),
				    sets[i]);
		assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_TABLE),
				    "brisk");
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN),
				 fw_set_get(i)->key_len);
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_FLAGS),
				 fw_set_get(i)->flags);
		assert_true(nftnl_set_is_set(s, NFTNL_SET_ID));
		nftnl_set_free(s);
	}
	{
		struct nftnl_chain *c = nftnl_chain_alloc();

		assert_int_equal(ms.m[15]->nlmsg_type, T(NFT_MSG_NEWCHAIN));
		assert_int_equal(nftnl_chain_nlmsg_parse(ms.m[15], c), 0);
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
				    "postrouting");
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE),
				    "nat");
		assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM),
				 NF_INET_POST_ROUTING);
		assert_int_equal(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), 100);
		nftnl_chain_free(c);
	}
	/* hostports: flushed, then its five rules; the third maps hp4. */
	assert_int_equal(ms.m[16]->nlmsg_type, T(NFT_MSG_DELRULE));
	{
		struct nftnl_rule *r = parse_rule(ms.m[19]);

		assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN),
				    "hostports");
		expr_names(r, names, sizeof(names));
		assert_string_equal(names, "meta cmp meta payload lookup nat");
		nftnl_rule_free(r);
		/* prerouting's only rule: local destinations jump. */
		r = parse_rule(ms.m[23]);
		expr_names(r, names, sizeof(names));
		assert_string_equal(names, "fib cmp immediate");
		nftnl_rule_free(r);
	}
	fw_batch_free(&b);
}

static void test_layout_bridge(void **state)
{
	struct nftnl_rule *r;
	struct fw_batch b;
	struct msgs ms;
	char names[256];

	fw_batch_init(&b, SEQ0, true);
	fw_msg_layout(&b, NFPROTO_BRIDGE);
	assert_true(fw_batch_finish(&b, true));
	assert_transaction(&b, &ms);
	assert_int_equal(b.count, 1 + 2 + 1 + 1 + 1);
	r = parse_rule(ms.m[6]);
	expr_names(r, names, sizeof(names));
	assert_string_equal(names, "meta lookup meta payload lookup immediate");
	nftnl_rule_free(r);
	fw_batch_free(&b);
}

/* Without its end message the kernel only validates (STATUS's probe). */
static void test_probe_batch(void **state)
{
	struct fw_batch b;
	struct msgs ms;

	fw_batch_init(&b, SEQ0, true);
	fw_msg_layout(&b, NFPROTO_BRIDGE);
	assert_true(fw_batch_finish(&b, false));
	walk(&b, &ms);
	assert_int_equal(ms.n, (int)b.count + 1);
	assert_int_not_equal(ms.m[ms.n - 1]->nlmsg_type, NFNL_MSG_BATCH_END);
	fw_batch_free(&b);
}

static void plan_fill(struct fw_plan *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->owner, "net/ctr/eth0");
	assert_int_equal(ipaddr_parse("10.0.0.2", &p->addrs[0]), 0);
	assert_int_equal(ipaddr_parse("fd00::2", &p->addrs[1]), 0);
	p->n_addrs = 2;
	p->masq = true;
	ipnet_parse("10.0.0.0/24", &p->nomasq[0]);
	ipnet_parse("192.168.0.0/16", &p->nomasq[1]);
	ipnet_parse("fd00::/64", &p->nomasq[2]);
	p->n_nomasq = 3;
	p->ports[0] = (struct fw_port){ IPPROTO_TCP, 8080, 80, { 0 } };
	p->ports[1] = (struct fw_port){ IPPROTO_UDP, 53, 5353, { 0 } };
	ipaddr_parse("192.0.2.1", &p->ports[1].host_ip);
	p->n_ports = 2;
	ipnet_parse("10.0.0.0/24", &p->hpnat[0]);
	ipnet_parse("127.0.0.0/8", &p->hpnat[1]);
	ipnet_parse("fd00::/64", &p->hpnat[2]);
	p->n_hpnat = 3;
	strcpy(p->spoof_ifname, "veth0");
	memcpy(p->spoof_mac, "\x02\x00\x5e\x00\x00\x01", 6);
}

static void test_elems_of(void **state)
{
	static const int per_set[FW_N_SETS] = { 1, 1, 2, 1, 1, 1,
						1, 0, 2, 1, 1, 1 };
	struct fw_plan *p = calloc(1, sizeof(*p));
	struct fw_elems e;
	int count[FW_N_SETS] = { 0 };
	char d[160];

	plan_fill(p);
	assert_int_equal(fw_elems_of(p, &e), 0);
	assert_int_equal(e.n, 13);
	for (size_t i = 0; i < e.n; i++) {
		if (i > 0)
			assert_true(e.v[i].set >= e.v[i - 1].set);
		count[e.v[i].set]++;
	}
	assert_memory_equal(count, per_set, sizeof(count));
	fw_elem_describe(&e.v[2], d, sizeof(d));
	assert_string_equal(d, "nomasq4 10.0.0.2 . 10.0.0.0-10.0.0.255");
	fw_elem_describe(&e.v[5], d, sizeof(d));
	assert_string_equal(d, "hp4 tcp . 8080 : 10.0.0.2 . 80");
	assert_int_equal(e.v[5].port, 0);
	fw_elem_describe(&e.v[7], d, sizeof(d));
	assert_string_equal(d, "hpip4 192.0.2.1 . udp . 53 : 10.0.0.2 . 5353");
	assert_int_equal(e.v[7].port, 1);
	fw_elem_describe(&e.v[12], d, sizeof(d));
	assert_string_equal(d, "allowed \"veth0\" . 02:00:5e:00:00:01");
	fw_elems_free(&e);
	/* Without masquerade or ports, only the spoof check is left. */
	p->masq = false;
	p->n_ports = 0;
	assert_int_equal(fw_elems_of(p, &e), 0);
	assert_int_equal(e.n, 2);
	fw_elems_free(&e);
	free(p);
}

struct got {
	const void *key, *key_end, *data;
	uint32_t key_len, key_end_len, data_len;
	const void *key2; /* the second element's key and flags */
	uint32_t key2_len, flags2;
	char comment[128];
	int n;
};

static int udata_cb(const struct nftnl_udata *a, void *data)
{
	if (nftnl_udata_type(a) == NFTNL_UDATA_SET_ELEM_COMMENT)
		snprintf(data, 128, "%s", (const char *)nftnl_udata_get(a));
	return 0;
}

/* The elements of message @nlh; the first one's attributes into @g. */
static struct nftnl_set *parse_elems(const struct nlmsghdr *nlh, struct got *g)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	const void *ud;
	uint32_t len = 0;

	memset(g, 0, sizeof(*g));
	assert_int_equal(nftnl_set_elems_nlmsg_parse(nlh, s), 0);
	it = nftnl_set_elems_iter_create(s);
	while ((e = nftnl_set_elems_iter_next(it))) {
		if (g->n++ == 1) {
			g->key2 = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY,
						     &g->key2_len);
			if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
				g->flags2 = nftnl_set_elem_get_u32(
					e, NFTNL_SET_ELEM_FLAGS);
		}
		if (g->n > 1)
			continue;
		g->key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &g->key_len);
		g->key_end = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END,
						&g->key_end_len);
		g->data = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA,
					     &g->data_len);
		ud = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len);
		if (ud)
			nftnl_udata_parse(ud, len, udata_cb, g->comment);
	}
	nftnl_set_elems_iter_destroy(it);
	return s;
}

static void test_elem_messages(void **state)
{
	struct fw_plan *p = calloc(1, sizeof(*p));
	struct nftnl_set *s;
	struct fw_elems e;
	struct fw_batch b;
	struct msgs ms;
	struct got g;

	plan_fill(p);
	assert_int_equal(fw_elems_of(p, &e), 0);
	/* The map element with NLM_F_EXCL, the interval ones without. */
	fw_batch_init(&b, SEQ0, true);
	fw_msg_elems(&b, &e, 5, 6, NFT_MSG_NEWSETELEM, NLM_F_EXCL, p->owner,
		     true);
	fw_msg_elems(&b, &e, 2, 4, NFT_MSG_NEWSETELEM, 0, p->owner, false);
	assert_true(fw_batch_finish(&b, true));
	assert_transaction(&b, &ms);
	assert_int_equal(b.count, 2); /* hp4, then nomasq4's two elements */
	assert_int_equal(ms.m[1]->nlmsg_type, T(NFT_MSG_NEWSETELEM));
	assert_true(ms.m[1]->nlmsg_flags & NLM_F_EXCL);
	assert_true(ms.m[1]->nlmsg_flags & NLM_F_CREATE);
	s = parse_elems(ms.m[1], &g);
	assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), "hp4");
	assert_int_equal(g.key_len, 8);
	assert_memory_equal(g.key, "\x06\0\0\0\x1f\x90\0\0", 8);
	assert_int_equal(g.data_len, 8);
	assert_memory_equal(g.data, "\x0a\0\0\x02\0\x50\0\0", 8);
	assert_string_equal(g.comment, "net/ctr/eth0");
	nftnl_set_free(s);
	assert_false(ms.m[2]->nlmsg_flags & NLM_F_EXCL);
	s = parse_elems(ms.m[2], &g);
	assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), "nomasq4");
	/*
	 * Each interval of the rbtree set is two elements: its start, and an
	 * end flagged so, one past its last key.
	 */
	assert_int_equal(g.n, 4);
	assert_memory_equal(g.key, "\x0a\0\0\x02\x0a\0\0\0", 8);
	assert_null(g.key_end);
	assert_string_equal(g.comment, "net/ctr/eth0");
	assert_int_equal(g.key2_len, 8);
	assert_memory_equal(g.key2, "\x0a\0\0\x02\x0a\0\x01\0", 8);
	assert_int_equal(g.flags2, NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_free(s);
	assert_int_equal(b.tags[1].elem, 2);
	assert_int_equal(b.tags[1].n_elems, 2);
	fw_batch_free(&b);
	fw_elems_free(&e);
	free(p);
}

/* An interval to the end of the CIDR space carries into the address. */
static void test_interval_carry(void **state)
{
	struct fw_plan *p = calloc(1, sizeof(*p));
	struct nftnl_set *s;
	struct fw_elems e;
	struct fw_batch b;
	struct msgs ms;
	struct got g;

	strcpy(p->owner, "o");
	ipaddr_parse("10.0.0.2", &p->addrs[0]);
	p->n_addrs = 1;
	p->masq = true;
	ipnet_parse("0.0.0.0/0", &p->nomasq[0]);
	p->n_nomasq = 1;
	assert_int_equal(fw_elems_of(p, &e), 0);
	fw_batch_init(&b, SEQ0, true);
	fw_msg_elems(&b, &e, 1, 2, FW_MSG_DESTROYSETELEM, 0, NULL, false);
	assert_true(fw_batch_finish(&b, true));
	assert_transaction(&b, &ms);
	s = parse_elems(ms.m[1], &g);
	assert_int_equal(g.n, 2);
	assert_memory_equal(g.key, "\x0a\0\0\x02\0\0\0\0", 8);
	assert_memory_equal(g.key2, "\x0a\0\0\x03\0\0\0\0", 8);
	nftnl_set_free(s);
	fw_batch_free(&b);
	fw_elems_free(&e);
	free(p);
}

static void test_destroy_and_get(void **state)
{
	struct fw_plan *p = calloc(1, sizeof(*p));
	struct nftnl_set *s;
	struct fw_elems e;
	struct fw_batch b;
	struct msgs ms;
	struct got g;

	plan_fill(p);
	assert_int_equal(fw_elems_of(p, &e), 0);
	fw_batch_init(&b, SEQ0, true);
	fw_msg_elems(&b, &e, 0, e.n, FW_MSG_DESTROYSETELEM, 0, NULL, false);
	assert_true(fw_batch_finish(&b, true));
	assert_transaction(&b, &ms);
	/* One message per set: 11 sets hold elements. */
	assert_int_equal(b.count, 11);
	assert_int_equal(ms.m[5]->nlmsg_type, T(FW_MSG_DESTROYSETELEM));
	s = parse_elems(ms.m[5], &g);
	assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), "hp4");
	assert_null(g.data);
	assert_string_equal(g.comment, "");
	nftnl_set_free(s);
	fw_batch_free(&b);
	/* Lookups are plain requests: no begin, no end. */
	fw_batch_init(&b, SEQ0, false);
	fw_msg_elems(&b, &e, 0, e.n, NFT_MSG_GETSETELEM, 0, NULL, true);
	assert_true(fw_batch_finish(&b, false));
	walk(&b, &ms);
	assert_int_equal(ms.n, 13);
	assert_int_equal(ms.m[0]->nlmsg_type, T(NFT_MSG_GETSETELEM));
	assert_int_equal(ms.m[0]->nlmsg_seq, SEQ0);
	fw_batch_free(&b);
	fw_elems_free(&e);
	free(p);
}

static void test_probe(void **state)
{
	struct fw_plan *p = calloc(1, sizeof(*p));
	struct nftnl_set *s;
	struct fw_elems e;
	struct fw_batch b;
	struct msgs ms;
	struct got g;

	plan_fill(p);
	assert_int_equal(fw_elems_of(p, &e), 0);
	assert_int_equal(e.v[7].set, FW_HPIP4);
	fw_batch_init(&b, SEQ0, true);
	fw_msg_probe(&b, &e, 7);
	assert_true(fw_batch_finish(&b, true));
	assert_transaction(&b, &ms);
	assert_int_equal(b.count, 2);
	assert_int_equal(b.tags[0].kind, FW_TAG_PROBE);
	assert_int_equal(b.tags[0].elem, 7);
	assert_int_equal(ms.m[1]->nlmsg_type, T(NFT_MSG_NEWSETELEM));
	assert_true(ms.m[1]->nlmsg_flags & NLM_F_EXCL);
	assert_int_equal(ms.m[2]->nlmsg_type, T(NFT_MSG_DELSETELEM));
	s = parse_elems(ms.m[1], &g);
	/* The wildcard key of udp/53 in hp4. */
	assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), "hp4");
	assert_memory_equal(g.key, "\x11\0\0\0\0\x35\0\0", 8);
	nftnl_set_free(s);
	fw_batch_free(&b);
	fw_elems_free(&e);
	free(p);
}

static void test_any_address(void **state)
{
	struct fw_plan *p = calloc(1, sizeof(*p));
	struct fw_elems e;
	char d[160];

	plan_fill(p);
	p->masq = false;
	p->n_hpnat = 0;
	p->spoof_ifname[0] = '\0';
	/* hostIP 0.0.0.0: the IPv4 wildcard map only. */
	ipaddr_parse("0.0.0.0", &p->ports[1].host_ip);
	assert_int_equal(fw_elems_of(p, &e), 0);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.v[0].set, FW_HP4);
	assert_int_equal(e.v[1].set, FW_HP4);
	assert_int_equal(e.v[2].set, FW_HP6);
	fw_elem_describe(&e.v[1], d, sizeof(d));
	assert_string_equal(d, "hp4 udp . 53 : 10.0.0.2 . 5353");
	fw_elems_free(&e);
	free(p);
}

static void test_many_elements(void **state)
{
	struct fw_plan *p = calloc(1, sizeof(*p));
	struct nftnl_set *s;
	struct fw_elems e;
	struct fw_batch b;
	struct msgs ms;
	struct got g;

	/* 8 addresses x 40 destinations: 320 elements of one set. */
	p->masq = true;
	for (int i = 0; i < 8; i++) {
		p->addrs[i].family = AF_INET;
		memcpy(p->addrs[i].b, (uint8_t[]){ 10, 0, 0, (uint8_t)(i + 2) },
		       4);
	}
	p->n_addrs = 8;
	for (int i = 0; i < 40; i++) {
		p->nomasq[i].addr.family = AF_INET;
		memcpy(p->nomasq[i].addr.b, (uint8_t[]){ 10, (uint8_t)i, 0, 0 },
		       4);
		p->nomasq[i].prefixlen = 16;
	}
	p->n_nomasq = 40;
	assert_int_equal(fw_elems_of(p, &e), 0);
	assert_int_equal(e.n, 8 + 320);
	fw_batch_init(&b, SEQ0, true);
	fw_msg_elems(&b, &e, 8, e.n, NFT_MSG_NEWSETELEM, 0, "x", false);
	assert_true(fw_batch_finish(&b, true));
	assert_transaction(&b, &ms);
	assert_int_equal(b.count, 4); /* 100 + 100 + 100 + 20 */
	s = parse_elems(ms.m[4], &g);
	assert_int_equal(g.n, 2 * 20);
	nftnl_set_free(s);
	fw_batch_free(&b);
	fw_elems_free(&e);
	free(p);
}

static void test_nets_reduce(void **state)
{
	static const char *const in[] = { "10.1.2.0/24",   "fd00::/8",
					  "10.0.0.0/8",	   "192.168.1.7/24",
					  "fd00:1::/64",   "192.168.0.0/16",
					  "172.16.0.0/12", "10.200.0.0/16" };
	static const char *const want[] = { "10.0.0.0/8", "172.16.0.0/12",
					    "192.168.0.0/16", "fd00::/8" };
	struct ipnet nets[8];
	char buf[IPNET_STRLEN];
	size_t n = 8;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(ipnet_parse(in[i], &nets[i]), 0);
	fw_nets_reduce(nets, &n);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(ipnet_fmt(&nets[i], buf), want[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_inet),
		cmocka_unit_test(test_layout_bridge),
		cmocka_unit_test(test_probe_batch),
		cmocka_unit_test(test_elems_of),
		cmocka_unit_test(test_elem_messages),
		cmocka_unit_test(test_interval_carry),
		cmocka_unit_test(test_destroy_and_get),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_any_address),
		cmocka_unit_test(test_many_elements),
		cmocka_unit_test(test_nets_reduce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
