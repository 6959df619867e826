/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_CMD_H
#define BRISK_CMD_H

#include <jansson.h>
#include <stddef.h>

#include "brisk/cni.h"
#include "brisk/err.h"
#include "brisk/netconf.h"

/*
 * The commands. Each returns 0 or a negative errno with @err filled, and
 * on success may set *ret_out to the JSON to print (owned by the caller;
 * NULL means print nothing).
 */
int cmd_add(const struct cni_env *env, struct netconf *c, json_t **ret_out,
	    struct cni_err *err);
int cmd_del(const struct cni_env *env, struct netconf *c,
	    struct cni_err *err);
int cmd_check(const struct cni_env *env, struct netconf *c,
	      struct cni_err *err);
int cmd_gc(const struct cni_env *env, struct netconf *c, struct cni_err *err);
int cmd_status(const struct cni_env *env, struct netconf *c,
	       struct cni_err *err);

/* brisk used as an IPAM plugin by another main plugin. */
int ipam_mode_run(const struct cni_env *env, struct netconf *c,
		  json_t **ret_out, struct cni_err *err);

/*
 * The operator command built on these records (src/plugin/cli_gc.c):
 *   brisk gc --data-dir DIR --network NAME [--apply]
 * @argv[0] is "gc". Prints to stdout/stderr; returns the exit status.
 */
int cli_gc_main(int argc, char **argv);
/*
 * brisk restore --data-dir DIR [--network NAME]: put every recorded
 * attachment's nftables elements back (after a flush of the ruleset).
 */
int cli_restore_main(int argc, char **argv);

/*
 * Run one CNI call: decode @buf for @env's command, dispatch, and fill
 * *ret_out. @ret_ver receives the cniVersion to put in an error reply.
 */
int plugin_run(const struct cni_env *env, const char *buf, size_t len,
	       json_t **ret_out, char *ret_ver, size_t ver_len,
	       struct cni_err *err);

#endif
