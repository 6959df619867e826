// SPDX-License-Identifier: Apache-2.0
#include "brisk/fault.h"

#ifdef BRISK_FAULT_INJECTION
#include <signal.h>
#include <stdlib.h>
#include <string.h>

bool fault_flag(const char *name)
{
	const char *p = getenv("BRISK_FAULT");
	size_t len = strlen(name);

	while (p && *p) {
		if (strncmp(p, name, len) == 0 && (p[len] == ',' || !p[len]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

void fault_point(const char *name)
{
	/* SIGKILL: no handler, no atexit, exactly like a power cut to us. */
	if (fault_flag(name))
		raise(SIGKILL);
}
#else
/* An empty translation unit is not ISO C. */
typedef int fault_unused;
#endif
