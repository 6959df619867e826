// SPDX-License-Identifier: Apache-2.0
/*
 * Keys written in another case than brisk's. Go's JSON decoding, which the
 * reference plugins use, matches a key in any case: "HairpinMode" turns
 * hairpin on there and "Subnet" is host-local's subnet. brisk reads keys
 * exactly, so such a key would be silently ignored; it is refused instead,
 * naming the spelling to use. Only keys brisk reads count (netconf_keys),
 * and only where brisk reads them: as another plugin's IPAM, the main
 * plugin's keys are its own.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "brisk/cleanup.h"

#include "netconf_int.h"

#define KEYCASE_PATH_MAX 128

/*
 * The keys brisk reads as another main plugin's IPAM: these and all under
 * them, and the objects on the way to them (only themselves).
 */
static const char *const ipam_mode_trees[] = {
	"cniVersion",
	"name",
	"type",
	"ipam",
	"runtimeConfig.ips",
	"runtimeConfig.ipRanges",
	"args.cni.ips",
};
static const char *const ipam_mode_parents[] = {
	"runtimeConfig",
	"args",
	"args.cni",
};

/* @path is @prefix or lies under it. */
static bool path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 &&
	       (path[n] == '\0' || path[n] == '.' || path[n] == '[');
}

static bool path_read(const char *path, bool is_main)
{
	size_t i;

	if (is_main)
		return true;
	for (i = 0; i < ARRAY_SIZE(ipam_mode_trees); i++)
		if (path_under(path, ipam_mode_trees[i]))
			return true;
	for (i = 0; i < ARRAY_SIZE(ipam_mode_parents); i++)
		if (strcmp(path, ipam_mode_parents[i]) == 0)
			return true;
	return false;
}

static const struct netconf_key *key_find(const char *path, bool fold)
{
	size_t i;

	for (i = 0; i < netconf_n_keys; i++)
		if ((fold ? strcasecmp : strcmp)(netconf_keys[i].path, path) ==
		    0)
			return &netconf_keys[i];
	return NULL;
}

struct keycase {
	bool is_main;
	/* ipam.type names the built-in IPAM: ipam's other keys are brisk's. */
	bool builtin_ipam;
	struct cni_err *err;
};

/* Where the walk is: the table's path ("a.b[].c") and the one shown. */
struct at {
	char path[KEYCASE_PATH_MAX];
	char shown[KEYCASE_PATH_MAX + 32];
};

static int walk(const struct keycase *k, json_t *v, const struct at *at);

/* What a key found in the wrong case is refused with. Code 7. */
static int refuse(const char *shown, const struct netconf_key *want,
		  struct cni_err *err)
{
	const char *key = strrchr(want->path, '.');

	key = key ? key + 1 : want->path;
	cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
		    "%s: brisk reads keys in their exact case: write \"%s\"",
		    shown, key);
	cni_err_detail(
		err,
		"Go's JSON decoding, which the reference plugins use, matches keys in any case; brisk refuses one it would otherwise ignore");
	return -EINVAL;
}

static int walk_key(const struct keycase *k, const struct at *parent,
		    const char *key, json_t *v)
{
	const char *dot = parent->path[0] ? "." : "";
	const struct netconf_key *want;
	struct at at;

	/* Such a key can never be one of brisk's, in any case. */
	if (strpbrk(key, ".[]") ||
	    (size_t)snprintf(at.path, sizeof(at.path), "%s%s%s", parent->path,
			     dot, key) >= sizeof(at.path) ||
	    (size_t)snprintf(at.shown, sizeof(at.shown), "%s%s%s",
			     parent->shown, dot, key) >= sizeof(at.shown))
		return 0;
	if (key_find(at.path, false))
		return path_read(at.path, k->is_main) ? walk(k, v, &at) : 0;
	want = key_find(at.path, true);
	if (!want || !path_read(want->path, k->is_main))
		return 0;
	/* A foreign IPAM plugin's keys are its own, bar the one naming it. */
	if (!k->builtin_ipam && strncmp(want->path, "ipam.", 5) == 0 &&
	    strcmp(want->path, "ipam.type") != 0)
		return 0;
	return refuse(at.shown, want, k->err);
}

static int walk(const struct keycase *k, json_t *v, const struct at *at)
{
	struct at elem;
	const char *key;
	json_t *x;
	size_t i;
	int r = 0;

	if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			r = r ?: walk_key(k, at, key, x);
		}
		return r;
	}
	if (!json_is_array(v) ||
	    (size_t)snprintf(elem.path, sizeof(elem.path), "%s[]", at->path) >=
		    sizeof(elem.path))
		return 0;
	json_array_foreach(v, i, x) {
		if ((size_t)snprintf(elem.shown, sizeof(elem.shown), "%s[%zu]",
				     at->shown, i) >= sizeof(elem.shown))
			return r;
		r = r ?: walk(k, x, &elem);
	}
	return r;
}

int netconf_check_key_case(json_t *root, struct cni_err *err)
{
	const char *type = json_string_value(json_object_get(root, "type"));
	json_t *ipam = json_object_get(root, "ipam");
	const char *ipam_type =
		json_string_value(json_object_get(ipam, "type"));
	struct keycase k = { .err = err };
	const struct at top = { "", "" };

	k.is_main = netconf_type_is_main(type);
	k.builtin_ipam = ipamconf_type_builtin(ipam_type);
	return walk(&k, root, &top);
}
