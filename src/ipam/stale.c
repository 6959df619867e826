// SPDX-License-Identifier: Apache-2.0
/*
 * Stale leases (see stale.h): the store's notes judged by meta.c, under the
 * store's lock; a lease is released only when its note says for certain
 * that its attachment is gone, never the attachment being made.
 */
#include <stdlib.h>
#include <string.h>

#include "brisk/grow.h"
#include "brisk/log.h"
#include "brisk/stale.h"

struct stale_list {
	struct stale_lease *v;
	size_t n;
	size_t cap;
	const char *boot;
	struct meta_live live;
	const char *skip_id; /* the attachment being made: never stale */
	const char *skip_ifname;
};

static void stale_list_clear(struct stale_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].ifname);
	}
	free(l->v);
	meta_live_clear(&l->live);
}

static int stale_visit(const struct store_lease *sl, void *data,
		       struct cni_err *err)
{
	struct stale_list *l = data;
	struct meta_attach m;
	struct stale_lease *it;
	enum meta_verdict why;

	if (!sl->note || (l->skip_id && strcmp(sl->id, l->skip_id) == 0 &&
			  strcmp(sl->ifname, l->skip_ifname) == 0))
		return 0;
	if (meta_parse(sl->note, &m) < 0)
		return 0; /* not a record we can judge by */
	why = meta_judge(&m, l->boot, &l->live);
	meta_attach_clear(&m);
	if (why == META_LIVE)
		return 0;
	if (GROW_ONE(l->v, l->cap, l->n, 16) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	it = &l->v[l->n];
	*it = (struct stale_lease){ sl->ip, strdup(sl->id), strdup(sl->ifname),
				    why };
	if (!it->id || !it->ifname) {
		free(it->id);
		free(it->ifname);
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	}
	l->n++;
	return 0;
}

/* Under the lock: collect the stale leases, and release them if @apply. */
static int stale_collect(struct store *s, struct stale_list *l, bool apply,
			 struct cni_err *err)
{
	char buf[IPADDR_STRLEN];
	int r;

	l->boot = store_boot(s);
	/* Best effort: without the scan the namespace checks still hold. */
	if (meta_live_scan(&l->live) < 0)
		memset(&l->live, 0, sizeof(l->live));
	r = store_list(s, stale_visit, l, err);
	for (size_t i = 0; r == 0 && apply && i < l->n; i++) {
		log_info("%s: releasing stale lease %s of %s/%s (%s)",
			 s->d.path, ipaddr_fmt(&l->v[i].ip, buf), l->v[i].id,
			 l->v[i].ifname, meta_verdict_str(l->v[i].why));
		r = store_release_ip(s, &l->v[i].ip, err);
	}
	return r;
}

int stale_reclaim(struct store *s, const char *id, const char *ifname,
		  size_t *ret_n, struct cni_err *err)
{
	struct stale_list l = { .skip_id = id, .skip_ifname = ifname };
	int r = stale_collect(s, &l, true, err);

	*ret_n = r == 0 ? l.n : 0;
	stale_list_clear(&l);
	return r;
}

int stale_gc(const char *data_dir, const char *network, bool apply, stale_fn fn,
	     void *data, size_t *ret_n, struct cni_err *err)
{
	struct store s = STORE_INIT;
	struct stale_list l = { 0 };
	int r;

	*ret_n = 0;
	r = store_open(data_dir, network, STORE_LOCK_TIMEOUT_MS, &s, err);
	if (r == 0)
		r = stale_collect(&s, &l, apply, err);
	store_close(&s);
	for (size_t i = 0; r == 0 && i < l.n; i++)
		fn(&l.v[i], data);
	if (r == 0)
		*ret_n = l.n;
	stale_list_clear(&l);
	return r;
}
