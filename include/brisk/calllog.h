/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_CALLLOG_H
#define BRISK_CALLLOG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "brisk/ipnet.h"

/*
 * The call log: one JSON line per CNI call, appended to a file named by
 * the config's "logFile" (or BRISK_LOG's logFile=), for the operator.
 * stderr stays the runtime's. Writing it never fails a call.
 */

/* Which calls get a line. */
enum calllog_level {
	CALLLOG_OFF, /* none, even with a logFile */
	CALLLOG_ERROR, /* failed calls only */
	CALLLOG_INFO, /* ADD, DEL, CHECK and GC, and every failure (default) */
	CALLLOG_DEBUG, /* every call, VERSION and STATUS included */
};

#define CALLLOG_MAX_SIZE_DEFAULT (10L * 1024 * 1024)
#define CALLLOG_MAX_SIZE_MIN 4096L
#define CALLLOG_MAX_SIZE_MAX (1L << 30)
#define CALLLOG_MAX_IPS 16
/* No line is longer: every field is bounded (see calllog_encode). */
#define CALLLOG_LINE_MAX 4096

struct calllog_conf {
	char file[PATH_MAX]; /* "" when there is no call log */
	enum calllog_level level;
	long max_size; /* rotate to "<file>.1" past this many bytes */
};

/* No file, level info, the default cap. */
void calllog_conf_init(struct calllog_conf *c);

/* "off", "error", "info", "debug". False for anything else. */
bool calllog_level_parse(const char *s, enum calllog_level *ret);
const char *calllog_level_str(enum calllog_level l);
/* An absolute path that names a file (not ending in '/'), < PATH_MAX. */
bool calllog_path_ok(const char *s);

/*
 * Apply the call-log items of BRISK_LOG (a comma-separated list) to @c:
 * logFile=PATH ("" or "off" turns the log off), logLevel=LEVEL and
 * logMaxSize=BYTES override the config. Other items (the stderr level)
 * are log.c's. A bad value is named in *ret_bad (borrowed from a static
 * buffer, NULL when all were good) and ignored.
 */
void calllog_conf_apply_env(struct calllog_conf *c, const char *env,
			    const char **ret_bad);

/* True when a call of @cmd that ended with @code gets a line at @l. */
bool calllog_wanted(enum calllog_level l, const char *cmd, int code);

/* What one line says. Strings may be NULL (left out). */
struct calllog_entry {
	struct timespec start; /* CLOCK_REALTIME when the call began */
	long long duration_us;
	int pid;
	const char *cmd;
	const char *network;
	const char *container_id;
	const char *ifname;
	size_t n_ips; /* taken by ADD, released by DEL */
	struct ipnet ips[CALLLOG_MAX_IPS];
	int code; /* 0: success */
	const char *msg; /* the error's msg (never its details) */
};

/*
 * Encode @e as one line of JSON ending in '\n' into @buf (at least
 * CALLLOG_LINE_MAX bytes). Strings are cut at 256 bytes and anything but
 * printable ASCII becomes '?', so a line is always whole and short.
 * Returns the length, or a negative errno.
 */
int calllog_encode(const struct calllog_entry *e, char *buf, size_t n);

/*
 * Append @line (@len bytes, one whole line) to @path with one write(2) on
 * an O_APPEND descriptor, so concurrent callers never interleave. The
 * path's last component must be a regular file or absent (created 0600):
 * a symlink, FIFO, socket, device or directory is refused (-ELOOP,
 * -EINVAL), and nothing is opened in a way that can block. When the line
 * would take the file past @max_size it is renamed to "<path>.1" first
 * (one old generation is kept). Returns 0 or a negative errno.
 */
int logfile_append(const char *path, const char *line, size_t len,
		   long max_size);

#endif
