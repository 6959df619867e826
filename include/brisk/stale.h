/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_STALE_H
#define BRISK_STALE_H

#include <stdbool.h>
#include <stddef.h>

#include "brisk/err.h"
#include "brisk/ipnet.h"
#include "brisk/meta.h"
#include "brisk/store.h"

/*
 * Stale leases: those whose attachment record (the store's note, see
 * meta.h) says with certainty that their attachment is gone. A lease
 * without one (host-local's) is never stale.
 */

/* One stale lease (strings valid during the callback). */
struct stale_lease {
	struct ipaddr ip;
	char *id;
	char *ifname;
	enum meta_verdict why;
};

typedef void (*stale_fn)(const struct stale_lease *l, void *data);

/*
 * In the locked store @s, release every stale lease except those of
 * @id/@ifname, the attachment being made. *ret_n counts them.
 */
int stale_reclaim(struct store *s, const char *id, const char *ifname,
		  size_t *ret_n, struct cni_err *err);

/*
 * Find the stale leases of @network under @data_dir, releasing them with
 * @apply. @fn sees each one after the lock is dropped; *ret_n counts them.
 */
int stale_gc(const char *data_dir, const char *network, bool apply, stale_fn fn,
	     void *data, size_t *ret_n, struct cni_err *err);

#endif
