// SPDX-License-Identifier: Apache-2.0
/*
 * Owner records of the index, in files named by a hash of (kind, id,
 * ifname). A file holds every owner with that hash and a lookup compares
 * the whole id and ifname, so it is exact whatever the hash does. The format is
 * line based with length-prefixed strings, since an ifname or a foreign
 * lease's content may hold any byte but NUL:
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

#define BUCKET_MAGIC "brisk-owners 1\n"
#define BUCKET_STR_MAX 8192
#define BUCKET_ADDRS_MAX 65536

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

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 2;
		struct index_owner *p = realloc(b->o, cap * sizeof(*p));

		if (!p)
			return NULL;
		b->o = p;
		b->cap = cap;
	}
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

void index_bucket_drop(struct index_bucket *b, size_t i)
{
	index_owner_clear(&b->o[i]);
	memmove(&b->o[i], &b->o[i + 1], (b->n - i - 1) * sizeof(b->o[0]));
	b->n--;
}

int index_owner_put(struct index_owner *o, const char *name,
		    const struct lease_stamp *st, bool attested)
{
	struct index_addr *a = NULL;

	for (size_t i = 0; i < o->n && !a; i++)
		if (strcmp(o->addrs[i].name, name) == 0)
			a = &o->addrs[i];
	if (!a) {
		if (o->n == o->cap) {
			size_t cap = o->cap ? o->cap * 2 : 2;
			struct index_addr *p =
				realloc(o->addrs, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			o->addrs = p;
			o->cap = cap;
		}
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

/* ---------------------------------------------------------------- parse */

/* Hand-written: a lookup parses a whole record file, sscanf is too slow. */
struct cursor {
	const char *p;
	const char *end;
	bool bad;
};

static void cur_lit(struct cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if (c->bad || (size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		c->bad = true;
	else
		c->p += n;
}

/* Decimal digits (a '-' first when @may_neg), then @sep. */
static uint64_t cur_num(struct cursor *c, bool may_neg, bool *ret_neg, char sep)
{
	uint64_t v = 0;
	size_t digits = 0;

	*ret_neg = false;
	if (!c->bad && may_neg && c->p < c->end && *c->p == '-') {
		*ret_neg = true;
		c->p++;
	}
	while (!c->bad && c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			c->bad = true;
		v = v * 10 + (uint64_t)(*c->p++ - '0');
		digits++;
	}
	if (c->bad || digits == 0 || c->p >= c->end || *c->p != sep)
		c->bad = true;
	else
		c->p++;
	return v;
}

static uint64_t cur_u64(struct cursor *c, char sep)
{
	bool neg;

	return cur_num(c, false, &neg, sep);
}

static int64_t cur_i64(struct cursor *c, char sep)
{
	bool neg;
	uint64_t v = cur_num(c, true, &neg, sep);

	if (v > (uint64_t)INT64_MAX) {
		c->bad = true;
		return 0;
	}
	return neg ? -(int64_t)v : (int64_t)v;
}

/* A non-empty word of fewer than @size bytes up to @sep, into @buf. */
static void cur_word(struct cursor *c, char *buf, size_t size, char sep)
{
	const char *q = c->p;

	while (!c->bad && q < c->end && *q != sep && *q != ' ' && *q != '\n' &&
	       *q != '\0')
		q++;
	if (c->bad || q == c->p || q >= c->end || *q != sep ||
	    (size_t)(q - c->p) >= size) {
		c->bad = true;
		return;
	}
	memcpy(buf, c->p, (size_t)(q - c->p));
	buf[q - c->p] = '\0';
	c->p = q + 1;
}

/* Exactly @len bytes (no NUL among them) and a '\n', as a new string. */
static char *cur_bytes(struct cursor *c, uint64_t len)
{
	char *s;

	if (c->bad || len > BUCKET_STR_MAX ||
	    (uint64_t)(c->end - c->p) < len + 1 || c->p[len] != '\n' ||
	    memchr(c->p, '\0', len)) {
		c->bad = true;
		return NULL;
	}
	s = strndup(c->p, len);
	if (s)
		c->p += len + 1;
	return s;
}

static int parse_meta(struct cursor *c, struct meta_attach *m)
{
	char boot[META_BOOT_ID_LEN];
	uint64_t plen;

	cur_lit(c, "M ");
	cur_word(c, boot, sizeof(boot), ' ');
	m->ns_dev = cur_u64(c, ' ');
	m->ns_ino = cur_u64(c, ' ');
	m->time = cur_i64(c, ' ');
	plen = cur_u64(c, '\n');
	if (c->bad)
		return -EBADMSG;
	snprintf(m->boot_id, sizeof(m->boot_id), "%s",
		 strcmp(boot, "-") == 0 ? "" : boot);
	m->netns = cur_bytes(c, plen);
	if (!m->netns)
		return c->bad ? -EBADMSG : -ENOMEM;
	if (!*m->netns) {
		free(m->netns);
		m->netns = NULL;
	}
	return 0;
}

static int parse_addr(struct cursor *c, struct index_owner *o)
{
	struct index_addr *a;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 2;
		struct index_addr *p = realloc(o->addrs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		o->addrs = p;
		o->cap = cap;
	}
	a = &o->addrs[o->n];
	cur_lit(c, "A ");
	cur_word(c, a->name, sizeof(a->name), ' ');
	a->st.ino = cur_u64(c, ' ');
	a->st.sec = cur_i64(c, ' ');
	a->st.nsec = cur_i64(c, ' ');
	a->st.size = cur_i64(c, ' ');
	a->attested = cur_u64(c, '\n') != 0;
	if (c->bad)
		return -EBADMSG;
	o->n++;
	return 0;
}

static int parse_owner(struct cursor *c, struct index_bucket *b)
{
	uint64_t idlen, iflen, n;
	struct index_owner *o;
	bool is_old, has_meta;
	int r = 0;

	cur_lit(c, "O ");
	is_old = cur_u64(c, ' ') != 0;
	idlen = cur_u64(c, ' ');
	iflen = cur_u64(c, ' ');
	n = cur_u64(c, ' ');
	has_meta = cur_u64(c, '\n') != 0;
	if (c->bad || n > BUCKET_ADDRS_MAX || idlen == 0)
		return -EBADMSG;
	o = index_bucket_add(b, "", "", is_old);
	if (!o)
		return -ENOMEM;
	free(o->id);
	free(o->ifname);
	o->id = cur_bytes(c, idlen);
	o->ifname = o->id ? cur_bytes(c, iflen) : NULL;
	if (!o->ifname)
		return c->bad ? -EBADMSG : -ENOMEM;
	o->has_meta = has_meta;
	if (has_meta)
		r = parse_meta(c, &o->meta);
	for (uint64_t i = 0; r == 0 && i < n; i++)
		r = parse_addr(c, o);
	return r;
}

int index_bucket_parse(const char *buf, size_t len, struct index_bucket *ret)
{
	struct cursor c = { buf, buf + len, false };
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	cur_lit(&c, BUCKET_MAGIC);
	if (c.bad)
		return -EBADMSG;
	while (r == 0 && c.p < c.end)
		r = parse_owner(&c, ret);
	if (r < 0)
		index_bucket_free(ret);
	return r;
}

/* ---------------------------------------------------------- one owner */

/*
 * Skip one owner's record without allocating; its id and ifname as byte
 * ranges. What a lookup does to every other owner of the file.
 */
static void raw_skip_owner(struct cursor *c, bool *ret_old, const char **ret_id,
			   uint64_t *ret_idlen, const char **ret_if,
			   uint64_t *ret_iflen)
{
	char boot[META_BOOT_ID_LEN];
	uint64_t n, plen;
	bool has_meta;

	cur_lit(c, "O ");
	*ret_old = cur_u64(c, ' ') != 0;
	*ret_idlen = cur_u64(c, ' ');
	*ret_iflen = cur_u64(c, ' ');
	n = cur_u64(c, ' ');
	has_meta = cur_u64(c, '\n') != 0;
	*ret_id = c->p;
	*ret_if = c->p + *ret_idlen + 1;
	if (c->bad || (uint64_t)(c->end - c->p) < *ret_idlen + *ret_iflen + 2 ||
	    (*ret_if)[-1] != '\n' || (*ret_if)[*ret_iflen] != '\n') {
		c->bad = true;
		return;
	}
	c->p = *ret_if + *ret_iflen + 1;
	if (has_meta) {
		cur_lit(c, "M ");
		cur_word(c, boot, sizeof(boot), ' ');
		cur_u64(c, ' ');
		cur_u64(c, ' ');
		cur_i64(c, ' ');
		plen = cur_u64(c, '\n');
		if (c->bad || (uint64_t)(c->end - c->p) < plen + 1 ||
		    c->p[plen] != '\n')
			c->bad = true;
		else
			c->p += plen + 1;
	}
	for (uint64_t i = 0; i < n && !c->bad; i++) {
		const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));

		cur_lit(c, "A ");
		if (!nl)
			c->bad = true;
		else if (!c->bad)
			c->p = nl + 1;
	}
}

static bool raw_is(const char *p, uint64_t len, const char *s)
{
	return strlen(s) == len && memcmp(p, s, len) == 0;
}

int index_raw_find(const char *buf, size_t len, const char *id,
		   const char *ifname, bool is_old, struct index_owner *ret,
		   struct index_slot *ret_slot, bool *ret_found)
{
	struct cursor c = { buf, buf + len, false };
	struct index_bucket one = { 0 };
	int r;

	memset(ret, 0, sizeof(*ret));
	*ret_found = false;
	if (len > 0)
		cur_lit(&c, BUCKET_MAGIC);
	while (!c.bad && c.p < c.end) {
		const char *start = c.p, *pid, *pif;
		uint64_t idlen, iflen;
		bool old;

		raw_skip_owner(&c, &old, &pid, &idlen, &pif, &iflen);
		if (c.bad || old != is_old || !raw_is(pid, idlen, id) ||
		    (!is_old && !raw_is(pif, iflen, ifname)))
			continue;
		/* The one that matters: parsed whole, from where it starts. */
		c.p = start;
		r = parse_owner(&c, &one);
		if (r < 0) {
			index_bucket_free(&one);
			return r;
		}
		*ret = one.o[0];
		free(one.o);
		ret_slot->start = (size_t)(start - buf);
		ret_slot->end = (size_t)(c.p - buf);
		*ret_found = true;
		return 0;
	}
	if (c.bad)
		return -EBADMSG;
	ret_slot->start = ret_slot->end = len;
	ret->id = strdup(id);
	ret->ifname = strdup(is_old ? "" : ifname);
	ret->is_old = is_old;
	if (!ret->id || !ret->ifname) {
		index_owner_clear(ret);
		return -ENOMEM;
	}
	return 0;
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
