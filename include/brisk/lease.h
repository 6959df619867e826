/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_LEASE_H
#define BRISK_LEASE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "brisk/err.h"
#include "brisk/ipnet.h"
#include "brisk/meta.h"

/*
 * The on-disk lease store, byte-compatible with host-local:
 *   <dataDir>/<network>/<ip>                 "<containerID>\r\n<ifname>"
 *   <dataDir>/<network>/last_reserved_ip.<N> the last address given in set N
 *   <dataDir>/<network>/lock                 flock'ed exclusively by writers
 * Every file is opened relative to the network directory with O_NOFOLLOW.
 *
 * Under the lock brisk also keeps an index of its own in
 * <dataDir>/.brisk/<network>/ (see src/ipam/index.h): who holds which
 * lease, which IPv4 addresses are taken, and what each ADD recorded to
 * judge its lease stale later. It is a hint, checked against the lease
 * files and rebuilt whenever anyone (host-local included) changed the
 * store behind it; without the lock, or when it cannot be used, every
 * function falls back to reading the lease files.
 */
struct lease_index;

struct lease_store {
	int dirfd; /* the network's directory */
	int lockfd; /* -1 until lease_store_lock */
	int datafd; /* dataDir, where brisk's index lives */
	struct lease_index *idx; /* NULL until lease_store_lock */
	char path[PATH_MAX]; /* the network's directory, for messages */
};

/* A store that holds nothing yet: safe to pass to lease_store_close. */
#define LEASE_STORE_INIT { .dirfd = -1, .lockfd = -1, .datafd = -1 }

/* Max leases one container+ifname can hold in one network (one per set). */
#define LEASE_MAX_PER_ID 16

/*
 * Open (creating 0755 directories as needed) <data_dir>/<network>. The
 * network name must already be validated. Code 5 (IO) when the directory
 * cannot be made, or when data_dir or the network dir is a symlink.
 */
int lease_store_open(const char *data_dir, const char *network,
		     struct lease_store *ret, struct cni_err *err);
/* Take the exclusive lock, waiting at most @timeout_ms; code 11 past it. */
int lease_store_lock(struct lease_store *s, int timeout_ms,
		     struct cni_err *err);
/* Release the lock (if held) and close everything. Accepts a closed store. */
void lease_store_close(struct lease_store *s);

/*
 * Reserve @ip for id/ifname: the lease appears atomically (written to a
 * temporary file, then link()ed into place). *ret_ok is false when the
 * address is already taken. Also records @ip as last_reserved_ip.<set>.
 */
int lease_reserve(struct lease_store *s, const struct ipaddr *ip,
		  const char *id, const char *ifname, int set, bool *ret_ok,
		  struct cni_err *err);
/* True in *ret when a lease file for @ip exists. */
int lease_exists(struct lease_store *s, const struct ipaddr *ip, bool *ret,
		 struct cni_err *err);
/* Remove the lease of @ip (absent is success). */
int lease_release_ip(struct lease_store *s, const struct ipaddr *ip,
		     struct cni_err *err);
/*
 * Find the addresses leased to id/ifname (a file holding only "<id>", the
 * oldest host-local format, matches any ifname). Up to @max in @ret.
 */
int lease_find_by_id(struct lease_store *s, const char *id, const char *ifname,
		     struct ipaddr *ret, size_t max, size_t *ret_n,
		     struct cni_err *err);
/* Remove every lease of id/ifname; absence is success. */
int lease_release_by_id(struct lease_store *s, const char *id,
			const char *ifname, struct cni_err *err);
/* Called by lease_list for each lease: its address, owner and ifname. */
typedef int (*lease_list_fn)(const struct ipaddr *ip, const char *id,
			     const char *ifname, void *data,
			     struct cni_err *err);
/*
 * Visit every lease of the store. An unreadable or empty file is passed
 * with id "" so the caller can decide; a negative callback return stops.
 */
int lease_list(struct lease_store *s, lease_list_fn fn, void *data,
	       struct cni_err *err);

/* last_reserved_ip.<set>: *ret family 0 when absent or unreadable. */
int lease_last_reserved(struct lease_store *s, int set, struct ipaddr *ret,
			struct cni_err *err);

/*
 * The first address of @lo..@hi (one family, lo <= hi) worth trying: no
 * lease file, or an empty one (lease_reserve recovers those). A candidate
 * only; lease_reserve is the test-and-set. Answered from the index's
 * bitmap for IPv4 under the lock, else by probing the files (and, past a
 * few hundred taken addresses in a row, from one listing of the store).
 */
int lease_next_free(struct lease_store *s, const struct ipaddr *lo,
		    const struct ipaddr *hi, struct ipaddr *ret,
		    bool *ret_found, struct cni_err *err);
/*
 * Before concluding that nothing is free: when an index bitmap answered
 * during this lock hold, rebuild the index from the files (at most once).
 * *ret_again is true when a new search may now find more.
 */
void lease_recheck(struct lease_store *s, bool *ret_again);

/*
 * Record, beside the leases of id/ifname, the attachment @m of the ADD
 * that holds them (replacing an older record). Best effort and under the
 * lock: without a usable index nothing is recorded.
 */
void lease_note_owner(struct lease_store *s, const char *id,
		      const char *ifname, const struct meta_attach *m);

/* One attachment record and the leases it still describes. */
struct lease_owner {
	const char *id;
	const char *ifname;
	const struct meta_attach *meta;
	size_t n;
	const struct ipaddr *ips;
};

typedef int (*lease_owner_fn)(const struct lease_owner *o, void *data,
			      struct cni_err *err);
/*
 * Visit every owner with an attachment record, passing only the leases
 * whose files are still exactly the ones the record was made for (same
 * content, inode, mtime and size); owners left with none are skipped.
 * Under the lock; visits nothing without a usable index. The callback
 * must not change the store (collect, then act).
 */
int lease_owner_walk(struct lease_store *s, lease_owner_fn fn, void *data,
		     struct cni_err *err);

#endif
