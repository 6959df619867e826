// SPDX-License-Identifier: Apache-2.0
/*
 * Rebuilding the index from the lease files: one pass over the store,
 * then every bitmap and owner record rewritten (unchanged records are only
 * read). Attachment records survive for the leases whose files are still
 * the very ones they were made for.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/log.h"
#include "lease_int.h"

struct rb_lease {
	char name[IPADDR_STRLEN];
	char key[INDEX_NAME_LEN];
	char *id; /* the file's content, split: owns ifname */
	const char *ifname;
	bool is_old;
	struct lease_stamp st;
};

struct rb {
	struct rb_lease *l;
	size_t n;
	size_t cap;
	uint64_t **chunks; /* 65536 /16s, NULL when no lease there */
};

static void rb_free(struct rb *rb)
{
	for (size_t i = 0; i < rb->n; i++)
		free(rb->l[i].id);
	free(rb->l);
	if (rb->chunks)
		for (size_t i = 0; i < 65536; i++)
			free(rb->chunks[i]);
	free(rb->chunks);
}

static int rb_set_bit(struct rb *rb, const struct ipaddr *ip)
{
	size_t key = (size_t)ip->b[0] << 8 | ip->b[1];
	unsigned int bit = (unsigned int)ip->b[2] << 8 | ip->b[3];

	if (!rb->chunks[key]) {
		rb->chunks[key] = calloc(INDEX_CHUNK_WORDS, sizeof(uint64_t));
		if (!rb->chunks[key])
			return -ENOMEM;
	}
	rb->chunks[key][bit / 64] |= 1ULL << (bit % 64);
	return 0;
}

static int rb_add_owner(struct rb *rb, const char *name, const char *content,
			const struct lease_stamp *st)
{
	struct rb_lease *l;

	if (GROW_ONE(rb->l, rb->cap, rb->n, 1024) < 0)
		return -ENOMEM;
	l = &rb->l[rb->n];
	l->id = strdup(content);
	if (!l->id)
		return -ENOMEM;
	snprintf(l->name, sizeof(l->name), "%.*s", IPADDR_STRLEN - 1, name);
	l->ifname = lease_split(l->id, &l->is_old);
	l->st = *st;
	index_key(l->id, l->ifname, l->is_old, l->key);
	rb->n++;
	return 0;
}

/* One directory entry of the store. */
static int rb_entry(struct lease_store *s, struct rb *rb, const char *name,
		    char *buf)
{
	struct lease_stamp st = { 0 };
	struct ipaddr ip;
	bool is_canon, ok;
	int r = 0;

	if (strncmp(name, LEASE_TMP_PREFIX, strlen(LEASE_TMP_PREFIX)) == 0) {
		/* We hold the lock: a dead writer's. */
		unlinkat(s->dirfd, name, 0);
		return 0;
	}
	if (ipaddr_parse(name, &ip) < 0)
		return 0;
	is_canon = lease_name_canonical(name, &ip);
	ok = lease_read_file(s, name, buf, LEASE_READ_MAX, &st);
	/* An empty file is free to take (lease_reserve recovers it). */
	if (is_canon && ip.family == AF_INET && (!ok || st.size > 0))
		r = rb_set_bit(rb, &ip);
	if (r == 0 && ok && *buf)
		r = rb_add_owner(rb, name, buf, &st);
	return r;
}

static int rb_scan(struct lease_store *s, struct rb *rb)
{
	_cleanup_free_ char *buf = malloc(LEASE_READ_MAX);
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (!buf)
		return -ENOMEM;
	fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	while (r == 0 && (de = readdir(d)))
		r = rb_entry(s, rb, de->d_name, buf);
	closedir(d);
	return r;
}

/* Remove every entry of index subdirectory @sub that @keep rejects. */
static int rb_prune(struct lease_store *s, const char *sub,
		    bool (*keep)(const struct rb *rb, const char *name),
		    const struct rb *rb)
{
	int dfd = index_subdir(s, sub, true), fd;
	struct dirent *de;
	DIR *d;

	if (dfd < 0)
		return dfd;
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (!keep(rb, de->d_name) && unlinkat(dfd, de->d_name, 0) < 0 &&
		    errno != ENOENT) {
			closedir(d);
			return -errno;
		}
	}
	closedir(d);
	return 0;
}

static bool rb_keep_chunk(const struct rb *rb, const char *name)
{
	unsigned int key;
	char tail;

	return sscanf(name, "4-%4x%c", &key, &tail) == 1 && strlen(name) == 6 &&
	       rb->chunks[key];
}

static int rb_write_chunks(struct lease_store *s, struct rb *rb)
{
	int r = 0;

	for (size_t key = 0; key < 65536 && r == 0; key++) {
		uint8_t k[2] = { (uint8_t)(key >> 8), (uint8_t)key };

		if (rb->chunks[key])
			r = index_map_write(s, k, rb->chunks[key]);
	}
	return r ?: rb_prune(s, "map", rb_keep_chunk, rb);
}

static int rb_cmp_lease(const void *a, const void *b)
{
	const struct rb_lease *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c == 0)
		c = x->is_old - y->is_old;
	if (c == 0)
		c = strcmp(x->id, y->id);
	return c ?: strcmp(x->ifname, y->ifname);
}

/* What the old record of @o knew: its attachment and attested files. */
static int rb_inherit(struct index_owner *o, struct index_owner *old,
		      const struct rb_lease *l, bool *ret_attested)
{
	*ret_attested = false;
	if (!old || !old->has_meta)
		return 0;
	if (!o->has_meta) {
		if (meta_attach_copy(&o->meta, &old->meta) < 0)
			return -ENOMEM;
		o->has_meta = true;
	}
	for (size_t i = 0; i < old->n; i++)
		if (strcmp(old->addrs[i].name, l->name) == 0)
			*ret_attested =
				old->addrs[i].attested &&
				lease_stamp_eq(&old->addrs[i].st, &l->st);
	return 0;
}

/* The new bucket of leases [from, to), which share one key. */
static int rb_bucket(struct lease_store *s, const struct rb *rb, size_t from,
		     size_t to, struct index_bucket *old)
{
	_cleanup_free_ char *a = NULL, *b = NULL;
	struct index_bucket nb = { 0 };
	size_t alen = 0, blen = 0;
	int r = 0;

	for (size_t i = from; i < to && r == 0; i++) {
		const struct rb_lease *l = &rb->l[i];
		struct index_owner *o, *prev;
		bool attested;

		o = index_bucket_find(&nb, l->id, l->ifname, l->is_old);
		if (!o &&
		    !(o = index_bucket_add(&nb, l->id, l->ifname, l->is_old))) {
			r = -ENOMEM;
			break;
		}
		prev = index_bucket_find(old, l->id, l->ifname, l->is_old);
		r = rb_inherit(o, prev, l, &attested);
		if (r == 0)
			r = index_owner_put(o, l->name, &l->st, attested);
	}
	if (r == 0) {
		a = index_bucket_format(&nb, &alen);
		b = index_bucket_format(old, &blen);
		if (!a || !b)
			r = -ENOMEM;
		else if (alen != blen || memcmp(a, b, alen) != 0)
			r = index_bucket_store(s, rb->l[from].key, &nb);
	}
	index_bucket_free(&nb);
	return r;
}

static bool rb_keep_bucket(const struct rb *rb, const char *name)
{
	size_t lo = 0, up = rb->n;

	while (lo < up) {
		size_t mid = lo + (up - lo) / 2;
		int c = strcmp(rb->l[mid].key, name);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			up = mid;
	}
	return false;
}

static int rb_write_owners(struct lease_store *s, struct rb *rb)
{
	int r = 0;

	s->idx->has_old = false;
	for (size_t i = 0; i < rb->n; i++)
		s->idx->has_old |= rb->l[i].is_old;
	if (rb->n)
		qsort(rb->l, rb->n, sizeof(*rb->l), rb_cmp_lease);
	for (size_t i = 0, j; i < rb->n && r == 0; i = j) {
		struct index_bucket old;

		for (j = i + 1;
		     j < rb->n && strcmp(rb->l[j].key, rb->l[i].key) == 0; j++)
			;
		/* A damaged record is simply replaced. */
		if (index_bucket_load(s, rb->l[i].key, &old) < 0)
			memset(&old, 0, sizeof(old));
		r = rb_bucket(s, rb, i, j, &old);
		index_bucket_free(&old);
	}
	return r ?: rb_prune(s, "ids", rb_keep_bucket, rb);
}

int index_rebuild(struct lease_store *s)
{
	struct rb rb = { 0 };
	int r;

	log_debug("%s: rebuilding brisk's index", s->path);
	rb.chunks = calloc(65536, sizeof(*rb.chunks));
	if (!rb.chunks)
		return -ENOMEM;
	r = index_subdir(s, "ids", true);
	if (r >= 0)
		r = index_subdir(s, "map", true);
	if (r >= 0)
		r = rb_scan(s, &rb);
	if (r >= 0)
		r = rb_write_chunks(s, &rb);
	if (r >= 0)
		r = rb_write_owners(s, &rb);
	rb_free(&rb);
	return r < 0 ? r : 0;
}
