/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_FWMSG_H
#define BRISK_FWMSG_H

/*
 * The nftables messages of brisk's firewall, built with libnftnl into a
 * buffer (no socket needed, so the unit tests parse them back): the
 * layout of the two tables, and the set elements of a plan.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brisk/fwplan.h"

/* Message types of newer kernels than the headers we build with. */
#define FW_MSG_DESTROYSETELEM 30 /* Linux 6.3: delete, absent is fine */

/* nftables' datatype ids that need a byte order note on their set. */
#define FW_TYPE_INTEGER 4u
#define FW_TYPE_IFNAME 41u

/* A set of brisk's tables (see fwmsg.c for the list). */
struct fw_set {
	const char *name;
	uint8_t family; /* NFPROTO_INET or NFPROTO_BRIDGE */
	uint32_t flags; /* NFT_SET_* */
	uint32_t key_type; /* nft's datatype id, for `nft list` */
	uint32_t key_len;
	uint32_t data_type; /* maps only */
	uint32_t data_len;
};

enum fw_set_id {
	FW_MASQ4,
	FW_MASQ6,
	FW_NOMASQ4,
	FW_NOMASQ6,
	FW_HP4,
	FW_HP6,
	FW_HPIP4,
	FW_HPIP6,
	FW_HPNAT4,
	FW_HPNAT6,
	FW_SPOOFCHK,
	FW_ALLOWED,
	FW_N_SETS,
};

const struct fw_set *fw_set_get(enum fw_set_id id);

/* One element of a plan, in the kernel's byte layout. */
struct fw_elem {
	enum fw_set_id set;
	uint8_t key[40];
	uint8_t key_end[40]; /* interval sets: the last key of the range */
	uint8_t data[20]; /* maps */
	int port; /* index in plan->ports for host port maps, else -1 */
	int family; /* AF_INET or AF_INET6 of the element */
};

struct fw_elems {
	size_t n, cap;
	struct fw_elem *v;
};

/* Every element of @p, grouped by set in enum order. 0 or -ENOMEM. */
int fw_elems_of(const struct fw_plan *p, struct fw_elems *ret);
void fw_elems_free(struct fw_elems *e);
/* "set element" in nft's words, e.g. "hp4 tcp . 8080 : 10.0.0.2 . 80". */
void fw_elem_describe(const struct fw_elem *e, char *buf, size_t len);

/* What a message of a batch was about, to explain its failure. */
enum fw_tag_kind {
	FW_TAG_LAYOUT, /* table, set, chain or rule */
	FW_TAG_ELEMS, /* elements @elem .. of the plan */
	FW_TAG_PROBE, /* the add half of a probe for element @elem */
};

struct fw_msgtag {
	int elem; /* index of its first element, -1 for layout messages */
	int n_elems;
	enum fw_tag_kind kind;
};

/*
 * An nfnetlink batch in a growing buffer: begin, messages that each want
 * an ACK, end. tags[i] describes the message with seq first_seq + i.
 */
struct fw_batch {
	char *buf;
	size_t len, cap;
	uint32_t begin_seq, first_seq;
	unsigned int count;
	struct fw_msgtag *tags;
	size_t tags_cap;
	bool oom;
	bool open; /* begin written, end not yet */
};

/*
 * Start a batch: with @transaction, an nfnetlink transaction whose begin
 * message has @seq; without, plain requests (GETSETELEM) from @seq on.
 */
void fw_batch_init(struct fw_batch *b, uint32_t seq, bool transaction);
void fw_batch_free(struct fw_batch *b);
/*
 * Close with the end message. With @commit false the end is left out: the
 * kernel then validates the batch and throws it away (nft --check).
 * False when memory ran out while building.
 */
bool fw_batch_finish(struct fw_batch *b, bool commit);

/*
 * Start the next message (NLM_F_ACK always: every reply is checked), of at
 * most @max bytes, about elements @elem .. @elem + @n_elems - 1 (-1, 0 for
 * none). NULL when out of memory. fw_batch_done accounts for it once its
 * payload is built.
 */
struct nlmsghdr *fw_batch_msg(struct fw_batch *b, uint16_t type, uint8_t family,
			      uint16_t flags, size_t max, int elem,
			      int n_elems);
void fw_batch_done(struct fw_batch *b, struct nlmsghdr *nlh);

/*
 * The layout of the table of @family (NFPROTO_INET or NFPROTO_BRIDGE):
 * table, sets and chains added without NLM_F_EXCL, and each chain flushed
 * and refilled, in one transaction. Idempotent: sent again over an
 * existing table it keeps every element and leaves the rules as they
 * must be, so racing creators need no coordination.
 */
void fw_msg_layout(struct fw_batch *b, uint8_t family);

/*
 * Messages for elements @from .. @to - 1 of @e (which must share a set
 * when @one_per_msg is false, consecutive ones of a set share a message).
 * @type is NFT_MSG_NEWSETELEM, NFT_MSG_DELSETELEM, FW_MSG_DESTROYSETELEM
 * or NFT_MSG_GETSETELEM; @flags (NLM_F_EXCL) are added to each.
 * @owner goes into the comment of new elements.
 */
void fw_msg_elems(struct fw_batch *b, const struct fw_elems *e, size_t from,
		  size_t to, uint16_t type, uint16_t flags, const char *owner,
		  bool one_per_msg);

/*
 * A probe for element @i of @e, a mapping with a host IP (hpip4/hpip6):
 * add the wildcard key of its protocol and port to hp4/hp6 with
 * NLM_F_EXCL, and delete it again. The add fails with EEXIST when a
 * mapping on every local address holds that port; otherwise the pair
 * changes nothing.
 */
void fw_msg_probe(struct fw_batch *b, const struct fw_elems *e, size_t i);

/* The wildcard (hp4/hp6) element matching hpip element @x. */
void fw_elem_wildcard_of(const struct fw_elem *x, struct fw_elem *ret);

/* A GETSETELEM dump request of set @id into @buf (4096 bytes). */
struct nlmsghdr *fw_msg_dump_set(char *buf, enum fw_set_id id, uint32_t seq);

#endif
