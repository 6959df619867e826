// SPDX-License-Identifier: Apache-2.0
/*
 * The fixed part of brisk's tables: sets, chains and rules. In nft's words
 * (nft list table inet brisk shows the same):
 *
 * table inet brisk
 *   chain hostports
 *     ip6 daddr ::1 return                 the kernel drops replies to ::1
 *     dnat ip to ip daddr . meta l4proto . th dport map @hpip4
 *     dnat ip to meta l4proto . th dport map @hp4
 *     dnat ip6 to ip6 daddr . meta l4proto . th dport map @hpip6
 *     dnat ip6 to meta l4proto . th dport map @hp6
 *   chain prerouting (nat, prerouting, -100)
 *     fib daddr type local jump hostports  only local addresses: no
 *   chain output (nat, output, -100)      forwarded traffic is ever DNATed
 *     fib daddr type local jump hostports
 *   chain postrouting (nat, postrouting, 100)
 *     ct status dnat ip daddr . ip saddr @hpnat4 masquerade   hairpin, localhost
 *     ct status dnat ip6 daddr . ip6 saddr @hpnat6 masquerade
 *     ip daddr 224.0.0.0/4 return
 *     ip6 daddr ff00::/8 return
 *     ip saddr . ip daddr @nomasq4 return
 *     ip6 saddr . ip6 daddr @nomasq6 return
 *     ip saddr @masq4 masquerade
 *     ip6 saddr @masq6 masquerade
 * table bridge brisk
 *   chain prerouting (filter, prerouting, -300)
 *     iifname @spoofchk iifname . ether saddr != @allowed drop
 *
 * Every IP rule starts with a meta nfproto match.
 */
/* netinet/in.h before the linux/ headers, or they clash. */
#include <net/if.h>
#include <netinet/in.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter_bridge.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "brisk/fwmsg.h"

#define R1 NFT_REG_1
#define R2 NFT_REG_2
#define R32(n) (NFT_REG32_00 + (n))

/* Network header offsets. */
#define IP4_SADDR 12
#define IP4_DADDR 16
#define IP6_SADDR 8
#define IP6_DADDR 24

static void expr_add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(r, e);
}

static void put_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	expr_add(r, e);
}

static void put_cmp(struct nftnl_rule *r, uint32_t op, const void *data,
		    uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, R1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	expr_add(r, e);
}

static void put_nfproto(struct nftnl_rule *r, uint8_t proto)
{
	put_meta(r, NFT_META_NFPROTO, R1);
	put_cmp(r, NFT_CMP_EQ, &proto, 1);
}

static void put_payload(struct nftnl_rule *r, uint32_t base, uint32_t off,
			uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	expr_add(r, e);
}

/* Look up R1 in @set; a map's value goes to R1 too (dreg 0: a plain set). */
static void put_lookup(struct nftnl_rule *r, enum fw_set_id set, uint32_t dreg,
		       uint32_t flags)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, R1);
		if (dreg)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET,
				   fw_set_get(set)->name);
		if (flags)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, flags);
	}
	expr_add(r, e);
}

static void put_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT,
				   (uint32_t)verdict);
		if (chain)
			nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
	expr_add(r, e);
}

static void put_masq(struct nftnl_rule *r)
{
	expr_add(r, nftnl_expr_alloc("masq"));
}

/* dnat to the address in R1 and the port in @port_reg. */
static void put_dnat(struct nftnl_rule *r, uint32_t family, uint32_t port_reg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("nat");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, family);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, R1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, port_reg);
	}
	expr_add(r, e);
}

/* ct status dnat: the connection's destination was translated. */
static void put_ct_dnat(struct nftnl_rule *r)
{
	struct nftnl_expr *ct = nftnl_expr_alloc("ct");
	struct nftnl_expr *bw = nftnl_expr_alloc("bitwise");
	uint32_t mask = IPS_DST_NAT, zero = 0;

	if (ct) {
		nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
		nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, R1);
	}
	expr_add(r, ct);
	if (bw) {
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_SREG, R1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_DREG, R1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_LEN, 4);
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	}
	expr_add(r, bw);
	put_cmp(r, NFT_CMP_NEQ, &zero, 4);
}

/* -------------------------------------------------------------- the rules */

typedef void (*rule_fn)(struct nftnl_rule *r);

static void rule_lo6_return(struct nftnl_rule *r)
{
	static const uint8_t lo[16] = { [15] = 1 };

	put_nfproto(r, NFPROTO_IPV6);
	put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_DADDR, 16, R1);
	put_cmp(r, NFT_CMP_EQ, lo, 16);
	put_verdict(r, NFT_RETURN, NULL);
}

static void rule_hpip4(struct nftnl_rule *r)
{
	put_nfproto(r, NFPROTO_IPV4);
	put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_DADDR, 4, R1);
	put_meta(r, NFT_META_L4PROTO, R32(1));
	put_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R32(2));
	put_lookup(r, FW_HPIP4, R1, 0);
	put_dnat(r, NFPROTO_IPV4, R32(1));
}

static void rule_hp4(struct nftnl_rule *r)
{
	put_nfproto(r, NFPROTO_IPV4);
	put_meta(r, NFT_META_L4PROTO, R1);
	put_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R32(1));
	put_lookup(r, FW_HP4, R1, 0);
	put_dnat(r, NFPROTO_IPV4, R32(1));
}

static void rule_hpip6(struct nftnl_rule *r)
{
	put_nfproto(r, NFPROTO_IPV6);
	put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_DADDR, 16, R1);
	put_meta(r, NFT_META_L4PROTO, R32(4));
	put_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R32(5));
	put_lookup(r, FW_HPIP6, R1, 0);
	put_dnat(r, NFPROTO_IPV6, R32(4));
}

static void rule_hp6(struct nftnl_rule *r)
{
	put_nfproto(r, NFPROTO_IPV6);
	put_meta(r, NFT_META_L4PROTO, R1);
	put_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R32(1));
	put_lookup(r, FW_HP6, R1, 0);
	put_dnat(r, NFPROTO_IPV6, R32(4));
}

static void rule_to_hostports(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("fib");
	uint32_t local = RTN_LOCAL;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT,
				   NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, R1);
	}
	expr_add(r, e);
	put_cmp(r, NFT_CMP_EQ, &local, 4);
	put_verdict(r, NFT_JUMP, "hostports");
}

/* saddr/daddr of @fam into R1 and the register after it. */
static void put_addr_pair(struct nftnl_rule *r, int v6, uint32_t first,
			  uint32_t second)
{
	uint32_t len = v6 ? 16 : 4, next = v6 ? R2 : R32(1);

	put_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, first, len, R1);
	put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, second, len, next);
}

static void rule_hpnat4(struct nftnl_rule *r)
{
	put_ct_dnat(r);
	put_addr_pair(r, 0, IP4_DADDR, IP4_SADDR);
	put_lookup(r, FW_HPNAT4, 0, 0);
	put_masq(r);
}

static void rule_hpnat6(struct nftnl_rule *r)
{
	put_ct_dnat(r);
	put_addr_pair(r, 1, IP6_DADDR, IP6_SADDR);
	put_lookup(r, FW_HPNAT6, 0, 0);
	put_masq(r);
}

static void rule_mcast4_return(struct nftnl_rule *r)
{
	struct nftnl_expr *bw = nftnl_expr_alloc("bitwise");
	/* 224.0.0.0/4, as nft writes it: a masked 4-byte compare. */
	static const uint8_t mask[4] = { 0xf0 }, zero[4] = { 0 },
			     mc[4] = { 0xe0 };

	put_nfproto(r, NFPROTO_IPV4);
	put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_DADDR, 4, R1);
	if (bw) {
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_SREG, R1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_DREG, R1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_LEN, 4);
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_MASK, mask, 4);
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_XOR, zero, 4);
	}
	expr_add(r, bw);
	put_cmp(r, NFT_CMP_EQ, mc, 4);
	put_verdict(r, NFT_RETURN, NULL);
}

static void rule_mcast6_return(struct nftnl_rule *r)
{
	uint8_t mc = 0xff;

	put_nfproto(r, NFPROTO_IPV6);
	put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_DADDR, 1, R1);
	put_cmp(r, NFT_CMP_EQ, &mc, 1);
	put_verdict(r, NFT_RETURN, NULL);
}

static void rule_nomasq4(struct nftnl_rule *r)
{
	put_addr_pair(r, 0, IP4_SADDR, IP4_DADDR);
	put_lookup(r, FW_NOMASQ4, 0, 0);
	put_verdict(r, NFT_RETURN, NULL);
}

static void rule_nomasq6(struct nftnl_rule *r)
{
	put_addr_pair(r, 1, IP6_SADDR, IP6_DADDR);
	put_lookup(r, FW_NOMASQ6, 0, 0);
	put_verdict(r, NFT_RETURN, NULL);
}

static void rule_masq4(struct nftnl_rule *r)
{
	put_nfproto(r, NFPROTO_IPV4);
	put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 4, R1);
	put_lookup(r, FW_MASQ4, 0, 0);
	put_masq(r);
}

static void rule_masq6(struct nftnl_rule *r)
{
	put_nfproto(r, NFPROTO_IPV6);
	put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP6_SADDR, 16, R1);
	put_lookup(r, FW_MASQ6, 0, 0);
	put_masq(r);
}

static void rule_spoofchk(struct nftnl_rule *r)
{
	put_meta(r, NFT_META_IIFNAME, R1);
	put_lookup(r, FW_SPOOFCHK, 0, 0);
	put_meta(r, NFT_META_IIFNAME, R1);
	put_payload(r, NFT_PAYLOAD_LL_HEADER, 6, 6, R2);
	put_lookup(r, FW_ALLOWED, 0, NFT_LOOKUP_F_INV);
	put_verdict(r, NF_DROP, NULL);
}

/* ------------------------------------------------------------- the tables */

struct fw_chain {
	const char *name;
	const char *type; /* NULL: a regular chain */
	uint32_t hook;
	int32_t prio;
	rule_fn rules[9];
};

static const struct fw_chain inet_chains[] = {
	{ "hostports",
	  NULL,
	  0,
	  0,
	  { rule_lo6_return, rule_hpip4, rule_hp4, rule_hpip6, rule_hp6 } },
	{ "prerouting",
	  "nat",
	  NF_INET_PRE_ROUTING,
	  -100,
	  { rule_to_hostports } },
	{ "output", "nat", NF_INET_LOCAL_OUT, -100, { rule_to_hostports } },
	{ "postrouting",
	  "nat",
	  NF_INET_POST_ROUTING,
	  100,
	  { rule_hpnat4, rule_hpnat6, rule_mcast4_return, rule_mcast6_return,
	    rule_nomasq4, rule_nomasq6, rule_masq4, rule_masq6 } },
	{ NULL, NULL, 0, 0, { NULL } },
};

static const struct fw_chain bridge_chains[] = {
	{ "prerouting", "filter", NF_BR_PRE_ROUTING, -300, { rule_spoofchk } },
	{ NULL, NULL, 0, 0, { NULL } },
};

static void layout_table(struct fw_batch *b, uint8_t family)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t) {
		b->oom = true;
		return;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, FW_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
	nlh = fw_batch_msg(b, NFT_MSG_NEWTABLE, family, NLM_F_CREATE, 512, -1,
			   0);
	if (nlh) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		fw_batch_done(b, nlh);
	}
	nftnl_table_free(t);
}

/* nft's enum byteorder, for NFTNL_UDATA_SET_KEYBYTEORDER. */
#define NFT_BYTEORDER_HOST 1
#define NFT_BYTEORDER_BIG 2

static void set_udata_order(struct nftnl_set *set, uint32_t order)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);

	if (!ud)
		return;
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, order);
	nftnl_set_set_data(set, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			   nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
}

static void layout_set(struct fw_batch *b, const struct fw_set *s, uint32_t id)
{
	struct nftnl_set *set = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (!set) {
		b->oom = true;
		return;
	}
	nftnl_set_set_str(set, NFTNL_SET_TABLE, FW_TABLE);
	nftnl_set_set_str(set, NFTNL_SET_NAME, s->name);
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, s->family);
	nftnl_set_set_u32(set, NFTNL_SET_FLAGS, s->flags);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, s->key_type);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, s->key_len);
	/* The kernel wants an id, unique within the transaction. */
	nftnl_set_set_u32(set, NFTNL_SET_ID, id);
	if (s->flags & NFT_SET_MAP) {
		nftnl_set_set_u32(set, NFTNL_SET_DATA_TYPE, s->data_type);
		nftnl_set_set_u32(set, NFTNL_SET_DATA_LEN, s->data_len);
	}
	/*
	 * How nft should print the keys: a lone string is host order to it,
	 * an integer (our address . CIDR keys) is in network order.
	 */
	if (s->key_type == FW_TYPE_IFNAME)
		set_udata_order(set, NFT_BYTEORDER_HOST);
	if (s->key_type == FW_TYPE_INTEGER)
		set_udata_order(set, NFT_BYTEORDER_BIG);
	nlh = fw_batch_msg(b, NFT_MSG_NEWSET, s->family, NLM_F_CREATE, 1024, -1,
			   0);
	if (nlh) {
		nftnl_set_nlmsg_build_payload(nlh, set);
		fw_batch_done(b, nlh);
	}
	nftnl_set_free(set);
}

static struct nftnl_chain *chain_ref(uint8_t family, const char *name)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (c) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FW_TABLE);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, family);
	}
	return c;
}

static void layout_chain(struct fw_batch *b, uint8_t family,
			 const struct fw_chain *ch)
{
	struct nftnl_chain *c = chain_ref(family, ch->name);
	struct nlmsghdr *nlh;

	if (!c) {
		b->oom = true;
		return;
	}
	if (ch->type) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, ch->type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, ch->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, ch->prio);
	}
	nlh = fw_batch_msg(b, NFT_MSG_NEWCHAIN, family, NLM_F_CREATE, 1024, -1,
			   0);
	if (nlh) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		fw_batch_done(b, nlh);
	}
	nftnl_chain_free(c);
}

static struct nftnl_rule *rule_ref(uint8_t family, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r) {
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, FW_TABLE);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
		nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	}
	return r;
}

/* DELRULE naming only the chain flushes it; then its rules, again. */
static void layout_rules(struct fw_batch *b, uint8_t family,
			 const struct fw_chain *ch)
{
	struct nftnl_rule *r = rule_ref(family, ch->name);
	struct nlmsghdr *nlh;

	nlh = r ? fw_batch_msg(b, NFT_MSG_DELRULE, family, 0, 512, -1, 0) :
		  NULL;
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		fw_batch_done(b, nlh);
	}
	nftnl_rule_free(r);
	for (size_t i = 0; ch->rules[i] && !b->oom; i++) {
		r = rule_ref(family, ch->name);
		if (!r) {
			b->oom = true;
			return;
		}
		ch->rules[i](r);
		nlh = fw_batch_msg(b, NFT_MSG_NEWRULE, family,
				   NLM_F_CREATE | NLM_F_APPEND, 2048, -1, 0);
		if (nlh) {
			nftnl_rule_nlmsg_build_payload(nlh, r);
			fw_batch_done(b, nlh);
		}
		nftnl_rule_free(r);
	}
}

void fw_msg_layout(struct fw_batch *b, uint8_t family)
{
	const struct fw_chain *chains =
		family == NFPROTO_BRIDGE ? bridge_chains : inet_chains;

	layout_table(b, family);
	for (int i = 0; i < FW_N_SETS; i++)
		if (fw_set_get(i)->family == family)
			layout_set(b, fw_set_get(i), (uint32_t)i + 1);
	for (const struct fw_chain *ch = chains; ch->name; ch++)
		layout_chain(b, family, ch);
	for (const struct fw_chain *ch = chains; ch->name; ch++)
		layout_rules(b, family, ch);
}
