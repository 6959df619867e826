// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <string.h>

#include "brisk/fwplan.h"

bool fw_port_is_wildcard(const struct fw_port *pm)
{
	static const uint8_t zero[16];

	return !pm->host_ip.family ||
	       memcmp(pm->host_ip.b, zero, ipaddr_len(pm->host_ip.family)) == 0;
}

const struct ipaddr *fw_plan_addr(const struct fw_plan *p, int family)
{
	for (size_t i = 0; i < p->n_addrs; i++)
		if (p->addrs[i].family == family)
			return &p->addrs[i];
	return NULL;
}

/* By family, then network address, then the wider prefix first. */
static int net_cmp(const void *a, const void *b)
{
	const struct ipnet *x = a, *y = b;
	int c;

	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	c = ipaddr_cmp(&x->addr, &y->addr);
	if (c)
		return c;
	return x->prefixlen - y->prefixlen;
}

void fw_nets_reduce(struct ipnet *nets, size_t *n)
{
	size_t out = 0;

	for (size_t i = 0; i < *n; i++)
		ipnet_first(&nets[i], &nets[i].addr);
	qsort(nets, *n, sizeof(*nets), net_cmp);
	/*
	 * Sorted so, a prefix inside another comes after it, and prefixes
	 * either nest or are disjoint: comparing with the last kept one is
	 * enough.
	 */
	for (size_t i = 0; i < *n; i++) {
		if (out > 0 &&
		    nets[out - 1].addr.family == nets[i].addr.family &&
		    ipnet_contains(&nets[out - 1], &nets[i].addr))
			continue;
		nets[out++] = nets[i];
	}
	*n = out;
}
