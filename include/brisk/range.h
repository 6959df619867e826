/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_RANGE_H
#define BRISK_RANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "brisk/err.h"
#include "brisk/ipnet.h"

/* One host-local range: a subnet and the part of it to hand out. */
struct ipam_range {
	struct ipnet subnet;
	struct ipaddr start; /* family 0 until canonicalised */
	struct ipaddr end;
	struct ipaddr gw; /* family 0 when none */
};

#define RANGESET_MAX 16

/* A range set: the ranges one address is taken from (one family). */
struct ipam_rangeset {
	size_t n;
	struct ipam_range r[RANGESET_MAX];
};

/*
 * Fill defaults and validate as host-local does: the subnet is a network
 * address with at least two host bits; start defaults to network+1, end to
 * the last address (broadcast-1 for IPv4), gateway to network+1 (host-local
 * does not default it, but the bridge does, so callers choose with
 * @default_gw); start/end/gw inside the subnet and start <= end.
 * Code 7 naming @key (e.g. "ipam.ranges[0][1]").
 */
int range_canonicalize(struct ipam_range *r, bool default_gw, const char *key,
		       struct cni_err *err);
/* Validate a set: one family, ranges pairwise disjoint. Code 7. */
int rangeset_validate(const struct ipam_rangeset *s, const char *key,
		      struct cni_err *err);
/* True when two sets share any address. */
bool rangeset_overlaps(const struct ipam_rangeset *a,
		       const struct ipam_rangeset *b);
/* Index of the range of @s holding @ip (start..end), or -1. */
int rangeset_find(const struct ipam_rangeset *s, const struct ipaddr *ip);

/*
 * Round-robin iteration as host-local does it: starting after @last (or at
 * the first range's start when @last is not in the set), visit every
 * address once, skipping each range's gateway, wrapping around.
 */
struct rangeset_iter {
	const struct ipam_rangeset *set;
	int ri; /* current range */
	struct ipaddr cur;
	int start_ri;
	struct ipaddr start; /* first address returned */
	bool started;
	bool done;
};

void rangeset_iter_init(struct rangeset_iter *it, const struct ipam_rangeset *s,
			const struct ipaddr *last);
/* Next candidate into *ret (and its range index); false when exhausted. */
bool rangeset_iter_next(struct rangeset_iter *it, struct ipaddr *ret,
			int *ret_range);

#endif
