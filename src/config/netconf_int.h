/* SPDX-License-Identifier: Apache-2.0 */
/* Private to config/: the parts of netconf_parse kept in their own files. */
#ifndef BRISK_CONFIG_NETCONF_INT_H
#define BRISK_CONFIG_NETCONF_INT_H

#include <jansson.h>

#include "brisk/err.h"
#include "brisk/netconf.h"

/* portIsolation, vlan, vlanTrunk, preserveDefaultVlan. Code 7. */
int netconf_parse_port(json_t *root, struct netconf *c, struct cni_err *err);
/*
 * The combinations the reference refuses, and those brisk refuses because
 * they cannot work, so that nothing is created for them. Code 7.
 */
int netconf_check_combinations(const struct netconf *c, struct cni_err *err);
/*
 * A key brisk reads written in another case ("HairpinMode"), which Go's
 * JSON decoding in the reference would take as that key. Code 7.
 */
int netconf_check_key_case(json_t *root, struct cni_err *err);

#endif
