/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_INDEX_MAP_H
#define BRISK_INDEX_MAP_H

/*
 * The index's bitmaps of taken addresses, private to the index: one per
 * 65,536 addresses (an IPv4 /16, an IPv6 /112), each a file of 8 KiB named
 * 4-<the 2 bytes above those> or 6-<the 14 bytes>. No file: none taken.
 */
#include <stdbool.h>
#include <stdint.h>

#include "brisk/ipnet.h"

#define MAP_BITS 65536
#define MAP_WORDS (MAP_BITS / 64)

struct map_chunk {
	struct ipaddr key; /* the first address it covers */
	int fd; /* its file, -1 while there is none */
	bool dirty; /* changed in memory: written whole at the end */
	uint64_t bits[MAP_WORDS];
};

struct map {
	int dirfd; /* where the files are; -1 to keep them in memory only */
	bool fresh; /* rebuilt in memory: no file is read, all are rewritten */
	size_t n;
	size_t cap;
	struct map_chunk **c;
};

int map_set(struct map *m, const struct ipaddr *ip, bool on);
/* Whether @ip's bit is set (true when it cannot be read). */
bool map_get(struct map *m, const struct ipaddr *ip);
/* The first address of lo..hi (one family) whose bit is clear. */
int map_find(struct map *m, const struct ipaddr *lo, const struct ipaddr *hi,
	     struct ipaddr *ret, bool *ret_found);
/* Forget everything: from now on the bitmaps are rebuilt in memory. */
void map_reset(struct map *m);
/* Write what changed (a bitmap left empty keeps its file). */
int map_write(struct map *m);
/* Whether the index file @name is a bitmap; *ret_keep: one held in memory. */
bool map_owns(const struct map *m, const char *name, bool *ret_keep);
void map_free(struct map *m);

#endif
