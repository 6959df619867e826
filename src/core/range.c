// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "brisk/range.h"

/* Check one optional address of @r: same family and inside the subnet. */
static int range_check_in_subnet(const struct ipam_range *r,
				 const struct ipaddr *a, const char *what,
				 const char *key, struct cni_err *err)
{
	char as[IPADDR_STRLEN], ns[IPNET_STRLEN];

	if (!ipaddr_is_set(a) || ipnet_contains(&r->subnet, a))
		return 0;
	ipaddr_fmt(a, as);
	ipnet_fmt(&r->subnet, ns);
	if (a->family != r->subnet.addr.family)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: %s %s is not the same family as subnet %s",
				   key, what, as, ns);
	return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
			   "%s: %s %s is not in subnet %s", key, what, as, ns);
}

/* The subnet itself: set, a network address, at least two host bits. */
static int range_check_subnet(const struct ipam_range *r, const char *key,
			      struct cni_err *err)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	char ns[IPNET_STRLEN], first[IPADDR_STRLEN];
	struct ipaddr net;
	int bits = (int)ipaddr_len(r->subnet.addr.family) * 8;

	if (bits == 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: subnet is missing", key);
	ipnet_fmt(&r->subnet, ns);
	if (!ipnet_is_network(&r->subnet)) {
		ipnet_first(&r->subnet, &net);
		cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
			    "%s: subnet %s has host bits set", key, ns);
		cni_err_detail(err, "the network address is %s/%d",
			       ipaddr_fmt(&net, first), r->subnet.prefixlen);
		return -EINVAL;
	}
	/*
	 * The reference reads ::ffff:a.b.c.d as IPv4 and refuses such a subnet
	 * (its mask is IPv6); brisk would hand out addresses no IPv6 peer
	 * routes to and host-local names differently.
	 */
	if (r->subnet.addr.family == AF_INET6 &&
	    memcmp(r->subnet.addr.b, v4mapped, sizeof(v4mapped)) == 0)
		return cni_err_set(
			err, CNI_ERR_CONFIG, EINVAL,
			"%s: subnet %s is IPv4-mapped IPv6: give the IPv4 subnet",
			key, ns);
	/* A /31 or /32 (/127, /128) leaves nothing to hand out. */
	if (r->subnet.prefixlen > bits - 2)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: subnet %s is too small to allocate from",
				   key, ns);
	return 0;
}

int range_canonicalize(struct ipam_range *r, bool default_gw, const char *key,
		       struct cni_err *err)
{
	char ss[IPADDR_STRLEN], es[IPADDR_STRLEN];
	struct ipaddr net;
	int ret;

	ret = range_check_subnet(r, key, err);
	if (ret < 0)
		return ret;
	ret = range_check_in_subnet(r, &r->gw, "gateway", key, err);
	if (ret < 0)
		return ret;
	ret = range_check_in_subnet(r, &r->start, "rangeStart", key, err);
	if (ret < 0)
		return ret;
	ret = range_check_in_subnet(r, &r->end, "rangeEnd", key, err);
	if (ret < 0)
		return ret;

	ipnet_first(&r->subnet, &net);
	ipaddr_next(&net);
	if (!ipaddr_is_set(&r->gw) && default_gw)
		r->gw = net;
	if (!ipaddr_is_set(&r->start))
		r->start = net;
	if (!ipaddr_is_set(&r->end)) {
		ipnet_last(&r->subnet, &r->end);
		/* IPv4 broadcast is not a host address; IPv6 has none. */
		if (r->end.family == AF_INET)
			ipaddr_prev(&r->end);
	}
	if (ipaddr_cmp(&r->start, &r->end) > 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: rangeStart %s is after rangeEnd %s",
				   key, ipaddr_fmt(&r->start, ss),
				   ipaddr_fmt(&r->end, es));
	return 0;
}

/* Whether the start..end intervals of two ranges share an address. */
static bool range_overlaps(const struct ipam_range *a,
			   const struct ipam_range *b)
{
	if (a->start.family != b->start.family)
		return false;
	return ipaddr_cmp(&a->start, &b->end) <= 0 &&
	       ipaddr_cmp(&b->start, &a->end) <= 0;
}

int rangeset_validate(const struct ipam_rangeset *s, const char *key,
		      struct cni_err *err)
{
	char a1[IPADDR_STRLEN], a2[IPADDR_STRLEN];
	char b1[IPADDR_STRLEN], b2[IPADDR_STRLEN];
	const struct ipam_range *x, *y;

	if (s->n == 0 || s->n > RANGESET_MAX)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: a range set needs 1 to %d ranges", key,
				   RANGESET_MAX);
	for (size_t i = 1; i < s->n; i++)
		if (s->r[i].subnet.addr.family != s->r[0].subnet.addr.family)
			return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
					   "%s: mixed address families", key);
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = i + 1; j < s->n; j++) {
			x = &s->r[i];
			y = &s->r[j];
			if (!range_overlaps(x, y))
				continue;
			return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
					   "%s: ranges %s-%s and %s-%s overlap",
					   key, ipaddr_fmt(&x->start, a1),
					   ipaddr_fmt(&x->end, a2),
					   ipaddr_fmt(&y->start, b1),
					   ipaddr_fmt(&y->end, b2));
		}
	}
	return 0;
}

bool rangeset_overlaps(const struct ipam_rangeset *a,
		       const struct ipam_rangeset *b)
{
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (range_overlaps(&a->r[i], &b->r[j]))
				return true;
	return false;
}

int rangeset_find(const struct ipam_rangeset *s, const struct ipaddr *ip)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct ipam_range *r = &s->r[i];

		if (ip->family == r->start.family &&
		    ipaddr_cmp(ip, &r->start) >= 0 &&
		    ipaddr_cmp(ip, &r->end) <= 0)
			return (int)i;
	}
	return -1;
}

void rangeset_iter_init(struct rangeset_iter *it, const struct ipam_rangeset *s,
			const struct ipaddr *last)
{
	int ri = last ? rangeset_find(s, last) : -1;

	memset(it, 0, sizeof(*it));
	it->set = s;
	it->done = s->n == 0;
	if (ri >= 0) {
		/* The first next() steps past @last, as host-local's does. */
		it->ri = ri;
		it->cur = *last;
	}
}

/*
 * One step of host-local's RangeIter.Next() without its gateway recursion:
 * advance the cursor, remember the first address seen, and report whether
 * the walk is back where it began.
 */
static bool rangeset_iter_step(struct rangeset_iter *it)
{
	const struct ipam_range *r = &it->set->r[it->ri];

	if (!ipaddr_is_set(&it->cur)) {
		it->cur = r->start;
	} else if (ipaddr_eq(&it->cur, &r->end)) {
		it->ri = (it->ri + 1) % (int)it->set->n;
		it->cur = it->set->r[it->ri].start;
	} else {
		ipaddr_next(&it->cur);
	}
	if (!it->started) {
		it->started = true;
		it->start = it->cur;
		it->start_ri = it->ri;
		return true;
	}
	return !ipaddr_eq(&it->cur, &it->start);
}

bool rangeset_iter_next(struct rangeset_iter *it, struct ipaddr *ret,
			int *ret_range)
{
	while (!it->done) {
		if (!rangeset_iter_step(it)) {
			it->done = true;
			break;
		}
		if (ipaddr_eq(&it->cur, &it->set->r[it->ri].gw))
			continue;
		*ret = it->cur;
		if (ret_range)
			*ret_range = it->ri;
		return true;
	}
	return false;
}
