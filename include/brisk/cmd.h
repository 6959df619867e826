/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_CMD_H
#define BRISK_CMD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "brisk/calllog.h"
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
/* DEL: what the built-in store freed goes to @ret_freed (may be NULL). */
struct ipam_freed;
int cmd_del(const struct cni_env *env, struct netconf *c,
	    struct ipam_freed *ret_freed, struct cni_err *err);
int cmd_check(const struct cni_env *env, struct netconf *c,
	      struct cni_err *err);
int cmd_gc(const struct cni_env *env, struct netconf *c, struct cni_err *err);
int cmd_status(const struct cni_env *env, struct netconf *c,
	       struct cni_err *err);

/* brisk used as an IPAM plugin by another main plugin. */
int ipam_mode_run(const struct cni_env *env, struct netconf *c,
		  json_t **ret_out, struct cni_err *err);

/*
 * The call log of one CNI call (src/plugin/call_log.c): begun first thing,
 * told the config and the addresses as they become known, and written
 * (when a logFile is set) after the reply is printed.
 */
struct call_log {
	struct timespec t0; /* CLOCK_MONOTONIC, for the duration */
	struct timespec start; /* CLOCK_REALTIME, for the line's time */
	const char *env; /* BRISK_LOG, NULL when unset */
	bool on; /* a line may be written: a file and a level not off */
	bool warned; /* a bad BRISK_LOG item was reported */
	struct calllog_conf conf;
	char network[NETCONF_NAME_MAX];
	size_t n_ips;
	struct ipnet ips[CALLLOG_MAX_IPS];
};

void call_log_begin(struct call_log *cl);
/* The config's logFile/logLevel/logMaxSize, overridden by BRISK_LOG. */
void call_log_config(struct call_log *cl, const struct netconf *c);
/*
 * A call that failed before its config was read (a bad CNI variable):
 * read stdin for the log's keys alone, so that the failure is logged too.
 */
void call_log_early_failure(struct call_log *cl);
/* The addresses of an ADD's result. */
void call_log_result(struct call_log *cl, json_t *res);
/* The addresses a DEL freed in the built-in store. */
void call_log_freed(struct call_log *cl, const struct ipam_freed *f);
/* Write the line, if wanted: @r and @err are the call's outcome. */
void call_log_end(struct call_log *cl, const struct cni_env *env, int r,
		  const struct cni_err *err);

/*
 * Run one CNI call: decode @buf for @env's command, dispatch, and fill
 * *ret_out. @ret_ver receives the cniVersion to put in an error reply.
 * @cl learns the config and the addresses.
 */
int plugin_run(const struct cni_env *env, const char *buf, size_t len,
	       json_t **ret_out, char *ret_ver, size_t ver_len,
	       struct call_log *cl, struct cni_err *err);

/*
 * What an ADD of @buf would say about the config, without the kernel or
 * the store: 0 with the normalised config in *ret_norm (caller owns), or
 * the error ADD would report (and @ret_ver for its reply).
 */
int plugin_validate(const char *buf, size_t len, json_t **ret_norm,
		    char *ret_ver, size_t ver_len, struct cni_err *err);

#endif
