// SPDX-License-Identifier: Apache-2.0
/*
 * The allocation policy of the built-in IPAM (see ipam.h): host-local's
 * choices, made through the store façade.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brisk/cleanup.h"
#include "brisk/ipam.h"
#include "brisk/log.h"
#include "brisk/meta.h"
#include "brisk/stale.h"
#include "brisk/store.h"

/* What one allocation holds per set, and which of it this call took. */
struct ipam_alloc {
	struct ipaddr ip[IPAM_MAX_SETS];
	bool is_new[IPAM_MAX_SETS];
};

static int ipam_open(const struct ipamconf *c, const char *network,
		     struct store *s, struct cni_err *err)
{
	const char *dir = c->data_dir[0] ? c->data_dir : IPAM_DEFAULT_DATA_DIR;

	return store_open(dir, network, STORE_LOCK_TIMEOUT_MS, s, err);
}

/* The set and range holding @ip, or -1 in *ret_range when none does. */
static void ipam_find(const struct ipamconf *c, const struct ipaddr *ip,
		      size_t *ret_set, int *ret_range)
{
	*ret_range = -1;
	for (size_t set = 0; set < c->n_sets; set++) {
		*ret_set = set;
		*ret_range = rangeset_find(&c->sets[set], ip);
		if (*ret_range >= 0)
			return;
	}
}

/*
 * Assign each requested address to the set holding it (req[set], family 0
 * when none), as host-local does: one per set, never a gateway. Code 7.
 */
static int ipam_match_requests(const struct ipamconf *c, struct ipaddr *req,
			       struct cni_err *err)
{
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN];

	memset(req, 0, sizeof(*req) * IPAM_MAX_SETS);
	for (size_t i = 0; i < c->n_req_ips; i++) {
		const struct ipaddr *ip = &c->req_ips[i];
		size_t set = 0;
		int ri;

		ipam_find(c, ip, &set, &ri);
		if (ri < 0)
			return cni_err_set(
				err, CNI_ERR_CONFIG, EINVAL,
				"requested address %s is not in any range",
				ipaddr_fmt(ip, a));
		if (ipaddr_is_set(&req[set]))
			return cni_err_set(
				err, CNI_ERR_CONFIG, EINVAL,
				"requested addresses %s and %s are both in ipam.ranges[%zu]",
				ipaddr_fmt(&req[set], a), ipaddr_fmt(ip, b),
				set);
		if (ipaddr_eq(ip, &c->sets[set].r[ri].gw))
			return cni_err_set(
				err, CNI_ERR_CONFIG, EINVAL,
				"requested address %s is the gateway of ipam.ranges[%zu]",
				ipaddr_fmt(ip, a), set);
		req[set] = *ip;
	}
	return 0;
}

/* Describe a set as host-local does ("start-end,start-end") for details. */
static void ipam_detail_set(const struct ipam_rangeset *s, struct cni_err *err)
{
	char buf[512], a[IPADDR_STRLEN], b[IPADDR_STRLEN];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s-%s",
					i ? "," : "",
					ipaddr_fmt(&s->r[i].start, a),
					ipaddr_fmt(&s->r[i].end, b));
	cni_err_detail(err, "no IP addresses available in range set: %s", buf);
}

/* A stretch of a range set, in the order host-local walks it. */
struct ipam_seg {
	struct ipaddr lo;
	struct ipaddr hi;
	int ri;
};

/*
 * host-local's round robin as stretches: after @last to the end of its
 * range, the other ranges in order, then from its range's start to @last
 * itself; every range in order when @last is not in the set.
 */
static size_t ipam_segments(const struct ipam_rangeset *rs,
			    const struct ipaddr *last, struct ipam_seg *seg)
{
	int ri = rangeset_find(rs, last);
	size_t n = 0;

	if (ri < 0) {
		for (size_t i = 0; i < rs->n; i++)
			seg[n++] = (struct ipam_seg){ rs->r[i].start,
						      rs->r[i].end, (int)i };
		return n;
	}
	if (!ipaddr_eq(last, &rs->r[ri].end)) {
		seg[n] = (struct ipam_seg){ *last, rs->r[ri].end, ri };
		ipaddr_next(&seg[n++].lo);
	}
	for (size_t k = 1; k < rs->n; k++) {
		size_t i = ((size_t)ri + k) % rs->n;

		seg[n++] = (struct ipam_seg){ rs->r[i].start, rs->r[i].end,
					      (int)i };
	}
	seg[n++] = (struct ipam_seg){ rs->r[ri].start, *last, ri };
	return n;
}

/*
 * Take the first free address of one stretch, never its gateway, for
 * id/ifname. With @id NULL (STATUS) take nothing: *ret_ok says whether one
 * is free.
 */
static int ipam_search_seg(struct store *s, const struct ipam_seg *seg,
			   const struct ipaddr *gw, int set, const char *id,
			   const char *ifname, struct ipaddr *ret, bool *ret_ok,
			   struct cni_err *err)
{
	struct ipaddr cur = seg->lo;
	int r;

	for (;;) {
		r = store_next_free(s, &cur, &seg->hi, ret, ret_ok, err);
		if (r < 0 || !*ret_ok)
			return r;
		if (!ipaddr_eq(ret, gw)) {
			if (!id)
				return 0;
			r = store_reserve(s, ret, id, ifname, set, ret_ok, err);
			if (r < 0 || *ret_ok)
				return r;
		}
		*ret_ok = false;
		if (ipaddr_eq(ret, &seg->hi))
			return 0;
		cur = *ret;
		ipaddr_next(&cur);
	}
}

static int ipam_search(struct store *s, const struct ipamconf *c, size_t set,
		       const char *id, const char *ifname, struct ipaddr *ret,
		       bool *ret_ok, struct cni_err *err)
{
	const struct ipam_rangeset *rs = &c->sets[set];
	struct ipam_seg seg[RANGESET_MAX + 1];
	struct ipaddr last;
	size_t n;
	int r = 0;

	*ret_ok = false;
	r = store_last_reserved(s, (int)set, &last, err);
	n = ipam_segments(rs, &last, seg);
	for (size_t i = 0; i < n && !*ret_ok && r == 0; i++)
		r = ipam_search_seg(s, &seg[i], &rs->r[seg[i].ri].gw, (int)set,
				    id, ifname, ret, ret_ok, err);
	return r;
}

/*
 * The first free address after last_reserved_ip.<set>, taken for id/ifname
 * (only found, with @id NULL). Before saying there is none: catch up with
 * the files once, then, when the config allows it, reclaim stale leases.
 */
static int ipam_take_next(struct store *s, const struct ipamconf *c, size_t set,
			  const char *id, const char *ifname,
			  struct ipaddr *ret, struct cni_err *err)
{
	bool ok = false, again = false, reclaimed = !id || !c->reclaim_stale;
	size_t n;
	int r;

	for (;;) {
		r = ipam_search(s, c, set, id, ifname, ret, &ok, err);
		if (r < 0 || ok)
			return r;
		r = store_recheck(s, &again, err);
		if (r < 0)
			return r;
		if (again)
			continue;
		if (reclaimed)
			break;
		reclaimed = true;
		r = stale_reclaim(s, id, ifname, &n, err);
		if (r < 0)
			return r;
		if (n == 0)
			break;
	}
	cni_err_set(err, CNI_ERR_INTERNAL, ENOSPC,
		    "no free address in ipam.ranges[%zu]", set);
	ipam_detail_set(&c->sets[set], err);
	return -ENOSPC;
}

/* One address for @set: @req when given, else the next free one. */
static int ipam_take(struct store *s, const struct ipamconf *c, size_t set,
		     const struct ipaddr *req, const char *id,
		     const char *ifname, struct ipaddr *ret,
		     struct cni_err *err)
{
	char a[IPADDR_STRLEN];
	bool ok = false;
	int r;

	if (!ipaddr_is_set(req))
		return ipam_take_next(s, c, set, id, ifname, ret, err);
	r = store_reserve(s, req, id, ifname, (int)set, &ok, err);
	if (r < 0)
		return r;
	if (!ok)
		return cni_err_set(err, CNI_ERR_INTERNAL, EEXIST,
				   "requested address %s is already allocated",
				   ipaddr_fmt(req, a));
	*ret = *req;
	return 0;
}

/* For brisk gc and reclaimStale: where this attachment lives. */
static void ipam_note(struct store *s, const char *id, const char *ifname,
		      const char *netns)
{
	struct meta_attach m;
	char *note = NULL;

	if (meta_attach_init(&m, netns, store_boot(s)) == 0)
		note = meta_format(&m);
	if (note)
		store_note(s, id, ifname, note);
	free(note);
	meta_attach_clear(&m);
}

/*
 * 1 with what id/ifname holds in set @set in *ret, 0 when it holds nothing
 * there. A request for another address than the one held is refused, not
 * ignored.
 */
static int ipam_held(const struct ipamconf *c, size_t set,
		     const struct ipaddr *held, size_t n_held,
		     const struct ipaddr *req, const char *id,
		     const char *ifname, struct ipaddr *ret,
		     struct cni_err *err)
{
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN];

	for (size_t i = 0; i < n_held; i++) {
		if (rangeset_find(&c->sets[set], &held[i]) < 0)
			continue;
		if (ipaddr_is_set(req) && !ipaddr_eq(req, &held[i]))
			return cni_err_set(
				err, CNI_ERR_INTERNAL, EEXIST,
				"requested address %s, but %s/%s already holds %s in ipam.ranges[%zu]: DEL it first",
				ipaddr_fmt(req, a), id, ifname,
				ipaddr_fmt(&held[i], b), set);
		*ret = held[i];
		return 1;
	}
	return 0;
}

/*
 * Under the lock: reuse what id/ifname already holds in each set (a repeated
 * ADD returns the same addresses), take an address for every other set.
 */
static int ipam_store_alloc(struct store *s, const struct ipamconf *c,
			    const char *id, const char *ifname,
			    const struct ipaddr *req, const char *netns,
			    struct ipam_alloc *a, struct cni_err *err)
{
	struct ipaddr held[STORE_MAX_PER_ID];
	size_t n_held = 0;
	int r;

	r = store_find(s, id, ifname, held, STORE_MAX_PER_ID, &n_held, err);
	if (r < 0)
		return r;
	for (size_t set = 0; set < c->n_sets; set++) {
		r = ipam_held(c, set, held, n_held, &req[set], id, ifname,
			      &a->ip[set], err);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		r = ipam_take(s, c, set, &req[set], id, ifname, &a->ip[set],
			      err);
		if (r < 0)
			return r;
		a->is_new[set] = true;
	}
	ipam_note(s, id, ifname, netns);
	return 0;
}

/* Give back what this call took; the first error stays the reported one. */
static void ipam_rollback(struct store *s, const struct ipam_alloc *a)
{
	char buf[IPADDR_STRLEN];

	for (size_t set = 0; set < IPAM_MAX_SETS; set++) {
		struct cni_err e = { 0 };

		if (!a->is_new[set])
			continue;
		if (store_release_ip(s, &a->ip[set], &e) < 0)
			log_err("rollback: cannot release %s: %s (%s)",
				ipaddr_fmt(&a->ip[set], buf), e.msg, e.details);
	}
}

static void ipam_fill_lease(const struct ipamconf *c, size_t set,
			    const struct ipaddr *ip, struct ipam_lease *ret)
{
	const struct ipam_rangeset *rs = &c->sets[set];
	const struct ipam_range *r = &rs->r[rangeset_find(rs, ip)];

	ret->addr.addr = *ip;
	ret->addr.prefixlen = r->subnet.prefixlen;
	ret->gw = r->gw;
	ret->set = (int)set;
}

int ipam_allocate(const struct ipamconf *c, const char *network, const char *id,
		  const char *ifname, const char *netns, struct ipam_lease *ret,
		  size_t *ret_n, struct cni_err *err)
{
	_cleanup_(store_close) struct store s = STORE_INIT;
	struct ipaddr req[IPAM_MAX_SETS];
	struct ipam_alloc a = { 0 };
	int r;

	/* config/ipamconf.c: 1 to IPAM_MAX_SETS range sets. */
	*ret_n = 0;
	r = ipam_match_requests(c, req, err);
	if (r < 0)
		return r;
	r = ipam_open(c, network, &s, err);
	if (r < 0)
		return r;
	r = ipam_store_alloc(&s, c, id, ifname, req, netns, &a, err);
	if (r < 0) {
		ipam_rollback(&s, &a);
		return r;
	}
	store_close(&s);
	for (size_t set = 0; set < c->n_sets; set++)
		ipam_fill_lease(c, set, &a.ip[set], &ret[set]);
	*ret_n = c->n_sets;
	return 0;
}

int ipam_release(const struct ipamconf *c, const char *network, const char *id,
		 const char *ifname, struct ipam_freed *ret,
		 struct cni_err *err)
{
	_cleanup_(store_close) struct store s = STORE_INIT;
	struct ipam_freed ignored;
	int r = ipam_open(c, network, &s, err);

	if (!ret)
		ret = &ignored;
	ret->n = 0;
	if (r == 0)
		r = store_release(&s, id, ifname, ret->ip, IPAM_FREED_MAX,
				  &ret->n, err);
	if (ret->n > IPAM_FREED_MAX)
		ret->n = IPAM_FREED_MAX;
	return r;
}

int ipam_check(const struct ipamconf *c, const char *network, const char *id,
	       const char *ifname, const struct ipaddr *ips, size_t n,
	       struct cni_err *err)
{
	_cleanup_(store_close) struct store s = STORE_INIT;
	struct ipaddr held[STORE_MAX_PER_ID];
	char buf[IPADDR_STRLEN];
	size_t n_held = 0;
	int r = ipam_open(c, network, &s, err);

	if (r == 0)
		r = store_find(&s, id, ifname, held, STORE_MAX_PER_ID, &n_held,
			       err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool found = false;

		for (size_t j = 0; j < n_held && !found; j++)
			found = ipaddr_eq(&ips[i], &held[j]);
		if (found)
			continue;
		cni_err_set(err, CNI_ERR_INTERNAL, ENOENT,
			    "address %s is not leased to this container",
			    ipaddr_fmt(&ips[i], buf));
		cni_err_detail(err, "container %s, interface %s, network %s",
			       id, ifname, network);
		return -ENOENT;
	}
	return r;
}

int ipam_status(const struct ipamconf *c, const char *network,
		struct cni_err *err)
{
	_cleanup_(store_close) struct store s = STORE_INIT;
	struct ipaddr free_ip;
	int r = ipam_open(c, network, &s, err);

	if (r == 0 && !store_writable(&s))
		r = cni_err_set(err, CNI_ERR_UNAVAILABLE, errno,
				"lease store %s is not writable", s.d.path);
	for (size_t set = 0; r == 0 && set < c->n_sets; set++) {
		r = ipam_take_next(&s, c, set, NULL, NULL, &free_ip, err);
		if (r == -ENOSPC)
			err->code = CNI_ERR_UNAVAILABLE;
	}
	if (r < 0 && err->code == CNI_ERR_IO)
		err->code = CNI_ERR_UNAVAILABLE;
	return r;
}
