// SPDX-License-Identifier: Apache-2.0
/* Stale leases: found from brisk's attachment records, judged by meta.c. */
#include <stdlib.h>
#include <string.h>

#include "brisk/cleanup.h"
#include "brisk/grow.h"
#include "brisk/ipam.h"
#include "brisk/log.h"
#include "stale.h"

struct stale_item {
	struct ipaddr ip;
	char *id;
	char *ifname;
	enum meta_verdict why;
};

struct stale_list {
	struct stale_item *v;
	size_t n;
	size_t cap;
	char boot[META_BOOT_ID_LEN];
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
	memset(l, 0, sizeof(*l));
}

static int stale_add(struct stale_list *l, const struct ipaddr *ip,
		     const struct lease_owner *o, enum meta_verdict why)
{
	struct stale_item *it;

	if (GROW_ONE(l->v, l->cap, l->n, 16) < 0)
		return -ENOMEM;
	it = &l->v[l->n];
	it->ip = *ip;
	it->why = why;
	it->id = strdup(o->id);
	it->ifname = strdup(o->ifname);
	if (!it->id || !it->ifname) {
		free(it->id);
		free(it->ifname);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static int stale_visit(const struct lease_owner *o, void *data,
		       struct cni_err *err)
{
	struct stale_list *l = data;
	enum meta_verdict why;

	if (l->skip_id && strcmp(o->id, l->skip_id) == 0 &&
	    strcmp(o->ifname, l->skip_ifname) == 0)
		return 0;
	why = meta_judge(o->meta, l->boot, &l->live);
	if (why == META_LIVE)
		return 0;
	for (size_t i = 0; i < o->n; i++)
		if (stale_add(l, &o->ips[i], o, why) < 0)
			return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
					   "out of memory");
	return 0;
}

/* Under the lock: collect the stale leases, and release them if @apply. */
static int stale_collect(struct lease_store *s, struct stale_list *l,
			 bool apply, struct cni_err *err)
{
	char buf[IPADDR_STRLEN];
	int r;

	r = lease_owner_walk(s, stale_visit, l, err);
	for (size_t i = 0; r == 0 && apply && i < l->n; i++) {
		log_info("%s: releasing stale lease %s of %s/%s (%s)", s->path,
			 ipaddr_fmt(&l->v[i].ip, buf), l->v[i].id,
			 l->v[i].ifname, meta_verdict_str(l->v[i].why));
		r = lease_release_ip(s, &l->v[i].ip, err);
	}
	return r;
}

int stale_reclaim(struct lease_store *s, const char *id, const char *ifname,
		  size_t *ret_n, struct cni_err *err)
{
	struct stale_list l = { .skip_id = id, .skip_ifname = ifname };
	int r;

	*ret_n = 0;
	meta_boot_id(l.boot);
	/* Best effort: without the scan the namespace checks still hold. */
	if (meta_live_scan(&l.live) < 0)
		memset(&l.live, 0, sizeof(l.live));
	r = stale_collect(s, &l, true, err);
	if (r == 0)
		*ret_n = l.n;
	stale_list_clear(&l);
	return r;
}

int ipam_gc_stale(const char *data_dir, const char *network, bool apply,
		  ipam_stale_fn fn, void *data, size_t *ret_n,
		  struct cni_err *err)
{
	struct lease_store s = LEASE_STORE_INIT;
	struct stale_list l = { 0 };
	int r;

	*ret_n = 0;
	meta_boot_id(l.boot);
	if (meta_live_scan(&l.live) < 0)
		memset(&l.live, 0, sizeof(l.live));
	r = lease_store_open(data_dir, network, &s, err);
	if (r == 0)
		r = lease_store_lock(&s, IPAM_LOCK_TIMEOUT_MS, err);
	if (r == 0)
		r = stale_collect(&s, &l, apply, err);
	lease_store_close(&s);
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		struct ipam_stale st = { l.v[i].ip, l.v[i].id, l.v[i].ifname,
					 l.v[i].why };

		fn(&st, data);
	}
	if (r == 0)
		*ret_n = l.n;
	stale_list_clear(&l);
	return r;
}
