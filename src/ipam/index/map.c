// SPDX-License-Identifier: Apache-2.0
/* The index's bitmaps of taken addresses (see map.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/fsopen.h"
#include "brisk/grow.h"
#include "map.h"

#define MAP_BYTES (MAP_WORDS * 8)

/* The bit of @ip in its chunk: its lowest 16 bits. */
static unsigned int map_bit(const struct ipaddr *ip)
{
	size_t len = ipaddr_len(ip->family);

	return (unsigned int)ip->b[len - 2] << 8 | ip->b[len - 1];
}

/* The first address of the chunk holding @ip. */
static struct ipaddr map_key(const struct ipaddr *ip)
{
	struct ipaddr k = *ip;
	size_t len = ipaddr_len(ip->family);

	k.b[len - 2] = k.b[len - 1] = 0;
	return k;
}

static void map_name(const struct ipaddr *key, char ret[40])
{
	size_t len = ipaddr_len(key->family) - 2;
	int n = snprintf(ret, 40, "%c-", key->family == AF_INET ? '4' : '6');

	for (size_t i = 0; i < len; i++)
		n += snprintf(ret + n, (size_t)(40 - n), "%02x", key->b[i]);
}

static int map_load(struct map *m, struct map_chunk *c)
{
	char name[40];
	ssize_t n;

	if (m->dirfd < 0 || m->fresh)
		return 0;
	map_name(&c->key, name);
	c->fd = fsopen_file(m->dirfd, name, O_RDWR, NULL);
	if (c->fd < 0)
		return c->fd == -ENOENT ? 0 : c->fd;
	n = pread(c->fd, c->bits, MAP_BYTES, 0);
	return n == MAP_BYTES ? 0 : -EBADMSG;
}

/* The chunk holding @ip, loaded once per call. NULL and errno on failure. */
static struct map_chunk *map_chunk(struct map *m, const struct ipaddr *ip)
{
	struct ipaddr key = map_key(ip);
	struct map_chunk *c;
	int r;

	for (size_t i = 0; i < m->n; i++)
		if (ipaddr_eq(&m->c[i]->key, &key))
			return m->c[i];
	if (GROW_ONE(m->c, m->cap, m->n, 4) < 0 ||
	    !(c = calloc(1, sizeof(*c)))) {
		errno = ENOMEM;
		return NULL;
	}
	c->key = key;
	c->fd = -1;
	r = map_load(m, c);
	if (r < 0) {
		cleanup_closep(&c->fd);
		free(c);
		errno = -r;
		return NULL;
	}
	m->c[m->n++] = c;
	return c;
}

int map_set(struct map *m, const struct ipaddr *ip, bool on)
{
	struct map_chunk *c = map_chunk(m, ip);
	unsigned int bit = map_bit(ip), w = bit / 64;
	uint64_t mask = 1ULL << (bit % 64);

	if (!c)
		return -errno;
	if (!!(c->bits[w] & mask) == on)
		return 0;
	c->bits[w] ^= mask;
	c->dirty = true;
	return 0;
}

bool map_get(struct map *m, const struct ipaddr *ip)
{
	struct map_chunk *c = map_chunk(m, ip);
	unsigned int bit = map_bit(ip);

	return !c || (c->bits[bit / 64] >> (bit % 64) & 1);
}

/* The first clear bit of @bits in from..to (inclusive), or -1. */
static int map_first_clear(const uint64_t *bits, unsigned int from,
			   unsigned int to)
{
	for (unsigned int w = from / 64; w <= to / 64; w++) {
		uint64_t clear = ~bits[w];

		if (w == from / 64)
			clear &= ~0ULL << (from % 64);
		if (w == to / 64 && to % 64 != 63)
			clear &= (1ULL << (to % 64 + 1)) - 1;
		if (clear)
			return (int)(w * 64 +
				     (unsigned int)__builtin_ctzll(clear));
	}
	return -1;
}

int map_find(struct map *m, const struct ipaddr *lo, const struct ipaddr *hi,
	     struct ipaddr *ret, bool *ret_found)
{
	size_t len = ipaddr_len(lo->family);
	struct ipaddr cur = *lo;

	*ret_found = false;
	for (;;) {
		struct ipaddr key = map_key(&cur), hkey = map_key(hi);
		bool is_last = ipaddr_eq(&key, &hkey);
		struct map_chunk *c = map_chunk(m, &cur);
		int pos;

		if (!c)
			return -errno;
		pos = map_first_clear(c->bits, map_bit(&cur),
				      is_last ? map_bit(hi) : MAP_BITS - 1);
		if (pos >= 0) {
			*ret = key;
			ret->b[len - 2] = (uint8_t)(pos >> 8);
			ret->b[len - 1] = (uint8_t)pos;
			*ret_found = true;
			return 0;
		}
		if (is_last)
			return 0;
		/* The next chunk: cur is below hi, so this cannot wrap. */
		cur = key;
		for (size_t i = len - 2; i-- > 0 && ++cur.b[i] == 0;)
			;
	}
}

void map_reset(struct map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		memset(m->c[i]->bits, 0, MAP_BYTES);
		m->c[i]->dirty = true;
	}
	m->fresh = true;
}

/*
 * Write @c whole when it changed. One left empty keeps its file: creating
 * a file costs more than the rest of a lease's writes (ext4), and ADD and
 * DEL of the only container on a network would otherwise pay it each time.
 */
static int map_write_one(struct map *m, struct map_chunk *c)
{
	char name[40];
	ssize_t n;

	if (!c->dirty)
		return 0;
	map_name(&c->key, name);
	if (c->fd < 0)
		c->fd = fsopen_file(m->dirfd, name, O_RDWR | O_CREAT, NULL);
	if (c->fd < 0)
		return c->fd;
	n = pwrite(c->fd, c->bits, MAP_BYTES, 0);
	return n == MAP_BYTES ? 0 : -EIO;
}

int map_write(struct map *m)
{
	int r = 0;

	for (size_t i = 0; m->dirfd >= 0 && i < m->n; i++)
		r = map_write_one(m, m->c[i]) ?: r;
	return r;
}

bool map_owns(const struct map *m, const char *name, bool *ret_keep)
{
	char have[40];

	*ret_keep = false;
	if ((name[0] != '4' && name[0] != '6') || name[1] != '-')
		return false;
	for (size_t i = 0; i < m->n; i++) {
		map_name(&m->c[i]->key, have);
		*ret_keep |= strcmp(have, name) == 0;
	}
	return true;
}

void map_free(struct map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		cleanup_closep(&m->c[i]->fd);
		free(m->c[i]);
	}
	free(m->c);
	memset(m, 0, sizeof(*m));
	m->dirfd = -1;
}
