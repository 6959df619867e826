// SPDX-License-Identifier: Apache-2.0
/*
 * The call log's settings and its line encoder. A line is JSON (jq reads
 * it, and every value is escaped), one per call, never longer than
 * CALLLOG_LINE_MAX, and never holds anything the config or environment
 * could hide a secret in: only the fields of struct calllog_entry.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brisk/calllog.h"
#include "brisk/cleanup.h"

#define CALLLOG_STR_MAX 256

static const char *const calllog_levels[] = {
	[CALLLOG_OFF] = "off",
	[CALLLOG_ERROR] = "error",
	[CALLLOG_INFO] = "info",
	[CALLLOG_DEBUG] = "debug",
};

void calllog_conf_init(struct calllog_conf *c)
{
	c->file[0] = '\0';
	c->level = CALLLOG_INFO;
	c->max_size = CALLLOG_MAX_SIZE_DEFAULT;
}

bool calllog_level_parse(const char *s, enum calllog_level *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(calllog_levels); i++)
		if (strcmp(s, calllog_levels[i]) == 0) {
			*ret = (enum calllog_level)i;
			return true;
		}
	return false;
}

const char *calllog_level_str(enum calllog_level l)
{
	return (size_t)l < ARRAY_SIZE(calllog_levels) ? calllog_levels[l] : "?";
}

bool calllog_path_ok(const char *s)
{
	size_t len = strlen(s);

	return s[0] == '/' && len < PATH_MAX && s[len - 1] != '/';
}

/* One "key=value" item of BRISK_LOG; false when the value is bad. */
static bool calllog_env_item(struct calllog_conf *c, const char *item)
{
	const char *v = strchr(item, '=');
	char *end;
	long n;

	if (!v)
		return true; /* a bare stderr level: log.c's */
	v++;
	if (strncmp(item, "logFile=", 8) == 0) {
		if (!*v || strcmp(v, "off") == 0) {
			c->file[0] = '\0';
			return true;
		}
		if (!calllog_path_ok(v))
			return false;
		snprintf(c->file, sizeof(c->file), "%s", v);
	} else if (strncmp(item, "logLevel=", 9) == 0) {
		return calllog_level_parse(v, &c->level);
	} else if (strncmp(item, "logMaxSize=", 11) == 0) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || *end || end == v || n < CALLLOG_MAX_SIZE_MIN ||
		    n > CALLLOG_MAX_SIZE_MAX)
			return false;
		c->max_size = n;
	}
	return true;
}

void calllog_conf_apply_env(struct calllog_conf *c, const char *env,
			    const char **ret_bad)
{
	static char bad[64];
	char item[PATH_MAX + 16];

	*ret_bad = NULL;
	while (env && *env) {
		size_t len = strcspn(env, ",");

		if (len < sizeof(item)) {
			memcpy(item, env, len);
			item[len] = '\0';
			if (!calllog_env_item(c, item)) {
				snprintf(bad, sizeof(bad), "%.60s", item);
				*ret_bad = bad;
			}
		}
		env += len + (env[len] == ',');
	}
}

bool calllog_wanted(enum calllog_level l, const char *cmd, int code)
{
	static const char *const changes[] = { "ADD", "DEL", "CHECK", "GC" };

	if (l == CALLLOG_OFF)
		return false;
	if (code != 0 || l == CALLLOG_DEBUG)
		return true;
	if (l == CALLLOG_ERROR || !cmd)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(changes); i++)
		if (strcmp(cmd, changes[i]) == 0)
			return true;
	return false;
}

/* A JSON string of at most CALLLOG_STR_MAX printable ASCII bytes. */
static json_t *calllog_str(const char *s)
{
	char buf[CALLLOG_STR_MAX + 1];
	size_t i;

	for (i = 0; i < CALLLOG_STR_MAX && s[i]; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return json_string(buf);
}

static int calllog_set_str(json_t *o, const char *key, const char *s)
{
	if (!s)
		return 0;
	return json_object_set_new(o, key, calllog_str(s));
}

static int calllog_time(const struct timespec *ts, char *buf, size_t n)
{
	struct tm tm;
	char sec[32];

	if (!gmtime_r(&ts->tv_sec, &tm) ||
	    strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -EINVAL;
	snprintf(buf, n, "%s.%06ldZ", sec, ts->tv_nsec / 1000);
	return 0;
}

static json_t *calllog_ips(const struct calllog_entry *e)
{
	json_t *a = json_array();
	char buf[IPNET_STRLEN];

	for (size_t i = 0; a && i < e->n_ips && i < CALLLOG_MAX_IPS; i++)
		if (json_array_append_new(
			    a, json_string(ipnet_fmt(&e->ips[i], buf))) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *calllog_object(const struct calllog_entry *e)
{
	char when[64];
	json_t *o;
	int r = 0;

	if (calllog_time(&e->start, when, sizeof(when)) < 0)
		return NULL;
	o = json_pack("{s:s, s:i}", "time", when, "pid", e->pid);
	if (!o)
		return NULL;
	r = r ?: calllog_set_str(o, "cmd", e->cmd);
	r = r ?: calllog_set_str(o, "network", e->network);
	r = r ?: calllog_set_str(o, "containerID", e->container_id);
	r = r ?: calllog_set_str(o, "ifname", e->ifname);
	if (r == 0 && e->n_ips)
		r = json_object_set_new(o, "ips", calllog_ips(e));
	r = r ?: json_object_set_new(o, "us", json_integer(e->duration_us));
	r = r ?: json_object_set_new(o, "code", json_integer(e->code));
	if (r == 0 && e->code)
		r = calllog_set_str(o, "msg", e->msg ? e->msg : "");
	if (r < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int calllog_encode(const struct calllog_entry *e, char *buf, size_t n)
{
	json_t *o = calllog_object(e);
	size_t len;

	if (!o)
		return -ENOMEM;
	len = json_dumpb(o, buf, n, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (len == 0 || len >= n)
		return -ENOBUFS;
	buf[len++] = '\n';
	return (int)len;
}
