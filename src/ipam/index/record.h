/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_INDEX_RECORD_H
#define BRISK_INDEX_RECORD_H

/*
 * Owner records, private to the index: who holds which lease. One file
 * holds the owners whose container ID hashes to it, in one format with
 * one parser (rec_parse) and one writer (rec_format):
 *
 *   brisk-owners 2
 *   O <is_old> <id length> <ifname length> <leases> <note length>
 *   <id>
 *   <ifname>
 *   <note>                                       (only when its length > 0)
 *   A <lease file name> <ino> <mtime s> <mtime ns> <size> <attested>
 *
 * then, after the last owner, any number of '\n': a rewrite never shrinks a
 * file (it pads instead), so one pwrite() replaces it whole. Strings are
 * length-prefixed: an ID, ifname or note may hold any byte but NUL.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brisk/ipnet.h"

#define REC_FILES 1024
#define REC_STR_MAX 8192 /* longest id, ifname or note read back */

struct rec_lease {
	char name[IPADDR_STRLEN];
	uint64_t ino;
	int64_t sec;
	int64_t nsec;
	int64_t size;
	bool attested; /* the note was written for this very file */
	bool seen; /* in memory only: found unchanged by a sync */
};

struct rec_owner {
	char *id;
	char *ifname; /* "" for an ID-only lease */
	char *note; /* NULL when none */
	bool is_old;
	size_t n;
	size_t cap;
	struct rec_lease *l;
};

struct rec_file {
	size_t n;
	size_t cap;
	struct rec_owner *o;
};

/* Which of the REC_FILES files holds the owners of container @id. */
unsigned int rec_key(const char *id);
/* Append the owners of @buf (NUL-terminated at @len) to @f. -EBADMSG. */
int rec_parse(const char *buf, size_t len, struct rec_file *f);
/* @f as a file of at least @pad_to bytes (malloc'ed); NULL on ENOMEM. */
char *rec_format(const struct rec_file *f, size_t pad_to, size_t *ret_len);
/* Owner id/ifname/is_old of @f (made when @create). NULL: none, ENOMEM. */
struct rec_owner *rec_owner(struct rec_file *f, const char *id,
			    const char *ifname, bool is_old, bool create);
/* The lease @name of @o (added when missing). NULL on ENOMEM. */
struct rec_lease *rec_lease(struct rec_owner *o, const char *name);
/* Remove lease @name of @o; false when it holds none. */
bool rec_unlease(struct rec_owner *o, const char *name);
/* Drop the owners of @f left without a lease. */
void rec_prune(struct rec_file *f);
void rec_clear(struct rec_file *f);

#endif
