// SPDX-License-Identifier: Apache-2.0
#include "brisk/cmd.h"
#include "brisk/delegate.h"
#include "brisk/ipam.h"
#include "fwstep.h"

int cmd_status(const struct cni_env *env, struct netconf *c,
	       struct cni_err *err)
{
	int r = fwstep_status(c, err);

	if (r < 0)
		return r;
	/* Whether a delegated plugin can serve ADDs is for it to say. */
	if (c->ipam.kind == IPAM_DELEGATE)
		return delegate_run(env->path, "STATUS", c->ipam.type, c->raw,
				    NULL, err);
	if (c->ipam.kind != IPAM_BUILTIN)
		return 0;
	return ipam_status(&c->ipam, c->name, err);
}
