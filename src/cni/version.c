// SPDX-License-Identifier: Apache-2.0
#include <stdbool.h>
#include <string.h>

#include "brisk/version.h"

/* Indexed by enum cni_ver; cni_ver_list_json() must list the same. */
static const char *const cni_ver_names[CNI_V_COUNT] = {
	[CNI_V010] = "0.1.0", [CNI_V020] = "0.2.0", [CNI_V030] = "0.3.0",
	[CNI_V031] = "0.3.1", [CNI_V040] = "0.4.0", [CNI_V100] = "1.0.0",
	[CNI_V110] = "1.1.0",
};

const char *cni_ver_str(enum cni_ver v)
{
	if ((unsigned int)v >= CNI_V_COUNT)
		return "";
	return cni_ver_names[v];
}

const char *cni_ver_list_json(void)
{
	/* A literal rather than built at run time: no mutable globals. */
	return "[\"0.1.0\",\"0.2.0\",\"0.3.0\",\"0.3.1\",\"0.4.0\","
	       "\"1.0.0\",\"1.1.0\"]";
}

int cni_ver_parse(const char *s, enum cni_ver *ret, struct cni_err *err)
{
	bool is_fresh;
	int r;

	/* The oldest configs carried no cniVersion at all; 0.1.0 is implied. */
	if (!s || s[0] == '\0') {
		*ret = CNI_V010;
		return 0;
	}
	for (int v = 0; v < CNI_V_COUNT; v++) {
		if (strcmp(s, cni_ver_names[v]) == 0) {
			*ret = (enum cni_ver)v;
			return 0;
		}
	}
	/* The first error wins: only decorate the one set here. */
	is_fresh = err && !cni_err_is_set(err);
	/* Bound the echoed value so the rest of msg survives. */
	r = cni_err_set(err, CNI_ERR_VERSION, 0,
			"unsupported cniVersion \"%.64s\"", s);
	if (is_fresh)
		cni_err_detail(err, "supported versions: %s",
			       cni_ver_list_json());
	return r;
}
