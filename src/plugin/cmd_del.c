// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "brisk/attach.h"
#include "brisk/cmd.h"
#include "brisk/fault.h"
#include "brisk/log.h"
#include "fwstep.h"

/*
 * Remove the container end (which takes its peer with it), or the host end
 * by its derived name when the namespace is gone.
 */
static int del_links(struct attach *a, struct cni_err *err)
{
	bool deleted = false;
	int r;

	if (a->cont.sock) {
		r = link_del(&a->cont, a->env->ifname, &deleted, err);
		if (r < 0)
			return r;
	}
	fault_point("del-container-link");
	if (deleted)
		return 0;
	return link_del(&a->host, a->host_ifname, &deleted, err);
}

int cmd_del(const struct cni_env *env, struct netconf *c,
	    struct ipam_freed *ret_freed, struct cni_err *err)
{
	struct cni_err lerr = { 0 }, ferr = { 0 };
	struct attach a;
	int r, rl, rf;

	/* Elements first, while their addresses are still leased. */
	rf = fwstep_del(env, c, &ferr);
	/* Free the addresses even when the links cannot be reached. */
	r = attach_ipam_del(env, c, ret_freed, err);
	if (rf < 0 && r == 0) {
		*err = ferr;
		r = rf;
	} else if (rf < 0) {
		log_err("DEL firewall: %s (%s)", ferr.msg, ferr.details);
	}
	fault_point("del-ipam");
	rl = attach_open(&a, env, c, true, &lerr);
	if (rl == 0)
		rl = del_links(&a, &lerr);
	attach_close(&a);
	if (rl < 0 && r == 0) {
		*err = lerr;
		return rl;
	}
	if (rl < 0)
		log_err("DEL links: %s (%s)", lerr.msg, lerr.details);
	return r;
}
