// SPDX-License-Identifier: Apache-2.0
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "brisk/cleanup.h"
#include "brisk/result.h"

/* Room for "prevResult.ip6.routes[123456].dst" and the like. */
#define PATH_LEN 64

/*
 * Fetch an optional member. JSON null counts as absent, as it does for
 * Go's decoder, so a null written by another plugin is not an error.
 */
static json_t *member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_null(v) ? NULL : v;
}

/* *ret is NULL when absent; a present non-string is code 7. */
static int get_str(json_t *o, const char *path, const char *key,
		   const char **ret, struct cni_err *err)
{
	json_t *v = member(o, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.%s: expected a string", path, key);
	*ret = json_string_value(v);
	return 0;
}

/* A string member of at most @max bytes (*ret NULL when absent). */
static int get_str_max(json_t *o, const char *path, const char *key, size_t max,
		       const char **ret, struct cni_err *err)
{
	int r = get_str(o, path, key, ret, err);

	if (r == 0 && *ret && strlen(*ret) > max)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.%s: longer than %zu bytes", path, key,
				   max);
	return r;
}

/* Copy a string member into @buf; absent leaves @buf untouched. */
static int get_strbuf(json_t *o, const char *path, const char *key,
		      char *buf, size_t size, struct cni_err *err)
{
	const char *s;
	int r = get_str_max(o, path, key, size - 1, &s, err);

	if (r == 0 && s)
		strcpy(buf, s);
	return r;
}

/* An integer in [min, max]; absent leaves *ret untouched. */
static int get_int(json_t *o, const char *path, const char *key, int min,
		   int max, int *ret, struct cni_err *err)
{
	json_t *v = member(o, key);
	json_int_t n;

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.%s: expected an integer", path, key);
	n = json_integer_value(v);
	if (n < min || n > max)
		return cni_err_set(err, CNI_ERR_CONFIG, ERANGE,
				   "%s.%s: %lld is out of range [%d, %d]",
				   path, key, (long long)n, min, max);
	*ret = (int)n;
	return 0;
}

/* An array member; *ret is NULL when absent. */
static int get_array(json_t *o, const char *path, const char *key,
		     json_t **ret, struct cni_err *err)
{
	json_t *v = member(o, key);

	*ret = NULL;
	if (v && !json_is_array(v))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.%s: expected an array", path, key);
	*ret = v;
	return 0;
}

static int check_object(json_t *v, const char *path, struct cni_err *err)
{
	if (!json_is_object(v))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: expected an object", path);
	return 0;
}

/* A prefix ("10.0.0.2/24"); @required says whether absence is an error. */
static int get_net(json_t *o, const char *path, const char *key,
		   bool required, struct ipnet *ret, struct cni_err *err)
{
	const char *s;
	int r;

	r = get_str(o, path, key, &s, err);
	if (r < 0)
		return r;
	if (!s && required)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.%s: missing", path, key);
	if (s && ipnet_parse(s, ret) < 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.%s: invalid prefix \"%.40s\"", path,
				   key, s);
	return 0;
}

/* An optional plain address; absent leaves *ret untouched. */
static int get_addr(json_t *o, const char *path, const char *key,
		    struct ipaddr *ret, struct cni_err *err)
{
	const char *s;
	int r;

	r = get_str(o, path, key, &s, err);
	if (r < 0 || !s)
		return r;
	if (ipaddr_parse(s, ret) < 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.%s: invalid address \"%.40s\"", path,
				   key, s);
	return 0;
}

static int decode_route(json_t *v, const char *path, struct result *ret,
			struct cni_err *err)
{
	struct iproute rt = { .scope = -1 };
	int r;

	r = check_object(v, path, err);
	if (r >= 0)
		r = get_net(v, path, "dst", true, &rt.dst, err);
	if (r >= 0)
		r = get_addr(v, path, "gw", &rt.gw, err);
	/* The 1.1.0 extras: taken whenever present, whatever the version. */
	if (r >= 0)
		r = get_int(v, path, "mtu", 0, INT_MAX, &rt.mtu, err);
	if (r >= 0)
		r = get_int(v, path, "advmss", 0, INT_MAX, &rt.advmss, err);
	if (r >= 0)
		r = get_int(v, path, "priority", 0, INT_MAX, &rt.priority,
			    err);
	if (r >= 0)
		r = get_int(v, path, "table", 0, INT_MAX, &rt.table, err);
	if (r >= 0)
		r = get_int(v, path, "scope", 0, 255, &rt.scope, err);
	if (r < 0)
		return r;
	if (result_add_route(ret, &rt) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "%s: out of memory", path);
	return 0;
}

static int decode_routes(json_t *o, const char *path, const char *key,
			 struct result *ret, struct cni_err *err)
{
	char sub[PATH_LEN];
	json_t *arr, *v;
	size_t i;
	int r;

	r = get_array(o, path, key, &arr, err);
	if (r < 0 || !arr)
		return r;
	json_array_foreach (arr, i, v) {
		snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, key, i);
		r = decode_route(v, sub, ret, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int decode_iface(json_t *v, const char *path,
			struct result_iface *ifc, struct cni_err *err)
{
	const char *sandbox = NULL;
	int r;

	memset(ifc, 0, sizeof(*ifc));
	r = check_object(v, path, err);
	if (r >= 0)
		r = get_strbuf(v, path, "name", ifc->name, sizeof(ifc->name),
			       err);
	if (r >= 0 && ifc->name[0] == '\0')
		r = cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				"%s.name: missing", path);
	if (r >= 0)
		r = get_strbuf(v, path, "mac", ifc->mac, sizeof(ifc->mac), err);
	if (r >= 0)
		r = get_str_max(v, path, "sandbox", RESULT_SANDBOX_MAX,
				&sandbox, err);
	if (r >= 0)
		r = get_int(v, path, "mtu", 0, INT_MAX, &ifc->mtu, err);
	if (r >= 0 && sandbox && sandbox[0] &&
	    !(ifc->sandbox = strdup(sandbox)))
		r = cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM, "out of memory");
	return r;
}

static int decode_ifaces(json_t *o, struct result *ret, struct cni_err *err)
{
	char path[PATH_LEN];
	json_t *arr, *v;
	size_t i;
	int r;

	r = get_array(o, "prevResult", "interfaces", &arr, err);
	if (r < 0 || !arr)
		return r;
	if (json_array_size(arr) > (size_t)(RESULT_MAX_IFACES - ret->n_ifaces))
		return cni_err_set(err, CNI_ERR_CONFIG, E2BIG,
				   "prevResult.interfaces: more than %d",
				   RESULT_MAX_IFACES);
	json_array_foreach (arr, i, v) {
		snprintf(path, sizeof(path), "prevResult.interfaces[%zu]", i);
		r = decode_iface(v, path, &ret->ifaces[ret->n_ifaces], err);
		if (r < 0)
			return r;
		ret->n_ifaces++;
	}
	return 0;
}

/* The optional "version" of 0.3.x/0.4.0 must agree with the address. */
static int check_ip_version(json_t *v, const char *path,
			    const struct result_ip *ip, struct cni_err *err)
{
	const char *want = ip->addr.addr.family == AF_INET6 ? "6" : "4";
	const char *s;
	int r;

	r = get_str(v, path, "version", &s, err);
	if (r < 0 || !s || strcmp(s, want) == 0)
		return r;
	return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
			   "%s.version: \"%.8s\" does not match the address",
			   path, s);
}

static int decode_ip(json_t *v, const char *path, int n_ifaces,
		     struct result_ip *ip, struct cni_err *err)
{
	int r;

	memset(ip, 0, sizeof(*ip));
	ip->iface = -1;
	r = check_object(v, path, err);
	if (r >= 0)
		r = get_net(v, path, "address", true, &ip->addr, err);
	if (r >= 0)
		r = check_ip_version(v, path, ip, err);
	if (r >= 0)
		r = get_addr(v, path, "gateway", &ip->gw, err);
	if (r >= 0)
		r = get_int(v, path, "interface", 0, INT_MAX, &ip->iface, err);
	if (r >= 0 && ip->iface >= n_ifaces)
		r = cni_err_set(err, CNI_ERR_CONFIG, ERANGE,
				"%s.interface: %d is out of range (%d interfaces)",
				path, ip->iface, n_ifaces);
	return r;
}

static int decode_ips(json_t *o, struct result *ret, struct cni_err *err)
{
	char path[PATH_LEN];
	json_t *arr, *v;
	size_t i;
	int r;

	r = get_array(o, "prevResult", "ips", &arr, err);
	if (r < 0 || !arr)
		return r;
	if (json_array_size(arr) > (size_t)(RESULT_MAX_IPS - ret->n_ips))
		return cni_err_set(err, CNI_ERR_CONFIG, E2BIG,
				   "prevResult.ips: more than %d",
				   RESULT_MAX_IPS);
	json_array_foreach (arr, i, v) {
		snprintf(path, sizeof(path), "prevResult.ips[%zu]", i);
		r = decode_ip(v, path, ret->n_ifaces, &ret->ips[ret->n_ips],
			      err);
		if (r < 0)
			return r;
		ret->n_ips++;
	}
	return 0;
}

/* 0.1.0/0.2.0: "ip4"/"ip6" hold one address, its gateway and routes. */
static int decode_legacy_ipcfg(json_t *o, const char *key, int family,
			       struct result *ret, struct cni_err *err)
{
	json_t *v = member(o, key);
	struct result_ip *ip = &ret->ips[ret->n_ips];
	char path[PATH_LEN];
	int r;

	if (!v)
		return 0;
	snprintf(path, sizeof(path), "prevResult.%s", key);
	if (ret->n_ips >= RESULT_MAX_IPS)
		return cni_err_set(err, CNI_ERR_CONFIG, E2BIG,
				   "%s: more than %d addresses", path,
				   RESULT_MAX_IPS);
	memset(ip, 0, sizeof(*ip));
	ip->iface = -1;
	r = check_object(v, path, err);
	if (r >= 0)
		r = get_net(v, path, "ip", true, &ip->addr, err);
	if (r >= 0 && ip->addr.addr.family != family)
		r = cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				"%s.ip: not an IPv%c address", path,
				family == AF_INET ? '4' : '6');
	if (r >= 0)
		r = get_addr(v, path, "gateway", &ip->gw, err);
	if (r >= 0)
		r = decode_routes(v, path, "routes", ret, err);
	if (r < 0)
		return r;
	ret->n_ips++;
	return 0;
}

/* An optional array whose items must all be strings. */
static int check_str_list(json_t *o, const char *path, const char *key,
			  struct cni_err *err)
{
	json_t *arr, *v;
	size_t i;
	int r;

	r = get_array(o, path, key, &arr, err);
	if (r < 0 || !arr)
		return r;
	json_array_foreach (arr, i, v)
		if (!json_is_string(v))
			return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
					   "%s.%s[%zu]: expected a string",
					   path, key, i);
	return 0;
}

int result_dns_check(json_t *dns, const char *path, struct cni_err *err)
{
	static const char *const lists[] = { "nameservers", "search",
					     "options" };
	const char *s;
	int r = check_object(dns, path, err);

	if (r >= 0)
		r = get_str(dns, path, "domain", &s, err);
	for (size_t k = 0; r >= 0 && k < ARRAY_SIZE(lists); k++)
		r = check_str_list(dns, path, lists[k], err);
	return r < 0 ? r : 0;
}

static int decode_dns(json_t *o, struct result *ret, struct cni_err *err)
{
	json_t *dns = member(o, "dns");
	int r = dns ? result_dns_check(dns, "prevResult.dns", err) : 0;

	if (r < 0)
		return r;
	ret->dns = json_incref(dns);
	return 0;
}

static bool has_key(json_t *o, const char *key)
{
	return member(o, key) != NULL;
}

static int decode_any(json_t *obj, enum cni_ver ver, struct result *ret,
		      struct cni_err *err)
{
	bool is_legacy = has_key(obj, "ip4") || has_key(obj, "ip6");
	bool is_current = has_key(obj, "interfaces") || has_key(obj, "ips") ||
			  has_key(obj, "routes");
	int r;

	/* The keys decide the shape; @ver only breaks a tie of none. */
	if (is_legacy && is_current)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "prevResult: mixes ip4/ip6 with ips/routes");
	if (!is_legacy && !is_current)
		is_legacy = ver <= CNI_V020;
	if (is_legacy) {
		r = decode_legacy_ipcfg(obj, "ip4", AF_INET, ret, err);
		if (r >= 0)
			r = decode_legacy_ipcfg(obj, "ip6", AF_INET6, ret, err);
	} else {
		r = decode_ifaces(obj, ret, err);
		if (r >= 0)
			r = decode_ips(obj, ret, err);
		if (r >= 0)
			r = decode_routes(obj, "prevResult", "routes", ret,
					  err);
	}
	if (r >= 0)
		r = decode_dns(obj, ret, err);
	return r;
}

int result_decode(json_t *obj, enum cni_ver ver, struct result *ret,
		  struct cni_err *err)
{
	int r;

	r = check_object(obj, "prevResult", err);
	if (r >= 0)
		r = decode_any(obj, ver, ret, err);
	/* Never hand back half a result. */
	if (r < 0)
		result_clear(ret);
	return r;
}
