/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_RESULT_H
#define BRISK_RESULT_H

#include <jansson.h>
#include <net/if.h>

#include "brisk/err.h"
#include "brisk/ipnet.h"
#include "brisk/version.h"

#define RESULT_MAX_IFACES 16
#define RESULT_MAX_IPS 32
/* A sandbox path longer than this is refused, as PATH_MAX always was. */
#define RESULT_SANDBOX_MAX 4095

struct result_iface {
	char name[IFNAMSIZ];
	char mac[18]; /* "" when unknown */
	/* Owned, NULL for host interfaces: a path buffer in each of the 16
	 * slots made a result 64 KiB, zeroed (page by page) on every call. */
	char *sandbox;
	int mtu; /* 0 when unknown; only encoded for 1.1.0 */
};

struct result_ip {
	struct ipnet addr;
	struct ipaddr gw; /* family 0 when none */
	int iface; /* index into ifaces, -1 when none */
};

/*
 * The version-independent form of a CNI result. Routes are a growable array;
 * dns is kept as the JSON object it came from (owned, may be NULL).
 */
struct result {
	int n_ifaces;
	struct result_iface ifaces[RESULT_MAX_IFACES];
	int n_ips;
	struct result_ip ips[RESULT_MAX_IPS];
	int n_routes;
	size_t cap_routes;
	struct iproute *routes;
	json_t *dns;
};

void result_init(struct result *r);
/* Free what @r owns (routes, dns) and reset it to empty. */
void result_clear(struct result *r);
/* Append a route (copied). 0 or -ENOMEM. */
int result_add_route(struct result *r, const struct iproute *rt);

/*
 * The dns of a chained result: @first's (an earlier plugin's), with what
 * @second adds: nameservers, search and options not already there, and
 * its domain when @first has none. Either may be NULL. Returns a new
 * reference (NULL when both are NULL, or on allocation failure).
 */
json_t *result_dns_merge(json_t *first, json_t *second);
/*
 * A dns object as a result carries it: the types of the known keys
 * checked (domain a string; nameservers, search, options lists of
 * strings), other keys left alone. Code 7 naming @path otherwise.
 */
int result_dns_check(json_t *dns, const char *path, struct cni_err *err);

/*
 * Encode @r for @ver: ip4/ip6 for 0.1.0 and 0.2.0, ips[].version for
 * 0.3.x/0.4.0, 1.1.0-only fields only for 1.1.0. Returns a new reference
 * the caller owns, or NULL on allocation failure (or when a name, mac or
 * sandbox is not UTF-8, which jansson refuses).
 */
json_t *result_encode(const struct result *r, enum cni_ver ver);

/*
 * Decode a prevResult (any supported version's shape) into @ret, which must
 * be initialised. 0, or a negative errno with code 6/7 naming the key; on
 * failure @ret is cleared. dns is kept by reference (json_incref).
 */
int result_decode(json_t *obj, enum cni_ver ver, struct result *ret,
		  struct cni_err *err);

/* The error object {cniVersion, code, msg, details}; new reference. */
json_t *result_encode_error(const struct cni_err *err, const char *version);

#endif
