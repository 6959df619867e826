/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_NETCONF_H
#define BRISK_NETCONF_H

#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "brisk/calllog.h"
#include "brisk/err.h"
#include "brisk/fwconf.h"
#include "brisk/ipnet.h"
#include "brisk/range.h"
#include "brisk/version.h"

#define NETCONF_NAME_MAX 128
#define IPAM_MAX_SETS 8
#define IPAM_MAX_ROUTES 64
#define IPAM_MAX_REQ_IPS 8

#define IPAM_DEFAULT_DATA_DIR "/var/lib/cni/networks"

#define VLAN_ID_MAX 4094
#define VLAN_BITMAP_WORDS ((VLAN_ID_MAX + 64) / 64)

enum ipam_kind {
	IPAM_NONE, /* "ipam": {} or absent: layer 2 only */
	IPAM_BUILTIN, /* host-local or brisk, in-process */
	IPAM_DELEGATE, /* anything else: exec'd from CNI_PATH */
};

struct ipamconf {
	enum ipam_kind kind;
	char type[64];
	size_t n_sets;
	struct ipam_rangeset sets[IPAM_MAX_SETS];
	size_t n_routes;
	struct iproute routes[IPAM_MAX_ROUTES];
	char data_dir[PATH_MAX];
	char resolv_conf[PATH_MAX]; /* "" when unset */
	size_t n_req_ips; /* requested addresses (args, runtimeConfig, CNI_ARGS) */
	struct ipaddr req_ips[IPAM_MAX_REQ_IPS];
	bool reclaim_stale; /* "reclaimStale": a full set reclaims stale leases */
};

/* The bridge plugin's network config, as the reference bridge reads it. */
struct netconf {
	enum cni_ver ver;
	char cni_version[16];
	char name[NETCONF_NAME_MAX];
	char type[64];
	char bridge[IFNAMSIZ];
	bool is_gw;
	bool is_default_gw;
	bool force_address;
	bool ip_masq;
	bool hairpin;
	bool promisc;
	bool enable_dad;
	bool mac_spoofchk;
	bool disable_container_iface;
	int mtu; /* 0: kernel default */
	bool port_isolation; /* the host port gets the bridge's isolated flag */
	int vlan; /* 0: none; else the port's PVID, untagged */
	bool has_vlan_trunk; /* "vlanTrunk" given, even empty */
	bool preserve_default_vlan;
	uint64_t vlan_trunk[VLAN_BITMAP_WORDS]; /* tagged VLANs, by bit */
	char mac[18]; /* requested container MAC, "" for random */
	struct ipamconf ipam;
	struct fwconf fw; /* ipMasqExclude, portmap's keys, portMappings */
	struct calllog_conf log; /* logFile, logLevel, logMaxSize */
	json_t *dns; /* borrowed from raw, may be NULL */
	json_t *prev_result; /* borrowed from raw, may be NULL */
	json_t *raw; /* the whole document; owned */
};

/*
 * Parse and validate a network config. @cni_args is CNI_ARGS (may be NULL)
 * for IP= and MAC=. Malformed JSON is code 6; wrong types and bad values
 * are code 7 naming the key; an unsupported cniVersion is code 1.
 * On success the caller owns @ret and frees it with netconf_free. The call
 * log's keys are read first and @ret->log is kept when a later key fails,
 * so that a rejected call can still be logged.
 */
int netconf_parse(const char *buf, size_t len, const char *cni_args,
		  struct netconf *ret, struct cni_err *err);
void netconf_free(struct netconf *c);

/*
 * brisk is the main plugin for a config of this "type" (NULL: no type);
 * for any other, it serves as that plugin's IPAM and its keys are not ours.
 */
bool netconf_type_is_main(const char *type);
/* The "ipam.type" values brisk serves itself (NULL: none). */
bool ipamconf_type_builtin(const char *type);

/* Parse only the "ipam" object of @root into @ret (used by IPAM-only mode). */
int ipamconf_parse(json_t *root, const char *cni_args, struct ipamconf *ret,
		   struct cni_err *err);

/* True when VLAN id @vid is one of the trunk's. */
static inline bool netconf_trunk_has(const struct netconf *c, int vid)
{
	return vid > 0 && vid <= VLAN_ID_MAX &&
	       (c->vlan_trunk[vid / 64] >> (vid % 64) & 1);
}

/* As the reference: a new bridge filters VLANs when any VLAN key is set. */
static inline bool netconf_vlan_filtering(const struct netconf *c)
{
	return c->vlan != 0 || c->has_vlan_trunk;
}

/* host-local's rule: before 0.3.0, one range set per family. Code 7. */
int ipamconf_check_version(const struct ipamconf *c, enum cni_ver ver,
			   struct cni_err *err);

/*
 * The parser's table of keys (src/config/keys.c): every key brisk reads,
 * as a path ("ipam.dataDir"; "[]" stands for each array level), its JSON
 * type ("string", "bool", "int", "object", "array") and its default as
 * JSON text (NULL when it has none, is required, or is computed).
 */
struct netconf_key {
	const char *path;
	const char *type;
	const char *dflt;
};

extern const struct netconf_key netconf_keys[];
extern const size_t netconf_n_keys;

/*
 * The config as brisk will use it (for `brisk validate`): a copy of
 * @c->raw whose keys brisk reads hold the values it will use, defaults
 * included; the bridge's keys only when @is_main (brisk is the main
 * plugin, not another plugin's IPAM). Other keys pass through. Caller owns
 * *ret. 0 or -ENOMEM.
 */
int netconf_normalize(const struct netconf *c, bool is_main, json_t **ret);

/*
 * Best effort, for logging a call rejected before its config was parsed:
 * the call log's keys and the network name ("" unless valid) of a document.
 */
void netconf_peek_log(const char *buf, size_t len, struct calllog_conf *ret,
		      char *ret_name, size_t name_len);

/* Best effort: the cniVersion string of a document, for error replies. */
void netconf_peek_version(const char *buf, size_t len, char *ret, size_t n);

#endif
