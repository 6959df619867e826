/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_IPAM_LEASE_INT_H
#define BRISK_IPAM_LEASE_INT_H

/* What lease.c, lease_index.c and index_rebuild.c share; private. */

#include <stdbool.h>

#include "brisk/lease.h"
#include "index.h"

#define LEASE_LINE_BREAK "\r\n"
/* Larger than any lease host-local or brisk writes (id + ifname). */
#define LEASE_READ_MAX 4096
/* Temporary files start with a dot: never a valid address, so no scan
 * (ours or host-local's) takes one for a lease. */
#define LEASE_TMP_PREFIX ".tmp."
/* An ID (1024 bytes), a line break and an ifname, with room to spare. */
#define LEASE_GARBAGE_MAX 2048

enum lease_match {
	LEASE_MATCH_NONE,
	LEASE_MATCH_NEW,
	LEASE_MATCH_OLD
};

/*
 * Read lease file @name into @buf (trimmed as host-local's TrimSpace does,
 * NUL-terminated) and, when @ret_st is not NULL, its stamp. False when it
 * is no regular file, cannot be read, or is too large to be a lease.
 */
bool lease_read_file(struct lease_store *s, const char *name, char *buf,
		     size_t size, struct lease_stamp *ret_st);
/* The stamp of an open file. 0 or -errno. */
int lease_fstamp(int fd, struct lease_stamp *ret);
bool lease_stamp_eq(const struct lease_stamp *a, const struct lease_stamp *b);
/* How trimmed @content matches id/ifname, exactly as host-local does. */
enum lease_match lease_match(const char *content, const char *id,
			     const char *ifname);
/* Split "<id>\r\n<ifname>" in place: returns the ifname ("" and
 * *ret_is_old true for the oldest, id-only format). */
const char *lease_split(char *content, bool *ret_is_old);
/* @name parsed into @ret; true when it is the address's canonical text. */
bool lease_name_canonical(const char *name, struct ipaddr *ret);

/*
 * Remove lease @name and tell the index, naming its owner when known (id
 * NULL: it had none). 1 when removed, 0 when it was not there, or -errno.
 */
int lease_unlink(struct lease_store *s, const char *name,
		 const struct ipaddr *ip, const char *id, const char *ifname,
		 bool is_old);

/* Index hooks (lease_index.c); each is a no-op without a valid index. */

/* A lease of id/ifname was just linked into place under @name. */
void lease_idx_reserved(struct lease_store *s, const char *name,
			const struct ipaddr *ip, const char *id,
			const char *ifname, const struct lease_stamp *st);
/* link() met an existing, non-empty file at @ip. */
void lease_idx_taken(struct lease_store *s, const struct ipaddr *ip);
/* Lease @name was removed; its owner when known (id NULL: none). */
void lease_idx_released(struct lease_store *s, const char *name,
			const struct ipaddr *ip, const char *id,
			const char *ifname, bool is_old);

/* Addresses were released: forget what the last free search saw taken. */
void lease_idx_forget_free(struct lease_store *s);

/* One lease found for an owner, verified against its file. */
struct lease_hit {
	char name[IPADDR_STRLEN];
	struct ipaddr ip;
	enum lease_match m;
};

/*
 * The leases of id/ifname (both formats) from the index, each verified
 * against its file: a malloc'ed array in *ret (caller frees). False when
 * the index cannot answer: the caller reads the files instead.
 */
bool lease_idx_find(struct lease_store *s, const char *id, const char *ifname,
		    struct lease_hit **ret, size_t *ret_n);

#endif
