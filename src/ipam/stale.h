/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_IPAM_STALE_H
#define BRISK_IPAM_STALE_H

#include <stddef.h>

#include "brisk/err.h"
#include "brisk/lease.h"

/*
 * Under the lock of @s: release every stale lease of the store (see
 * meta_judge) except those of @id/@ifname, the attachment being made.
 * *ret_n counts the released ones.
 */
int stale_reclaim(struct lease_store *s, const char *id, const char *ifname,
		  size_t *ret_n, struct cni_err *err);

#endif
