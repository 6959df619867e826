// SPDX-License-Identifier: Apache-2.0
/*
 * Host port conflicts. The kernel refuses a second identical key in a map
 * by itself (NLM_F_EXCL); a mapping with a host IP against one on every
 * address is caught by a probe in the same batch (fw_msg_probe); the other
 * way round needs a look at the host IP maps, under fw_lock, since no
 * single key of theirs stands for "any address".
 */
#include <arpa/inet.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "brisk/fw.h"
#include "fw_int.h"

static int udata_cb(const struct nftnl_udata *attr, void *data)
{
	char *comment = data;
	uint8_t len = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_COMMENT && len > 0) {
		if (len > FW_OWNER_MAX - 1)
			len = FW_OWNER_MAX - 1;
		memcpy(comment, nftnl_udata_get(attr), len);
		comment[len] = '\0';
	}
	return 0;
}

static void got_copy(uint8_t *dst, uint32_t *ret_len, size_t cap,
		     const void *src, uint32_t len)
{
	*ret_len = len;
	if (src)
		memcpy(dst, src, len < cap ? len : cap);
}

static void got_fill(struct nftnl_set_elem *e, struct fw_got *g)
{
	const void *v;
	uint32_t len = 0;

	memset(g, 0, sizeof(*g));
	g->found = true;
	v = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	got_copy(g->key, &g->key_len, sizeof(g->key), v, v ? len : 0);
	len = 0;
	v = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
	got_copy(g->key_end, &g->key_end_len, sizeof(g->key_end), v,
		 v ? len : 0);
	len = 0;
	v = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
	got_copy(g->data, &g->data_len, sizeof(g->data), v, v ? len : 0);
	len = 0;
	v = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len);
	if (v && len)
		nftnl_udata_parse(v, len, udata_cb, g->comment);
}

int fw_parse_elems(const struct nlmsghdr *nlh,
		   int (*fn)(const struct fw_got *g, void *data), void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it = NULL;
	struct nftnl_set_elem *e;
	struct fw_got g;
	int r = 0;

	if (!s)
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		r = -EBADMSG;
	if (r == 0)
		it = nftnl_set_elems_iter_create(s);
	if (r == 0 && !it)
		r = -ENOMEM;
	while (r == 0 && (e = nftnl_set_elems_iter_next(it))) {
		got_fill(e, &g);
		r = fn(&g, data);
	}
	if (it)
		nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return r;
}

static int get_one_cb(const struct fw_got *g, void *data)
{
	struct fw_got *ret = data;

	if (!ret->found)
		*ret = *g;
	return 0;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	return fw_parse_elems(nlh, get_one_cb, data) < 0 ? MNL_CB_ERROR :
							   MNL_CB_OK;
}

int fw_get_elem(struct fw *fw, const struct fw_elem *x, struct fw_got *ret,
		struct netlink_ack *ack)
{
	struct fw_elems one = { 1, 1, (struct fw_elem *)x };
	struct fw_batch b;
	int r;

	memset(ret, 0, sizeof(*ret));
	fw_batch_init(&b, fw_next_seq(fw), false);
	fw_msg_elems(&b, &one, 0, 1, NFT_MSG_GETSETELEM, 0, NULL, true);
	r = fw_send(fw, &b, false, get_cb, ret, ack);
	fw_batch_free(&b);
	if (r == -ENOENT)
		return 0;
	return r;
}

static const char *proto_str(uint8_t p)
{
	return p == IPPROTO_TCP	 ? "tcp" :
	       p == IPPROTO_UDP	 ? "udp" :
	       p == IPPROTO_SCTP ? "sctp" :
				   "?";
}

static uint16_t key_port(const uint8_t *proto_port)
{
	uint16_t be;

	memcpy(&be, proto_port + 4, 2);
	return ntohs(be);
}

/* "8080/tcp", or "8080/tcp on 192.0.2.1" for a host IP element. */
static void port_str(const struct fw_elem *x, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	bool with_ip = x->set == FW_HPIP4 || x->set == FW_HPIP6;
	const uint8_t *pp = x->key + (with_ip ? ipaddr_len(x->family) : 0);

	if (with_ip)
		inet_ntop(x->family, x->key, ip, sizeof(ip));
	snprintf(buf, len, "%u/%s%s%s", key_port(pp), proto_str(pp[0]),
		 with_ip ? " on " : "", with_ip ? ip : "");
}

static int conflict_err(const struct fw_elem *mine, const char *holder,
			const char *theirs, struct cni_err *err)
{
	char want[96];

	port_str(mine, want, sizeof(want));
	cni_err_set(err, CNI_ERR_INTERNAL, EEXIST,
		    "portMappings: host port %s is already mapped by %.60s",
		    want, holder[0] ? holder : "an unnamed element");
	cni_err_detail(err, "held by the element %s%s%s", theirs,
		       holder[0] ? " of " : "", holder);
	return -EEXIST;
}

int fw_conflict(struct fw *fw, const struct fw_elem *x, bool probe,
		struct cni_err *err)
{
	struct fw_elem key = *x;
	struct netlink_ack ack;
	struct fw_got g;
	char theirs[160];

	if (probe)
		fw_elem_wildcard_of(x, &key);
	fw_get_elem(fw, &key, &g, &ack);
	if (g.found && g.data_len <= sizeof(key.data))
		memcpy(key.data, g.data, g.data_len);
	fw_elem_describe(&key, theirs, sizeof(theirs));
	return conflict_err(x, g.comment, theirs, err);
}

/* ------------------------------------------------ wildcard against host IPs */

struct wild_ctx {
	const struct fw_elems *e;
	int family;
	const struct fw_elem *mine; /* the wildcard that collides */
	struct fw_elem theirs;
	char holder[FW_OWNER_MAX];
};

static int wild_elem_cb(const struct fw_got *g, void *data)
{
	struct wild_ctx *w = data;
	size_t alen = ipaddr_len(w->family);
	enum fw_set_id hp = w->family == AF_INET6 ? FW_HP6 : FW_HP4;

	if (w->mine || g->key_len < alen + 8)
		return 0;
	for (size_t i = 0; i < w->e->n; i++) {
		const struct fw_elem *x = &w->e->v[i];

		if (x->set != hp || memcmp(x->key, g->key + alen, 8) != 0)
			continue;
		w->mine = x;
		memset(&w->theirs, 0, sizeof(w->theirs));
		w->theirs.set = hp == FW_HP6 ? FW_HPIP6 : FW_HPIP4;
		w->theirs.family = w->family;
		memcpy(w->theirs.key, g->key, alen + 8);
		memcpy(w->theirs.data, g->data,
		       g->data_len < sizeof(g->data) ? g->data_len :
						       sizeof(g->data));
		snprintf(w->holder, sizeof(w->holder), "%s", g->comment);
		break;
	}
	return 0;
}

static int wild_cb(const struct nlmsghdr *nlh, void *data)
{
	return fw_parse_elems(nlh, wild_elem_cb, data) < 0 ? MNL_CB_ERROR :
							     MNL_CB_OK;
}

static bool has_set(const struct fw_elems *e, enum fw_set_id id)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].set == id)
			return true;
	return false;
}

int fw_check_wildcards(struct fw *fw, const struct fw_elems *e,
		       struct cni_err *err)
{
	char buf[4096] __attribute__((aligned(8)));
	struct netlink_ack ack;
	char theirs[160];

	for (int v6 = 0; v6 < 2; v6++) {
		struct wild_ctx w = { .e = e,
				      .family = v6 ? AF_INET6 : AF_INET };
		struct nlmsghdr *nlh;
		int r;

		if (!has_set(e, v6 ? FW_HP6 : FW_HP4))
			continue;
		nlh = fw_msg_dump_set(buf, v6 ? FW_HPIP6 : FW_HPIP4,
				      fw_next_seq(fw));
		if (!nlh)
			return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
					   "out of memory");
		r = netlink_dump(&fw->nl, nlh, wild_cb, &w, &ack);
		/* No table yet: nobody holds anything. */
		if (r < 0 && r != -ENOENT)
			return fw_ack_err(
				&ack, err, "nftables: list %s",
				fw_set_get(v6 ? FW_HPIP6 : FW_HPIP4)->name);
		if (w.mine) {
			fw_elem_describe(&w.theirs, theirs, sizeof(theirs));
			return conflict_err(w.mine, w.holder, theirs, err);
		}
	}
	return 0;
}
