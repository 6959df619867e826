/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_FAULT_H
#define BRISK_FAULT_H

/*
 * Crash points for the crash-safety tests. In a build with
 * -Dfault_injection=true, fault_point("name") kills the process with
 * SIGKILL when BRISK_FAULT=name; in normal builds it compiles to nothing.
 */
#ifdef BRISK_FAULT_INJECTION
void fault_point(const char *name);
#else
static inline void fault_point(const char *name)
{
	(void)name;
}
#endif

#endif
