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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brisk/cleanup.h"
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

static void index_owner_free(struct index_owner *o)
{
	free(o->id);
	free(o->ifname);
	free(o->addrs);
	meta_attach_clear(&o->meta);
}

void index_bucket_free(struct index_bucket *b)
{
	for (size_t i = 0; i < b->n; i++)
		index_owner_free(&b->o[i]);
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
		index_owner_free(o);
		return NULL;
	}
	b->n++;
	return o;
}

void index_bucket_drop(struct index_bucket *b, size_t i)
{
	index_owner_free(&b->o[i]);
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

static void bucket_put_owner(FILE *f, const struct index_owner *o)
{
	const struct meta_attach *m = &o->meta;
	const char *ns = m->netns ? m->netns : "";

	fprintf(f, "O %d %zu %zu %zu %d\n%s\n%s\n", o->is_old, strlen(o->id),
		strlen(o->ifname), o->n, o->has_meta, o->id, o->ifname);
	if (o->has_meta)
		fprintf(f, "M %s %" PRIu64 " %" PRIu64 " %" PRId64 " %zu\n%s\n",
			m->boot_id[0] ? m->boot_id : "-", m->ns_dev, m->ns_ino,
			m->time, strlen(ns), ns);
	for (size_t i = 0; i < o->n; i++) {
		const struct index_addr *a = &o->addrs[i];

		fprintf(f,
			"A %s %" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64
			" %d\n",
			a->name, a->st.ino, a->st.sec, a->st.nsec, a->st.size,
			a->attested);
	}
}

char *index_bucket_format(const struct index_bucket *b, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs(BUCKET_MAGIC, f);
	for (size_t i = 0; i < b->n; i++)
		bucket_put_owner(f, &b->o[i]);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*ret_len = len;
	return buf;
}

/* ---------------------------------------------------------------- parse */

struct cursor {
	const char *p;
	const char *end;
};

/* The next line (without its '\n') into @line; false when there is none. */
static bool cur_line(struct cursor *c, char *line, size_t size)
{
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	size_t len;

	if (!nl)
		return false;
	len = (size_t)(nl - c->p);
	if (len >= size)
		return false;
	memcpy(line, c->p, len);
	line[len] = '\0';
	c->p = nl + 1;
	return true;
}

/* Exactly @len bytes (no NUL among them) and a '\n', as a new string. */
static char *cur_bytes(struct cursor *c, size_t len)
{
	char *s;

	if (len > BUCKET_STR_MAX || (size_t)(c->end - c->p) < len + 1 ||
	    c->p[len] != '\n' || memchr(c->p, '\0', len))
		return NULL;
	s = strndup(c->p, len);
	if (s)
		c->p += len + 1;
	return s;
}

static int parse_meta(struct cursor *c, struct meta_attach *m)
{
	char line[256], boot[64];
	size_t plen;
	int used = 0;

	if (!cur_line(c, line, sizeof(line)) ||
	    sscanf(line, "M %63s %" SCNu64 " %" SCNu64 " %" SCNd64 " %zu%n",
		   boot, &m->ns_dev, &m->ns_ino, &m->time, &plen, &used) != 5 ||
	    line[used] || strlen(boot) >= sizeof(m->boot_id))
		return -EBADMSG;
	snprintf(m->boot_id, sizeof(m->boot_id), "%s",
		 strcmp(boot, "-") == 0 ? "" : boot);
	m->netns = cur_bytes(c, plen);
	if (!m->netns)
		return -EBADMSG;
	if (!*m->netns) {
		free(m->netns);
		m->netns = NULL;
	}
	return 0;
}

static int parse_addr(struct cursor *c, struct index_owner *o)
{
	char line[256], name[IPADDR_STRLEN];
	struct lease_stamp st;
	int att, used = 0;

	if (!cur_line(c, line, sizeof(line)) ||
	    sscanf(line,
		   "A %45s %" SCNu64 " %" SCNd64 " %" SCNd64 " %" SCNd64
		   " %d%n",
		   name, &st.ino, &st.sec, &st.nsec, &st.size, &att,
		   &used) != 6 ||
	    line[used])
		return -EBADMSG;
	return index_owner_put(o, name, &st, att != 0);
}

static int parse_owner(struct cursor *c, struct index_bucket *b)
{
	_cleanup_free_ char *id = NULL, *ifname = NULL;
	size_t idlen, iflen, n;
	struct index_owner *o;
	int is_old, has_meta, used = 0, r;
	char line[256];

	if (!cur_line(c, line, sizeof(line)) ||
	    sscanf(line, "O %d %zu %zu %zu %d%n", &is_old, &idlen, &iflen, &n,
		   &has_meta, &used) != 5 ||
	    line[used] || n > BUCKET_ADDRS_MAX)
		return -EBADMSG;
	id = cur_bytes(c, idlen);
	ifname = id ? cur_bytes(c, iflen) : NULL;
	if (!ifname || !*id)
		return -EBADMSG;
	o = index_bucket_add(b, id, ifname, is_old != 0);
	if (!o)
		return -ENOMEM;
	o->has_meta = has_meta != 0;
	if (o->has_meta && (r = parse_meta(c, &o->meta)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = parse_addr(c, o)) < 0)
			return r;
	return 0;
}

int index_bucket_parse(const char *buf, size_t len, struct index_bucket *ret)
{
	struct cursor c = { buf + strlen(BUCKET_MAGIC), buf + len };
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (len < strlen(BUCKET_MAGIC) ||
	    memcmp(buf, BUCKET_MAGIC, strlen(BUCKET_MAGIC)) != 0)
		return -EBADMSG;
	while (r == 0 && c.p < c.end)
		r = parse_owner(&c, ret);
	if (r < 0)
		index_bucket_free(ret);
	return r;
}
