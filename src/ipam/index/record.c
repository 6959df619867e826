// SPDX-License-Identifier: Apache-2.0
/* Owner records in memory and on disk (the format is in record.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brisk/grow.h"
#include "record.h"

#define REC_MAGIC "brisk-owners 2\n"
#define REC_LEASES_MAX 65536

unsigned int rec_key(const char *id)
{
	/* FNV-1a 64: stable and cheap; collisions are handled, not avoided. */
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	/* FNV's last bytes barely reach its top bits: mix (murmur3's fmix64). */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (unsigned int)(h >> 54);
}

/* A parse position; bad once anything did not match. */
struct cur {
	const char *p;
	const char *end;
	bool bad;
};

static void lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if (c->bad || (size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		c->bad = true;
	else
		c->p += n;
}

/* An optional '-', decimal digits, then @sep. */
static int64_t num(struct cur *c, bool may_neg, char sep)
{
	bool neg = may_neg && c->p < c->end && *c->p == '-';
	const char *start;
	int64_t v = 0;

	c->p += neg;
	start = c->p;
	while (!c->bad && c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		c->bad = v > (INT64_MAX - 9) / 10;
		v = c->bad ? 0 : v * 10 + (*c->p++ - '0');
	}
	if (c->bad || c->p == start || c->p >= c->end || *c->p != sep)
		c->bad = true;
	else
		c->p++;
	return neg ? -v : v;
}

/* Exactly @len bytes without NUL, then '\n', as a new string. */
static char *str(struct cur *c, int64_t len)
{
	char *s;

	if (c->bad || len < 0 || len > REC_STR_MAX || c->end - c->p < len + 1 ||
	    c->p[len] != '\n' || memchr(c->p, '\0', (size_t)len)) {
		c->bad = true;
		return NULL;
	}
	s = strndup(c->p, (size_t)len);
	if (s)
		c->p += len + 1;
	return s;
}

/* The next lease of @o, into the room parse_owner made for all of them. */
static int parse_lease(struct cur *c, struct rec_owner *o)
{
	struct rec_lease *l = memset(&o->l[o->n++], 0, sizeof(*l));
	const char *sp;

	lit(c, "A ");
	sp = c->bad ? NULL : memchr(c->p, ' ', (size_t)(c->end - c->p));
	if (!sp || sp == c->p || sp - c->p >= IPADDR_STRLEN ||
	    memchr(c->p, '\n', (size_t)(sp - c->p)) ||
	    memchr(c->p, '\0', (size_t)(sp - c->p)))
		return -EBADMSG;
	memcpy(l->name, c->p, (size_t)(sp - c->p));
	c->p = sp + 1;
	l->ino = (uint64_t)num(c, false, ' ');
	l->sec = num(c, true, ' ');
	l->nsec = num(c, true, ' ');
	l->size = num(c, true, ' ');
	l->attested = num(c, false, '\n') != 0;
	return c->bad ? -EBADMSG : 0;
}

static int parse_owner(struct cur *c, struct rec_file *f)
{
	int64_t is_old, idlen, iflen, n, notelen;
	struct rec_owner *o;
	int r = 0;

	lit(c, "O ");
	is_old = num(c, false, ' ');
	idlen = num(c, false, ' ');
	iflen = num(c, false, ' ');
	n = num(c, false, ' ');
	notelen = num(c, false, '\n');
	/* A lease takes 14 bytes at the least: no room made for more. */
	if (c->bad || is_old > 1 || idlen == 0 || n > REC_LEASES_MAX ||
	    n > (c->end - c->p) / 14)
		return -EBADMSG;
	/* A file holds about ten owners: room for them in one allocation. */
	if (GROW_ONE(f->o, f->cap, f->n, 16) < 0)
		return -ENOMEM;
	o = memset(&f->o[f->n++], 0, sizeof(*o));
	o->is_old = is_old;
	o->id = str(c, idlen);
	o->ifname = o->id ? str(c, iflen) : NULL;
	if (o->ifname && notelen > 0)
		o->note = str(c, notelen);
	if (!o->ifname || (notelen > 0 && !o->note))
		return c->bad ? -EBADMSG : -ENOMEM;
	o->l = n ? malloc((size_t)n * sizeof(*o->l)) : NULL;
	if (n && !o->l)
		return -ENOMEM;
	o->cap = (size_t)n;
	while (r == 0 && (int64_t)o->n < n)
		r = parse_lease(c, o);
	return r;
}

int rec_parse(const char *buf, size_t len, struct rec_file *f)
{
	struct cur c = { buf, buf + len, false };
	int r = 0;

	memset(f, 0, sizeof(*f));
	lit(&c, REC_MAGIC);
	while (!c.bad && r == 0 && c.p < c.end && *c.p != '\n')
		r = parse_owner(&c, f);
	/* What follows the last owner is padding. */
	while (!c.bad && c.p < c.end)
		c.bad = *c.p++ != '\n';
	if (r == 0 && c.bad)
		r = -EBADMSG;
	if (r < 0)
		rec_clear(f);
	return r;
}

static void put_owner(FILE *fp, const struct rec_owner *o)
{
	size_t nl = o->note ? strlen(o->note) : 0;

	fprintf(fp, "O %d %zu %zu %zu %zu\n%s\n%s\n", o->is_old, strlen(o->id),
		strlen(o->ifname), o->n, nl, o->id, o->ifname);
	if (nl)
		fprintf(fp, "%s\n", o->note);
	for (size_t i = 0; i < o->n; i++) {
		const struct rec_lease *l = &o->l[i];

		fprintf(fp,
			"A %s %" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64
			" %d\n",
			l->name, l->ino, l->sec, l->nsec, l->size, l->attested);
	}
}

char *rec_format(const struct rec_file *f, size_t pad_to, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	bool bad;

	if (!fp)
		return NULL;
	fputs(REC_MAGIC, fp);
	for (size_t i = 0; i < f->n; i++)
		put_owner(fp, &f->o[i]);
	for (long pos = ftell(fp); pos >= 0 && (size_t)pos < pad_to; pos++)
		fputc('\n', fp);
	bad = ferror(fp);
	if (fclose(fp) != 0 || bad || !buf) {
		free(buf);
		return NULL;
	}
	*ret_len = len;
	return buf;
}

struct rec_owner *rec_owner(struct rec_file *f, const char *id,
			    const char *ifname, bool is_old, bool create)
{
	struct rec_owner *o;

	/* An ID-only lease matches any ifname: its owner has none. */
	if (is_old)
		ifname = "";
	for (size_t i = 0; i < f->n; i++) {
		o = &f->o[i];
		if (o->is_old == is_old && strcmp(o->id, id) == 0 &&
		    strcmp(o->ifname, ifname) == 0)
			return o;
	}
	if (!create || GROW_ONE(f->o, f->cap, f->n, 4) < 0)
		return NULL;
	o = memset(&f->o[f->n], 0, sizeof(*o));
	o->id = strdup(id);
	o->ifname = strdup(ifname);
	o->is_old = is_old;
	if (!o->id || !o->ifname) {
		free(o->id);
		free(o->ifname);
		return NULL;
	}
	f->n++;
	return o;
}

struct rec_lease *rec_lease(struct rec_owner *o, const char *name)
{
	struct rec_lease *l;

	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->l[i].name, name) == 0)
			return &o->l[i];
	if (GROW_ONE(o->l, o->cap, o->n, 2) < 0)
		return NULL;
	l = memset(&o->l[o->n++], 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	return l;
}

bool rec_unlease(struct rec_owner *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++) {
		if (strcmp(o->l[i].name, name) != 0)
			continue;
		memmove(&o->l[i], &o->l[i + 1], (o->n - i - 1) * sizeof(*o->l));
		o->n--;
		return true;
	}
	return false;
}

static void rec_owner_free(struct rec_owner *o)
{
	free(o->id);
	free(o->ifname);
	free(o->note);
	free(o->l);
}

void rec_prune(struct rec_file *f)
{
	size_t j = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (f->o[i].n == 0)
			rec_owner_free(&f->o[i]);
		else
			f->o[j++] = f->o[i];
	}
	f->n = j;
}

void rec_clear(struct rec_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		rec_owner_free(&f->o[i]);
	free(f->o);
	memset(f, 0, sizeof(*f));
}
