// SPDX-License-Identifier: Apache-2.0
/*
 * The store façade (see store.h): host-local's files and brisk's index
 * behind one API. The files are the truth; the index (trusted only while
 * its header is valid, or once caught up in this call) says where to look,
 * and every lease it names is checked against its file before it is used.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/grow.h"
#include "brisk/log.h"
#include "brisk/store.h"

int store_open(const char *data_dir, const char *network, int timeout_ms,
	       struct store *ret, struct cni_err *err)
{
	int r;

	*ret = (struct store)STORE_INIT;
	r = lease_open(data_dir, network, &ret->d, err);
	if (r == 0)
		r = lease_lock(&ret->d, timeout_ms, err);
	if (r < 0)
		return r;
	/* The index is only ever read or written under the lock. */
	ret->x = index_open(ret->d.datafd, ret->d.network, ret->d.dirfd);
	if (!ret->x)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	/* A released lease's file waits there for the next lease. */
	ret->d.spare_dirfd = index_dirfd(ret->x);
	ret->d.spare_name = "lease";
	return 0;
}

void store_close(struct store *s)
{
	/* Written while the lock is still held. */
	index_close(s->x, s->d.dirfd, s->changed);
	s->x = NULL;
	lease_close(&s->d);
}

const char *store_boot(const struct store *s)
{
	return s->x ? index_boot(s->x) : "";
}

bool store_writable(const struct store *s)
{
	return faccessat(s->d.dirfd, ".", W_OK, AT_EACCESS) == 0;
}

/*
 * Catching up with the lease files. A lease the index knows costs one
 * stat; only a file it does not know, or one that is not the file it
 * recorded, is read. host-local writes a lease once and never in place,
 * so a new lease under an old name always has another inode, mtime or
 * size (the mtime comes from a later call of another process).
 * Here: a lease file the index did not know as it is.
 */
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

/*
 * Bring the index up to date with the lease files: one listing of the
 * store and a stat of each lease the index knows; only new or changed
 * files are read. The index is then exact.
 */
static int sync_run(struct lease_dir *d, struct index *x, struct cni_err *err)
{
	struct sync_ctx c = { .d = d, .x = x };
	int r = index_sync_begin(x);

	if (r == 0)
		r = lease_walk(d, sync_one, &c, err);
	index_sync_end(x, r == 0);
	for (size_t i = 0; i < c.n; i++) {
		struct sync_new *s = &c.v[i];
		bool is_old;
		const char *ifname = lease_split(s->content, &is_old);

		if (r == 0)
			r = index_put(x, s->content, ifname, is_old, s->name,
				      &s->st);
		free(s->content);
	}
	free(c.v);
	if (r == -ENOMEM)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	return r < 0 ? cni_err_set(err, CNI_ERR_IO, -r,
				   "cannot catch up with %s", d->path) :
		       0;
}

static int store_sync(struct store *s, struct cni_err *err)
{
	int r = sync_run(&s->d, s->x, err);

	s->synced = true;
	return r;
}

/* The index can answer: valid as it was left, or caught up now. */
static int store_ready(struct store *s, struct cni_err *err)
{
	if (s->synced || index_state(s->x) == INDEX_VALID)
		return 0;
	return store_sync(s, err);
}

/*
 * The leases of id/ifname, each one the very file the index recorded;
 * otherwise the index catches up first. *ret is malloc'ed.
 */
static int store_hits(struct store *s, const char *id, const char *ifname,
		      struct index_hit **ret, size_t *ret_n,
		      struct cni_err *err)
{
	bool same = true;
	struct stat st;
	int r = store_ready(s, err);

	if (r == 0)
		r = index_find(s->x, id, ifname, ret, ret_n);
	for (size_t i = 0; r == 0 && !s->synced && same && i < *ret_n; i++)
		same = lease_stat(&s->d, (*ret)[i].name, &st) == 0 &&
		       index_same_file(&(*ret)[i].st, &st);
	if (r == -ENOMEM)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	if (r == 0 && (same || s->synced))
		return 0;
	if (r < 0 && err->code)
		return r;
	log_debug("%s: brisk's index is out of date for %s", s->d.path, id);
	free(*ret);
	r = store_sync(s, err);
	return r < 0 ? r : store_hits(s, id, ifname, ret, ret_n, err);
}

int store_find(struct store *s, const char *id, const char *ifname,
	       struct ipaddr *ret, size_t max, size_t *ret_n,
	       struct cni_err *err)
{
	_cleanup_free_ struct index_hit *h = NULL;
	size_t n = 0;
	int r;

	*ret_n = 0;
	r = store_hits(s, id, ifname, &h, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (*ret_n == max)
			log_warn(
				"%s: more than %zu leases for one container; ignoring %s",
				s->d.path, max, h[i].name);
		else if (ipaddr_parse(h[i].name, &ret[*ret_n]) == 0)
			(*ret_n)++;
	}
	return r;
}

/* The lease is gone from the store: tell the index. */
static void store_forget(struct store *s, const char *name, const char *id,
			 const char *ifname, bool is_old)
{
	struct ipaddr ip;

	s->changed = true;
	if (id)
		index_del(s->x, id, is_old ? "" : ifname, is_old, name);
	/* A bit stands for the canonical name only. */
	if (lease_name_canonical(name, &ip))
		index_mark(s->x, &ip, false);
}

int store_reserve(struct store *s, const struct ipaddr *ip, const char *id,
		  const char *ifname, int set, bool *ret_ok,
		  struct cni_err *err)
{
	char name[IPADDR_STRLEN];
	bool was_taken;
	struct stat st;
	int r;

	*ret_ok = false;
	r = store_ready(s, err);
	if (r < 0)
		return r;
	ipaddr_fmt(ip, name);
	was_taken = index_is_taken(s->x, ip);
	r = lease_create(&s->d, name, id, ifname, &st, ret_ok, err);
	if (r == 0 && !*ret_ok && !was_taken && !s->synced) {
		/* The index thought it free: it missed a change. */
		index_mark(s->x, ip, true);
		return store_sync(s, err);
	}
	if (r < 0 || !*ret_ok)
		return r;
	s->changed = true;
	index_mark(s->x, ip, true);
	index_put(s->x, id, ifname, false, name, &st);
	r = lease_last_write(&s->d, set, ip, err);
	if (r < 0) {
		/* Unlike host-local, do not leave a lease nobody will return. */
		*ret_ok = false;
		lease_unlink(&s->d, name);
		store_forget(s, name, id, ifname, false);
	}
	return r;
}

/*
 * Unlink the leases of @h of the format @want_old, keep going on error;
 * count them in *ret_n, the first @max in @ret.
 */
static int store_unlink_hits(struct store *s, const char *id,
			     const char *ifname, const struct index_hit *h,
			     size_t n, bool want_old, struct ipaddr *ret,
			     size_t max, size_t *ret_n, struct cni_err *err)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		int u;

		if (h[i].is_old != want_old)
			continue;
		u = lease_unlink(&s->d, h[i].name);
		if (u < 0 && r == 0)
			r = cni_err_set(err, CNI_ERR_IO, -u,
					"cannot remove %s/%s", s->d.path,
					h[i].name);
		if (u < 0)
			continue;
		if (u > 0 && *ret_n < max &&
		    ipaddr_parse(h[i].name, &ret[*ret_n]) < 0)
			ret[*ret_n].family = 0;
		*ret_n += (size_t)u;
		store_forget(s, h[i].name, id, ifname, want_old);
	}
	return r;
}

int store_release(struct store *s, const char *id, const char *ifname,
		  struct ipaddr *ret, size_t max, size_t *ret_n,
		  struct cni_err *err)
{
	_cleanup_free_ struct index_hit *h = NULL;
	size_t n = 0;
	int r;

	*ret_n = 0;
	r = store_hits(s, id, ifname, &h, &n, err);
	if (r == 0)
		r = store_unlink_hits(s, id, ifname, h, n, false, ret, max,
				      ret_n, err);
	/* As host-local: ID-only leases go only when no other one did. */
	if (r == 0 && *ret_n == 0)
		r = store_unlink_hits(s, id, ifname, h, n, true, ret, max,
				      ret_n, err);
	index_spare(s->x);
	return r;
}

int store_release_ip(struct store *s, const struct ipaddr *ip,
		     struct cni_err *err)
{
	char name[IPADDR_STRLEN], buf[LEASE_READ_MAX];
	const char *ifname = NULL;
	bool is_old = false;
	struct stat st;
	int r = store_ready(s, err);

	if (r < 0)
		return r;
	ipaddr_fmt(ip, name);
	/* The index must learn whose lease goes: read it first. */
	if (lease_read(&s->d, name, buf, sizeof(buf), &st) && buf[0])
		ifname = lease_split(buf, &is_old);
	r = lease_unlink(&s->d, name);
	if (r < 0)
		return cni_err_set(err, CNI_ERR_IO, -r, "cannot remove %s/%s",
				   s->d.path, name);
	if (r > 0)
		store_forget(s, name, ifname ? buf : NULL, ifname, is_old);
	return 0;
}

void store_note(struct store *s, const char *id, const char *ifname,
		const char *note)
{
	struct cni_err ignored = { 0 };

	if (store_ready(s, &ignored) == 0)
		index_note(s->x, id, ifname, note);
}

int store_last_reserved(struct store *s, int set, struct ipaddr *ret,
			struct cni_err *err)
{
	return lease_last_read(&s->d, set, ret, err);
}

int store_next_free(struct store *s, const struct ipaddr *lo,
		    const struct ipaddr *hi, struct ipaddr *ret,
		    bool *ret_found, struct cni_err *err)
{
	int r = store_ready(s, err);

	*ret_found = false;
	if (r < 0)
		return r;
	r = index_next_free(s->x, lo, hi, ret, ret_found);
	/* A damaged bitmap: catch up, which rebuilds them all. */
	if (r < 0 && r != -ENOMEM && !s->synced) {
		r = store_sync(s, err);
		if (r < 0)
			return r;
		r = index_next_free(s->x, lo, hi, ret, ret_found);
	}
	if (r < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, -r,
				   "cannot search %s for a free address",
				   s->d.path);
	return 0;
}

int store_recheck(struct store *s, bool *ret_again, struct cni_err *err)
{
	*ret_again = !s->synced;
	return s->synced ? 0 : store_sync(s, err);
}

struct store_list_ctx {
	store_list_fn fn;
	void *data;
	struct cni_err *err;
};

static int store_list_one(const char *id, const char *ifname, const char *note,
			  const struct index_hit *h, void *data)
{
	struct store_list_ctx *c = data;
	struct store_lease l = { .id = id, .ifname = ifname };

	l.note = h->attested ? note : NULL;
	l.mtime = (int64_t)h->st.st_mtim.tv_sec;
	if (ipaddr_parse(h->name, &l.ip) < 0)
		return 0;
	return c->fn(&l, c->data, c->err);
}

int store_list(struct store *s, store_list_fn fn, void *data,
	       struct cni_err *err)
{
	struct store_list_ctx c = { fn, data, err };
	int r = s->synced ? 0 : store_sync(s, err);

	if (r == 0)
		r = index_walk(s->x, store_list_one, &c);
	if (r < 0 && !err->code)
		return cni_err_set(err, CNI_ERR_INTERNAL, -r, "cannot list %s",
				   s->d.path);
	return r;
}
