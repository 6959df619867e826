// SPDX-License-Identifier: Apache-2.0
/*
 * Reading owner record files (format: index_bucket.c): whole, for a
 * rebuild and the owner walk, or one owner only, for lookups and updates.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

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

	if (GROW_ONE(o->addrs, o->cap, o->n, 2) < 0)
		return -ENOMEM;
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
