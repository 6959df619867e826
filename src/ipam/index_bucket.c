// SPDX-License-Identifier: Apache-2.0
/*
 * Owner records of the index, in files named by a hash of (kind, id,
 * ifname). A file holds every owner with that hash and a lookup compares
 * the whole id and ifname, so it is exact whatever the hash does. This file
 * makes and writes them (index_parse.c reads them). The format is line
 * based with length-prefixed strings, since an ifname or a foreign lease's
 * content may hold any byte but NUL:
 *
 *   brisk-owners 1
 *   O <is_old> <id length> <ifname length> <addresses> <has_meta>
 *   <id>
 *   <ifname>
 *   M <boot id|-> <netns dev> <netns ino> <time> <netns path length>
 *   <netns path>
 *   A <lease file name> <ino> <mtime s> <mtime ns> <size> <attested>
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

void index_key(const char *id, const char *ifname, bool is_old,
	       char ret[INDEX_NAME_LEN])
{
	/* FNV-1a 64: stable and cheap; collisions are handled, not avoided. */
	uint64_t h = 0xcbf29ce484222325ULL;

	/* An id-only lease matches any ifname: its key has none. */
	if (is_old)
		ifname = "";
	h = (h ^ (is_old ? 'o' : 'n')) * 0x100000001b3ULL;
	for (const char *p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (const char *p = ifname; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	snprintf(ret, INDEX_NAME_LEN, "%03" PRIx64, h >> 54);
}

void index_owner_clear(struct index_owner *o)
{
	free(o->id);
	free(o->ifname);
	free(o->addrs);
	meta_attach_clear(&o->meta);
	memset(o, 0, sizeof(*o));
}

void index_bucket_free(struct index_bucket *b)
{
	for (size_t i = 0; i < b->n; i++)
		index_owner_clear(&b->o[i]);
	free(b->o);
	memset(b, 0, sizeof(*b));
}

struct index_owner *index_bucket_find(struct index_bucket *b, const char *id,
				      const char *ifname, bool is_old)
{
	for (size_t i = 0; i < b->n; i++) {
		struct index_owner *o = &b->o[i];

		if (o->is_old == is_old && strcmp(o->id, id) == 0 &&
		    (is_old || strcmp(o->ifname, ifname) == 0))
			return o;
	}
	return NULL;
}

struct index_owner *index_bucket_add(struct index_bucket *b, const char *id,
				     const char *ifname, bool is_old)
{
	struct index_owner *o;

	if (GROW_ONE(b->o, b->cap, b->n, 2) < 0)
		return NULL;
	o = &b->o[b->n];
	memset(o, 0, sizeof(*o));
	o->id = strdup(id);
	o->ifname = strdup(is_old ? "" : ifname);
	o->is_old = is_old;
	if (!o->id || !o->ifname) {
		index_owner_clear(o);
		return NULL;
	}
	b->n++;
	return o;
}

int index_owner_put(struct index_owner *o, const char *name,
		    const struct lease_stamp *st, bool attested)
{
	struct index_addr *a = NULL;

	for (size_t i = 0; i < o->n && !a; i++)
		if (strcmp(o->addrs[i].name, name) == 0)
			a = &o->addrs[i];
	if (!a) {
		if (GROW_ONE(o->addrs, o->cap, o->n, 2) < 0)
			return -ENOMEM;
		a = &o->addrs[o->n++];
		snprintf(a->name, sizeof(a->name), "%s", name);
	}
	a->st = *st;
	a->attested = attested;
	return 0;
}

bool index_owner_del(struct index_owner *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++) {
		if (strcmp(o->addrs[i].name, name) != 0)
			continue;
		memmove(&o->addrs[i], &o->addrs[i + 1],
			(o->n - i - 1) * sizeof(o->addrs[0]));
		o->n--;
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- format */

/* A growing output buffer; oom once any append failed. */
struct wbuf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;
};

static void w_bytes(struct wbuf *w, const char *s, size_t n)
{
	if (w->oom || n == 0)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = (w->len + n + 1) * 2;
		char *p = realloc(w->p, cap);

		if (!p) {
			w->oom = true;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
}

static void w_str(struct wbuf *w, const char *s)
{
	w_bytes(w, s, strlen(s));
}

/* @v in decimal, then the separator @sep. */
static void w_num(struct wbuf *w, uint64_t v, bool neg, char sep)
{
	char buf[24], *q = buf + sizeof(buf);

	*--q = sep;
	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		*--q = '-';
	w_bytes(w, q, (size_t)(buf + sizeof(buf) - q));
}

static void w_u64(struct wbuf *w, uint64_t v, char sep)
{
	w_num(w, v, false, sep);
}

static void w_i64(struct wbuf *w, int64_t v, char sep)
{
	w_num(w, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, sep);
}

static void bucket_put_owner(struct wbuf *w, const struct index_owner *o)
{
	const struct meta_attach *m = &o->meta;
	const char *ns = m->netns ? m->netns : "";

	w_str(w, "O ");
	w_u64(w, o->is_old, ' ');
	w_u64(w, strlen(o->id), ' ');
	w_u64(w, strlen(o->ifname), ' ');
	w_u64(w, o->n, ' ');
	w_u64(w, o->has_meta, '\n');
	w_str(w, o->id);
	w_str(w, "\n");
	w_str(w, o->ifname);
	w_str(w, "\n");
	if (o->has_meta) {
		w_str(w, "M ");
		w_str(w, m->boot_id[0] ? m->boot_id : "-");
		w_str(w, " ");
		w_u64(w, m->ns_dev, ' ');
		w_u64(w, m->ns_ino, ' ');
		w_i64(w, m->time, ' ');
		w_u64(w, strlen(ns), '\n');
		w_str(w, ns);
		w_str(w, "\n");
	}
	for (size_t i = 0; i < o->n; i++) {
		const struct index_addr *a = &o->addrs[i];

		w_str(w, "A ");
		w_str(w, a->name);
		w_str(w, " ");
		w_u64(w, a->st.ino, ' ');
		w_i64(w, a->st.sec, ' ');
		w_i64(w, a->st.nsec, ' ');
		w_i64(w, a->st.size, ' ');
		w_u64(w, a->attested, '\n');
	}
}

char *index_bucket_format(const struct index_bucket *b, size_t *ret_len)
{
	struct wbuf w = { 0 };

	w_str(&w, BUCKET_MAGIC);
	for (size_t i = 0; i < b->n; i++)
		bucket_put_owner(&w, &b->o[i]);
	if (w.oom) {
		free(w.p);
		return NULL;
	}
	*ret_len = w.len;
	return w.p;
}

char *index_raw_splice(const char *buf, size_t len,
		       const struct index_slot *slot,
		       const struct index_owner *o, size_t *ret_len)
{
	struct wbuf w = { 0 };

	if (len == 0)
		w_str(&w, BUCKET_MAGIC);
	w_bytes(&w, buf, slot->start);
	if (o && o->n > 0)
		bucket_put_owner(&w, o);
	w_bytes(&w, buf + slot->end, len - slot->end);
	if (w.oom) {
		free(w.p);
		return NULL;
	}
	/* Nobody left: the file goes. */
	*ret_len = w.len == strlen(BUCKET_MAGIC) ? 0 : w.len;
	return w.p;
}
