// SPDX-License-Identifier: Apache-2.0
/*
 * Every config key brisk reads, with its JSON type and its default: the
 * parser's own table. Nothing parses through it (each key keeps its own
 * precise validation); it is what the README's configuration reference,
 * `brisk validate --keys` and the tests hold the parser to:
 * tests/unit/test_keys.c proves each row is read with that type and
 * default, and tests/integration/test_config_reference.sh that the README
 * lists exactly these keys, with these types and defaults, and that no
 * key read in src/config is missing here. A key added to the parser
 * without a row (and a README line) fails both.
 */
#include <stddef.h>

#include "brisk/netconf.h"

const struct netconf_key netconf_keys[] = {
	/* The network config, top level. */
	{ "cniVersion", "string", "\"0.1.0\"" },
	{ "name", "string", NULL },
	{ "type", "string", NULL },
	{ "bridge", "string", "\"cni0\"" },
	{ "isGateway", "bool", "false" },
	{ "isDefaultGateway", "bool", "false" },
	{ "forceAddress", "bool", "false" },
	{ "ipMasq", "bool", "false" },
	{ "hairpinMode", "bool", "false" },
	{ "promiscMode", "bool", "false" },
	{ "mtu", "int", "0" },
	{ "vlan", "int", "0" },
	{ "vlanTrunk", "array", NULL },
	{ "vlanTrunk[].id", "int", NULL },
	{ "vlanTrunk[].minID", "int", NULL },
	{ "vlanTrunk[].maxID", "int", NULL },
	{ "preserveDefaultVlan", "bool", "false" },
	{ "portIsolation", "bool", "false" },
	{ "macspoofchk", "bool", "false" },
	{ "enabledad", "bool", "false" },
	{ "disableContainerInterface", "bool", "false" },
	{ "dns", "object", NULL },
	{ "prevResult", "object", NULL },
	{ "logFile", "string", NULL },
	{ "logLevel", "string", "\"info\"" },
	{ "logMaxSize", "int", "10485760" },
	/* The conventions for per-container arguments. */
	{ "args", "object", NULL },
	{ "args.cni", "object", NULL },
	{ "args.cni.mac", "string", NULL },
	{ "args.cni.ips", "array", NULL },
	{ "runtimeConfig", "object", NULL },
	{ "runtimeConfig.mac", "string", NULL },
	{ "runtimeConfig.ips", "array", NULL },
	{ "runtimeConfig.ipRanges", "array", NULL },
	/* The built-in IPAM (host-local's keys). */
	{ "ipam", "object", NULL },
	{ "ipam.type", "string", NULL },
	{ "ipam.ranges", "array", NULL },
	{ "ipam.ranges[][].subnet", "string", NULL },
	{ "ipam.ranges[][].rangeStart", "string", NULL },
	{ "ipam.ranges[][].rangeEnd", "string", NULL },
	{ "ipam.ranges[][].gateway", "string", NULL },
	{ "ipam.subnet", "string", NULL },
	{ "ipam.rangeStart", "string", NULL },
	{ "ipam.rangeEnd", "string", NULL },
	{ "ipam.gateway", "string", NULL },
	{ "ipam.routes", "array", "[]" },
	{ "ipam.routes[].dst", "string", NULL },
	{ "ipam.routes[].gw", "string", NULL },
	{ "ipam.routes[].mtu", "int", NULL },
	{ "ipam.routes[].advmss", "int", NULL },
	{ "ipam.routes[].priority", "int", NULL },
	{ "ipam.routes[].table", "int", NULL },
	{ "ipam.routes[].scope", "int", NULL },
	{ "ipam.dataDir", "string", "\"" IPAM_DEFAULT_DATA_DIR "\"" },
	{ "ipam.resolvConf", "string", NULL },
	{ "ipam.reclaimStale", "bool", "false" },
};

const size_t netconf_n_keys = sizeof(netconf_keys) / sizeof(netconf_keys[0]);
