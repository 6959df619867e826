/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_VERSION_H
#define BRISK_VERSION_H

#include "brisk/err.h"

/* Spec versions brisk speaks, oldest first; the order is meaningful. */
enum cni_ver {
	CNI_V010,
	CNI_V020,
	CNI_V030,
	CNI_V031,
	CNI_V040,
	CNI_V100,
	CNI_V110,
	CNI_V_COUNT,
};

#define CNI_VER_LATEST CNI_V110

/* The version's text ("0.4.0"). */
const char *cni_ver_str(enum cni_ver v);
/*
 * Parse a cniVersion. 0 on success; an unknown or malformed version is
 * code 1 with the supported list in details. An empty string is taken as
 * 0.1.0, as the spec's oldest configs omitted it.
 */
int cni_ver_parse(const char *s, enum cni_ver *ret, struct cni_err *err);
/* The supported list as a JSON array text: ["0.1.0",...,"1.1.0"]. Static. */
const char *cni_ver_list_json(void);

#endif
