/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_FW_H
#define BRISK_FW_H

/*
 * brisk's firewall: masquerade, host ports and the MAC spoof check, as
 * elements of the sets and maps of two tables of its own ("inet brisk" and
 * "bridge brisk") whose chains never change. An attachment is described by
 * a struct fw_plan; its elements are derived from the plan alone, so the
 * plan kept in the attachment's record is all DEL and GC need.
 */

#include <stdbool.h>

#include "brisk/err.h"
#include "brisk/fwplan.h"
#include "brisk/netlink.h"

/* A connection to nf_tables in the current network namespace. */
struct fw {
	struct netlink nl;
	int lock_fd; /* the host port lock, -1 when not held */
	int destroy; /* NFT_MSG_DESTROYSETELEM: 1 works, 0 does not, -1 unknown */
};

int fw_open(struct fw *fw, struct cni_err *err);
/* Close; accepts a never-opened (zeroed, lock_fd -1) one. */
void fw_close(struct fw *fw);

/*
 * Serialise the firewall's changes in this network namespace: host port
 * conflict checks, and the records with their elements (ADD, DEL, GC and
 * brisk restore, so that a restore never puts back what a DEL is taking
 * away, nor what an ADD is about to add). An abstract unix socket (per
 * namespace, gone with the process) held until fw_close. After 10 s of
 * waiting, code 11.
 */
int fw_lock(struct fw *fw, struct cni_err *err);

/*
 * Add @p's elements in one atomic batch, making brisk's tables when they
 * are missing. A host port another attachment holds is refused (code 999
 * naming it), and then nothing is added. Hold fw_lock.
 */
int fw_add(struct fw *fw, const struct fw_plan *p, struct cni_err *err);

/*
 * Put @p's elements back (brisk restore, after a flush of the ruleset):
 * like fw_add, but elements already there are fine and no host port
 * checks are made (the record's were made at its ADD).
 */
int fw_restore(struct fw *fw, const struct fw_plan *p, struct cni_err *err);

/* Remove @p's elements; those already gone (or no table at all) are fine. */
int fw_del(struct fw *fw, const struct fw_plan *p, struct cni_err *err);

/*
 * Verify that every element of @p is in place: code 999 naming the first
 * missing one, or saying that brisk's table is gone (a flushed ruleset).
 */
int fw_check(struct fw *fw, const struct fw_plan *p, struct cni_err *err);

/*
 * Whether the kernel can hold brisk's tables (the inet one with NAT, the
 * bridge one): the layout is sent and validated but never committed.
 * Code 50 with the kernel's text when it cannot.
 */
int fw_probe(struct fw *fw, bool inet, bool bridge, struct cni_err *err);

/*
 * Delete the conntrack entries of @p's UDP mappings: those whose original
 * destination port is a mapped host port, and those towards the
 * container's addresses, so that a flow to a reused host port is
 * translated anew at once. Nothing to do without UDP mappings.
 */
int fw_ct_flush(struct fw *fw, const struct fw_plan *p, struct cni_err *err);

#endif
