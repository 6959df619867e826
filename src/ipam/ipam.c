// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>

#include "brisk/cleanup.h"
#include "brisk/ipam.h"
#include "brisk/lease.h"
#include "brisk/log.h"
#include "stale.h"

/* What one allocation holds per set, and which of it this call took. */
struct ipam_alloc {
	struct ipaddr ip[IPAM_MAX_SETS];
	bool is_new[IPAM_MAX_SETS];
};

static int ipam_open_locked(const struct ipamconf *c, const char *network,
			    struct lease_store *s, struct cni_err *err)
{
	const char *dir = c->data_dir[0] ? c->data_dir : IPAM_DEFAULT_DATA_DIR;
	int r;

	r = lease_store_open(dir, network, s, err);
	if (r < 0)
		return r;
	return lease_store_lock(s, IPAM_LOCK_TIMEOUT_MS, err);
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
			return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
					   "requested address %s is not in any range",
					   ipaddr_fmt(ip, a));
		if (ipaddr_is_set(&req[set]))
			return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
					   "requested addresses %s and %s are both in ipam.ranges[%zu]",
					   ipaddr_fmt(&req[set], a),
					   ipaddr_fmt(ip, b), set);
		if (ipaddr_eq(ip, &c->sets[set].r[ri].gw))
			return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
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

/* Try the free candidates of one stretch in order, skipping the gateway. */
static int ipam_search_seg(struct lease_store *s, const struct ipam_seg *seg,
			   const struct ipaddr *gw, int set, const char *id,
			   const char *ifname, struct ipaddr *ret, bool *ret_ok,
			   struct cni_err *err)
{
	struct ipaddr cur = seg->lo, cand;
	bool found;
	int r;

	for (;;) {
		r = lease_next_free(s, &cur, &seg->hi, &cand, &found, err);
		if (r < 0 || !found)
			return r;
		if (!ipaddr_eq(&cand, gw)) {
			r = lease_reserve(s, &cand, id, ifname, set, ret_ok,
					  err);
			if (r < 0 || *ret_ok) {
				*ret = cand;
				return r;
			}
		}
		if (ipaddr_eq(&cand, &seg->hi))
			return 0;
		cur = cand;
		ipaddr_next(&cur);
	}
}

static int ipam_search(struct lease_store *s, const struct ipamconf *c,
		       size_t set, const char *id, const char *ifname,
		       struct ipaddr *ret, bool *ret_ok, struct cni_err *err)
{
	const struct ipam_rangeset *rs = &c->sets[set];
	struct ipam_seg seg[RANGESET_MAX + 1];
	struct ipaddr last;
	size_t n;
	int r;

	*ret_ok = false;
	r = lease_last_reserved(s, (int)set, &last, err);
	if (r < 0)
		return r;
	n = ipam_segments(rs, &last, seg);
	for (size_t i = 0; i < n && !*ret_ok && r == 0; i++)
		r = ipam_search_seg(s, &seg[i], &rs->r[seg[i].ri].gw, (int)set,
				    id, ifname, ret, ret_ok, err);
	return r;
}

/*
 * Reserve the first free address after last_reserved_ip.<set>. Before
 * saying there is none: re-read the store once (the index may be behind),
 * then, when the config allows it, reclaim stale leases once.
 */
static int ipam_take_next(struct lease_store *s, const struct ipamconf *c,
			  size_t set, const char *id, const char *ifname,
			  struct ipaddr *ret, struct cni_err *err)
{
	bool ok = false, again = false, reclaimed = false;
	size_t n;
	int r;

	for (;;) {
		r = ipam_search(s, c, set, id, ifname, ret, &ok, err);
		if (r < 0 || ok)
			return r;
		lease_recheck(s, &again);
		if (again)
			continue;
		if (!c->reclaim_stale || reclaimed)
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
static int ipam_take(struct lease_store *s, const struct ipamconf *c,
		     size_t set, const struct ipaddr *req, const char *id,
		     const char *ifname, struct ipaddr *ret,
		     struct cni_err *err)
{
	char a[IPADDR_STRLEN];
	bool ok = false;
	int r;

	if (!ipaddr_is_set(req))
		return ipam_take_next(s, c, set, id, ifname, ret, err);
	r = lease_reserve(s, req, id, ifname, (int)set, &ok, err);
	if (r < 0)
		return r;
	if (!ok)
		return cni_err_set(err, CNI_ERR_INTERNAL, EEXIST,
				   "requested address %s is already allocated",
				   ipaddr_fmt(req, a));
	*ret = *req;
	return 0;
}

/*
 * Under the lock: reuse what id/ifname already holds in each set (a repeated
 * ADD returns the same addresses), take an address for every other set.
 */
static int ipam_store_alloc(struct lease_store *s, const struct ipamconf *c,
			    const char *id, const char *ifname,
			    const struct ipaddr *req,
			    const struct meta_attach *m, struct ipam_alloc *a,
			    struct cni_err *err)
{
	struct ipaddr held[LEASE_MAX_PER_ID];
	size_t n_held = 0;
	int r;

	r = lease_find_by_id(s, id, ifname, held, LEASE_MAX_PER_ID, &n_held,
			     err);
	if (r < 0)
		return r;
	for (size_t set = 0; set < c->n_sets; set++) {
		bool is_held = false;

		for (size_t i = 0; i < n_held && !is_held; i++) {
			is_held = rangeset_find(&c->sets[set], &held[i]) >= 0;
			if (is_held)
				a->ip[set] = held[i];
		}
		if (is_held)
			continue;
		r = ipam_take(s, c, set, &req[set], id, ifname, &a->ip[set],
			      err);
		if (r < 0)
			return r;
		a->is_new[set] = true;
	}
	/* For brisk gc and reclaimStale: where this attachment lives. */
	lease_note_owner(s, id, ifname, m);
	return 0;
}

/* Give back what this call took; the first error stays the reported one. */
static void ipam_rollback(struct lease_store *s, const struct ipam_alloc *a)
{
	char buf[IPADDR_STRLEN];

	for (size_t set = 0; set < IPAM_MAX_SETS; set++) {
		struct cni_err e = { 0 };

		if (!a->is_new[set])
			continue;
		if (lease_release_ip(s, &a->ip[set], &e) < 0)
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

static void ipam_meta_clear(struct meta_attach *m)
{
	meta_attach_clear(m);
}

int ipam_allocate(const struct ipamconf *c, const char *network,
		  const char *id, const char *ifname, const char *netns,
		  struct ipam_lease *ret, size_t *ret_n, struct cni_err *err)
{
	_cleanup_(lease_store_close) struct lease_store s = LEASE_STORE_INIT;
	_cleanup_(ipam_meta_clear) struct meta_attach m = { 0 };
	char boot[META_BOOT_ID_LEN];
	struct ipaddr req[IPAM_MAX_SETS];
	struct ipam_alloc a = { 0 };
	int r;

	*ret_n = 0;
	if (c->n_sets == 0 || c->n_sets > IPAM_MAX_SETS)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "ipam.ranges: need 1 to %d range sets",
				   IPAM_MAX_SETS);
	r = ipam_match_requests(c, req, err);
	if (r < 0)
		return r;
	/* Outside the lock: the record of this attachment. */
	meta_boot_id(boot);
	if (meta_attach_init(&m, netns, boot) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	r = ipam_open_locked(c, network, &s, err);
	if (r < 0)
		return r;
	r = ipam_store_alloc(&s, c, id, ifname, req, &m, &a, err);
	if (r < 0) {
		ipam_rollback(&s, &a);
		return r;
	}
	lease_store_close(&s);
	for (size_t set = 0; set < c->n_sets; set++)
		ipam_fill_lease(c, set, &a.ip[set], &ret[set]);
	*ret_n = c->n_sets;
	return 0;
}

int ipam_release(const struct ipamconf *c, const char *network,
		 const char *id, const char *ifname, struct cni_err *err)
{
	_cleanup_(lease_store_close) struct lease_store s = LEASE_STORE_INIT;
	int r;

	r = ipam_open_locked(c, network, &s, err);
	if (r < 0)
		return r;
	return lease_release_by_id(&s, id, ifname, err);
}

int ipam_check(const struct ipamconf *c, const char *network, const char *id,
	       const char *ifname, const struct ipaddr *ips, size_t n,
	       struct cni_err *err)
{
	_cleanup_(lease_store_close) struct lease_store s = LEASE_STORE_INIT;
	struct ipaddr held[LEASE_MAX_PER_ID];
	char buf[IPADDR_STRLEN];
	size_t n_held = 0;
	int r;

	r = ipam_open_locked(c, network, &s, err);
	if (r < 0)
		return r;
	r = lease_find_by_id(&s, id, ifname, held, LEASE_MAX_PER_ID, &n_held,
			     err);
	if (r < 0)
		return r;
	lease_store_close(&s);
	for (size_t i = 0; i < n; i++) {
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
	return 0;
}
