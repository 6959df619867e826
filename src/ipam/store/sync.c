// SPDX-License-Identifier: Apache-2.0
/*
 * Catching up with the lease files (see sync.h). A lease the index knows
 * costs one stat; only a file it does not know, or one that is not the
 * file it recorded (host-local's, or rewritten), is read. host-local
 * writes a lease once and never in place, so a new lease under an old name
 * always has another inode, mtime or size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brisk/grow.h"
#include "sync.h"

/* A lease file the index did not know as it is. */
struct sync_new {
	char name[IPADDR_STRLEN];
	struct stat st;
	char *content;
};

struct sync_ctx {
	struct lease_dir *d;
	struct index *x;
	struct sync_new *v;
	size_t n;
	size_t cap;
	char buf[LEASE_READ_MAX];
};

static int sync_add(struct sync_ctx *c, const char *name, const struct stat *st)
{
	struct sync_new *s;

	if (GROW_ONE(c->v, c->cap, c->n, 64) < 0)
		return -ENOMEM;
	s = &c->v[c->n];
	s->content = strdup(c->buf);
	if (!s->content)
		return -ENOMEM;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->st = *st;
	c->n++;
	return 0;
}

static int sync_one(const char *name, const struct ipaddr *ip, void *data)
{
	struct sync_ctx *c = data;
	char canon[IPADDR_STRLEN];
	bool taken = true;
	struct stat st;

	if (index_sync_known(c->x, name) && lease_stat(c->d, name, &st) == 0 &&
	    index_sync_keep(c->x, name, &st))
		; /* the very file recorded */
	else if (!lease_read(c->d, name, c->buf, sizeof(c->buf), &st))
		; /* no regular file, or unreadable: not free either */
	else if (st.st_size == 0)
		taken = false; /* free to take (lease_create takes it over) */
	else if (c->buf[0] && sync_add(c, name, &st) < 0)
		return -ENOMEM;
	/* A bit stands for the canonical name only. */
	if (taken && strcmp(ipaddr_fmt(ip, canon), name) == 0)
		return index_mark(c->x, ip, true) == -ENOMEM ? -ENOMEM : 0;
	return 0;
}

int sync_run(struct lease_dir *d, struct index *x, struct cni_err *err)
{
	struct sync_ctx *c = calloc(1, sizeof(*c));
	int r = c ? index_sync_begin(x) : -ENOMEM;

	if (c) {
		c->d = d;
		c->x = x;
	}
	if (r == 0)
		r = lease_walk(d, sync_one, c, err);
	if (c)
		index_sync_end(x, r == 0);
	for (size_t i = 0; c && i < c->n; i++) {
		struct sync_new *s = &c->v[i];
		bool is_old;
		const char *ifname = lease_split(s->content, &is_old);

		if (r == 0)
			r = index_put(x, s->content, ifname, is_old, s->name,
				      &s->st);
		free(s->content);
	}
	if (c)
		free(c->v);
	free(c);
	if (r == -ENOMEM)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	return r < 0 ? cni_err_set(err, CNI_ERR_IO, -r,
				   "cannot catch up with %s", d->path) :
		       0;
}
