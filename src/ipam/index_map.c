// SPDX-License-Identifier: Apache-2.0
/* The index's IPv4 bitmaps: one 8 KiB file per /16 that holds leases. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/fsopen.h"
#include "index.h"

#define INDEX_CHUNK_BYTES (INDEX_CHUNK_WORDS * 8)

static void index_chunk_name(const uint8_t key[2], char ret[16])
{
	snprintf(ret, 16, "4-%02x%02x", key[0], key[1]);
}

static int index_chunk_read(struct index_chunk *c)
{
	struct stat st;
	size_t got = 0;

	if (fstat(c->fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != INDEX_CHUNK_BYTES)
		return -EBADMSG;
	while (got < INDEX_CHUNK_BYTES) {
		ssize_t n = pread(c->fd, (char *)c->bits + got,
				  INDEX_CHUNK_BYTES - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EBADMSG;
		got += (size_t)n;
	}
	return 0;
}

/* The chunk of the /16 @key, loaded once per call; NULL on failure. */
static struct index_chunk *index_chunk_get(struct lease_store *s,
					   const uint8_t key[2])
{
	struct lease_index *x = s->idx;
	struct index_chunk *c, **grown;
	char name[16];
	int mapfd;

	for (size_t i = 0; i < x->n_chunks; i++)
		if (memcmp(x->chunks[i]->key, key, 2) == 0)
			return x->chunks[i];
	mapfd = index_subdir(s, "map", false);
	if (mapfd < 0)
		return NULL;
	grown = realloc(x->chunks, (x->n_chunks + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	x->chunks = grown;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	memcpy(c->key, key, 2);
	index_chunk_name(key, name);
	c->fd = openat(mapfd, name,
		       O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if ((c->fd < 0 && errno != ENOENT) ||
	    (c->fd >= 0 && fsopen_check_regular(c->fd, NULL) < 0) ||
	    (c->fd >= 0 && index_chunk_read(c) < 0)) {
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	x->chunks[x->n_chunks++] = c;
	return c;
}

static int index_write_at(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

int index_map_set(struct lease_store *s, const struct ipaddr *ip, bool on)
{
	unsigned int bit = (unsigned int)ip->b[2] << 8 | ip->b[3];
	uint64_t mask = 1ULL << (bit % 64), *w;
	struct index_chunk *c;
	char name[16];
	int r;

	if (ip->family != AF_INET)
		return 0;
	c = index_chunk_get(s, ip->b);
	if (!c) {
		index_invalidate(s, "cannot read a bitmap");
		return -EIO;
	}
	w = &c->bits[bit / 64];
	if (!!(*w & mask) == on)
		return 0;
	*w = on ? *w | mask : *w & ~mask;
	if (c->fd >= 0) {
		r = index_write_at(c->fd, w, sizeof(*w), (off_t)(bit / 64 * 8));
	} else {
		index_chunk_name(c->key, name);
		c->fd = openat(s->idx->mapfd, name,
			       O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
				       O_CLOEXEC,
			       0644);
		r = c->fd < 0 ? -errno :
				index_write_at(c->fd, c->bits,
					       INDEX_CHUNK_BYTES, 0);
	}
	if (r < 0)
		index_invalidate(s, "cannot write a bitmap");
	return r;
}

int index_map_write(struct lease_store *s, const uint8_t key[2],
		    const uint64_t *bits)
{
	char name[16];
	int mapfd = index_subdir(s, "map", true);

	if (mapfd < 0)
		return mapfd;
	index_chunk_name(key, name);
	return index_write_file(mapfd, name, bits, INDEX_CHUNK_BYTES);
}

/* The first clear bit of @bits in from..to (inclusive), or -1. */
static int index_first_clear(const uint64_t *bits, unsigned int from,
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

int index_map_find(struct lease_store *s, const struct ipaddr *lo,
		   const struct ipaddr *hi, struct ipaddr *ret, bool *ret_found)
{
	struct ipaddr cur = *lo;

	*ret_found = false;
	s->idx->used_map = true;
	for (;;) {
		bool is_last = cur.b[0] == hi->b[0] && cur.b[1] == hi->b[1];
		unsigned int from = (unsigned int)cur.b[2] << 8 | cur.b[3];
		unsigned int to =
			is_last ? ((unsigned int)hi->b[2] << 8 | hi->b[3]) :
				  INDEX_CHUNK_BITS - 1;
		struct index_chunk *c = index_chunk_get(s, cur.b);
		int pos;

		if (!c) {
			index_invalidate(s, "cannot read a bitmap");
			return -EIO;
		}
		pos = index_first_clear(c->bits, from, to);
		if (pos >= 0) {
			*ret = cur;
			ret->b[2] = (uint8_t)(pos >> 8);
			ret->b[3] = (uint8_t)pos;
			*ret_found = true;
			return 0;
		}
		if (is_last)
			return 0;
		/* The next /16: cur is below hi, so this cannot wrap. */
		if (++cur.b[1] == 0)
			cur.b[0]++;
		cur.b[2] = cur.b[3] = 0;
	}
}
