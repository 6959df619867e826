// SPDX-License-Identifier: Apache-2.0
/*
 * Sets and set elements of brisk's tables, and the batch they travel in.
 * Key and data bytes follow nftables' register layout: each field of a
 * concatenation starts on a 4-byte boundary.
 */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "brisk/cleanup.h"
#include "brisk/fwmsg.h"
#include "brisk/grow.h"
#include "brisk/mac.h"

/* nftables' datatype ids (for `nft list`), and how it names a concatenation. */
#define T_INTEGER FW_TYPE_INTEGER
#define T_IPV4 7u
#define T_IPV6 8u
#define T_ETHER 9u
#define T_PROTO 12u
#define T_SERVICE 13u
#define T_IFNAME FW_TYPE_IFNAME
#define CAT2(a, b) (((a) << 6) | (b))
#define CAT3(a, b, c) (((((a) << 6) | (b)) << 6) | (c))

/*
 * "address . CIDR" sets: an interval of one composite key (the address's
 * bytes, then the CIDR's), not a concatenation of fields. The kernel then
 * keeps them in an rbtree, where removing an element costs O(log n); in the
 * concatenation backend (pipapo) it is a linear scan, milliseconds with a
 * thousand attachments. With the address fixed, the composite interval
 * holds exactly the pairs whose second part lies in the CIDR.
 */
#define IVL NFT_SET_INTERVAL

static const struct fw_set fw_sets[FW_N_SETS] = {
	[FW_MASQ4] = { "masq4", NFPROTO_INET, 0, T_IPV4, 4, 0, 0 },
	[FW_MASQ6] = { "masq6", NFPROTO_INET, 0, T_IPV6, 16, 0, 0 },
	[FW_NOMASQ4] = { "nomasq4", NFPROTO_INET, IVL, T_INTEGER, 8, 0, 0 },
	[FW_NOMASQ6] = { "nomasq6", NFPROTO_INET, IVL, T_INTEGER, 32, 0, 0 },
	[FW_HP4] = { "hp4", NFPROTO_INET, NFT_SET_MAP, CAT2(T_PROTO, T_SERVICE),
		     8, CAT2(T_IPV4, T_SERVICE), 8 },
	[FW_HP6] = { "hp6", NFPROTO_INET, NFT_SET_MAP, CAT2(T_PROTO, T_SERVICE),
		     8, CAT2(T_IPV6, T_SERVICE), 20 },
	[FW_HPIP4] = { "hpip4", NFPROTO_INET, NFT_SET_MAP,
		       CAT3(T_IPV4, T_PROTO, T_SERVICE), 12,
		       CAT2(T_IPV4, T_SERVICE), 8 },
	[FW_HPIP6] = { "hpip6", NFPROTO_INET, NFT_SET_MAP,
		       CAT3(T_IPV6, T_PROTO, T_SERVICE), 24,
		       CAT2(T_IPV6, T_SERVICE), 20 },
	[FW_HPNAT4] = { "hpnat4", NFPROTO_INET, IVL, T_INTEGER, 8, 0, 0 },
	[FW_HPNAT6] = { "hpnat6", NFPROTO_INET, IVL, T_INTEGER, 32, 0, 0 },
	[FW_SPOOFCHK] = { "spoofchk", NFPROTO_BRIDGE, 0, T_IFNAME, IFNAMSIZ, 0,
			  0 },
	[FW_ALLOWED] = { "allowed", NFPROTO_BRIDGE, 0, CAT2(T_IFNAME, T_ETHER),
			 IFNAMSIZ + 8, 0, 0 },
};

const struct fw_set *fw_set_get(enum fw_set_id id)
{
	return &fw_sets[id];
}

/* ---------------------------------------------------------------- elements */

static struct fw_elem *elem_new(struct fw_elems *e, enum fw_set_id set,
				int family)
{
	struct fw_elem *x;

	if (GROW_ONE(e->v, e->cap, e->n, 32) < 0)
		return NULL;
	x = &e->v[e->n++];
	memset(x, 0, sizeof(*x));
	x->set = set;
	x->family = family;
	x->port = -1;
	return x;
}

/* addr . first(net) .. addr . last(net), for nomasq and hpnat. */
static int elems_pairs(struct fw_elems *e, enum fw_set_id set4,
		       const struct ipaddr *a, const struct ipnet *nets,
		       size_t n)
{
	size_t alen = ipaddr_len(a->family);

	for (size_t i = 0; i < n; i++) {
		struct ipaddr lo, hi;
		struct fw_elem *x;

		if (nets[i].addr.family != a->family)
			continue;
		x = elem_new(e, set4 + (a->family == AF_INET6), a->family);
		if (!x)
			return -ENOMEM;
		ipnet_first(&nets[i], &lo);
		ipnet_last(&nets[i], &hi);
		memcpy(x->key, a->b, alen);
		memcpy(x->key + alen, lo.b, alen);
		memcpy(x->key_end, a->b, alen);
		memcpy(x->key_end + alen, hi.b, alen);
	}
	return 0;
}

static int elems_masq(const struct fw_plan *p, struct fw_elems *e)
{
	int r = 0;

	if (!p->masq)
		return 0;
	for (int fam = AF_INET; fam; fam = fam == AF_INET ? AF_INET6 : 0) {
		for (size_t i = 0; i < p->n_addrs; i++) {
			struct fw_elem *x;

			if (p->addrs[i].family != fam)
				continue;
			x = elem_new(e, fam == AF_INET ? FW_MASQ4 : FW_MASQ6,
				     fam);
			if (!x)
				return -ENOMEM;
			memcpy(x->key, p->addrs[i].b, ipaddr_len(fam));
		}
	}
	for (int fam = AF_INET; fam && r == 0;
	     fam = fam == AF_INET ? AF_INET6 : 0)
		for (size_t i = 0; i < p->n_addrs && r == 0; i++)
			if (p->addrs[i].family == fam)
				r = elems_pairs(e, FW_NOMASQ4, &p->addrs[i],
						p->nomasq, p->n_nomasq);
	return r;
}

/* proto and port as their 4-byte register slots. */
static void put_proto_port(uint8_t *k, uint8_t proto, uint16_t port)
{
	uint16_t be = htons(port);

	k[0] = proto;
	memcpy(k + 4, &be, 2);
}

static void put_addr_port(uint8_t *d, const struct ipaddr *a, uint16_t port)
{
	uint16_t be = htons(port);
	size_t alen = ipaddr_len(a->family);

	memcpy(d, a->b, alen);
	memcpy(d + alen, &be, 2);
}

/* A mapping's element in the map of @fam, when it has one there. */
static int elems_port(const struct fw_plan *p, size_t i, int fam,
		      struct fw_elems *e)
{
	const struct fw_port *pm = &p->ports[i];
	const struct ipaddr *to = fw_plan_addr(p, fam);
	bool v6 = fam == AF_INET6;
	struct fw_elem *x;

	if (!to || (pm->host_ip.family && pm->host_ip.family != fam))
		return 0;
	if (fw_port_is_wildcard(pm)) {
		x = elem_new(e, v6 ? FW_HP6 : FW_HP4, fam);
		if (!x)
			return -ENOMEM;
		put_proto_port(x->key, pm->proto, pm->host_port);
	} else {
		size_t alen = ipaddr_len(fam);

		x = elem_new(e, v6 ? FW_HPIP6 : FW_HPIP4, fam);
		if (!x)
			return -ENOMEM;
		memcpy(x->key, pm->host_ip.b, alen);
		put_proto_port(x->key + alen, pm->proto, pm->host_port);
	}
	x->port = (int)i;
	put_addr_port(x->data, to, pm->cont_port);
	return 0;
}

static int elems_ports(const struct fw_plan *p, struct fw_elems *e)
{
	/* Grouped by map, in enum order: hp4, hp6, hpip4, hpip6. */
	static const struct {
		int fam;
		bool with_ip;
	} order[] = { { AF_INET, false },
		      { AF_INET6, false },
		      { AF_INET, true },
		      { AF_INET6, true } };
	int r = 0;

	for (size_t o = 0; o < ARRAY_SIZE(order) && r == 0; o++)
		for (size_t i = 0; i < p->n_ports && r == 0; i++)
			if (!fw_port_is_wildcard(&p->ports[i]) ==
			    order[o].with_ip)
				r = elems_port(p, i, order[o].fam, e);
	for (int fam = AF_INET; fam && r == 0;
	     fam = fam == AF_INET ? AF_INET6 : 0) {
		const struct ipaddr *to = fw_plan_addr(p, fam);

		if (to && p->n_ports)
			r = elems_pairs(e, FW_HPNAT4, to, p->hpnat, p->n_hpnat);
	}
	return r;
}

static int elems_spoof(const struct fw_plan *p, struct fw_elems *e)
{
	struct fw_elem *x;

	if (!p->spoof_ifname[0])
		return 0;
	x = elem_new(e, FW_SPOOFCHK, 0);
	if (!x)
		return -ENOMEM;
	strncpy((char *)x->key, p->spoof_ifname, IFNAMSIZ);
	x = elem_new(e, FW_ALLOWED, 0);
	if (!x)
		return -ENOMEM;
	strncpy((char *)x->key, p->spoof_ifname, IFNAMSIZ);
	memcpy(x->key + IFNAMSIZ, p->spoof_mac, 6);
	return 0;
}

int fw_elems_of(const struct fw_plan *p, struct fw_elems *ret)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	r = elems_masq(p, ret);
	if (r == 0)
		r = elems_ports(p, ret);
	if (r == 0)
		r = elems_spoof(p, ret);
	if (r < 0)
		fw_elems_free(ret);
	return r;
}

void fw_elems_free(struct fw_elems *e)
{
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* ---------------------------------------------------------------- describe */

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_TCP	 ? "tcp" :
	       p == IPPROTO_UDP	 ? "udp" :
	       p == IPPROTO_SCTP ? "sctp" :
				   "?";
}

static void fmt_addr(const uint8_t *b, int family, char *buf)
{
	inet_ntop(family, b, buf, INET6_ADDRSTRLEN);
}

static uint16_t get_port(const uint8_t *b)
{
	uint16_t be;

	memcpy(&be, b, 2);
	return ntohs(be);
}

static void describe_map(const struct fw_elem *e, char *buf, size_t len)
{
	const struct fw_set *s = &fw_sets[e->set];
	size_t alen = ipaddr_len(e->family);
	char a[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
	const uint8_t *k = e->key;
	int n = 0;

	n = snprintf(buf, len, "%s ", s->name);
	if (e->set == FW_HPIP4 || e->set == FW_HPIP6) {
		fmt_addr(k, e->family, a);
		n += snprintf(buf + n, len > (size_t)n ? len - n : 0, "%s . ",
			      a);
		k += alen;
	}
	fmt_addr(e->data, e->family, to);
	snprintf(buf + n, len > (size_t)n ? len - n : 0, "%s . %u : %s . %u",
		 proto_name(k[0]), get_port(k + 4), to,
		 get_port(e->data + alen));
}

void fw_elem_describe(const struct fw_elem *e, char *buf, size_t len)
{
	const struct fw_set *s = &fw_sets[e->set];
	size_t alen = ipaddr_len(e->family);
	char a[INET6_ADDRSTRLEN], lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	char mac[18];

	switch (e->set) {
	case FW_MASQ4:
	case FW_MASQ6:
		fmt_addr(e->key, e->family, a);
		snprintf(buf, len, "%s %s", s->name, a);
		break;
	case FW_SPOOFCHK:
		snprintf(buf, len, "%s \"%.16s\"", s->name, e->key);
		break;
	case FW_ALLOWED:
		mac_fmt(e->key + IFNAMSIZ, mac);
		snprintf(buf, len, "%s \"%.16s\" . %s", s->name, e->key, mac);
		break;
	case FW_NOMASQ4:
	case FW_NOMASQ6:
	case FW_HPNAT4:
	case FW_HPNAT6:
		fmt_addr(e->key, e->family, a);
		fmt_addr(e->key + alen, e->family, lo);
		fmt_addr(e->key_end + alen, e->family, hi);
		snprintf(buf, len, "%s %s . %s-%s", s->name, a, lo, hi);
		break;
	default:
		describe_map(e, buf, len);
	}
}

/* ---------------------------------------------------------------- batch */

/* Room for one more message of up to @need bytes, and its tag. */
static bool batch_reserve(struct fw_batch *b, size_t need)
{
	if (b->oom)
		return false;
	if (b->len + need > b->cap) {
		size_t ncap = b->cap ? b->cap : 16384;
		char *p;

		while (ncap < b->len + need)
			ncap *= 2;
		p = realloc(b->buf, ncap);
		if (!p)
			return !(b->oom = true);
		b->buf = p;
		b->cap = ncap;
	}
	if (GROW_ONE(b->tags, b->tags_cap, b->count, 16) < 0)
		return !(b->oom = true);
	return true;
}

void fw_batch_init(struct fw_batch *b, uint32_t seq, bool transaction)
{
	memset(b, 0, sizeof(*b));
	b->first_seq = seq;
	if (!transaction)
		return;
	b->begin_seq = seq;
	b->first_seq = seq + 1;
	if (!batch_reserve(b, NLMSG_ALIGN(sizeof(struct nlmsghdr) + 4)))
		return;
	nftnl_batch_begin(b->buf, seq);
	b->len = NLMSG_ALIGN(((struct nlmsghdr *)b->buf)->nlmsg_len);
	b->open = true;
}

void fw_batch_free(struct fw_batch *b)
{
	free(b->buf);
	free(b->tags);
	memset(b, 0, sizeof(*b));
}

bool fw_batch_finish(struct fw_batch *b, bool commit)
{
	if (b->open && commit &&
	    batch_reserve(b, NLMSG_ALIGN(sizeof(struct nlmsghdr) + 4))) {
		struct nlmsghdr *nlh = nftnl_batch_end(b->buf + b->len,
						       b->first_seq + b->count);

		b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	b->open = false;
	return !b->oom;
}

struct nlmsghdr *fw_batch_msg(struct fw_batch *b, uint16_t type, uint8_t family,
			      uint16_t flags, size_t max, int elem, int n_elems)
{
	struct nlmsghdr *nlh;

	if (!batch_reserve(b, max))
		return NULL;
	nlh = nftnl_nlmsg_build_hdr(b->buf + b->len, type, family,
				    NLM_F_ACK | flags, b->first_seq + b->count);
	b->tags[b->count] =
		(struct fw_msgtag){ elem, n_elems,
				    elem < 0 ? FW_TAG_LAYOUT : FW_TAG_ELEMS };
	b->count++;
	return nlh;
}

void fw_batch_done(struct fw_batch *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* ---------------------------------------------------------------- messages */

/* The most a message with one element of ours takes, comment included. */
#define ELEM_MAX_BYTES 400
/* Elements per message: the list is one attribute, of at most 64 KiB. */
#define ELEMS_PER_MSG 100

static struct nftnl_set *set_ref(const struct fw_set *s)
{
	struct nftnl_set *set = nftnl_set_alloc();

	if (!set)
		return NULL;
	nftnl_set_set_str(set, NFTNL_SET_TABLE, FW_TABLE);
	nftnl_set_set_str(set, NFTNL_SET_NAME, s->name);
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, s->family);
	return set;
}

/*
 * An interval's end element: the key after its last one (big-endian + 1),
 * flagged as an end. None when the range runs to the very last key.
 */
static int elem_add_end(struct nftnl_set *set, const struct fw_elem *x,
			uint32_t len)
{
	struct nftnl_set_elem *e;
	uint8_t key[sizeof(x->key_end)];
	uint32_t i = len;

	memcpy(key, x->key_end, len);
	while (i > 0 && ++key[i - 1] == 0)
		i--;
	if (i == 0)
		return 0;
	e = nftnl_set_elem_alloc();
	if (!e)
		return -ENOMEM;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
	nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS,
			       NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(set, e);
	return 0;
}

static int elem_add_to(struct nftnl_set *set, const struct fw_elem *x,
		       uint16_t type, const char *owner)
{
	const struct fw_set *s = &fw_sets[x->set];
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	bool new = type == NFT_MSG_NEWSETELEM;
	struct nftnl_udata_buf *ud;

	if (!e)
		return -ENOMEM;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, x->key, s->key_len);
	if (new && s->data_len)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, x->data,
				   s->data_len);
	if (new &&owner &&*owner) {
		ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
		if (!ud) {
			nftnl_set_elem_free(e);
			return -ENOMEM;
		}
		nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, owner);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA,
				   nftnl_udata_buf_data(ud),
				   nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	nftnl_set_elem_add(set, e);
	/* A lookup names the interval by its start. */
	if ((s->flags & NFT_SET_INTERVAL) && type != NFT_MSG_GETSETELEM)
		return elem_add_end(set, x, s->key_len);
	return 0;
}

/*
 * libnftnl (1.2) numbers the elements of a list 1, 2, 3... where the
 * protocol says NFTA_LIST_ELEM for each. The kernel does not look, but
 * any parser that checks (libnftnl's own included) refuses the list:
 * make it canonical.
 */
static void elems_fix_list(struct nlmsghdr *nlh)
{
	struct nlattr *a, *e;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(e, a)
			e->nla_type = NLA_F_NESTED | NFTA_LIST_ELEM;
	}
}

/* One message for elements [from, to) of one set. */
static void msg_elems_one(struct fw_batch *b, const struct fw_elems *el,
			  size_t from, size_t to, uint16_t type, uint16_t flags,
			  const char *owner)
{
	const struct fw_set *s = &fw_sets[el->v[from].set];
	bool new = type == NFT_MSG_NEWSETELEM;
	struct nftnl_set *set = set_ref(s);
	struct nlmsghdr *nlh;

	if (!set) {
		b->oom = true;
		return;
	}
	for (size_t i = from; i < to && !b->oom; i++)
		if (elem_add_to(set, &el->v[i], type, owner) < 0)
			b->oom = true;
	if (new)
		flags |= NLM_F_CREATE;
	nlh = b->oom ? NULL :
		       fw_batch_msg(b, type, s->family, flags,
				    256 + (to - from) * ELEM_MAX_BYTES,
				    (int)from, (int)(to - from));
	if (nlh) {
		nftnl_set_elems_nlmsg_build_payload(nlh, set);
		elems_fix_list(nlh);
		fw_batch_done(b, nlh);
	}
	nftnl_set_free(set);
}

void fw_msg_elems(struct fw_batch *b, const struct fw_elems *e, size_t from,
		  size_t to, uint16_t type, uint16_t flags, const char *owner,
		  bool one_per_msg)
{
	size_t i = from;

	while (i < to && !b->oom) {
		size_t j = i + 1;

		while (!one_per_msg && j < to && j - i < ELEMS_PER_MSG &&
		       e->v[j].set == e->v[i].set)
			j++;
		msg_elems_one(b, e, i, j, type, flags, owner);
		i = j;
	}
}

void fw_elem_wildcard_of(const struct fw_elem *x, struct fw_elem *ret)
{
	size_t alen = ipaddr_len(x->family);

	*ret = *x;
	ret->set = x->set == FW_HPIP6 ? FW_HP6 : FW_HP4;
	memset(ret->key, 0, sizeof(ret->key));
	memcpy(ret->key, x->key + alen, 8);
}

void fw_msg_probe(struct fw_batch *b, const struct fw_elems *e, size_t i)
{
	struct fw_elems one = { 1, 1, NULL };
	struct fw_elem w;
	unsigned int n = b->count;

	fw_elem_wildcard_of(&e->v[i], &w);
	one.v = &w;
	msg_elems_one(b, &one, 0, 1, NFT_MSG_NEWSETELEM, NLM_F_EXCL, "");
	msg_elems_one(b, &one, 0, 1, NFT_MSG_DELSETELEM, 0, NULL);
	for (unsigned int k = n; k < b->count; k++)
		b->tags[k] = (struct fw_msgtag){ (int)i, 1, FW_TAG_PROBE };
}

struct nlmsghdr *fw_msg_dump_set(char *buf, enum fw_set_id id, uint32_t seq)
{
	const struct fw_set *s = &fw_sets[id];
	struct nftnl_set *set = set_ref(s);
	struct nlmsghdr *nlh;

	if (!set)
		return NULL;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, s->family,
				    NLM_F_DUMP, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, set);
	nftnl_set_free(set);
	return nlh;
}
