// SPDX-License-Identifier: Apache-2.0
/* Attachment records in the index: written by ADD, read to judge staleness. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/log.h"
#include "lease_int.h"

static int lease_note_fn(struct index_owner *o, bool found,
			 const struct meta_attach *m)
{
	struct meta_attach copy;

	if (!found)
		return 1; /* no lease, nothing to describe */
	if (meta_attach_copy(&copy, m) < 0)
		return -ENOMEM;
	meta_attach_clear(&o->meta);
	o->meta = copy;
	o->has_meta = true;
	/* The record describes the files as the index knows them now. */
	for (size_t i = 0; i < o->n; i++)
		o->addrs[i].attested = true;
	return 0;
}

void lease_note_owner(struct lease_store *s, const char *id, const char *ifname,
		      const struct meta_attach *m)
{
	_cleanup_free_ char *buf = NULL, *out = NULL;
	struct index_owner o;
	struct index_slot slot;
	char key[INDEX_NAME_LEN];
	size_t len = 0, out_len = 0;
	bool found = false;
	int r;

	if (!index_ready(s))
		return;
	index_key(id, ifname, false, key);
	r = index_raw_load(s, key, &buf, &len);
	if (r == 0)
		r = index_raw_find(buf, len, id, ifname, false, &o, &slot,
				   &found);
	if (r == 0) {
		r = lease_note_fn(&o, found, m);
		if (r == 0) {
			index_touch(s);
			out = index_raw_splice(buf, len, &slot, &o, &out_len);
			r = out ? index_raw_store(s, key, out, out_len) :
				  -ENOMEM;
		}
		index_owner_clear(&o);
	}
	if (r < 0)
		index_invalidate(s, "cannot write an attachment record");
}

struct lease_walk_buf {
	char *content;
	struct ipaddr *ips;
	size_t cap;
};

/* The leases of @o that are still exactly the files its record describes. */
static int lease_owner_verified(struct lease_store *s,
				const struct index_owner *o,
				struct lease_walk_buf *w, size_t *ret_n)
{
	*ret_n = 0;
	if (o->n > w->cap) {
		struct ipaddr *p = realloc(w->ips, o->n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->ips = p;
		w->cap = o->n;
	}
	for (size_t i = 0; i < o->n; i++) {
		const struct index_addr *a = &o->addrs[i];
		struct lease_stamp st;

		if (!a->attested ||
		    !lease_read_file(s, a->name, w->content, LEASE_READ_MAX,
				     &st) ||
		    !lease_stamp_eq(&st, &a->st) ||
		    lease_match(w->content, o->id, o->ifname) !=
			    LEASE_MATCH_NEW ||
		    ipaddr_parse(a->name, &w->ips[*ret_n]) < 0)
			continue;
		(*ret_n)++;
	}
	return 0;
}

static int lease_owner_bucket(struct lease_store *s, const char *name,
			      struct lease_walk_buf *w, lease_owner_fn fn,
			      void *data, struct cni_err *err)
{
	struct index_bucket b;
	int r;

	r = index_bucket_load(s, name, &b);
	if (r < 0) {
		/* Not now: the next call rebuilds it. */
		index_invalidate(s, "unreadable owner record");
		return 0;
	}
	for (size_t i = 0; r == 0 && i < b.n; i++) {
		const struct index_owner *o = &b.o[i];
		struct lease_owner lo = { o->id, o->ifname, &o->meta, 0,
					  w->ips };

		if (!o->has_meta || o->is_old)
			continue;
		r = lease_owner_verified(s, o, w, &lo.n);
		lo.ips = w->ips;
		if (r == 0 && lo.n > 0)
			r = fn(&lo, data, err);
	}
	index_bucket_free(&b);
	if (r == -ENOMEM)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	return r;
}

int lease_owner_walk(struct lease_store *s, lease_owner_fn fn, void *data,
		     struct cni_err *err)
{
	struct lease_walk_buf w = { 0 };
	struct dirent *de;
	DIR *d = NULL;
	int fd = -1, r = 0;

	if (!index_ready(s))
		return 0;
	r = index_subdir(s, "ids", true);
	if (r >= 0)
		fd = openat(r, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	w.content = malloc(LEASE_READ_MAX);
	if (fd < 0 || !w.content || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		free(w.content);
		return cni_err_set(err, CNI_ERR_IO, errno ?: EIO,
				   "cannot read brisk's index of %s", s->path);
	}
	r = 0;
	while (r >= 0 && (de = readdir(d)))
		if (strlen(de->d_name) == INDEX_NAME_LEN - 1)
			r = lease_owner_bucket(s, de->d_name, &w, fn, data,
					       err);
	closedir(d);
	free(w.content);
	free(w.ips);
	return r < 0 ? r : 0;
}
