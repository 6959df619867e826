/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_FAULT_H
#define BRISK_FAULT_H

#include <stdbool.h>

/*
 * Crash points for the crash-safety tests. In a build with
 * -Dfault_injection=true, fault_point("name") kills the process with
 * SIGKILL when BRISK_FAULT=name (a comma-separated list may name several);
 * in normal builds it compiles to nothing.
 */
#ifdef BRISK_FAULT_INJECTION
void fault_point(const char *name);
/* True when BRISK_FAULT names @name: a behaviour the test wants. */
bool fault_flag(const char *name);
#else
static inline void fault_point(const char *name)
{
	(void)name;
}

static inline bool fault_flag(const char *name)
{
	(void)name;
	return false;
}
#endif

#endif
