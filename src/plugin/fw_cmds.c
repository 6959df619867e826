// SPDX-License-Identifier: Apache-2.0
/* The firewall's part of DEL, CHECK, GC and STATUS: records decide. */
#include <stdio.h>
#include <string.h>

#include "brisk/cleanup.h"
#include "brisk/fault.h"
#include "brisk/fwrec.h"
#include "brisk/log.h"
#include "fwstep.h"

/*
 * Elements, conntrack entries, then the record: the record goes last. Under
 * fw_lock, or a brisk restore could put the elements back in between.
 */
static int forget_rec(struct fw *fw, int dfd, const struct fwrec *rec,
		      struct cni_err *err)
{
	struct cni_err cterr = { 0 };
	int r = fw_lock(fw, err);

	r = r ?: fw_del(fw, &rec->plan, err);

	/* Stale entries only cost a reused port its first packets: go on. */
	if (r == 0 && fw_ct_flush(fw, &rec->plan, &cterr) < 0)
		log_warn("%s", cterr.msg);
	fault_point("del-fw");
	if (r == 0)
		r = fwrec_remove(dfd, rec->id, rec->ifname, err);
	return r;
}

/*
 * The record of id/ifname, when there is one: *ret (owned by the caller,
 * NULL when none) and its directory *ret_dfd (-1 when none).
 */
static int load_rec(const char *data_dir, const char *network, const char *id,
		    const char *ifname, struct fwrec **ret, int *ret_dfd,
		    struct cni_err *err)
{
	_cleanup_free_ struct fwrec *rec = NULL;
	_cleanup_close_ int dfd = -1;
	bool found = false;
	int r;

	*ret = NULL;
	*ret_dfd = -1;
	r = fwrec_dir_open(data_dir, network, false, &dfd, err);
	if (r < 0 || dfd < 0)
		return r;
	rec = malloc(sizeof(*rec));
	if (!rec)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	r = fwrec_load(dfd, id, ifname, rec, &found, err);
	if (r < 0 || !found)
		return r;
	*ret = TAKE_PTR(rec);
	*ret_dfd = TAKE_FD(dfd);
	return 0;
}

int fwstep_forget(const char *data_dir, const char *network, const char *id,
		  const char *ifname, struct cni_err *err)
{
	_cleanup_free_ struct fwrec *rec = NULL;
	_cleanup_close_ int dfd = -1;
	struct fw fw = { .lock_fd = -1 };
	int r;

	r = load_rec(data_dir, network, id, ifname, &rec, &dfd, err);
	if (r < 0 || !rec)
		return r;
	r = fw_open(&fw, err);
	if (r == 0)
		r = forget_rec(&fw, dfd, rec, err);
	fw_close(&fw);
	return r;
}

int fwstep_del(const struct cni_env *env, const struct netconf *c,
	       struct cni_err *err)
{
	/* Whatever the config says now: the record says what ADD made. */
	return fwstep_forget(fwstep_data_dir(c), c->name, env->container_id,
			     env->ifname, err);
}

static bool plan_has_port(const struct fw_plan *p, const struct fwconf_port *m)
{
	for (size_t i = 0; i < p->n_ports; i++)
		if (p->ports[i].proto == m->proto &&
		    p->ports[i].host_port == m->host_port &&
		    p->ports[i].cont_port == m->cont_port &&
		    ipaddr_eq(&p->ports[i].host_ip, &m->host_ip))
			return true;
	return false;
}

/* What the config asks for must be what ADD recorded. */
static int check_conf(const struct netconf *c, const struct fw_plan *p,
		      struct cni_err *err)
{
	if (c->ip_masq && !p->masq)
		return cni_err_set(
			err, CNI_ERR_INTERNAL, ENOENT,
			"ipMasq: this attachment is not masqueraded");
	if (c->mac_spoofchk && !p->spoof_ifname[0])
		return cni_err_set(
			err, CNI_ERR_INTERNAL, ENOENT,
			"macspoofchk: this attachment has no MAC check");
	for (size_t i = 0; i < c->fw.n_ports; i++)
		if (!plan_has_port(p, &c->fw.ports[i]))
			return cni_err_set(
				err, CNI_ERR_INTERNAL, ENOENT,
				"runtimeConfig.portMappings[%zu]: host port %u is not mapped for this attachment",
				i, c->fw.ports[i].host_port);
	return 0;
}

int fwstep_check(const struct cni_env *env, const struct netconf *c,
		 struct cni_err *err)
{
	_cleanup_free_ struct fwrec *rec = NULL;
	_cleanup_close_ int dfd = -1;
	struct fw fw = { .lock_fd = -1 };
	int r;

	r = load_rec(fwstep_data_dir(c), c->name, env->container_id,
		     env->ifname, &rec, &dfd, err);
	if (r < 0)
		return r;
	if (!rec && fwstep_needed(c))
		return cni_err_set(
			err, CNI_ERR_INTERNAL, ENOENT,
			"firewall: no record of this attachment's nftables elements");
	if (!rec)
		return 0;
	r = check_conf(c, &rec->plan, err);
	if (r == 0)
		r = fw_open(&fw, err);
	if (r == 0)
		r = fw_check(&fw, &rec->plan, err);
	fw_close(&fw);
	return r;
}

/* ---------------------------------------------------------------- GC */

struct gc_fw {
	fwstep_keep_fn keep;
	void *keep_data;
	int dfd;
	struct fw fw;
	int n_errors;
	struct cni_err *err;
};

static int gc_fw_visit(struct fwrec *rec, void *data)
{
	struct gc_fw *g = data;
	struct cni_err e = { 0 };

	if (g->keep(g->keep_data, rec->id, rec->ifname))
		return 0;
	log_info("gc: removing the nftables elements of %s", rec->plan.owner);
	if (forget_rec(&g->fw, g->dfd, rec, &e) < 0) {
		if (g->n_errors++ == 0)
			*g->err = e;
		else
			cni_err_detail(g->err, "%s", e.msg);
	}
	return 0;
}

int fwstep_gc(const struct netconf *c, fwstep_keep_fn keep, void *data,
	      struct cni_err *err)
{
	struct gc_fw g = { keep, data, -1, { .lock_fd = -1 }, 0, err };
	int r;

	r = fwrec_dir_open(fwstep_data_dir(c), c->name, false, &g.dfd, err);
	if (r < 0 || g.dfd < 0)
		return r;
	r = fw_open(&g.fw, err);
	if (r == 0)
		r = fwrec_list(g.dfd, gc_fw_visit, &g, err);
	fw_close(&g.fw);
	close(g.dfd);
	if (r == 0 && g.n_errors)
		r = -(err->sys_errno ? err->sys_errno : EIO);
	return r;
}

/* ---------------------------------------------------------------- STATUS */

/* Host ports come at ADD time; a config that may get them says so. */
static bool may_map_ports(const struct netconf *c)
{
	json_t *caps = json_object_get(c->raw, "capabilities");

	return c->fw.n_ports > 0 ||
	       json_is_true(json_object_get(caps, "portMappings"));
}

int fwstep_status(const struct netconf *c, struct cni_err *err)
{
	struct fw fw = { .lock_fd = -1 };
	bool inet = c->ip_masq || may_map_ports(c);
	int r;

	/* As another plugin's IPAM, its ipMasq is not brisk's business. */
	if (strcmp(c->type, "brisk") != 0 && strcmp(c->type, "bridge") != 0)
		return 0;
	if (!inet && !c->mac_spoofchk)
		return 0;
	r = fw_open(&fw, err);
	if (r < 0) {
		err->code = CNI_ERR_UNAVAILABLE;
		return r;
	}
	r = fw_probe(&fw, inet, c->mac_spoofchk, err);
	fw_close(&fw);
	return r;
}
