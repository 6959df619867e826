/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_INDEX_H
#define BRISK_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "brisk/ipnet.h"

/*
 * brisk's own index of one lease store, in <dataDir>/.brisk/<network>/
 * (0700, files 0600) where host-local never looks: a header "index",
 * owner records "o-*" (record.h), bitmaps of taken addresses "4-*" and
 * "6-*" (map.h) and an empty "spare"; beside it the store's spare "lease"
 * (lease.h). Anything else there is not the index's. It is a hint,
 * valid only while the store directory's mtime is the sentinel of the
 * header's generation (in the first second of 1970, which no clock shows)
 * and the directory's ctime and identity and the boot id are the header's:
 * a create or unlink in the store sets its mtime to now. Every file is
 * replaced by one write and the header is written last, so a crash leaves
 * the index exact or stale. Of a lease file it knows what its caller said.
 */
struct index;

enum index_state {
	INDEX_OFF, /* no usable files: held in memory for this call only */
	INDEX_STALE, /* the store changed since the last commit */
	INDEX_VALID,
};

/* A lease of an owner as recorded: its name and the stat it had then. */
struct index_hit {
	char name[IPADDR_STRLEN];
	bool is_old; /* an ID-only lease (host-local's oldest format) */
	bool attested; /* the owner's note was written for this very file */
	struct stat st; /* st_ino, st_mtim and st_size only */
};

/* @a and @b describe the very same file: inode, mtime and size. */
static inline bool index_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* /proc/sys/kernel/random/boot_id: 36 characters and the NUL. */
#define INDEX_BOOT_LEN 37

/*
 * Open the index of network @net under dataDir @datafd, judged against the
 * store directory @storefd (locked). Without usable files it is OFF, in
 * memory for this call only. NULL only when out of memory.
 */
struct index *index_open(int datafd, const char *net, int storefd);
enum index_state index_state(const struct index *x);
/* The index's directory (-1 when OFF): the store keeps its spare lease
 * there ("lease"), on the lease store's own filesystem. */
int index_dirfd(const struct index *x);
/* The current boot id, "" when unknown. */
const char *index_boot(const struct index *x);
/*
 * Make an empty file for the next new record file to take, if there is
 * none: a file creation costs more than the rest of a lease's writes
 * (ext4), so a DEL, whose time the kernel's veth teardown dominates, makes
 * it, and the ADD of a new container, waited for by a pod, only renames it.
 */
void index_spare(struct index *x);
/*
 * Write what changed and free @x. @store_changed: the caller changed the
 * store directory in this call; the header is then committed, after every
 * other file, so that a crash half way leaves the index stale.
 */
void index_close(struct index *x, int storefd, bool store_changed);

/*
 * The leases recorded for owner id/ifname, ID-only ones of @id included:
 * a malloc'ed array in *ret. -EBADMSG when a record is damaged.
 */
int index_find(struct index *x, const char *id, const char *ifname,
	       struct index_hit **ret, size_t *ret_n);
/* Record lease @name (with its stat) for owner id/ifname. */
int index_put(struct index *x, const char *id, const char *ifname, bool is_old,
	      const char *name, const struct stat *st);
/* Forget lease @name of owner id/ifname; an owner left with none goes. */
int index_del(struct index *x, const char *id, const char *ifname, bool is_old,
	      const char *name);
/* Give owner id/ifname @note, attesting its leases. -ENOENT: it has none. */
int index_note(struct index *x, const char *id, const char *ifname,
	       const char *note);

/* The bitmaps: @ip's lease file exists and is not empty. */
int index_mark(struct index *x, const struct ipaddr *ip, bool taken);
bool index_is_taken(struct index *x, const struct ipaddr *ip);
/* The first address of lo..hi (one family) whose bit is clear. */
int index_next_free(struct index *x, const struct ipaddr *lo,
		    const struct ipaddr *hi, struct ipaddr *ret,
		    bool *ret_found);

/*
 * Catching up with the store: begin (every record loaded, every bitmap
 * cleared); for each lease file keep what is recorded when it is the same
 * file (index_sync_keep), and mark the taken addresses; end drops every
 * lease not kept. What is new is index_put after the end. The index is then
 * exact and committed by index_close (never after an end with !@ok).
 */
int index_sync_begin(struct index *x);
bool index_sync_known(struct index *x, const char *name);
bool index_sync_keep(struct index *x, const char *name, const struct stat *st);
void index_sync_end(struct index *x, bool ok);

/* Called for each lease by index_walk; a negative return stops. */
typedef int (*index_walk_fn)(const char *id, const char *ifname,
			     const char *note, const struct index_hit *h,
			     void *data);
/* Visit every lease held in memory (all of them after a sync). */
int index_walk(struct index *x, index_walk_fn fn, void *data);

#endif
