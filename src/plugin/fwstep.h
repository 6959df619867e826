/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/plugin: the firewall's part of each command. Each is one
 * call from its command, and a no-op for a network without firewall keys
 * and without records.
 */
#ifndef BRISK_PLUGIN_FWSTEP_H
#define BRISK_PLUGIN_FWSTEP_H

#include <jansson.h>
#include <stdbool.h>

#include "brisk/cni.h"
#include "brisk/err.h"
#include "brisk/fw.h"
#include "brisk/netconf.h"

struct add_state;

/* True when @c asks for masquerade, host ports or the MAC spoof check. */
bool fwstep_needed(const struct netconf *c);
/* Where the records live: ipam.dataDir, or its default. */
const char *fwstep_data_dir(const struct netconf *c);

/*
 * ADD: derive the plan from the config and the result, record it, commit
 * its elements, and push the undo; then hairpin mode (for host ports),
 * route_localnet (for 127.0.0.1) and the UDP conntrack flush.
 */
int fwstep_add(struct add_state *s, struct cni_err *err);

/* DEL: remove the elements the attachment's record lists, then the record. */
int fwstep_del(const struct cni_env *env, const struct netconf *c,
	       struct cni_err *err);

/* CHECK: the record is there when the config needs one, and its elements. */
int fwstep_check(const struct cni_env *env, const struct netconf *c,
		 struct cni_err *err);

/* GC's judgement: true when the attachment id/ifname is to be kept. */
typedef bool (*fwstep_keep_fn)(void *data, const char *id, const char *ifname);

/* GC: remove the elements and records of attachments @keep does not keep. */
int fwstep_gc(const struct netconf *c, fwstep_keep_fn keep, void *data,
	      struct cni_err *err);

/* STATUS: code 50 when the config needs nftables the kernel cannot give. */
int fwstep_status(const struct netconf *c, struct cni_err *err);

/*
 * Remove the elements and the record of id/ifname in @network under
 * @data_dir (brisk gc). Absent is success.
 */
int fwstep_forget(const char *data_dir, const char *network, const char *id,
		  const char *ifname, struct cni_err *err);

#endif
