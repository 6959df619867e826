// SPDX-License-Identifier: Apache-2.0
#include "brisk/fault.h"

#ifdef BRISK_FAULT_INJECTION
#include <signal.h>
#include <stdlib.h>
#include <string.h>

void fault_point(const char *name)
{
	const char *want = getenv("BRISK_FAULT");

	/* SIGKILL: no handler, no atexit, exactly like a power cut to us. */
	if (want && strcmp(want, name) == 0)
		raise(SIGKILL);
}
#else
/* An empty translation unit is not ISO C. */
typedef int fault_unused;
#endif
