// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <unistd.h>

#include "brisk/cmd.h"
#include "brisk/delegate.h"
#include "brisk/ipam.h"
#include "brisk/lease.h"
#include "brisk/range.h"
#include "fwstep.h"

/* True when some address of @set is free (stops at the first one). */
static int status_set_has_free(struct lease_store *s,
			       const struct ipam_rangeset *set, bool *ret,
			       struct cni_err *err)
{
	struct rangeset_iter it;
	struct ipaddr ip;
	int ri, r = 0;
	bool taken = true;

	rangeset_iter_init(&it, set, NULL);
	while (taken && r == 0 && rangeset_iter_next(&it, &ip, &ri))
		r = lease_exists(s, &ip, &taken, err);
	*ret = !taken;
	return r;
}

static int status_store(struct netconf *c, struct cni_err *err)
{
	struct lease_store s = LEASE_STORE_INIT;
	bool has_free = true;
	int r;

	r = lease_store_open(c->ipam.data_dir, c->name, &s, err);
	if (r == 0 && faccessat(s.dirfd, ".", W_OK, AT_EACCESS) < 0)
		r = cni_err_set(err, CNI_ERR_UNAVAILABLE, errno,
				"lease store %s is not writable", s.path);
	if (r == 0)
		r = lease_store_lock(&s, IPAM_LOCK_TIMEOUT_MS, err);
	for (size_t i = 0; r == 0 && has_free && i < c->ipam.n_sets; i++) {
		r = status_set_has_free(&s, &c->ipam.sets[i], &has_free, err);
		if (r == 0 && !has_free)
			r = cni_err_set(err, CNI_ERR_UNAVAILABLE, ENOSPC,
					"no free address in ipam.ranges[%zu]", i);
	}
	lease_store_close(&s);
	if (r < 0 && err->code == CNI_ERR_IO)
		err->code = CNI_ERR_UNAVAILABLE;
	return r;
}

int cmd_status(const struct cni_env *env, struct netconf *c,
	       struct cni_err *err)
{
	int r = fwstep_status(c, err);

	if (r < 0)
		return r;
	/* Whether a delegated plugin can serve ADDs is for it to say. */
	if (c->ipam.kind == IPAM_DELEGATE)
		return delegate_run(env, "STATUS", c->ipam.type, c->raw, NULL,
				    err);
	if (c->ipam.kind != IPAM_BUILTIN)
		return 0;
	return status_store(c, err);
}
