// SPDX-License-Identifier: Apache-2.0
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brisk/log.h"

/* The one piece of global mutable state the style allows. */
static enum log_level log_level = LOG_LVL_WARN;

void log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

/*
 * BRISK_LOG is a comma-separated list. A bare level (or stderr=LEVEL) is
 * how much brisk says on stderr; logFile=, logLevel= and logMaxSize= are
 * the call log's (calllog.c). Anything else is ignored, with a warning.
 */
static bool log_item(const char *item, size_t len)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	static const char *const calllog[] = { "logFile=", "logLevel=",
					       "logMaxSize=" };

	if (len > 7 && strncmp(item, "stderr=", 7) == 0) {
		item += 7;
		len -= 7;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len &&
		    strncmp(item, names[i], len) == 0) {
			log_level = (enum log_level)i;
			return true;
		}
	for (size_t i = 0; i < sizeof(calllog) / sizeof(calllog[0]); i++)
		if (strncmp(item, calllog[i], strlen(calllog[i])) == 0)
			return true;
	return len == 0;
}

void log_init_from_env(void)
{
	const char *v = getenv("BRISK_LOG");
	const char *bad = NULL;
	size_t bad_len = 0;

	while (v && *v) {
		size_t len = strcspn(v, ",");

		if (!log_item(v, len) && !bad) {
			bad = v;
			bad_len = len;
		}
		v += len + (v[len] == ',');
	}
	if (bad)
		log_warn("BRISK_LOG: ignoring \"%.*s\"",
			 (int)(bad_len > 64 ? 64 : bad_len), bad);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (lvl > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write so concurrent plugins' lines do not interleave. */
	fprintf(stderr, "brisk: %s\n", line);
}
