// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "brisk/cleanup.h"

#include "brisk/addr.h"
#include "brisk/attach.h"
#include "brisk/cmd.h"
#include "brisk/fault.h"
#include "brisk/ipam.h"
#include "brisk/log.h"
#include "brisk/mac.h"
#include "brisk/route.h"
#include "brisk/undo.h"
#include "add.h"
#include "fwstep.h"

static int add_check_ifname(struct add_state *s, struct cni_err *err)
{
	struct link_info li;
	int r = link_get(&s->a.cont, s->a.env->ifname, 0, &li, err);

	if (r < 0)
		return r;
	if (li.ifindex != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, EEXIST,
				   "CNI_IFNAME: %s already exists in %.200s",
				   s->a.env->ifname, s->a.env->netns);
	return 0;
}

static void undo_release(void *ctx)
{
	struct add_state *s = ctx;
	struct cni_err err = { 0 };

	if (add_ipam_release(s, &err) < 0)
		log_err("rollback: release leases: %s (%s)", err.msg,
			err.details);
}

/*
 * The kernel takes IPv6 off a link whose MTU is below 1280, so the address
 * would fail later with a bare EINVAL: say why, before any link is made.
 */
static int add_check_mtu(struct add_state *s, struct cni_err *err)
{
	char buf[IPNET_STRLEN];
	int mtu = s->a.conf->mtu;

	for (size_t i = 0; mtu && mtu < 1280 && i < s->n_leases; i++)
		if (s->leases[i].addr.addr.family == AF_INET6)
			return cni_err_set(
				err, CNI_ERR_CONFIG, EINVAL,
				"mtu: %d is below 1280, the least IPv6 allows, and the container is to get %s",
				mtu, ipnet_fmt(&s->leases[i].addr, buf));
	return 0;
}

static int add_ipam(struct add_state *s, struct cni_err *err)
{
	int r;

	if (s->a.conf->ipam.kind == IPAM_NONE)
		return 0;
	r = add_ipam_acquire(s, err);
	if (r < 0)
		return r;
	return undo_push(&s->undo, undo_release, s);
}

static void undo_veth(void *ctx)
{
	struct add_state *s = ctx;
	struct cni_err err = { 0 };
	bool deleted;

	if (link_del(&s->a.host, s->a.host_ifname, &deleted, &err) < 0)
		log_err("rollback: delete %s: %s", s->a.host_ifname, err.msg);
}

static int add_veth(struct add_state *s, struct cni_err *err)
{
	struct veth_spec v = {
		.host_name = s->a.host_ifname,
		.peer_name = s->a.env->ifname,
		.peer_nsfd = s->a.nsfd,
		.mtu = s->a.conf->mtu,
		.master = s->br.ifindex,
	};
	bool deleted;
	int r;

	attach_random_mac(v.host_mac);
	if (s->a.conf->mac[0])
		mac_parse(s->a.conf->mac, v.peer_mac);
	else
		attach_random_mac(v.peer_mac);
	r = link_veth_create(&s->a.host, &v, err);
	if (r == -EEXIST) {
		/* A crashed ADD of this attachment left its host end behind. */
		log_info("replacing stale %s", s->a.host_ifname);
		r = link_del(&s->a.host, s->a.host_ifname, &deleted, err);
		if (r == 0)
			r = link_veth_create(&s->a.host, &v, err);
	}
	if (r == -EEXIST)
		return cni_err_set(err, CNI_ERR_INTERNAL, EEXIST,
				   "veth: %s or %s already exists",
				   s->a.host_ifname, s->a.env->ifname);
	if (r < 0)
		return r;
	memcpy(s->host_mac, v.host_mac, 6);
	return undo_push(&s->undo, undo_veth, s);
}

static int add_container_link(struct add_state *s, struct cni_err *err)
{
	int r = link_get(&s->a.cont, s->a.env->ifname, 0, &s->cont, err);

	if (r == 0 && s->cont.ifindex == 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENODEV,
				   "%s vanished from the namespace",
				   s->a.env->ifname);
	return r;
}

static int add_bridge(struct add_state *s, struct cni_err *err)
{
	return attach_ensure_bridge(&s->a, &s->br, err);
}

/* ADD as a list of steps; each that changes the system pushes its undo. */
static const struct {
	int (*fn)(struct add_state *s, struct cni_err *err);
	const char *fault; /* crash point after the step, for the tests */
} add_step_list[] = {
	{ add_prev, NULL },
	{ add_check_ifname, "add-checked" },
	{ add_ipam, "add-ipam" },
	{ add_check_mtu, NULL },
	{ add_bridge, "add-bridge" },
	{ add_veth, "add-veth" },
	{ add_port, "add-port" },
	{ add_container_link, "add-link" },
	{ add_plan, "add-plan" },
	{ add_sysctls, "add-sysctls" },
	{ add_container_config, "add-container" },
	{ add_settle, NULL },
	{ add_vlan_gateway, "add-vlan-gateway" },
	{ add_gateway, "add-gateway" },
	{ fwstep_add, "add-firewall" },
};

static int add_steps(struct add_state *s, json_t **ret_out,
		     struct cni_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(add_step_list); i++) {
		int r = add_step_list[i].fn(s, err);

		if (r < 0)
			return r;
		if (add_step_list[i].fault)
			fault_point(add_step_list[i].fault);
	}
	return add_result(s, ret_out, err);
}

int cmd_add(const struct cni_env *env, struct netconf *c, json_t **ret_out,
	    struct cni_err *err)
{
	struct add_state s;
	int r;

	memset(&s, 0, sizeof(s));
	undo_init(&s.undo);
	result_init(&s.res);
	result_init(&s.ipam_res);
	r = attach_open(&s.a, env, c, false, err);
	if (r == 0)
		r = add_steps(&s, ret_out, err);
	if (r < 0)
		undo_run(&s.undo);
	result_clear(&s.res);
	result_clear(&s.ipam_res);
	attach_close(&s.a);
	return r;
}
