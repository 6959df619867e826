// SPDX-License-Identifier: Apache-2.0
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brisk/grow.h"
#include "brisk/result.h"

void result_init(struct result *r)
{
	memset(r, 0, sizeof(*r));
}

void result_clear(struct result *r)
{
	for (int i = 0; i < r->n_ifaces; i++)
		free(r->ifaces[i].sandbox);
	free(r->routes);
	json_decref(r->dns);
	result_init(r);
}

int result_add_route(struct result *r, const struct iproute *rt)
{
	if (r->n_routes == INT_MAX ||
	    GROW_ONE(r->routes, r->cap_routes, (size_t)r->n_routes, 4) < 0)
		return -ENOMEM;
	r->routes[r->n_routes++] = *rt;
	return 0;
}

/* Append to list @key of @out the strings of @add's that it lacks. */
static int dns_merge_list(json_t *out, json_t *add, const char *key)
{
	json_t *src = json_object_get(add, key), *dst, *v, *w;
	size_t i, j;

	if (!json_is_array(src))
		return 0;
	dst = json_object_get(out, key);
	if (!json_is_array(dst)) {
		dst = json_array();
		if (json_object_set_new(out, key, dst) < 0)
			return -1;
	}
	json_array_foreach(src, i, v) {
		bool seen = false;

		json_array_foreach(dst, j, w)
			seen = seen || json_equal(v, w);
		if (!seen && json_array_append(dst, v) < 0)
			return -1;
	}
	return 0;
}

json_t *result_dns_merge(json_t *first, json_t *second)
{
	static const char *const lists[] = { "nameservers", "search",
					     "options" };
	json_t *out, *dom;

	if (!first || !second)
		return json_deep_copy(first ? first : second);
	out = json_deep_copy(first);
	if (!out)
		return NULL;
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		if (dns_merge_list(out, second, lists[k]) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	dom = json_object_get(second, "domain");
	if (!json_object_get(out, "domain") && dom &&
	    json_object_set(out, "domain", dom) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *enc_addr(const struct ipaddr *a)
{
	char buf[IPADDR_STRLEN];

	return json_string(ipaddr_fmt(a, buf));
}

static json_t *enc_net(const struct ipnet *n)
{
	char buf[IPNET_STRLEN];

	return json_string(ipnet_fmt(n, buf));
}

/*
 * Each setter returns 0 or -1 and steals @v even on failure, so a builder
 * ORs the results together and checks once.
 */
static int set_int_if(json_t *o, const char *key, int v, int min)
{
	return v >= min ? json_object_set_new(o, key, json_integer(v)) : 0;
}

static int set_str_if(json_t *o, const char *key, const char *s)
{
	return s[0] ? json_object_set_new(o, key, json_string(s)) : 0;
}

static int set_addr_if(json_t *o, const char *key, const struct ipaddr *a)
{
	return ipaddr_is_set(a) ? json_object_set_new(o, key, enc_addr(a)) : 0;
}

/* A route; only 1.1.0 knows mtu, advmss, priority, table and scope. */
static json_t *enc_route(const struct iproute *rt, enum cni_ver ver)
{
	json_t *o = json_object();
	int bad;

	if (!o)
		return NULL;
	bad = json_object_set_new(o, "dst", enc_net(&rt->dst));
	bad |= set_addr_if(o, "gw", &rt->gw);
	if (ver >= CNI_V110) {
		bad |= set_int_if(o, "mtu", rt->mtu, 1);
		bad |= set_int_if(o, "advmss", rt->advmss, 1);
		bad |= set_int_if(o, "priority", rt->priority, 1);
		bad |= set_int_if(o, "table", rt->table, 1);
		bad |= set_int_if(o, "scope", rt->scope, 0);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *enc_iface(const struct result_iface *ifc, enum cni_ver ver)
{
	json_t *o = json_object();
	int bad;

	if (!o)
		return NULL;
	bad = json_object_set_new(o, "name", json_string(ifc->name));
	bad |= set_str_if(o, "mac", ifc->mac);
	if (ver >= CNI_V110)
		bad |= set_int_if(o, "mtu", ifc->mtu, 1);
	bad |= set_str_if(o, "sandbox", ifc->sandbox ? ifc->sandbox : "");
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* An ips[] entry; 0.3.x and 0.4.0 also name the family as "version". */
static json_t *enc_ip(const struct result_ip *ip, enum cni_ver ver)
{
	json_t *o = json_object();
	int bad = 0;

	if (!o)
		return NULL;
	if (ver < CNI_V100)
		bad |= json_object_set_new(
			o, "version",
			json_string(ip->addr.addr.family == AF_INET6 ? "6" :
								       "4"));
	bad |= set_int_if(o, "interface", ip->iface, 0);
	bad |= json_object_set_new(o, "address", enc_net(&ip->addr));
	bad |= set_addr_if(o, "gateway", &ip->gw);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Append "interfaces", "ips" and "routes", each only when not empty. */
static int enc_current(json_t *o, const struct result *r, enum cni_ver ver)
{
	json_t *ifaces = r->n_ifaces ? json_array() : NULL;
	json_t *ips = r->n_ips ? json_array() : NULL;
	json_t *routes = r->n_routes ? json_array() : NULL;
	int bad = 0;

	for (int i = 0; ifaces && i < r->n_ifaces; i++)
		bad |= json_array_append_new(ifaces,
					     enc_iface(&r->ifaces[i], ver));
	for (int i = 0; ips && i < r->n_ips; i++)
		bad |= json_array_append_new(ips, enc_ip(&r->ips[i], ver));
	for (int i = 0; routes && i < r->n_routes; i++)
		bad |= json_array_append_new(routes,
					     enc_route(&r->routes[i], ver));
	if (r->n_ifaces)
		bad |= json_object_set_new(o, "interfaces", ifaces);
	if (r->n_ips)
		bad |= json_object_set_new(o, "ips", ips);
	if (r->n_routes)
		bad |= json_object_set_new(o, "routes", routes);
	return bad;
}

/*
 * The 0.1.0/0.2.0 "ip4"/"ip6" object: that family's first address and
 * every route whose destination is of that family. NULL with *bad unset
 * when there is no address of @family (the key is then omitted).
 */
static json_t *enc_legacy_ipcfg(const struct result *r, int family, int *bad)
{
	const struct result_ip *ip = NULL;
	json_t *o, *routes;

	for (int i = 0; i < r->n_ips && !ip; i++)
		if (r->ips[i].addr.addr.family == family)
			ip = &r->ips[i];
	if (!ip)
		return NULL;
	o = json_object();
	routes = json_array();
	*bad |= json_object_set_new(o, "ip", enc_net(&ip->addr));
	*bad |= set_addr_if(o, "gateway", &ip->gw);
	for (int i = 0; routes && i < r->n_routes; i++)
		if (r->routes[i].dst.addr.family == family)
			*bad |= json_array_append_new(
				routes, enc_route(&r->routes[i], CNI_V020));
	if (json_array_size(routes) > 0)
		*bad |= json_object_set_new(o, "routes", routes);
	else if (routes)
		json_decref(routes);
	else
		*bad = -1;
	return o;
}

static int enc_legacy(json_t *o, const struct result *r)
{
	int bad = 0;
	json_t *v;

	/* set_new with a NULL value fails, hence the explicit checks. */
	v = enc_legacy_ipcfg(r, AF_INET, &bad);
	if (v)
		bad |= json_object_set_new(o, "ip4", v);
	v = enc_legacy_ipcfg(r, AF_INET6, &bad);
	if (v)
		bad |= json_object_set_new(o, "ip6", v);
	return bad;
}

json_t *result_encode(const struct result *r, enum cni_ver ver)
{
	json_t *o = json_object();
	json_t *dns;
	int bad;

	if (!o)
		return NULL;
	/* Insertion order is kept by jansson: cniVersion comes first. */
	bad = json_object_set_new(o, "cniVersion",
				  json_string(cni_ver_str(ver)));
	if (ver <= CNI_V020)
		bad |= enc_legacy(o, r);
	else
		bad |= enc_current(o, r, ver);
	/* Go's encoder always writes dns, as {} when it is empty. */
	dns = r->dns ? json_deep_copy(r->dns) : json_object();
	bad |= json_object_set_new(o, "dns", dns);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Length of the valid UTF-8 sequence at @s, or 0 when it is not one. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* Reject overlong forms, surrogates and code points past U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * msg and details are cut at a byte count and may echo raw input, so a
 * multi-byte character can be split; jansson refuses such strings, and
 * the error object must still be printed. Bad bytes become '?'.
 */
static json_t *enc_text(const char *s)
{
	size_t len = strlen(s), i = 0;
	char *copy = strdup(s);
	json_t *v;

	if (!copy)
		return NULL;
	while (i < len) {
		size_t n = utf8_seq_len((const unsigned char *)copy + i);

		if (n == 0) {
			copy[i] = '?';
			n = 1;
		}
		i += n;
	}
	v = json_string(copy);
	free(copy);
	return v;
}

json_t *result_encode_error(const struct cni_err *err, const char *version)
{
	json_t *o = json_object();
	int bad;

	if (!o)
		return NULL;
	if (!version || !version[0])
		version = cni_ver_str(CNI_VER_LATEST);
	bad = json_object_set_new(o, "cniVersion", enc_text(version));
	bad |= json_object_set_new(o, "code", json_integer(err->code));
	bad |= json_object_set_new(o, "msg", enc_text(err->msg));
	if (err->details[0])
		bad |= json_object_set_new(o, "details",
					   enc_text(err->details));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
