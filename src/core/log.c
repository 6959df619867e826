// SPDX-License-Identifier: Apache-2.0
#include <stdarg.h>
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

void log_init_from_env(void)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	const char *v = getenv("BRISK_LOG");

	if (!v)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i]) == 0)
			log_level = (enum log_level)i;
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
