/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_IPAM_INDEX_H
#define BRISK_IPAM_INDEX_H

/*
 * brisk's own index of a lease store; private to src/ipam. It lives in
 * <dataDir>/.brisk/<network>/, never in the store (host-local never sees it;
 * a network name cannot start with a dot):
 *
 *   index         header: generation N, boot id, the store directory's
 *                 st_dev/st_ino and ctime
 *   ids/<hash>    owner records, by a hash of (kind, id, ifname): each
 *                 owner's lease file names with the stamp (inode, mtime,
 *                 size) of each, and its attachment record (meta)
 *   map/4-<hex>   one bitmap per IPv4 /16 holding leases (8 KiB): bit set
 *                 when the address's lease file exists and is not empty
 *
 * It is a hint. It is valid only when the store directory's mtime is the
 * sentinel of N (a time no clock produces) and its ctime, identity and the
 * boot id are the header's. Any create or unlink in the store (host-local's
 * included) sets the mtime to "now", so the next call rebuilds; so does a
 * crash (brisk sets the mtime to "now" before its first change and to the
 * sentinel only after all of them) and a reboot (files not fsync'ed). Every
 * answer is checked against the lease files before it is acted on.
 */

#include <stdbool.h>
#include <stdint.h>

#include "brisk/grow.h"
#include "brisk/ipnet.h"
#include "brisk/lease.h"
#include "brisk/meta.h"

/* What identifies one version of a lease file. */
struct lease_stamp {
	uint64_t ino;
	int64_t sec;
	int64_t nsec;
	int64_t size;
};

struct index_addr {
	char name[IPADDR_STRLEN]; /* the lease file's name */
	struct lease_stamp st;
	bool attested; /* the owner's meta describes this very file */
};

struct index_owner {
	char *id;
	char *ifname; /* "" for an id-only (oldest host-local) lease */
	bool is_old;
	bool has_meta;
	struct meta_attach meta;
	size_t n;
	size_t cap;
	struct index_addr *addrs;
};

struct index_bucket {
	size_t n;
	size_t cap;
	struct index_owner *o;
};

#define INDEX_CHUNK_BITS 65536
#define INDEX_CHUNK_WORDS (INDEX_CHUNK_BITS / 64)

struct index_chunk {
	uint8_t key[2]; /* the /16 */
	int fd; /* -1 while the file does not exist */
	uint64_t bits[INDEX_CHUNK_WORDS];
};

enum index_state {
	INDEX_OFF, /* unusable for the rest of this call: scan instead */
	INDEX_STALE, /* to be rebuilt before use */
	INDEX_VALID,
};

struct lease_index {
	enum index_state state;
	int fd; /* .brisk/<network> */
	int idsfd; /* ids/, -1 until needed */
	int mapfd; /* map/, -1 until needed */
	bool dirty; /* the store mtime was set to "now": commit at close */
	bool rebuilt; /* rebuilt during this lock hold */
	bool used_map; /* a bitmap answered a free-address search */
	/*
	 * Some lease was in host-local's oldest, id-only format at the last
	 * rebuild. brisk never writes one, so while false none can exist
	 * (another writer's lease means a rebuild) and lookups skip them.
	 */
	bool has_old;
	uint64_t gen;
	char boot[META_BOOT_ID_LEN];
	size_t n_chunks;
	struct index_chunk **chunks;
	/* Sorted addresses seen taken by the search without bitmap. */
	struct ipaddr *used;
	size_t n_used;
	int used_family; /* 0 while not built */
};

/*
 * Owner records are spread over 1024 files by a 10-bit hash: a store of
 * 60,000 owners keeps about 60 per file (one read of ~6 KiB per lookup),
 * and a first build makes at most 1024 files, not one per owner (creating
 * files is what a first build spends most on).
 */
#define INDEX_NAME_LEN 4 /* 3 hex digits and the NUL */
#define BUCKET_MAGIC "brisk-owners 1\n"
#define BUCKET_STR_MAX 8192 /* longest id, ifname or netns path read back */
#define BUCKET_ADDRS_MAX 65536

/* Open the index of a locked store (s->idx); never fails (state OFF). */
void index_open(struct lease_store *s);
/* Commit (when valid and changed) and free s->idx. Under the lock. */
void index_close(struct lease_store *s);
/* True when the index can answer now; rebuilds a stale one (once). */
bool index_ready(struct lease_store *s);
/* Before any change to the store or the index: mark the index invalid. */
void index_touch(struct lease_store *s);
/* The index disagrees with the store: rebuild before the next use. */
void index_invalidate(struct lease_store *s, const char *why);
/* Rebuild from the lease files (index_rebuild.c). 0 or negative errno. */
int index_rebuild(struct lease_store *s);

/* Open (making it when @create) a subdirectory of the index, no symlink. */
int index_subdir(struct lease_store *s, const char *name, bool create);
/*
 * Replace the content of @name under @dirfd with @buf, in place: open
 * without O_TRUNC, write, then cut to @len. A truncation to zero or a
 * rename over a file makes ext4 (auto_da_alloc) start writeback on close,
 * which cost more than the rest of an ADD's file work together. Callers
 * hold the store lock; a crash half way is caught like any other.
 */
int index_write_file(int dirfd, const char *name, const void *buf, size_t len);

/* Bitmaps (IPv4 only). */
int index_map_set(struct lease_store *s, const struct ipaddr *ip, bool on);
/* First address of lo..hi whose bit is clear; *ret_found false if none. */
int index_map_find(struct lease_store *s, const struct ipaddr *lo,
		   const struct ipaddr *hi, struct ipaddr *ret,
		   bool *ret_found);
/* Write a whole chunk (rebuild). */
int index_map_write(struct lease_store *s, const uint8_t key[2],
		    const uint64_t *bits);

/* Owner records. */
void index_key(const char *id, const char *ifname, bool is_old,
	       char ret[INDEX_NAME_LEN]);
/* Load bucket @name (empty when absent). -EBADMSG when corrupt. */
int index_bucket_load(struct lease_store *s, const char *name,
		      struct index_bucket *ret);
/* Replace bucket @name with @b (removed when empty). */
int index_bucket_store(struct lease_store *s, const char *name,
		       const struct index_bucket *b);
void index_bucket_free(struct index_bucket *b);
struct index_owner *index_bucket_find(struct index_bucket *b, const char *id,
				      const char *ifname, bool is_old);
/* Append a new owner (copies the strings). NULL on ENOMEM. */
struct index_owner *index_bucket_add(struct index_bucket *b, const char *id,
				     const char *ifname, bool is_old);
/* Set or add the address @name of @o. -ENOMEM. */
int index_owner_put(struct index_owner *o, const char *name,
		    const struct lease_stamp *st, bool attested);
/* Remove the address @name of @o; false when it held none. */
bool index_owner_del(struct index_owner *o, const char *name);
void index_owner_clear(struct index_owner *o);

/*
 * One owner without reading the others: where its record lies in a file.
 */
struct index_slot {
	size_t start;
	size_t end;
};

/* Record file @name whole into *ret (NULL, 0 when absent). */
int index_raw_load(struct lease_store *s, const char *name, char **ret,
		   size_t *ret_len);
/* Replace record file @name by @buf (removed when @len is 0). */
int index_raw_store(struct lease_store *s, const char *name, const char *buf,
		    size_t len);
/*
 * Find owner id/ifname/is_old in record file @buf: parsed into @ret (a new
 * empty owner when absent), its bytes in *ret_slot (the end when absent).
 * The others are only skipped. -EBADMSG when the file is damaged.
 */
int index_raw_find(const char *buf, size_t len, const char *id,
		   const char *ifname, bool is_old, struct index_owner *ret,
		   struct index_slot *ret_slot, bool *ret_found);
/* @buf with @slot replaced by @o (dropped when it holds no lease); *ret_len
 * is 0 when no owner is left. NULL on ENOMEM. */
char *index_raw_splice(const char *buf, size_t len,
		       const struct index_slot *slot,
		       const struct index_owner *o, size_t *ret_len);

/* Serialize / parse a bucket (rebuild compares bytes). */
char *index_bucket_format(const struct index_bucket *b, size_t *ret_len);
int index_bucket_parse(const char *buf, size_t len, struct index_bucket *ret);

#endif
