// SPDX-License-Identifier: Apache-2.0
/* CHECK's and STATUS's questions to nf_tables. */
/* netinet/in.h before the linux/ headers, or they clash. */
#include <netinet/in.h>

#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>

#include "brisk/fw.h"
#include "fw_int.h"

struct check_ctx {
	const struct fw_elems *e;
	uint32_t first_seq;
	size_t cur; /* the element the reply being parsed is about */
	int bad; /* first element whose reply differs, -1 */
};

static int check_elem_cb(const struct fw_got *g, void *data)
{
	struct check_ctx *c = data;
	const struct fw_elem *x = &c->e->v[c->cur];
	const struct fw_set *s = fw_set_get(x->set);
	bool same = g->key_len == s->key_len &&
		    memcmp(g->key, x->key, s->key_len) == 0;

	if (same && (s->flags & NFT_SET_MAP))
		same = g->data_len == s->data_len &&
		       memcmp(g->data, x->data, s->data_len) == 0;
	return same ? 1 : 0;
}

static int check_cb(const struct nlmsghdr *nlh, void *data)
{
	struct check_ctx *c = data;
	unsigned int idx = nlh->nlmsg_seq - c->first_seq;
	int r;

	if (c->bad >= 0 || idx >= c->e->n)
		return MNL_CB_OK;
	c->cur = idx;
	r = fw_parse_elems(nlh, check_elem_cb, c);
	if (r < 0)
		return MNL_CB_ERROR;
	if (r != 1)
		c->bad = (int)idx;
	return MNL_CB_OK;
}

/* Is brisk's table of @family there at all? */
static bool table_exists(struct fw *fw, uint8_t family)
{
	char buf[512] __attribute__((aligned(8)));
	struct nftnl_table *t = nftnl_table_alloc();
	struct netlink_ack ack;
	struct nlmsghdr *nlh;

	if (!t)
		return true;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, FW_TABLE);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, family, NLM_F_ACK,
				    fw_next_seq(fw));
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return netlink_send_acked(&fw->nl, buf, nlh->nlmsg_len, nlh->nlmsg_seq,
				  1, 0, NULL, NULL, &ack) != -ENOENT;
}

static int check_missing(struct fw *fw, const struct fw_elem *x,
			 struct cni_err *err)
{
	uint8_t family = fw_set_get(x->set)->family;
	char what[160];

	fw_elem_describe(x, what, sizeof(what));
	if (!table_exists(fw, family)) {
		cni_err_set(
			err, CNI_ERR_INTERNAL, ENOENT,
			"nftables table %s %s is missing (was the ruleset flushed?)",
			family == NFPROTO_BRIDGE ? "bridge" : "inet", FW_TABLE);
		cni_err_detail(
			err,
			"needed for the element %s; brisk restore puts every attachment's elements back",
			what);
		return -ENOENT;
	}
	return cni_err_set(err, CNI_ERR_INTERNAL, ENOENT,
			   "nftables element missing: %s", what);
}

int fw_check(struct fw *fw, const struct fw_plan *p, struct cni_err *err)
{
	struct check_ctx c = { NULL, 0, 0, -1 };
	struct netlink_ack ack;
	struct fw_elems e;
	struct fw_batch b;
	char what[160];
	int r;

	if (fw_elems_of(p, &e) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	c.e = &e;
	fw_batch_init(&b, fw_next_seq(fw), false);
	fw_msg_elems(&b, &e, 0, e.n, NFT_MSG_GETSETELEM, 0, NULL, true);
	c.first_seq = b.first_seq;
	r = fw_send(fw, &b, false, check_cb, &c, &ack);
	fw_batch_free(&b);
	if (r == -ENOENT && ack.index >= 0 && (size_t)ack.index < e.n)
		r = check_missing(fw, &e.v[ack.index], err);
	else if (r < 0)
		r = fw_ack_err(&ack, err, "nftables: look up elements");
	else if (c.bad >= 0) {
		fw_elem_describe(&e.v[c.bad], what, sizeof(what));
		r = cni_err_set(err, CNI_ERR_INTERNAL, EINVAL,
				"nftables element differs: %s", what);
	}
	fw_elems_free(&e);
	return r;
}

int fw_probe(struct fw *fw, bool inet, bool bridge, struct cni_err *err)
{
	struct netlink_ack ack;
	struct fw_batch b;
	int r;

	/* No end message: the kernel checks everything, then drops it. */
	fw_batch_init(&b, fw_next_seq(fw), true);
	if (inet)
		fw_msg_layout(&b, NFPROTO_INET);
	if (bridge)
		fw_msg_layout(&b, NFPROTO_BRIDGE);
	r = fw_send(fw, &b, false, NULL, NULL, &ack);
	fw_batch_free(&b);
	if (r < 0) {
		fw_ack_err(&ack, err, "nftables cannot hold brisk's tables");
		err->code = CNI_ERR_UNAVAILABLE;
	}
	return r;
}
