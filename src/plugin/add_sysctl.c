// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "brisk/netns.h"
#include "brisk/sysctl.h"
#include "add.h"

#define ADD_SYSCTL_MAX 12

static bool add_has_ipv6(const struct add_state *s)
{
	for (int i = s->own_ip0; i < s->res.n_ips; i++)
		if (s->res.ips[i].addr.addr.family == AF_INET6)
			return true;
	return false;
}

/*
 * The reference's settings, and brisk's own: an interface whose addresses
 * and routes come from IPAM takes none from a router advertisement, which
 * anyone on the bridge can send (plugins#160). Set before the link is up,
 * so there is no moment when one would be taken.
 */
static size_t add_sysctl_list(const struct add_state *s, struct sysctl_set *l)
{
	const char *ifn = s->a.env->ifname;
	bool dad = s->a.conf->enable_dad;
	size_t n = 0;

	if (add_has_ipv6(s)) {
		sysctl_set_if(&l[n++], 6, "lo", "disable_ipv6", "0", false);
		sysctl_set_if(&l[n++], 6, ifn, "disable_ipv6", "0", false);
		sysctl_set_if(&l[n++], 6, ifn, "keep_addr_on_down", "1", false);
	}
	sysctl_set_if(&l[n++], 6, ifn, "accept_ra", "0", false);
	sysctl_set_if(&l[n++], 6, ifn, "autoconf", "0", false);
	sysctl_set_if(&l[n++], 6, ifn, "accept_dad", dad ? "1" : "0", true);
	if (dad)
		sysctl_set_if(&l[n++], 6, ifn, "enhanced_dad", "1", true);
	/* A re-used address is announced when the link comes up (plugins#858). */
	sysctl_set_if(&l[n++], 4, ifn, "arp_notify", "1", true);
	sysctl_set_if(&l[n++], 6, ifn, "ndisc_notify", "1", true);
	return n;
}

int add_sysctls(struct add_state *s, struct cni_err *err)
{
	struct sysctl_set l[ADD_SYSCTL_MAX];
	size_t n;

	/* Layer 2 only: the container owns its interface's configuration. */
	if (s->a.conf->ipam.kind == IPAM_NONE)
		return 0;
	n = add_sysctl_list(s, l);
	return netns_sysctl_apply(s->a.nsfd, l, n, err);
}
