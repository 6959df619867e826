// SPDX-License-Identifier: Apache-2.0
/*
 * A parsed config written back as JSON with every default filled in, for
 * `brisk validate`: what brisk will do, spelled out. It starts from the
 * document as given, so keys brisk does not read (another plugin's, the
 * runtime's) pass through untouched, and overwrites the keys it does read
 * with the values it will use.
 */
#include <stdio.h>
#include <string.h>

#include "brisk/jsonget.h"
#include "brisk/netconf.h"

static json_t *norm_addr(const struct ipaddr *a)
{
	char buf[IPADDR_STRLEN];

	return a->family ? json_string(ipaddr_fmt(a, buf)) : json_null();
}

static json_t *norm_net(const struct ipnet *n)
{
	char buf[IPNET_STRLEN];

	return json_string(ipnet_fmt(n, buf));
}

static json_t *norm_ranges(const struct ipamconf *c)
{
	json_t *sets = json_array();

	for (size_t s = 0; sets && s < c->n_sets; s++) {
		json_t *set = json_array();

		for (size_t i = 0; set && i < c->sets[s].n; i++) {
			const struct ipam_range *r = &c->sets[s].r[i];

			json_array_append_new(
				set,
				json_pack("{s:o, s:o, s:o, s:o}", "subnet",
					  norm_net(&r->subnet), "rangeStart",
					  norm_addr(&r->start), "rangeEnd",
					  norm_addr(&r->end), "gateway",
					  norm_addr(&r->gw)));
		}
		json_array_append_new(sets, set);
	}
	return sets;
}

static json_t *norm_routes(const struct ipamconf *c)
{
	json_t *routes = json_array();

	for (size_t i = 0; routes && i < c->n_routes; i++) {
		json_t *rt =
			json_pack("{s:o}", "dst", norm_net(&c->routes[i].dst));

		if (rt && c->routes[i].gw.family)
			json_object_set_new(rt, "gw",
					    norm_addr(&c->routes[i].gw));
		json_array_append_new(routes, rt);
	}
	return routes;
}

/* The built-in IPAM's object: the legacy range keys become ranges[0]. */
static int norm_ipam(json_t *ipam, const struct ipamconf *c)
{
	static const char *const legacy[] = { "subnet", "rangeStart",
					      "rangeEnd", "gateway" };
	int r = 0;

	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
		json_object_del(ipam, legacy[i]);
	r |= json_object_set_new(ipam, "ranges", norm_ranges(c));
	r |= json_object_set_new(ipam, "routes", norm_routes(c));
	r |= json_object_set_new(ipam, "dataDir", json_string(c->data_dir));
	if (c->resolv_conf[0])
		r |= json_object_set_new(ipam, "resolvConf",
					 json_string(c->resolv_conf));
	r |= json_object_set_new(ipam, "reclaimStale",
				 json_boolean(c->reclaim_stale));
	return r ? -ENOMEM : 0;
}

static int norm_log(json_t *o, const struct calllog_conf *l)
{
	int r = 0;

	if (!l->file[0])
		return 0;
	r |= json_object_set_new(o, "logFile", json_string(l->file));
	r |= json_object_set_new(o, "logLevel",
				 json_string(calllog_level_str(l->level)));
	r |= json_object_set_new(o, "logMaxSize", json_integer(l->max_size));
	return r ? -ENOMEM : 0;
}

static int norm_bridge(json_t *o, const struct netconf *c)
{
	int r = 0;

	r |= json_object_set_new(o, "bridge", json_string(c->bridge));
	r |= json_object_set_new(o, "isGateway", json_boolean(c->is_gw));
	r |= json_object_set_new(o, "isDefaultGateway",
				 json_boolean(c->is_default_gw));
	r |= json_object_set_new(o, "forceAddress",
				 json_boolean(c->force_address));
	r |= json_object_set_new(o, "ipMasq", json_boolean(c->ip_masq));
	r |= json_object_set_new(o, "hairpinMode", json_boolean(c->hairpin));
	r |= json_object_set_new(o, "promiscMode", json_boolean(c->promisc));
	r |= json_object_set_new(o, "mtu", json_integer(c->mtu));
	r |= json_object_set_new(o, "vlan", json_integer(c->vlan));
	r |= json_object_set_new(o, "preserveDefaultVlan",
				 json_boolean(c->preserve_default_vlan));
	r |= json_object_set_new(o, "portIsolation",
				 json_boolean(c->port_isolation));
	r |= json_object_set_new(o, "enabledad", json_boolean(c->enable_dad));
	r |= json_object_set_new(o, "disableContainerInterface",
				 json_boolean(c->disable_container_iface));
	r |= json_object_set_new(o, "macspoofchk",
				 json_boolean(c->mac_spoofchk));
	return r ? -ENOMEM : 0;
}

int netconf_normalize(const struct netconf *c, bool is_main, json_t **ret)
{
	_cleanup_json_ json_t *o = json_deep_copy(c->raw);
	json_t *ipam = json_object_get(o, "ipam");
	int r = 0;

	if (!o)
		return -ENOMEM;
	r |= json_object_set_new(o, "cniVersion",
				 json_string(cni_ver_str(c->ver)));
	/* Another main plugin's keys are its own: only "ipam" is brisk's. */
	if (is_main)
		r |= norm_bridge(o, c);
	if (c->ipam.kind == IPAM_BUILTIN && json_is_object(ipam))
		r |= norm_ipam(ipam, &c->ipam);
	r |= norm_log(o, &c->log);
	if (r)
		return -ENOMEM;
	*ret = o;
	o = NULL;
	return 0;
}
