// SPDX-License-Identifier: Apache-2.0
/*
 * UDP conntrack flushes for host ports. A UDP "connection" lives as long
 * as packets keep coming, so a flow to a host port that was recorded
 * before the mapping existed (or towards a container that is gone) would
 * never be translated anew: that is how a reused host port turns into a
 * blackhole. The kernel filters the dump (CTA_FILTER) so only the matching
 * entries travel; each is then deleted by its tuple.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "brisk/grow.h"
#include "brisk/log.h"
#include "brisk/fw.h"
#include "fw_int.h"

/* The kernel's CTA_FILTER_FLAG bits (net/netfilter/nf_internals.h). */
#define CT_FILTER_IP_SRC (1u << 0)
#define CT_FILTER_PROTO_NUM (1u << 3)
#define CT_FILTER_PROTO_DST_PORT (1u << 5)

#define CT_MAX_DELETE 4096

/*
 * libnetfilter_conntrack is loaded on first use, by its Debian soname: only
 * a UDP host port needs it, and linked in (with libnfnetlink) it added about
 * 0.3 ms of start-up to every call (scripts/bench.sh, VERSION). libnfnetlink
 * is loaded first, from brisk's own search path, so that a bundled copy
 * (scripts/install-node.sh --bundle-libs) serves the library's need of it.
 */
#define CT_DEP "libnfnetlink.so.0"
#define CT_LIB "libnetfilter_conntrack.so.3"
/* clang-format off */
#define CT_FNS(X)                                                         \
	X(nfct_new) X(nfct_destroy) X(nfct_copy) X(nfct_attr_is_set)      \
	X(nfct_set_attr) X(nfct_set_attr_u8) X(nfct_set_attr_u16)         \
	X(nfct_get_attr_u8) X(nfct_get_attr_u16) X(nfct_nlmsg_build)      \
	X(nfct_nlmsg_parse)
/* clang-format on */
#define CT_PTR(f) __typeof__(&f) f;
static struct {
	CT_FNS(CT_PTR)
} lib;

static int ct_load(struct cni_err *err)
{
	void *h;

	if (lib.nfct_nlmsg_parse)
		return 0;
	h = dlopen(CT_DEP, RTLD_NOW | RTLD_LOCAL);
	h = h ? dlopen(CT_LIB, RTLD_NOW | RTLD_LOCAL) : NULL;
#define CT_SYM(f) h = h && (lib.f = dlsym(h, #f)) ? h : NULL;
	CT_FNS(CT_SYM)
	if (!h)
		return cni_err_set(err, CNI_ERR_INTERNAL, ELIBACC,
				   "conntrack: cannot load %s: %s", CT_LIB,
				   dlerror());
	return 0;
}

struct ct_found {
	size_t n, cap;
	struct nf_conntrack **v;
};

static int ct_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_found *f = data;
	struct nf_conntrack *ct, *min;

	if (f->n >= CT_MAX_DELETE)
		return MNL_CB_OK;
	ct = lib.nfct_new();
	min = lib.nfct_new();
	if (!ct || !min || lib.nfct_nlmsg_parse(nlh, ct) < 0 ||
	    GROW_ONE(f->v, f->cap, f->n, 8) < 0) {
		lib.nfct_destroy(ct);
		lib.nfct_destroy(min);
		return ct && min ? MNL_CB_OK : MNL_CB_ERROR;
	}
	/* A delete needs the original tuple and the zone, nothing else. */
	lib.nfct_copy(min, ct, NFCT_CP_ORIG);
	if (lib.nfct_attr_is_set(ct, ATTR_ZONE))
		lib.nfct_set_attr_u16(min, ATTR_ZONE,
				      lib.nfct_get_attr_u16(ct, ATTR_ZONE));
	lib.nfct_destroy(ct);
	f->v[f->n++] = min;
	return MNL_CB_OK;
}

static struct nlmsghdr *ct_msg(char *buf, uint16_t type, uint16_t flags,
			       int family, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g->nfgen_family = (uint8_t)family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	return nlh;
}

/* Dump the UDP entries of @family matching @ct under @orig/@reply flags. */
static int ct_dump(struct fw *fw, struct nf_conntrack *ct, int family,
		   uint32_t orig, uint32_t reply, struct ct_found *f)
{
	char buf[1024] __attribute__((aligned(8)));
	struct netlink_ack ack;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int r;

	nlh = ct_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family, 0);
	if (lib.nfct_nlmsg_build(nlh, ct) < 0)
		return -errno;
	nest = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, orig); /* host order */
	mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, reply);
	mnl_attr_nest_end(nlh, nest);
	r = netlink_dump(&fw->nl, nlh, ct_dump_cb, f, &ack);
	if (r < 0)
		log_debug("conntrack: dump (orig %#x reply %#x): %s%s%s", orig,
			  reply, strerror(-r), ack.msg[0] ? ": " : "", ack.msg);
	return r;
}

static int ct_delete(struct fw *fw, struct ct_found *f)
{
	struct netlink_ack ack;
	char *buf;
	size_t len = 0;
	uint32_t first = 0;
	int r;

	if (f->n == 0)
		return 0;
	buf = calloc(f->n, 1024);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++) {
		int family = lib.nfct_get_attr_u8(f->v[i], ATTR_L3PROTO);
		struct nlmsghdr *nlh = ct_msg(buf + len, IPCTNL_MSG_CT_DELETE,
					      NLM_F_ACK, family,
					      fw_next_seq(fw));

		if (i == 0)
			first = nlh->nlmsg_seq;
		lib.nfct_nlmsg_build(nlh, f->v[i]);
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	r = netlink_send_acked(&fw->nl, buf, len, first, (unsigned int)f->n, 0,
			       NULL, NULL, &ack);
	free(buf);
	/* Gone meanwhile (timed out, or another flush) is what we wanted. */
	return r == -ENOENT ? 0 : r;
}

static void ct_found_free(struct ct_found *f)
{
	for (size_t i = 0; i < f->n; i++)
		lib.nfct_destroy(f->v[i]);
	free(f->v);
}

/* The two filters for one family: a host port, the container's address. */
static int ct_collect(struct fw *fw, const struct fw_plan *p, int family,
		      struct ct_found *f)
{
	const struct ipaddr *a = fw_plan_addr(p, family);
	bool v6 = family == AF_INET6;
	struct nf_conntrack *ct;
	int r = 0;

	for (size_t i = 0; i < p->n_ports && r == 0; i++) {
		const struct fw_port *pm = &p->ports[i];

		if (pm->proto != IPPROTO_UDP ||
		    (pm->host_ip.family && pm->host_ip.family != family))
			continue;
		ct = lib.nfct_new();
		if (!ct)
			return -ENOMEM;
		lib.nfct_set_attr_u8(ct, ATTR_L3PROTO, (uint8_t)family);
		lib.nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_UDP);
		lib.nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(pm->host_port));
		r = ct_dump(fw, ct, family,
			    CT_FILTER_PROTO_NUM | CT_FILTER_PROTO_DST_PORT, 0,
			    f);
		lib.nfct_destroy(ct);
	}
	if (r < 0 || !a)
		return r;
	ct = lib.nfct_new();
	if (!ct)
		return -ENOMEM;
	/* libnetfilter_conntrack builds nothing without the original family. */
	lib.nfct_set_attr_u8(ct, ATTR_L3PROTO, (uint8_t)family);
	lib.nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, (uint8_t)family);
	lib.nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_UDP);
	lib.nfct_set_attr(ct, v6 ? ATTR_REPL_IPV6_SRC : ATTR_REPL_IPV4_SRC,
			  a->b);
	r = ct_dump(fw, ct, family, 0, CT_FILTER_IP_SRC | CT_FILTER_PROTO_NUM,
		    f);
	lib.nfct_destroy(ct);
	return r;
}

static bool has_udp(const struct fw_plan *p)
{
	for (size_t i = 0; i < p->n_ports; i++)
		if (p->ports[i].proto == IPPROTO_UDP)
			return true;
	return false;
}

int fw_ct_flush(struct fw *fw, const struct fw_plan *p, struct cni_err *err)
{
	struct ct_found f = { 0 };
	int r = 0;

	if (!has_udp(p))
		return 0;
	r = ct_load(err);
	if (r < 0)
		return r;
	for (int fam = AF_INET; r == 0 && fam;
	     fam = fam == AF_INET ? AF_INET6 : 0)
		r = ct_collect(fw, p, fam, &f);
	if (r == 0)
		r = ct_delete(fw, &f);
	ct_found_free(&f);
	/* No conntrack in this kernel: nothing is tracked, nothing to flush. */
	if (r == -EOPNOTSUPP || r == -EPROTONOSUPPORT || r == -ENOENT)
		return 0;
	if (r < 0)
		return cni_err_set(
			err, CNI_ERR_INTERNAL, -r,
			"conntrack: flush UDP entries of host ports: %s",
			strerror(-r));
	log_debug("conntrack: flushed %zu UDP entries", f.n);
	return 0;
}
