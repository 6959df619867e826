// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "brisk/attach.h"
#include "brisk/cmd.h"
#include "brisk/ipam.h"
#include "brisk/resolv.h"
#include "brisk/result.h"

static int ipam_mode_add(const struct cni_env *env, struct netconf *c,
			 json_t **ret_out, struct cni_err *err)
{
	struct ipam_lease leases[IPAM_MAX_SETS];
	json_t *dns = NULL;
	struct result res;
	size_t n = 0;
	int r;

	/* As host-local: the dns of the result comes from resolvConf only. */
	if (c->ipam.resolv_conf[0]) {
		r = resolv_read(c->ipam.resolv_conf, &dns, err);
		if (r < 0)
			return r;
	}
	r = ipam_allocate(&c->ipam, c->name, env->container_id, env->ifname,
			  env->netns, leases, &n, err);
	if (r < 0) {
		json_decref(dns);
		return r;
	}
	result_init(&res);
	res.dns = dns;
	for (size_t i = 0; i < n; i++) {
		res.ips[res.n_ips].addr = leases[i].addr;
		res.ips[res.n_ips].gw = leases[i].gw;
		res.ips[res.n_ips++].iface = -1;
	}
	for (size_t i = 0; i < c->ipam.n_routes && r == 0; i++)
		r = result_add_route(&res, &c->ipam.routes[i]);
	*ret_out = r == 0 ? result_encode(&res, c->ver) : NULL;
	result_clear(&res);
	if (!*ret_out) {
		struct cni_err ignored = { 0 };

		ipam_release(&c->ipam, c->name, env->container_id, env->ifname,
			     NULL, &ignored);
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "cannot encode the result");
	}
	return 0;
}

static int ipam_mode_check(const struct cni_env *env, struct netconf *c,
			   struct cni_err *err)
{
	struct result pr;
	int r;

	result_init(&pr);
	r = attach_prev_result(c, &pr, err);
	if (r == 0)
		r = attach_ipam_check(env, c, &pr, -1, err);
	result_clear(&pr);
	return r;
}

int ipam_mode_run(const struct cni_env *env, struct netconf *c,
		  json_t **ret_out, struct cni_err *err)
{
	switch (env->cmd) {
	case CNI_CMD_ADD:
		return ipam_mode_add(env, c, ret_out, err);
	case CNI_CMD_CHECK:
		return ipam_mode_check(env, c, err);
	default:
		return cni_err_set(err, CNI_ERR_ENV, EINVAL,
				   "CNI_COMMAND: unsupported in IPAM mode");
	}
}
