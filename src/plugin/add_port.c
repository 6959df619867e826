// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>

#include "brisk/log.h"
#include "brisk/sysctl.h"
#include "add.h"
#include "port.h"

/* net.ipv6.conf.<@ifname>.<@key>=0, where IPv6 is there to have it. */
static int if_sysctl_off(const char *ifname, const char *key,
			 struct cni_err *err)
{
	struct sysctl_set set;

	sysctl_set_if(&set, 6, ifname, key, "0", true);
	return sysctl_apply(&set, 1, err);
}

/* Configure port @name as @p says; a new port needs nothing for defaults. */
static int port_setup(struct add_state *s, const char *name,
		      const struct port_spec *p, struct cni_err *err)
{
	struct link_info li;
	int r;

	if (!p->is_hairpin && !p->is_isolated && !p->vlan && !p->trunk)
		return 0;
	r = link_get(&s->a.host, name, 0, &li, err);
	if (r == 0 && li.ifindex == 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENODEV, "%s vanished",
				   name);
	if (r < 0)
		return r;
	return port_configure(&s->a.host, li.ifindex, name, p,
			      s->br.port.default_pvid, err);
}

int add_port(struct add_state *s, struct cni_err *err)
{
	struct port_spec p;
	int r;

	/* As the reference: a host veth's routes are ours, not an RA's. */
	r = if_sysctl_off(s->a.host_ifname, "accept_ra", err);
	if (r < 0)
		return r;
	port_spec_from_conf(s->a.conf, &p);
	return port_setup(s, s->a.host_ifname, &p, err);
}

static void undo_vlan_gw(void *ctx)
{
	struct add_state *s = ctx;
	struct cni_err err = { 0 };
	bool deleted;

	if (link_del(&s->a.host, s->vlan_gw.name, &deleted, &err) < 0)
		log_err("rollback: delete %s: %s", s->vlan_gw.name, err.msg);
}

/*
 * As the reference: a veth pair in the host namespace, "<bridge>.<vlan>"
 * carrying the gateway address and its peer @port a bridge port. Made once
 * per bridge and VLAN, shared, never deleted by DEL; a failed ADD deletes
 * only what it made itself (EEXIST: a racing ADD made it first).
 */
static int vlan_gw_create(struct add_state *s, const char *name,
			  const char *port, struct cni_err *err)
{
	struct veth_spec v = { .host_name = port,
			       .peer_name = name,
			       .peer_nsfd = -1,
			       .mtu = s->br.mtu,
			       .master = s->br.ifindex };
	int r;

	attach_random_mac(v.host_mac);
	attach_random_mac(v.peer_mac);
	r = link_veth_create(&s->a.host, &v, err);
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return r;
	snprintf(s->vlan_gw.name, sizeof(s->vlan_gw.name), "%.15s", name);
	return undo_push(&s->undo, undo_vlan_gw, s);
}

/*
 * What the gateway needs before it comes up, all of it harmless twice: so
 * whoever finds it down does it, be it its maker, a racing ADD, or the
 * next ADD after its maker was killed half way.
 */
static int vlan_gw_setup(struct add_state *s, const char *name,
			 const char *port, struct cni_err *err)
{
	struct port_spec p = {
		.vlan = s->a.conf->vlan,
		.is_preserve_default = s->a.conf->preserve_default_vlan,
	};
	/* As the reference: a host veth's routes are ours, not an RA's. */
	int r = if_sysctl_off(port, "accept_ra", err);

	/* Not tentative when it comes up, as a new bridge (attach.c). */
	r = r ?: if_sysctl_off(name, "accept_dad", err);
	r = r ?: port_setup(s, port, &p, err);
	r = r ?: link_get(&s->a.host, name, 0, &s->vlan_gw, err);
	if (r == 0 && !s->vlan_gw.ifindex)
		return cni_err_set(err, CNI_ERR_TRY_AGAIN, ENODEV,
				   "VLAN gateway %s vanished while being made",
				   name);
	return r;
}

int add_vlan_gateway(struct add_state *s, struct cni_err *err)
{
	char name[32], port[IFNAMSIZ]; /* under IFNAMSIZ: netconf checked it */
	int r;

	if (!s->a.conf->vlan || !s->a.conf->is_gw || s->res.n_ips == s->own_ip0)
		return 0;
	snprintf(name, sizeof(name), "%s.%d", s->a.conf->bridge,
		 s->a.conf->vlan);
	/* "/" is in no container ID: this name is no attachment's. */
	attach_host_ifname("/vlan-gw", name, port);
	r = link_get(&s->a.host, name, 0, &s->vlan_gw, err);
	if (r == 0 && !s->vlan_gw.ifindex)
		r = vlan_gw_create(s, name, port, err);
	if (r == 0 && !(s->vlan_gw.flags & IFF_UP))
		r = vlan_gw_setup(s, name, port, err);
	if (r == 0 && !(s->vlan_gw.flags & IFF_UP))
		r = link_set_flags(&s->a.host, s->vlan_gw.ifindex, IFF_UP,
				   IFF_UP, err);
	return r;
}
