/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_FWCONF_H
#define BRISK_FWCONF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brisk/err.h"
#include "brisk/ipnet.h"

#define FWCONF_MAX_EXCLUDE 32
#define FWCONF_MAX_PORTS 256

/* One entry of runtimeConfig.portMappings, as the portmap plugin has it. */
struct fwconf_port {
	uint8_t proto; /* IPPROTO_TCP (the default), IPPROTO_UDP, IPPROTO_SCTP */
	uint16_t host_port;
	uint16_t cont_port;
	struct ipaddr host_ip; /* family 0: "" or absent, every address */
};

/*
 * The firewall keys of a bridge config beyond ipMasq and macspoofchk
 * (those two are struct netconf's): the masquerade's backend and
 * exclusions, and the portmap plugin's keys, host ports included.
 */
struct fwconf {
	bool backend_iptables; /* "ipMasqBackend": "iptables", served by nftables */
	size_t n_exclude;
	struct ipnet exclude[FWCONF_MAX_EXCLUDE]; /* "ipMasqExclude" */
	bool snat; /* portmap's "snat", default true: 127.0.0.1 reaches host ports */
	bool masq_all; /* portmap's "masqAll": masquerade all traffic to host ports */
	size_t n_ports;
	struct fwconf_port ports[FWCONF_MAX_PORTS];
};

/*
 * Parse the firewall keys of @root into @ret, for a config of plugin type
 * @type (only "brisk" and "bridge" have them: another main plugin's keys
 * are its own). Bad values are code 7 naming the key; the portmap plugin's
 * iptables-only keys are code 2.
 */
int fwconf_parse(json_t *root, const char *type, struct fwconf *ret,
		 struct cni_err *err);

/*
 * Write @c into the config object @o as brisk will use it (for `brisk
 * validate`): every key with its default, the mappings as parsed (each
 * protocol spelled out, repeats dropped). 0 or -ENOMEM.
 */
int fwconf_normalize(json_t *o, const struct fwconf *c);

/* Parse runtimeConfig.portMappings (the array @pm) into @ret. */
int fwconf_parse_ports(json_t *pm, struct fwconf *ret, struct cni_err *err);

#endif
