// SPDX-License-Identifier: Apache-2.0
/* ADD's firewall step: plan, record, commit, undo. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "brisk/cleanup.h"
#include "brisk/fault.h"
#include "brisk/fwrec.h"
#include "brisk/log.h"
#include "brisk/sysctl.h"
#include "add.h"
#include "fwstep.h"

bool fwstep_needed(const struct netconf *c)
{
	return c->ip_masq || c->mac_spoofchk || c->fw.n_ports > 0;
}

/* "network/id/ifname", the ID cut to fit a comment (the record has it all). */
static void plan_owner(struct fw_plan *p, const char *net, const char *id,
		       const char *ifname)
{
	size_t nl = strlen(net), il = strlen(id), fl = strlen(ifname);
	size_t room = FW_OWNER_MAX - 1 - nl - fl - 2; /* names are < 128 + 16 */
	char *o = p->owner;

	if (nl + fl + 2 >= FW_OWNER_MAX)
		nl = FW_OWNER_MAX - fl - 3, room = 0;
	if (il > room)
		il = room;
	memcpy(o, net, nl);
	o[nl] = '/';
	memcpy(o + nl + 1, id, il);
	o[nl + 1 + il] = '/';
	memcpy(o + nl + 2 + il, ifname, fl + 1);
}

static int plan_add_net(struct ipnet *v, size_t *n, const struct ipnet *x,
			struct cni_err *err)
{
	if (*n >= FW_MAX_NETS)
		return cni_err_set(
			err, CNI_ERR_CONFIG, E2BIG,
			"too many subnets and ipMasqExclude entries (at most %d)",
			FW_MAX_NETS);
	v[(*n)++] = *x;
	return 0;
}

/*
 * The network's subnets: the ranges' and those of the addresses handed out
 * (ours: a prevResult's come first in the result and are not).
 */
static int plan_subnets(const struct add_state *s, struct ipnet *v, size_t *n,
			struct cni_err *err)
{
	const struct ipamconf *ipam = &s->a.conf->ipam;
	int r = 0;

	for (size_t i = 0; i < ipam->n_sets && r == 0; i++)
		for (size_t j = 0; j < ipam->sets[i].n && r == 0; j++)
			r = plan_add_net(v, n, &ipam->sets[i].r[j].subnet, err);
	for (int i = s->own_ip0; i < s->res.n_ips && r == 0; i++)
		r = plan_add_net(v, n, &s->res.ips[i].addr, err);
	return r;
}

static int plan_masq(const struct add_state *s, struct fw_plan *p,
		     struct cni_err *err)
{
	const struct netconf *c = s->a.conf;
	int r;

	p->masq = c->ip_masq;
	r = plan_subnets(s, p->nomasq, &p->n_nomasq, err);
	for (size_t i = 0; i < c->fw.n_exclude && r == 0; i++)
		r = plan_add_net(p->nomasq, &p->n_nomasq, &c->fw.exclude[i],
				 err);
	fw_nets_reduce(p->nomasq, &p->n_nomasq);
	return r;
}

/* Every mapping must land on a container address of its family. */
static int plan_port(const struct fwconf_port *in, size_t i, struct fw_plan *p,
		     struct cni_err *err)
{
	int fam = in->host_ip.family;
	struct fw_port *pm = &p->ports[p->n_ports];

	if (fam ? !fw_plan_addr(p, fam) : p->n_addrs == 0)
		return cni_err_set(
			err, CNI_ERR_CONFIG, EINVAL,
			"runtimeConfig.portMappings[%zu]: the container has no %saddress to map to",
			i,
			fam == AF_INET ? "IPv4 " :
			fam	       ? "IPv6 " :
					 "");
	pm->proto = in->proto;
	pm->host_port = in->host_port;
	pm->cont_port = in->cont_port;
	pm->host_ip = in->host_ip;
	p->n_ports++;
	return 0;
}

static int plan_ports(const struct add_state *s, struct fw_plan *p,
		      struct cni_err *err)
{
	const struct netconf *c = s->a.conf;
	static const struct ipnet lo4 = { { AF_INET, { 127 } }, 8 };
	static const struct ipnet all4 = { { AF_INET, { 0 } }, 0 };
	static const struct ipnet all6 = { { AF_INET6, { 0 } }, 0 };
	int r = 0;

	for (size_t i = 0; i < c->fw.n_ports && r == 0; i++)
		r = plan_port(&c->fw.ports[i], i, p, err);
	/*
	 * With snat, as in portmap, masquerade the DNATed traffic whose answer
	 * would otherwise miss the host's NAT: from the network (hairpin) and
	 * from 127.0.0.1; with masqAll as well, all of it. Without, nothing.
	 */
	if (r < 0 || p->n_ports == 0 || !c->fw.snat)
		return r;
	r = plan_subnets(s, p->hpnat, &p->n_hpnat, err);
	if (r == 0)
		r = plan_add_net(p->hpnat, &p->n_hpnat, &lo4, err);
	if (r == 0 && c->fw.masq_all)
		r = plan_add_net(p->hpnat, &p->n_hpnat, &all4, err);
	if (r == 0 && c->fw.masq_all)
		r = plan_add_net(p->hpnat, &p->n_hpnat, &all6, err);
	fw_nets_reduce(p->hpnat, &p->n_hpnat);
	return r;
}

static int plan_build(struct add_state *s, struct fw_plan *p,
		      struct cni_err *err)
{
	const struct netconf *c = s->a.conf;
	int r = 0;

	memset(p, 0, sizeof(*p));
	plan_owner(p, c->name, s->a.env->container_id, s->a.env->ifname);
	for (int i = s->own_ip0; i < s->res.n_ips && p->n_addrs < FW_MAX_ADDRS;
	     i++)
		p->addrs[p->n_addrs++] = s->res.ips[i].addr.addr;
	if (c->ip_masq)
		r = plan_masq(s, p, err);
	if (r == 0)
		r = plan_ports(s, p, err);
	if (r == 0 && c->mac_spoofchk) {
		snprintf(p->spoof_ifname, sizeof(p->spoof_ifname), "%s",
			 s->a.host_ifname);
		memcpy(p->spoof_mac, s->cont.mac, 6);
	}
	return r;
}

const char *fwstep_data_dir(const struct netconf *c)
{
	return c->ipam.data_dir[0] ? c->ipam.data_dir : IPAM_DEFAULT_DATA_DIR;
}

/* A record left by an ADD killed before its DEL: its elements go first. */
static int add_drop_leftover(struct fw *fw, int dfd, struct fwrec *rec,
			     const struct cni_env *env, struct cni_err *err)
{
	bool found = false;
	int r;

	r = fwrec_load(dfd, env->container_id, env->ifname, rec, &found, err);
	if (r < 0 || !found)
		return r;
	log_info("removing the leftover firewall elements of %s",
		 rec->plan.owner);
	r = fw_del(fw, &rec->plan, err);
	return r < 0 ? r :
		       fwrec_remove(dfd, env->container_id, env->ifname, err);
}

/*
 * Record first, then commit: a kill between leaves a record DEL can use.
 * All under fw_lock, leftover included: a brisk restore lists the records.
 */
static int add_commit(struct add_state *s, struct fw *fw, struct cni_err *err)
{
	const struct cni_env *env = s->a.env;
	_cleanup_free_ struct fwrec *rec = calloc(1, sizeof(*rec));
	_cleanup_close_ int dfd = -1;
	struct cni_err ignored = { 0 };
	int r;

	if (!rec)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	r = fwrec_dir_open(fwstep_data_dir(s->a.conf), s->a.conf->name, true,
			   &dfd, err);
	if (r == 0)
		r = fw_lock(fw, err);
	if (r == 0)
		r = add_drop_leftover(fw, dfd, rec, env, err);
	if (r < 0)
		return r;
	snprintf(rec->id, sizeof(rec->id), "%s", env->container_id);
	snprintf(rec->ifname, sizeof(rec->ifname), "%s", env->ifname);
	rec->plan = s->fw;
	r = fwrec_save(dfd, rec, err);
	if (r < 0)
		return r;
	fault_point("add-fw-record");
	r = fw_add(fw, &s->fw, err);
	if (r < 0)
		fwrec_remove(dfd, env->container_id, env->ifname, &ignored);
	return r;
}

static void undo_fw(void *ctx)
{
	struct add_state *s = ctx;
	struct cni_err err = { 0 };

	if (fwstep_forget(fwstep_data_dir(s->a.conf), s->a.conf->name,
			  s->a.env->container_id, s->a.env->ifname, &err) < 0)
		log_err("rollback: firewall: %s (%s)", err.msg, err.details);
}

/*
 * What host ports need besides the elements (hairpin mode came with the
 * port's flags, see port_wants_hairpin).
 */
static int add_port_extras(struct add_state *s, struct fw *fw,
			   struct cni_err *err)
{
	struct cni_err cterr = { 0 };
	char path[96];
	int r = 0;

	if (s->fw.n_ports == 0)
		return 0;
	/* 127.0.0.1 may leave through the bridge only with route_localnet. */
	if (s->a.conf->fw.snat && fw_plan_addr(&s->fw, AF_INET)) {
		snprintf(path, sizeof(path), "net/ipv4/conf/%s/route_localnet",
			 s->a.conf->bridge);
		r = sysctl_ensure(path, "1", err);
	}
	if (r == 0 && fw_ct_flush(fw, &s->fw, &cterr) < 0)
		log_warn("%s", cterr.msg);
	return r;
}

int fwstep_add(struct add_state *s, struct cni_err *err)
{
	struct fw fw = { .lock_fd = -1 };
	int r;

	if (!fwstep_needed(s->a.conf))
		return 0;
	r = plan_build(s, &s->fw, err);
	/* Pushed first: a failed push must not leave committed elements. */
	if (r == 0 && undo_push(&s->undo, undo_fw, s) < 0)
		r = cni_err_set(err, CNI_ERR_INTERNAL, ENOSPC,
				"too many ADD steps to undo");
	if (r == 0)
		r = fw_open(&fw, err);
	if (r == 0)
		r = add_commit(s, &fw, err);
	if (r == 0) {
		fault_point("add-fw");
		r = add_port_extras(s, &fw, err);
	}
	fw_close(&fw);
	return r;
}
