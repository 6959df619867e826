// SPDX-License-Identifier: Apache-2.0
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "brisk/cni.h"
#include "brisk/jsonget.h"
#include "brisk/netconf.h"

/*
 * An address key; "" is no address, as the reference reads it (Go's net.IP
 * takes empty text as nil), so a template that leaves one empty works.
 */
static int parse_addr_key(json_t *obj, const char *ctx, const char *key,
			  struct ipaddr *ret, struct cni_err *err)
{
	const char *s = NULL;
	int r = jget_str(obj, ctx, key, &s, err);

	if (r < 0 || !s || !*s)
		return r;
	if (ipaddr_parse(s, ret) < 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.%s: \"%.50s\" is not an IP address", ctx,
				   key, s);
	return 0;
}

static int parse_range(json_t *obj, const char *ctx, struct ipam_range *ret,
		       struct cni_err *err)
{
	const char *subnet = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(obj))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: expected an object", ctx);
	r = jget_str(obj, ctx, "subnet", &subnet, err);
	if (r < 0)
		return r;
	if (!subnet)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.subnet: missing", ctx);
	if (ipnet_parse(subnet, &ret->subnet) < 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.subnet: \"%.50s\" is not a CIDR prefix",
				   ctx, subnet);
	r = r ?: parse_addr_key(obj, ctx, "rangeStart", &ret->start, err);
	r = r ?: parse_addr_key(obj, ctx, "rangeEnd", &ret->end, err);
	r = r ?: parse_addr_key(obj, ctx, "gateway", &ret->gw, err);
	/* host-local claims network+1 as gateway when none is given. */
	r = r ?: range_canonicalize(ret, true, ctx, err);
	return r;
}

static int parse_rangeset(json_t *arr, const char *key, size_t si,
			  struct ipam_rangeset *ret, struct cni_err *err)
{
	char ctx[64];
	size_t i;
	json_t *v;
	int r;

	snprintf(ctx, sizeof(ctx), "%s[%zu]", key, si);
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: expected a non-empty array", ctx);
	if (json_array_size(arr) > RANGESET_MAX)
		return cni_err_set(err, CNI_ERR_CONFIG, E2BIG,
				   "%s: more than %d ranges", ctx, RANGESET_MAX);
	json_array_foreach(arr, i, v) {
		char rctx[96];

		snprintf(rctx, sizeof(rctx), "%s[%zu]", ctx, i);
		r = parse_range(v, rctx, &ret->r[i], err);
		if (r < 0)
			return r;
	}
	ret->n = json_array_size(arr);
	return rangeset_validate(ret, ctx, err);
}

/* The legacy single-range keys become a first set, as host-local does. */
static int parse_legacy_range(json_t *ipam, struct ipamconf *c,
			      struct cni_err *err)
{
	int r;

	if (!json_object_get(ipam, "subnet"))
		return 0;
	if (c->n_sets >= IPAM_MAX_SETS)
		return cni_err_set(
			err, CNI_ERR_CONFIG, E2BIG,
			"ipam.subnet: more than %d range sets in all",
			IPAM_MAX_SETS);
	r = parse_range(ipam, "ipam", &c->sets[c->n_sets].r[0], err);
	if (r < 0)
		return r;
	c->sets[c->n_sets].n = 1;
	c->n_sets++;
	return 0;
}

/* Append the range sets of array @ranges (named @key) to c->sets. */
static int parse_rangesets(json_t *ranges, const char *key, struct ipamconf *c,
			   struct cni_err *err)
{
	json_t *v;
	size_t i;
	int r;

	if (c->n_sets + json_array_size(ranges) > IPAM_MAX_SETS)
		return cni_err_set(err, CNI_ERR_CONFIG, E2BIG,
				   "%s: more than %d range sets in all", key,
				   IPAM_MAX_SETS);
	json_array_foreach(ranges, i, v) {
		r = parse_rangeset(v, key, i, &c->sets[c->n_sets], err);
		if (r < 0)
			return r;
		c->n_sets++;
	}
	return 0;
}

/*
 * As host-local orders them, which numbers each set's last_reserved_ip.N:
 * runtimeConfig.ipRanges (the "ipRanges" capability) first, then the
 * legacy single range, then ipam.ranges.
 */
static int parse_ip_ranges(json_t *root, struct ipamconf *c,
			   struct cni_err *err)
{
	json_t *rc = NULL, *ranges = NULL;
	int r;

	r = jget_obj(root, "", "runtimeConfig", &rc, err);
	if (r == 0 && rc)
		r = jget_arr(rc, "runtimeConfig", "ipRanges", &ranges, err);
	if (r == 0 && ranges)
		r = parse_rangesets(ranges, "runtimeConfig.ipRanges", c, err);
	return r;
}

static int parse_ranges(json_t *root, json_t *ipam, struct ipamconf *c,
			struct cni_err *err)
{
	json_t *ranges = NULL;
	int r;

	r = parse_ip_ranges(root, c, err);
	r = r ?: parse_legacy_range(ipam, c, err);
	r = r ?: jget_arr(ipam, "ipam", "ranges", &ranges, err);
	r = r ?: (ranges ? parse_rangesets(ranges, "ipam.ranges", c, err) : 0);
	if (r < 0)
		return r;
	if (c->n_sets == 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "ipam.ranges: no IP ranges specified");
	for (size_t a = 0; a < c->n_sets; a++)
		for (size_t b = a + 1; b < c->n_sets; b++)
			if (rangeset_overlaps(&c->sets[a], &c->sets[b]))
				return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
						   "ipam.ranges: range sets %zu and %zu overlap",
						   a, b);
	return 0;
}

static int parse_route(json_t *obj, const char *ctx, struct iproute *ret,
		       struct cni_err *err)
{
	const char *dst = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->scope = -1;
	if (!json_is_object(obj))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: expected an object", ctx);
	r = jget_str(obj, ctx, "dst", &dst, err);
	if (r < 0)
		return r;
	if (!dst || ipnet_parse(dst, &ret->dst) < 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.dst: missing or not a CIDR prefix", ctx);
	r = parse_addr_key(obj, ctx, "gw", &ret->gw, err);
	/* The CNI route's other keys: host-local hands them to the result. */
	r = r ?: jget_int(obj, ctx, "mtu", 0, INT_MAX, &ret->mtu, err);
	r = r ?: jget_int(obj, ctx, "advmss", 0, INT_MAX, &ret->advmss, err);
	if (r == 0)
		r = jget_int(obj, ctx, "priority", 0, INT_MAX, &ret->priority,
			     err);
	r = r ?: jget_int(obj, ctx, "table", 0, INT_MAX, &ret->table, err);
	r = r ?: jget_int(obj, ctx, "scope", 0, 255, &ret->scope, err);
	if (r < 0)
		return r;
	if (ret->gw.family && ret->gw.family != ret->dst.addr.family)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.gw: family differs from dst", ctx);
	return 0;
}

static int parse_routes(json_t *ipam, struct ipamconf *c, struct cni_err *err)
{
	json_t *routes = NULL, *v;
	size_t i;
	int r;

	r = jget_arr(ipam, "ipam", "routes", &routes, err);
	if (r < 0 || !routes)
		return r;
	if (json_array_size(routes) > IPAM_MAX_ROUTES)
		return cni_err_set(err, CNI_ERR_CONFIG, E2BIG,
				   "ipam.routes: more than %d routes",
				   IPAM_MAX_ROUTES);
	json_array_foreach(routes, i, v) {
		char ctx[40];

		snprintf(ctx, sizeof(ctx), "ipam.routes[%zu]", i);
		r = parse_route(v, ctx, &c->routes[i], err);
		if (r < 0)
			return r;
	}
	c->n_routes = json_array_size(routes);
	return 0;
}

static int add_req_ip(struct ipamconf *c, const char *ctx, const char *s,
		      struct cni_err *err)
{
	char buf[IPNET_STRLEN];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);

	if (c->n_req_ips >= IPAM_MAX_REQ_IPS)
		return cni_err_set(err, CNI_ERR_CONFIG, E2BIG,
				   "%s: more than %d requested addresses", ctx,
				   IPAM_MAX_REQ_IPS);
	/* runtimeConfig.ips may carry a prefix length; the address is what counts. */
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (ipaddr_parse(buf, &c->req_ips[c->n_req_ips]) < 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: \"%.50s\" is not an IP address", ctx, s);
	c->n_req_ips++;
	return 0;
}

static int parse_req_ip_array(json_t *parent, const char *ctx,
			      struct ipamconf *c, struct cni_err *err)
{
	json_t *ips = NULL, *v;
	char key[48];
	size_t i;
	int r;

	r = jget_arr(parent, ctx, "ips", &ips, err);
	if (r < 0 || !ips)
		return r;
	json_array_foreach(ips, i, v) {
		snprintf(key, sizeof(key), "%s.ips[%zu]", ctx, i);
		if (!json_is_string(v))
			return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
					   "%s: expected a string", key);
		r = add_req_ip(c, key, json_string_value(v), err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Requested addresses: CNI_ARGS IP=, args.cni.ips, runtimeConfig.ips. */
static int parse_req_ips(json_t *root, const char *cni_args,
			 struct ipamconf *c, struct cni_err *err)
{
	json_t *args = NULL, *cni = NULL, *rc = NULL;
	char buf[256];
	int r;

	r = cni_args_get(cni_args, "IP", buf, sizeof(buf), err);
	if (r < 0)
		return r;
	for (char *save = NULL, *tok = r ? strtok_r(buf, ",", &save) : NULL;
	     tok; tok = strtok_r(NULL, ",", &save)) {
		r = add_req_ip(c, "CNI_ARGS IP", tok, err);
		if (r < 0)
			return r;
	}
	r = jget_obj(root, "", "args", &args, err);
	r = r ?: (args ? jget_obj(args, "args", "cni", &cni, err) : 0);
	r = r ?: (cni ? parse_req_ip_array(cni, "args.cni", c, err) : 0);
	r = r ?: jget_obj(root, "", "runtimeConfig", &rc, err);
	r = r ?: (rc ? parse_req_ip_array(rc, "runtimeConfig", c, err) : 0);
	return r;
}

static int parse_builtin(json_t *root, json_t *ipam, const char *cni_args,
			 struct ipamconf *c, struct cni_err *err)
{
	int r = 0;

	strcpy(c->data_dir, IPAM_DEFAULT_DATA_DIR);
	r = r ?: jget_strbuf(ipam, "ipam", "dataDir", c->data_dir,
			     sizeof(c->data_dir), err);
	r = r ?: jget_strbuf(ipam, "ipam", "resolvConf", c->resolv_conf,
			     sizeof(c->resolv_conf), err);
	r = r ?: jget_bool(ipam, "ipam", "reclaimStale", &c->reclaim_stale,
			   err);
	if (r < 0)
		return r;
	/* As host-local: an empty dataDir is the default one. */
	if (!c->data_dir[0])
		strcpy(c->data_dir, IPAM_DEFAULT_DATA_DIR);
	if (c->data_dir[0] != '/')
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "ipam.dataDir: \"%.60s\" is not an absolute path",
				   c->data_dir);
	r = r ?: parse_ranges(root, ipam, c, err);

	r = r ?: parse_routes(ipam, c, err);
	r = r ?: parse_req_ips(root, cni_args, c, err);
	return r;
}

/* host-local's rule: before 0.3.0 a result holds one address per family. */
int ipamconf_check_version(const struct ipamconf *c, enum cni_ver ver,
			   struct cni_err *err)
{
	int n4 = 0, n6 = 0;

	if (ver >= CNI_V030)
		return 0;
	for (size_t i = 0; i < c->n_sets; i++) {
		if (c->sets[i].r[0].subnet.addr.family == AF_INET)
			n4++;
		else
			n6++;
	}
	if (n4 > 1 || n6 > 1)
		return cni_err_set(
			err, CNI_ERR_CONFIG, EINVAL,
			"ipam.ranges: cniVersion %s allows one range set per family",
			cni_ver_str(ver));
	return 0;
}

bool ipamconf_type_builtin(const char *type)
{
	return type &&
	       (strcmp(type, "host-local") == 0 || strcmp(type, "brisk") == 0);
}

int ipamconf_parse(json_t *root, const char *cni_args, struct ipamconf *ret,
		   struct cni_err *err)
{
	json_t *ipam = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = jget_obj(root, "", "ipam", &ipam, err);
	r = r ?: (ipam ? jget_strbuf(ipam, "ipam", "type", ret->type,
				     sizeof(ret->type), err) : 0);
	if (r < 0)
		return r;
	if (!ipam || json_object_size(ipam) == 0) {
		ret->kind = IPAM_NONE;
		return 0;
	}
	if (!ret->type[0])
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "ipam.type: missing");
	if (ipamconf_type_builtin(ret->type)) {
		ret->kind = IPAM_BUILTIN;
		return parse_builtin(root, ipam, cni_args, ret, err);
	}
	/* The type becomes a file name under CNI_PATH: one component only. */
	if (!cni_valid_netname(ret->type))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "ipam.type: \"%.40s\" is not a valid plugin name",
				   ret->type);
	ret->kind = IPAM_DELEGATE;
	return 0;
}
