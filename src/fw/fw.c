// SPDX-License-Identifier: Apache-2.0
/*
 * brisk's firewall over nf_tables: one atomic batch per change, every
 * reply checked. The tables are made on first use (or again after a flush
 * of the ruleset) when a batch finds them missing.
 */
/* netinet/in.h before the linux/ headers, or they clash. */
#include <netinet/in.h>

#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brisk/fault.h"
#include "brisk/fw.h"
#include "brisk/fwmsg.h"
#include "brisk/log.h"
#include "fw_int.h"

int fw_open(struct fw *fw, struct cni_err *err)
{
	memset(fw, 0, sizeof(*fw));
	fw->lock_fd = -1;
	/* The fault-injection build can pretend to be an older kernel. */
	fw->destroy = fault_flag("no-destroy") ? 0 : -1;
	return netlink_open_proto(&fw->nl, NETLINK_NETFILTER, err);
}

void fw_close(struct fw *fw)
{
	netlink_close(&fw->nl);
	if (fw->lock_fd >= 0)
		close(fw->lock_fd);
	fw->lock_fd = -1;
}

int fw_send(struct fw *fw, struct fw_batch *b, bool commit, netlink_cb cb,
	    void *data, struct netlink_ack *ack)
{
	int r;

	if (!fw_batch_finish(b, commit)) {
		memset(ack, 0, sizeof(*ack));
		ack->index = -1;
		return ack->error = -ENOMEM;
	}
	if (b->count == 0) {
		memset(ack, 0, sizeof(*ack));
		ack->index = -1;
		return 0;
	}
	/* The numbers in use are ours: the next call starts after them. */
	fw->nl.seq = b->first_seq + b->count + 1;
	r = netlink_send_acked(&fw->nl, b->buf, b->len, b->first_seq, b->count,
			       b->begin_seq, cb, data, ack);
	if (r < 0)
		log_debug("nftables: message %d of %u: %s%s%s", ack->index,
			  b->count, strerror(-r), ack->msg[0] ? ": " : "",
			  ack->msg);
	return r;
}

uint32_t fw_next_seq(struct fw *fw)
{
	return ++fw->nl.seq;
}

/* The kernel's answer as an error: "<what>: <strerror>", text in details. */
int fw_ack_err(const struct netlink_ack *ack, struct cni_err *err,
	       const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ack->error == -ENOMEM && !ack->msg[0])
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "%s: out of memory", what);
	return netlink_ack_err(ack, err, what);
}

/* Which tables @e has elements in. */
static void elems_families(const struct fw_elems *e, bool *inet, bool *br)
{
	*inet = *br = false;
	for (size_t i = 0; i < e->n; i++) {
		if (fw_set_get(e->v[i].set)->family == NFPROTO_BRIDGE)
			*br = true;
		else
			*inet = true;
	}
}

/* Make (or repair) the tables @e needs. */
static int fw_make_tables(struct fw *fw, const struct fw_elems *e,
			  struct cni_err *err)
{
	struct netlink_ack ack;
	struct fw_batch b;
	bool inet, br;
	int r;

	elems_families(e, &inet, &br);
	fw_batch_init(&b, fw_next_seq(fw), true);
	if (inet)
		fw_msg_layout(&b, NFPROTO_INET);
	if (br)
		fw_msg_layout(&b, NFPROTO_BRIDGE);
	r = fw_send(fw, &b, true, NULL, NULL, &ack);
	fw_batch_free(&b);
	if (r < 0)
		return fw_ack_err(&ack, err, "nftables: create table %s%s%s",
				  inet ? "inet " FW_TABLE : "",
				  inet && br ? " and " : "",
				  br ? "bridge " FW_TABLE : "");
	log_info("made nftables tables for brisk");
	return 0;
}

/* ---------------------------------------------------------------- del */

static bool is_unknown_msg(int error)
{
	/* An older kernel's answer to a message type it does not know. */
	return error == -EINVAL || error == -EOPNOTSUPP;
}

/* Old kernels: each element alone, and a missing one is fine. */
static int fw_del_each(struct fw *fw, const struct fw_elems *e,
		       struct cni_err *err)
{
	struct netlink_ack ack;
	char what[160];

	for (size_t i = 0; i < e->n; i++) {
		struct fw_batch b;
		int r;

		fw_batch_init(&b, fw_next_seq(fw), true);
		fw_msg_elems(&b, e, i, i + 1, NFT_MSG_DELSETELEM, 0, NULL,
			     true);
		r = fw_send(fw, &b, true, NULL, NULL, &ack);
		fw_batch_free(&b);
		if (r < 0 && r != -ENOENT) {
			fw_elem_describe(&e->v[i], what, sizeof(what));
			return fw_ack_err(&ack, err, "nftables: delete %s",
					  what);
		}
	}
	return 0;
}

/* One batch of @type over all of @e; 0 or the kernel's negative errno. */
static int fw_del_batch(struct fw *fw, const struct fw_elems *e, uint16_t type,
			struct netlink_ack *ack)
{
	struct fw_batch b;
	int r;

	fw_batch_init(&b, fw_next_seq(fw), true);
	fw_msg_elems(&b, e, 0, e->n, type, 0, NULL, false);
	r = fw_send(fw, &b, true, NULL, NULL, ack);
	fw_batch_free(&b);
	return r;
}

int fw_del_elems(struct fw *fw, const struct fw_elems *e, struct cni_err *err)
{
	struct netlink_ack ack;
	int r;

	if (e->n == 0)
		return 0;
	if (fw->destroy != 0) {
		r = fw_del_batch(fw, e, FW_MSG_DESTROYSETELEM, &ack);
		if (r == 0 || (!is_unknown_msg(r) && r != -ENOENT)) {
			fw->destroy = 1;
			return r < 0 ? fw_ack_err(&ack, err,
						  "nftables: delete elements") :
				       0;
		}
		if (is_unknown_msg(r)) {
			log_debug("nftables: no DESTROYSETELEM, deleting");
			fw->destroy = 0;
		}
	}
	r = fw_del_batch(fw, e, NFT_MSG_DELSETELEM, &ack);
	if (r == -ENOENT)
		return fw_del_each(fw, e, err);
	if (r < 0)
		return fw_ack_err(&ack, err, "nftables: delete elements");
	return 0;
}

int fw_del(struct fw *fw, const struct fw_plan *p, struct cni_err *err)
{
	struct fw_elems e;
	int r;

	if (fw_elems_of(p, &e) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	r = fw_del_elems(fw, &e, err);
	fw_elems_free(&e);
	return r;
}

/* ---------------------------------------------------------------- add */

/* The add batch: probes, then the elements, set by set. */
static void add_batch(struct fw_batch *b, const struct fw_elems *e,
		      const char *owner, bool restore)
{
	for (size_t i = 0; i < e->n && !restore; i++)
		if (e->v[i].set == FW_HPIP4 || e->v[i].set == FW_HPIP6)
			fw_msg_probe(b, e, i);
	for (size_t i = 0; i < e->n;) {
		size_t j = i + 1;
		bool map = fw_set_get(e->v[i].set)->flags & NFT_SET_MAP;

		while (j < e->n && e->v[j].set == e->v[i].set)
			j++;
		/* A host port map element per message: a refusal names it. */
		fw_msg_elems(b, e, i, j, NFT_MSG_NEWSETELEM,
			     map && !restore ? NLM_F_EXCL : 0, owner, map);
		i = j;
	}
}

static int add_try(struct fw *fw, const struct fw_elems *e, const char *owner,
		   bool restore, struct fw_msgtag *ret_tag,
		   struct netlink_ack *ack)
{
	struct fw_batch b;
	int r;

	fw_batch_init(&b, fw_next_seq(fw), true);
	add_batch(&b, e, owner, restore);
	r = fw_send(fw, &b, true, NULL, NULL, ack);
	*ret_tag = (struct fw_msgtag){ -1, 0, FW_TAG_LAYOUT };
	if (r < 0 && ack->index >= 0 && (unsigned int)ack->index < b.count)
		*ret_tag = b.tags[ack->index];
	fw_batch_free(&b);
	return r;
}

static int add_fail(struct fw *fw, const struct fw_elems *e,
		    const struct fw_msgtag *tag, const struct netlink_ack *ack,
		    struct cni_err *err)
{
	char what[160];

	if (tag->elem < 0)
		return fw_ack_err(ack, err, "nftables: add elements");
	if (ack->error == -EEXIST && e->v[tag->elem].port >= 0)
		return fw_conflict(fw, &e->v[tag->elem],
				   tag->kind == FW_TAG_PROBE, err);
	fw_elem_describe(&e->v[tag->elem], what, sizeof(what));
	return fw_ack_err(ack, err, "nftables: add %s", what);
}

static int add_or_restore(struct fw *fw, const struct fw_plan *p, bool restore,
			  struct cni_err *err)
{
	struct netlink_ack ack;
	struct fw_msgtag tag;
	struct fw_elems e;
	int r;

	if (fw_elems_of(p, &e) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	r = restore ? 0 : fw_check_wildcards(fw, &e, err);
	/* Missing tables (first use, a flushed ruleset): make them, retry. */
	for (int attempt = 0; r == 0 && attempt < 2; attempt++) {
		r = add_try(fw, &e, p->owner, restore, &tag, &ack);
		if (r == 0)
			break;
		if (r == -ENOENT && attempt == 0)
			r = fw_make_tables(fw, &e, err);
		else
			r = add_fail(fw, &e, &tag, &ack, err);
	}
	fw_elems_free(&e);
	return r;
}

int fw_add(struct fw *fw, const struct fw_plan *p, struct cni_err *err)
{
	return add_or_restore(fw, p, false, err);
}

int fw_restore(struct fw *fw, const struct fw_plan *p, struct cni_err *err)
{
	return add_or_restore(fw, p, true, err);
}
