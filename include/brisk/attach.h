/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_ATTACH_H
#define BRISK_ATTACH_H

#include <net/if.h>
#include <stdbool.h>

#include "brisk/cni.h"
#include "brisk/err.h"
#include "brisk/link.h"
#include "brisk/netconf.h"
#include "brisk/netlink.h"
#include "brisk/result.h"

/* What ADD, DEL and CHECK share about one attachment. */
struct attach {
	const struct cni_env *env;
	struct netconf *conf;
	int nsfd; /* -1 when the namespace is unknown or gone */
	struct netlink host;
	struct netlink cont; /* sock NULL when nsfd is -1 */
	char host_ifname[IFNAMSIZ];
};

/*
 * The host end's name: "veth" and 11 hex digits of a hash of container ID
 * and ifname, so DEL finds it without the namespace.
 */
void attach_host_ifname(const char *id, const char *ifname, char *ret);

/*
 * Open the host socket and, when @env names a namespace, the namespace and
 * a socket inside it. With @may_be_gone a missing or dead namespace leaves
 * nsfd -1 (DEL); otherwise it is code 4.
 */
int attach_open(struct attach *a, const struct cni_env *env,
		struct netconf *c, bool may_be_gone, struct cni_err *err);
void attach_close(struct attach *a);

/* Random locally administered unicast MAC. */
void attach_random_mac(uint8_t mac[6]);

/*
 * Make sure the bridge exists, is a bridge and is up; racing creators all
 * succeed. Fills @ret with its link info.
 */
int attach_ensure_bridge(struct attach *a, struct link_info *ret,
			 struct cni_err *err);

/*
 * Release the attachment's addresses: the built-in store (what it freed in
 * @ret, which may be NULL; see ipam.h) or the plugin.
 */
struct ipam_freed;
int attach_ipam_del(const struct cni_env *env, struct netconf *c,
		    struct ipam_freed *ret, struct cni_err *err);

/*
 * Decode the config's prevResult into @ret (initialised by the caller,
 * cleared by it too). Code 7 when CHECK has none.
 */
int attach_prev_result(struct netconf *c, struct result *ret,
		       struct cni_err *err);

/*
 * Verify that @pr's addresses of interface @idx (those without an index
 * too; every one when @idx is -1) are still leased to this attachment.
 */
int attach_ipam_check(const struct cni_env *env, struct netconf *c,
		      const struct result *pr, int idx, struct cni_err *err);

#endif
