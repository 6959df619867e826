/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_STORE_H
#define BRISK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brisk/err.h"
#include "brisk/index.h"
#include "brisk/ipnet.h"
#include "brisk/lease.h"

/*
 * The lease store as the rest of brisk sees it: host-local's files
 * (lease.h) and brisk's index of them (index.h), under host-local's lock.
 * The files decide; the index says where to look, and a file that is not
 * what it recorded, a link() that meets a lease it did not know, or a
 * search that finds nothing make it catch up first (once per call).
 */
struct store {
	struct lease_dir d;
	struct index *x;
	bool synced; /* caught up with the files during this call */
	bool changed; /* this call created or removed a lease */
};

#define STORE_INIT                  \
	{                           \
		.d = LEASE_DIR_INIT \
	}

/* Max leases one container+ifname can hold in one network (one per set). */
#define STORE_MAX_PER_ID 16

/* How long a call waits for the lock before answering code 11. */
#define STORE_LOCK_TIMEOUT_MS 10000

/* Open <data_dir>/<network> (made as needed) and take its lock (code 11
 * past @timeout_ms). Close with store_close, also after a failure. */
int store_open(const char *data_dir, const char *network, int timeout_ms,
	       struct store *ret, struct cni_err *err);
/* Write brisk's index, drop the lock, close. Accepts a closed store. */
void store_close(struct store *s);
/* The boot id of this boot ("" when unknown), for attachment records. */
const char *store_boot(const struct store *s);
/* Whether new leases can be written in the store directory. */
bool store_writable(const struct store *s);

/*
 * The addresses leased to id/ifname (a lease holding only "<id>", the
 * oldest host-local format, matches any ifname): up to @max in @ret.
 */
int store_find(struct store *s, const char *id, const char *ifname,
	       struct ipaddr *ret, size_t max, size_t *ret_n,
	       struct cni_err *err);
/*
 * Lease @ip to id/ifname, atomically (see lease_create); *ret_ok false
 * when it is taken. Also makes @ip last_reserved_ip.<set>.
 */
int store_reserve(struct store *s, const struct ipaddr *ip, const char *id,
		  const char *ifname, int set, bool *ret_ok,
		  struct cni_err *err);
/*
 * Release every lease of id/ifname (as host-local: the ID-only ones only
 * when no other matched); absence is success. *ret_n counts the leases
 * removed, the first @max of which are in @ret.
 */
int store_release(struct store *s, const char *id, const char *ifname,
		  struct ipaddr *ret, size_t max, size_t *ret_n,
		  struct cni_err *err);
/* Release the lease of @ip, whoever holds it; absence is success. */
int store_release_ip(struct store *s, const struct ipaddr *ip,
		     struct cni_err *err);
/*
 * Keep @note (brisk's attachment record) beside the leases id/ifname holds
 * now, replacing an older one. Best effort: a note is never required.
 */
void store_note(struct store *s, const char *id, const char *ifname,
		const char *note);

/* last_reserved_ip.<set>: family 0 when absent or garbled (lease.h). */
int store_last_reserved(struct store *s, int set, struct ipaddr *ret,
			struct cni_err *err);
/*
 * The first address of lo..hi (one family) worth trying: no lease, or an
 * empty one. A candidate only: store_reserve is the test-and-set.
 */
int store_next_free(struct store *s, const struct ipaddr *lo,
		    const struct ipaddr *hi, struct ipaddr *ret,
		    bool *ret_found, struct cni_err *err);
/*
 * Before concluding that nothing is free: catch up with the files, unless
 * that was done in this call already. *ret_again: search once more.
 */
int store_recheck(struct store *s, bool *ret_again, struct cni_err *err);

/* One lease, as store_list shows it (borrowed strings). */
struct store_lease {
	struct ipaddr ip;
	const char *id;
	const char *ifname; /* "" for an ID-only lease */
	const char *note; /* the note kept for this very file, or NULL */
	int64_t mtime; /* the lease file's, in seconds */
};

typedef int (*store_list_fn)(const struct store_lease *l, void *data,
			     struct cni_err *err);
/*
 * Visit every lease that has an owner, after catching up with the files.
 * A negative return of @fn stops. @fn must not change the store.
 */
int store_list(struct store *s, store_list_fn fn, void *data,
	       struct cni_err *err);

#endif
