// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "brisk/delegate.h"
#include "brisk/jsonget.h"
#include "brisk/resolv.h"
#include "add.h"

/* A delegated plugin's result becomes leases and routes like ours. */
static int add_take_delegated(struct add_state *s, json_t *res,
			      struct cni_err *err)
{
	struct result *ir = &s->ipam_res;
	int r;

	r = result_decode(res, s->a.conf->ver, ir, err);
	if (r < 0) {
		cni_err_wrap(err, "ipam %s result", s->a.conf->ipam.type);
		return r;
	}
	for (int i = 0; i < ir->n_ips && s->n_leases < IPAM_MAX_SETS; i++) {
		struct ipam_lease *l = &s->leases[s->n_leases++];

		l->addr = ir->ips[i].addr;
		l->gw = ir->ips[i].gw;
		l->set = i;
	}
	s->ipam_routes = ir->routes;
	s->n_ipam_routes = (size_t)ir->n_routes;
	s->ipam_dns = ir->dns;
	return 0;
}

int add_ipam_acquire(struct add_state *s, struct cni_err *err)
{
	struct netconf *c = s->a.conf;
	const struct cni_env *env = s->a.env;
	_cleanup_json_ json_t *res = NULL;
	int r;

	if (c->ipam.kind == IPAM_BUILTIN) {
		/* Read it first: a missing file then costs no rollback. */
		if (c->ipam.resolv_conf[0]) {
			r = resolv_read(c->ipam.resolv_conf, &s->ipam_res.dns,
					err);
			if (r < 0)
				return r;
			s->ipam_dns = s->ipam_res.dns;
		}
		r = ipam_allocate(&c->ipam, c->name, env->container_id,
				  env->ifname, env->netns, s->leases,
				  &s->n_leases, err);
		s->ipam_routes = c->ipam.routes;
		s->n_ipam_routes = c->ipam.n_routes;
		return r;
	}
	r = delegate_run(env->path, "ADD", c->ipam.type, c->raw, &res, err);
	if (r < 0)
		return r;
	r = add_take_delegated(s, res, err);
	if (r < 0) {
		struct cni_err ignored = { 0 };

		/* The plugin did allocate: give it back before failing. */
		delegate_run(env->path, "DEL", c->ipam.type, c->raw, NULL, &ignored);
	}
	return r;
}

int add_ipam_release(struct add_state *s, struct cni_err *err)
{
	return attach_ipam_del(s->a.env, s->a.conf, NULL, err);
}
