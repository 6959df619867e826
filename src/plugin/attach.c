// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "brisk/attach.h"
#include "brisk/delegate.h"
#include "brisk/ipam.h"
#include "brisk/log.h"
#include "brisk/netns.h"
#include "brisk/sysctl.h"

void attach_host_ifname(const char *id, const char *ifname, char *ret)
{
	/* FNV-1a: stable across versions and machines, cheap, good spread. */
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL; /* separator: "ab"+"c" != "a"+"bc" */
	for (const char *p = ifname; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	snprintf(ret, IFNAMSIZ, "veth%011llx",
		 (unsigned long long)(h & 0xfffffffffffULL));
}

void attach_random_mac(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6) {
		/* getrandom on 6 bytes does not fail after boot; be safe anyway. */
		uint64_t t = (uint64_t)(uintptr_t)mac ^ (uint64_t)getpid() << 20;

		memcpy(mac, &t, 6);
	}
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}

int attach_open(struct attach *a, const struct cni_env *env,
		struct netconf *c, bool may_be_gone, struct cni_err *err)
{
	struct cni_err nserr = { 0 };
	int r;

	memset(a, 0, sizeof(*a));
	a->env = env;
	a->conf = c;
	a->nsfd = -1;
	attach_host_ifname(env->container_id, env->ifname, a->host_ifname);
	r = netlink_open(&a->host, err);
	if (r < 0 || !*env->netns)
		return r;
	r = netns_open(env->netns, &a->nsfd, &nserr);
	/* A leftover mount point of a dead namespace is a plain file. */
	if (may_be_gone && (r == -ENOENT || r == -EINVAL)) {
		log_info("namespace %s is gone", env->netns);
		return 0;
	}
	if (r == -ENOENT)
		return cni_err_set(err, CNI_ERR_ENV, ENOENT,
				   "CNI_NETNS: %.200s does not exist",
				   env->netns);
	if (r < 0) {
		*err = nserr;
		return r;
	}
	return netns_netlink_open(a->nsfd, &a->cont, err);
}

void attach_close(struct attach *a)
{
	netlink_close(&a->cont);
	netlink_close(&a->host);
	if (a->nsfd >= 0)
		close(a->nsfd);
	a->nsfd = -1;
}

/* A bridge (nothing else is touched), its sysctls set, then up. */
static int bridge_check(struct attach *a, const struct link_info *li,
			bool is_new, struct cni_err *err)
{
	struct sysctl_set set[2];
	int r;

	if (strcmp(li->kind, "bridge") != 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EEXIST,
				   "bridge: %s exists and is not a bridge (%s)",
				   a->conf->bridge,
				   li->kind[0] ? li->kind : "no kind");
	/* As the reference: the bridge's routes are ours, not an RA's. */
	sysctl_set_if(&set[0], 6, li->name, "accept_ra", "0", true);
	/*
	 * Not the reference's: while a bridge's link-local address is
	 * tentative the kernel sends no neighbour solicitation for forwarded
	 * IPv6, so a new bridge's first container answered nothing from off
	 * the node for about 2 s. Only a bridge made here, before it is up.
	 */
	sysctl_set_if(&set[1], 6, li->name, "accept_dad", "0", true);
	r = sysctl_apply(set, is_new ? 2 : 1, err);
	if (r < 0 || (li->flags & IFF_UP))
		return r;
	return link_set_flags(&a->host, li->ifindex, IFF_UP, IFF_UP, err);
}

int attach_ensure_bridge(struct attach *a, struct link_info *ret,
			 struct cni_err *err)
{
	const char *name = a->conf->bridge;
	bool is_new;
	uint8_t mac[6];
	int r;

	r = link_get(&a->host, name, 0, ret, err);
	if (r < 0)
		return r;
	/* Also when a racing ADD makes it first (EEXIST): it may not have
	 * set it up yet, and whichever of us is first brings it up. */
	is_new = ret->ifindex == 0;
	if (is_new) {
		attach_random_mac(mac);
		r = link_bridge_create(&a->host, name, a->conf->mtu, mac,
				       a->conf->promisc,
				       netconf_vlan_filtering(a->conf), err);
		/* EEXIST: another ADD made it first, which is just as good. */
		if (r < 0 && r != -EEXIST && netconf_vlan_filtering(a->conf))
			cni_err_wrap(err, "bridge %s with VLAN filtering",
				     name);
		if (r < 0 && r != -EEXIST)
			return r;
		r = link_get(&a->host, name, 0, ret, err);
		if (r < 0)
			return r;
		if (ret->ifindex == 0)
			return cni_err_set(err, CNI_ERR_TRY_AGAIN, EAGAIN,
					   "bridge: %s vanished while being created",
					   name);
	}
	r = bridge_check(a, ret, is_new, err);
	if (r == 0 && a->conf->promisc && !(ret->flags & IFF_PROMISC))
		r = link_set_flags(&a->host, ret->ifindex, IFF_PROMISC,
				   IFF_PROMISC, err);
	return r;
}

int attach_ipam_del(const struct cni_env *env, struct netconf *c,
		    struct ipam_freed *ret, struct cni_err *err)
{
	if (c->ipam.kind == IPAM_BUILTIN)
		return ipam_release(&c->ipam, c->name, env->container_id,
				    env->ifname, ret, err);
	if (c->ipam.kind == IPAM_DELEGATE)
		return delegate_run(env->path, "DEL", c->ipam.type, c->raw, NULL,
				    err);
	return 0;
}

int attach_prev_result(struct netconf *c, struct result *ret,
		       struct cni_err *err)
{
	if (!c->prev_result)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "prevResult: required for CHECK");
	return result_decode(c->prev_result, c->ver, ret, err);
}

int attach_ipam_check(const struct cni_env *env, struct netconf *c,
		      const struct result *pr, int idx, struct cni_err *err)
{
	struct ipaddr ips[RESULT_MAX_IPS];
	size_t n = 0;

	if (c->ipam.kind == IPAM_DELEGATE)
		return delegate_run(env->path, "CHECK", c->ipam.type, c->raw, NULL,
				    err);
	if (c->ipam.kind != IPAM_BUILTIN)
		return 0;
	/* A chained result also holds other interfaces' addresses. */
	for (int i = 0; i < pr->n_ips; i++)
		if (idx < 0 || pr->ips[i].iface < 0 || pr->ips[i].iface == idx)
			ips[n++] = pr->ips[i].addr.addr;
	return ipam_check(&c->ipam, c->name, env->container_id, env->ifname,
			  ips, n, err);
}
