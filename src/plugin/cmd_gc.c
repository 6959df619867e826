// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>

#include "brisk/attach.h"
#include "brisk/cleanup.h"
#include "brisk/cmd.h"
#include "brisk/delegate.h"
#include "brisk/grow.h"
#include "brisk/link.h"
#include "brisk/log.h"
#include "brisk/store.h"
#include "fwstep.h"

struct gc_owner {
	char *id; /* up to 1024 bytes: the host veth name is derived from all of it */
	char ifname[IFNAMSIZ];
};

struct gc_ctx {
	json_t *valid; /* array of {containerID, ifname} */
	size_t n_drop, cap_drop;
	struct ipaddr *drop; /* leases no valid attachment owns */
	size_t n_stale, cap_stale;
	struct gc_owner *stale; /* owners whose host veth must go */
	int n_errors;
	struct cni_err *err;
};

static bool gc_is_valid(json_t *valid, const char *id, const char *ifname)
{
	size_t i;
	json_t *v;

	json_array_foreach(valid, i, v) {
		const char *vid = json_string_value(json_object_get(v, "containerID"));
		const char *vif = json_string_value(json_object_get(v, "ifname"));

		/* An old id-only lease has no ifname: any ifname keeps it. */
		if (vid && strcmp(vid, id) == 0 &&
		    (!*ifname || (vif && strcmp(vif, ifname) == 0)))
			return true;
	}
	return false;
}

static bool gc_keep(void *valid, const char *id, const char *ifname)
{
	return gc_is_valid(valid, id, ifname);
}

static void gc_note_error(struct gc_ctx *g, const struct cni_err *e)
{
	if (g->n_errors++ == 0)
		*g->err = *e;
	else
		cni_err_detail(g->err, "%s", e->msg);
}

/* An owner of released leases, once: its host veth goes too. */
static int gc_note_owner(struct gc_ctx *g, const char *id, const char *ifname)
{
	struct gc_owner *o;

	for (size_t i = 0; i < g->n_stale; i++)
		if (strcmp(g->stale[i].id, id) == 0 &&
		    strcmp(g->stale[i].ifname, ifname) == 0)
			return 0;
	if (GROW_ONE(g->stale, g->cap_stale, g->n_stale, 16) < 0)
		return -ENOMEM;
	o = &g->stale[g->n_stale];
	o->id = strdup(id);
	if (!o->id)
		return -ENOMEM;
	snprintf(o->ifname, sizeof(o->ifname), "%s", ifname);
	g->n_stale++;
	return 0;
}

static int gc_visit(const struct store_lease *l, void *data,
		    struct cni_err *err)
{
	struct gc_ctx *g = data;

	if (gc_is_valid(g->valid, l->id, l->ifname))
		return 0;
	if (GROW_ONE(g->drop, g->cap_drop, g->n_drop, 16) < 0 ||
	    (*l->ifname && gc_note_owner(g, l->id, l->ifname) < 0))
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	g->drop[g->n_drop++] = l->ip;
	return 0;
}

static int gc_valid_list(json_t *raw, json_t **ret, struct cni_err *err)
{
	json_t *v = json_object_get(raw, "cni.dev/valid-attachments");
	size_t i;
	json_t *e;

	if (!v)
		v = json_object_get(raw, "cni.dev/attachments");
	if (!v) {
		*ret = NULL;
		return 0;
	}
	if (!json_is_array(v))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "cni.dev/valid-attachments: expected an array");
	json_array_foreach(v, i, e) {
		if (!json_is_object(e) ||
		    !json_is_string(json_object_get(e, "containerID")) ||
		    !json_is_string(json_object_get(e, "ifname")))
			return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
					   "cni.dev/valid-attachments[%zu]: expected {containerID, ifname}",
					   i);
	}
	*ret = v;
	return 0;
}

/* The store pass: under the lock, release what no valid attachment owns. */
static int gc_store(struct netconf *c, struct gc_ctx *g, struct cni_err *err)
{
	struct store s = STORE_INIT;
	char buf[IPADDR_STRLEN];
	int r;

	r = store_open(c->ipam.data_dir, c->name, STORE_LOCK_TIMEOUT_MS, &s,
		       err);
	if (r == 0)
		r = store_list(&s, gc_visit, g, err);
	for (size_t i = 0; r == 0 && i < g->n_drop; i++) {
		struct cni_err e = { 0 };

		log_info("gc: releasing %s", ipaddr_fmt(&g->drop[i], buf));
		if (store_release_ip(&s, &g->drop[i], &e) < 0)
			gc_note_error(g, &e);
	}
	store_close(&s);
	return r;
}

/* The link pass, outside the lock: the host ends of released owners. */
static void gc_links(struct gc_ctx *g)
{
	struct netlink nl = { 0 };
	struct cni_err e = { 0 };
	char name[IFNAMSIZ];
	bool deleted;

	if (g->n_stale == 0)
		return;
	if (netlink_open(&nl, &e) < 0) {
		gc_note_error(g, &e);
		return;
	}
	for (size_t i = 0; i < g->n_stale; i++) {
		attach_host_ifname(g->stale[i].id, g->stale[i].ifname, name);
		memset(&e, 0, sizeof(e));
		if (link_del(&nl, name, &deleted, &e) < 0)
			gc_note_error(g, &e);
	}
	netlink_close(&nl);
}

static int gc_leases(const struct cni_env *env, struct netconf *c,
		     struct gc_ctx *g, struct cni_err *err)
{
	int r;

	/* A delegated IPAM plugin owns its leases: the same pass is its GC. */
	if (c->ipam.kind == IPAM_DELEGATE)
		return delegate_run(env->path, "GC", c->ipam.type, c->raw, NULL, err);
	if (c->ipam.kind != IPAM_BUILTIN)
		return 0;
	r = gc_store(c, g, err);
	gc_links(g);
	for (size_t i = 0; i < g->n_stale; i++)
		free(g->stale[i].id);
	free(g->stale);
	free(g->drop);
	if (r == 0 && g->n_errors > 0)
		r = -err->sys_errno ?: -EIO;
	return r;
}

int cmd_gc(const struct cni_env *env, struct netconf *c, struct cni_err *err)
{
	struct gc_ctx g = { .err = err };
	struct cni_err ferr = { 0 };
	int r, rf;

	r = gc_valid_list(c->raw, &g.valid, err);
	if (r < 0)
		return r;
	/* The firewall's records, then the leases: a failure stops neither. */
	rf = fwstep_gc(c, gc_keep, g.valid, &ferr);
	r = gc_leases(env, c, &g, err);
	if (rf < 0 && r == 0) {
		*err = ferr;
		r = rf;
	} else if (rf < 0) {
		log_err("GC firewall: %s (%s)", ferr.msg, ferr.details);
	}
	return r;
}
