// SPDX-License-Identifier: Apache-2.0
#include "add.h"

/* Interfaces ADD appends: bridge, host end, container end, VLAN gateway. */
#define ADD_IFACES_MAX 4

int add_prev(struct add_state *s, struct cni_err *err)
{
	const struct netconf *c = s->a.conf;
	int r;

	/* Chaining came with 0.3.0: before it, a result stands alone. */
	if (!c->prev_result || c->ver < CNI_V030)
		return 0;
	r = result_decode(c->prev_result, c->ver, &s->res, err);
	if (r < 0)
		return r;
	if (s->res.n_ifaces + ADD_IFACES_MAX > RESULT_MAX_IFACES)
		return cni_err_set(
			err, CNI_ERR_CONFIG, E2BIG,
			"prevResult: %d interfaces, room for %d more",
			s->res.n_ifaces, RESULT_MAX_IFACES - ADD_IFACES_MAX);
	s->own_iface0 = s->res.n_ifaces;
	s->own_ip0 = s->res.n_ips;
	s->own_route0 = s->res.n_routes;
	return 0;
}
