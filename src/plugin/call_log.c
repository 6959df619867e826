// SPDX-License-Identifier: Apache-2.0
/*
 * One line in the call log per CNI call (see include/brisk/calllog.h).
 * Off unless the config or BRISK_LOG names a logFile, and then everything
 * here is skipped but two clock reads and a getenv: the fast path pays
 * nothing for a log it does not keep.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/cmd.h"
#include "brisk/ipam.h"
#include "brisk/log.h"

/*
 * The settings, final: @conf (the config's, or NULL to keep those held),
 * then BRISK_LOG's items over them. A bad item is reported once.
 */
static void call_log_settle(struct call_log *cl,
			    const struct calllog_conf *conf)
{
	const char *bad = NULL;

	if (conf)
		cl->conf = *conf;
	calllog_conf_apply_env(&cl->conf, cl->env, &bad);
	if (bad && !cl->warned)
		log_warn("BRISK_LOG: ignoring \"%s\"", bad);
	cl->warned |= bad != NULL;
	cl->on = cl->conf.file[0] && cl->conf.level != CALLLOG_OFF;
}

void call_log_begin(struct call_log *cl)
{
	clock_gettime(CLOCK_MONOTONIC, &cl->t0);
	clock_gettime(CLOCK_REALTIME, &cl->start);
	cl->on = false;
	cl->warned = false;
	cl->n_ips = 0;
	cl->network[0] = '\0';
	cl->env = getenv("BRISK_LOG");
	calllog_conf_init(&cl->conf);
	if (cl->env)
		call_log_settle(cl, NULL);
}

void call_log_config(struct call_log *cl, const struct netconf *c)
{
	if (!c->log.file[0] && !cl->env)
		return;
	call_log_settle(cl, &c->log);
	if (cni_valid_netname(c->name))
		snprintf(cl->network, sizeof(cl->network), "%s", c->name);
}

void call_log_early_failure(struct call_log *cl)
{
	struct calllog_conf conf;
	_cleanup_free_ char *buf = NULL;
	struct cni_err ignored = { 0 };
	size_t len = 0;

	/* A person typing at a terminal gets the error at once, not a read. */
	if (isatty(STDIN_FILENO) ||
	    cni_read_all(STDIN_FILENO, &buf, &len, &ignored) < 0)
		return;
	netconf_peek_log(buf, len, &conf, cl->network, sizeof(cl->network));
	if (conf.file[0] || cl->env)
		call_log_settle(cl, &conf);
}

static void call_log_add_ip(struct call_log *cl, const char *s)
{
	if (s && cl->n_ips < CALLLOG_MAX_IPS &&
	    ipnet_parse(s, &cl->ips[cl->n_ips]) == 0)
		cl->n_ips++;
}

void call_log_result(struct call_log *cl, json_t *res)
{
	json_t *v;
	size_t i;

	if (!cl->on || !res)
		return;
	/* 0.3.0 and later list "ips"; 0.1.0 and 0.2.0 have ip4 and ip6. */
	json_array_foreach(json_object_get(res, "ips"), i, v)
		call_log_add_ip(
			cl, json_string_value(json_object_get(v, "address")));
	call_log_add_ip(cl, json_string_value(json_object_get(
				    json_object_get(res, "ip4"), "ip")));
	call_log_add_ip(cl, json_string_value(json_object_get(
				    json_object_get(res, "ip6"), "ip")));
}

/* Not in the store: prefix lengths. Each is shown as /32 or /128. */
void call_log_freed(struct call_log *cl, const struct ipam_freed *f)
{
	for (size_t i = 0; i < f->n && cl->n_ips < CALLLOG_MAX_IPS; i++) {
		if (!f->ip[i].family)
			continue;
		cl->ips[cl->n_ips].addr = f->ip[i];
		cl->ips[cl->n_ips++].prefixlen =
			f->ip[i].family == AF_INET ? 32 : 128;
	}
}

static const char *call_log_cmd(const char *cmd)
{
	return cmd && *cmd ? cmd : NULL;
}

void call_log_end(struct call_log *cl, const struct cni_env *env, int r,
		  const struct cni_err *err)
{
	struct calllog_entry e = { 0 };
	char line[CALLLOG_LINE_MAX];
	struct timespec t1;
	int len, w;

	e.cmd = call_log_cmd(getenv("CNI_COMMAND"));
	e.code = r < 0 ? (err->code ? err->code : CNI_ERR_INTERNAL) : 0;
	if (!cl->on || !calllog_wanted(cl->conf.level, e.cmd, e.code))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	e.start = cl->start;
	e.duration_us = (t1.tv_sec - cl->t0.tv_sec) * 1000000LL +
			(t1.tv_nsec - cl->t0.tv_nsec) / 1000;
	e.pid = (int)getpid();
	e.network = cl->network[0] ? cl->network : NULL;
	/* Only what cni_env_read accepted; a rejected value is not echoed. */
	if (env && cni_valid_container_id(env->container_id))
		e.container_id = env->container_id;
	if (env && cni_valid_ifname(env->ifname))
		e.ifname = env->ifname;
	e.n_ips = cl->n_ips;
	memcpy(e.ips, cl->ips, cl->n_ips * sizeof(cl->ips[0]));
	e.msg = e.code ? err->msg : NULL;
	len = calllog_encode(&e, line, sizeof(line));
	w = len < 0 ? len :
		      logfile_append(cl->conf.file, line, (size_t)len,
				     cl->conf.max_size);
	if (w < 0)
		log_warn("logFile %s: not written: %s", cl->conf.file,
			 strerror(-w));
}
