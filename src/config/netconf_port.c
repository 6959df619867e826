// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>

#include "brisk/jsonget.h"
#include "netconf_int.h"

static void trunk_set(struct netconf *c, int lo, int hi)
{
	for (int v = lo; v <= hi; v++)
		c->vlan_trunk[v / 64] |= 1ULL << (v % 64);
}

/* One vlanTrunk item: {"id"}, {"minID", "maxID"}, or both, as the reference. */
static int parse_trunk_item(json_t *item, const char *ctx, struct netconf *c,
			    struct cni_err *err)
{
	int lo = -1, hi = -1, id = -1, r = 0;

	if (!json_is_object(item))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: expected an object", ctx);
	r = r ?: jget_int(item, ctx, "minID", 1, VLAN_ID_MAX, &lo, err);
	r = r ?: jget_int(item, ctx, "maxID", 1, VLAN_ID_MAX, &hi, err);
	r = r ?: jget_int(item, ctx, "id", 1, VLAN_ID_MAX, &id, err);
	if (r < 0)
		return r;
	if ((lo < 0) != (hi < 0))
		return cni_err_set(
			err, CNI_ERR_CONFIG, EINVAL,
			"%s: minID and maxID go together, %s is missing", ctx,
			lo < 0 ? "minID" : "maxID");
	if (lo > hi)
		return cni_err_set(err, CNI_ERR_CONFIG, ERANGE,
				   "%s: minID %d is greater than maxID %d", ctx,
				   lo, hi);
	if (lo > 0)
		trunk_set(c, lo, hi);
	if (id > 0)
		trunk_set(c, id, id);
	return 0;
}

static int parse_trunk(json_t *root, struct netconf *c, struct cni_err *err)
{
	json_t *arr = NULL, *item;
	size_t i;
	int r;

	r = jget_arr(root, "", "vlanTrunk", &arr, err);
	if (r < 0 || !arr)
		return r;
	c->has_vlan_trunk = true;
	json_array_foreach(arr, i, item) {
		char ctx[32];

		snprintf(ctx, sizeof(ctx), "vlanTrunk[%zu]", i);
		r = parse_trunk_item(item, ctx, c, err);
		if (r < 0)
			return r;
	}
	/*
	 * The reference accepts this and then re-adds the VLAN tagged, which
	 * takes the port's PVID away: refused rather than left broken.
	 */
	if (netconf_trunk_has(c, c->vlan))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "vlanTrunk: VLAN %d is also \"vlan\"",
				   c->vlan);
	return 0;
}

int netconf_parse_port(json_t *root, struct netconf *c, struct cni_err *err)
{
	int r = 0;

	r = r ?: jget_bool(root, "", "portIsolation", &c->port_isolation, err);
	if (r == 0)
		r = jget_bool(root, "", "preserveDefaultVlan",
			      &c->preserve_default_vlan, err);
	r = r ?: jget_int(root, "", "vlan", 0, VLAN_ID_MAX, &c->vlan, err);
	r = r ?: parse_trunk(root, c, err);
	return r;
}

int netconf_check_combinations(const struct netconf *c, struct cni_err *err)
{
	if (c->hairpin && c->promisc)
		return cni_err_set(
			err, CNI_ERR_CONFIG, EINVAL,
			"hairpinMode and promiscMode cannot both be set");
	if (c->disable_container_iface && c->ipam.kind != IPAM_NONE)
		return cni_err_set(
			err, CNI_ERR_CONFIG, EINVAL,
			"disableContainerInterface cannot be used with ipam.type \"%s\"",
			c->ipam.type);
	/* The gateway interface "<bridge>.<vlan>" must be a valid name. */
	if (c->vlan && c->is_gw && c->ipam.kind != IPAM_NONE &&
	    strlen(c->bridge) + 1 + (size_t)snprintf(NULL, 0, "%d", c->vlan) >=
		    IFNAMSIZ)
		return cni_err_set(
			err, CNI_ERR_CONFIG, ENAMETOOLONG,
			"bridge: \"%s.%d\", the VLAN gateway's name, is longer than %d bytes",
			c->bridge, c->vlan, IFNAMSIZ - 1);
	return 0;
}
