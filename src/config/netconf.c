// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>

#include "brisk/cni.h"
#include "brisk/jsonget.h"
#include "brisk/mac.h"
#include "brisk/netconf.h"
#include "brisk/result.h"
#include "netconf_int.h"

#define DEFAULT_BRIDGE "cni0"

/*
 * A unicast MAC in a form the reference takes (mac.h), rewritten in place
 * as aa:bb:cc:dd:ee:ff: a multicast one cannot be an interface's own.
 */
static bool mac_canonical(char *s)
{
	uint8_t mac[6];

	if (mac_parse(s, mac) < 0 || (mac[0] & 1))
		return false;
	mac_fmt(mac, s);
	return true;
}

/* The container MAC: CNI_ARGS MAC=, then args.cni.mac, then runtimeConfig. */
static int netconf_parse_mac(json_t *root, const char *cni_args,
			     struct netconf *c, struct cni_err *err)
{
	json_t *args = NULL, *cni = NULL, *rc = NULL;
	int r;

	r = cni_args_get(cni_args, "MAC", c->mac, sizeof(c->mac), err);
	if (r < 0)
		return r;
	r = jget_obj(root, "", "args", &args, err);
	if (r == 0 && args)
		r = jget_obj(args, "args", "cni", &cni, err);
	if (r == 0 && cni)
		r = jget_strbuf(cni, "args.cni", "mac", c->mac, sizeof(c->mac),
				err);
	if (r == 0)
		r = jget_obj(root, "", "runtimeConfig", &rc, err);
	if (r == 0 && rc)
		r = jget_strbuf(rc, "runtimeConfig", "mac", c->mac,
				sizeof(c->mac), err);
	if (r < 0)
		return r;
	if (c->mac[0] && !mac_canonical(c->mac))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "mac: \"%s\" is not a unicast MAC address",
				   c->mac);
	return 0;
}

static int netconf_parse_flags(json_t *root, struct netconf *c,
			       struct cni_err *err)
{
	int r = 0;

	r = r ?: jget_bool(root, "", "isGateway", &c->is_gw, err);
	r = r ?: jget_bool(root, "", "isDefaultGateway", &c->is_default_gw, err);
	r = r ?: jget_bool(root, "", "forceAddress", &c->force_address, err);
	r = r ?: jget_bool(root, "", "ipMasq", &c->ip_masq, err);
	r = r ?: jget_bool(root, "", "hairpinMode", &c->hairpin, err);
	r = r ?: jget_bool(root, "", "promiscMode", &c->promisc, err);
	r = r ?: jget_bool(root, "", "enabledad", &c->enable_dad, err);
	r = r ?: jget_bool(root, "", "macspoofchk", &c->mac_spoofchk, err);
	r = r ?: jget_bool(root, "", "disableContainerInterface",
			   &c->disable_container_iface, err);
	r = r ?: jget_int(root, "", "mtu", 0, 65535, &c->mtu, err);
	if (r < 0)
		return r;
	/* As the reference: a default gateway implies being the gateway. */
	if (c->is_default_gw)
		c->is_gw = true;
	if (c->mtu != 0 && c->mtu < 68)
		return cni_err_set(err, CNI_ERR_CONFIG, ERANGE,
				   "mtu: %d is below the minimum of 68", c->mtu);
	return 0;
}

static int netconf_parse_names(json_t *root, struct netconf *c,
			       struct cni_err *err)
{
	int r = 0;

	r = r ?: jget_strbuf(root, "", "name", c->name, sizeof(c->name), err);
	r = r ?: jget_strbuf(root, "", "type", c->type, sizeof(c->type), err);
	r = r ?: jget_strbuf(root, "", "bridge", c->bridge, sizeof(c->bridge),
			     err);
	if (r < 0)
		return r;
	if (!c->name[0])
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "name: missing network name");
	if (!cni_valid_netname(c->name))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "name: \"%.64s\" is not a valid network name",
				   c->name);
	if (!c->type[0])
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "type: missing plugin type");
	if (!c->bridge[0])
		strcpy(c->bridge, DEFAULT_BRIDGE);
	if (!cni_valid_ifname(c->bridge))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "bridge: \"%s\" is not a valid interface name",
				   c->bridge);
	return 0;
}

static int netconf_decode(const char *buf, size_t len, json_t **ret,
			  struct cni_err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!root) {
		cni_err_set(err, CNI_ERR_DECODE, EINVAL,
			    "config: malformed JSON");
		cni_err_detail(err, "line %d column %d: %s", jerr.line,
			       jerr.column, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return cni_err_set(err, CNI_ERR_DECODE, EINVAL,
				   "config: expected a JSON object");
	}
	*ret = root;
	return 0;
}

/*
 * The call log's keys. Bad values are code 7, as for every key; a log that
 * cannot be written later is only skipped.
 */
static int netconf_parse_log(json_t *root, struct calllog_conf *c,
			     struct cni_err *err)
{
	const char *level = NULL;
	int max = 0;
	int r = 0;

	r = r ?: jget_strbuf(root, "", "logFile", c->file, sizeof(c->file), err);
	r = r ?: jget_str(root, "", "logLevel", &level, err);
	r = r ?: jget_int(root, "", "logMaxSize", CALLLOG_MAX_SIZE_MIN,
			  CALLLOG_MAX_SIZE_MAX, &max, err);
	if (r == 0 && c->file[0] && !calllog_path_ok(c->file))
		r = cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				"logFile: \"%.60s\" is not an absolute file path",
				c->file);
	if (r == 0 && level && !calllog_level_parse(level, &c->level))
		r = cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				"logLevel: \"%.20s\" is not off, error, info or debug",
				level);
	if (r < 0) {
		calllog_conf_init(c);
		return r;
	}
	if (max)
		c->max_size = max;
	return 0;
}

static int netconf_parse_root(json_t *root, const char *cni_args,
			      struct netconf *c, struct cni_err *err)
{
	bool is_main;
	int r = 0;

	r = r ?: netconf_parse_log(root, &c->log, err);
	r = r ?: netconf_check_key_case(root, err);
	r = r ?: jget_strbuf(root, "", "cniVersion", c->cni_version,
			     sizeof(c->cni_version), err);
	r = r ?: cni_ver_parse(c->cni_version, &c->ver, err);
	r = r ?: netconf_parse_names(root, c, err);
	r = r ?: netconf_parse_flags(root, c, err);
	/* Other main plugins' keys are theirs when brisk serves as their IPAM. */
	is_main = netconf_type_is_main(c->type);
	if (r == 0 && is_main)
		r = netconf_parse_port(root, c, err);
	r = r ?: netconf_parse_mac(root, cni_args, c, err);
	r = r ?: jget_obj(root, "", "dns", &c->dns, err);
	/* It goes into the result as it is: a result's types, as the reference. */
	r = r ?: (c->dns ? result_dns_check(c->dns, "dns", err) : 0);
	r = r ?: jget_obj(root, "", "prevResult", &c->prev_result, err);
	r = r ?: ipamconf_parse(root, cni_args, &c->ipam, err);
	r = r ?: ipamconf_check_version(&c->ipam, c->ver, err);
	r = r ?: fwconf_parse(root, c->type, &c->fw, err);
	if (r == 0 && is_main)
		r = netconf_check_combinations(c, err);
	return r;
}

bool netconf_type_is_main(const char *type)
{
	return type &&
	       (strcmp(type, "brisk") == 0 || strcmp(type, "bridge") == 0);
}

int netconf_parse(const char *buf, size_t len, const char *cni_args,
		  struct netconf *ret, struct cni_err *err)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	calllog_conf_init(&ret->log);
	r = netconf_decode(buf, len, &ret->raw, err);
	if (r < 0)
		return r;
	r = netconf_parse_root(ret->raw, cni_args, ret, err);
	if (r < 0) {
		netconf_free(ret);
		return r;
	}
	return 0;
}

void netconf_free(struct netconf *c)
{
	json_decref(c->raw);
	c->raw = NULL;
	c->dns = NULL;
	c->prev_result = NULL;
}

void netconf_peek_log(const char *buf, size_t len, struct calllog_conf *ret,
		      char *ret_name, size_t name_len)
{
	_cleanup_json_ json_t *root = buf ? json_loadb(buf, len, 0, NULL) : NULL;
	const char *name = json_string_value(json_object_get(root, "name"));
	struct cni_err ignored = { 0 };

	calllog_conf_init(ret);
	snprintf(ret_name, name_len, "%s",
		 name && cni_valid_netname(name) ? name : "");
	if (json_is_object(root))
		netconf_parse_log(root, ret, &ignored);
}

void netconf_peek_version(const char *buf, size_t len, char *ret, size_t n)
{
	json_t *root = buf ? json_loadb(buf, len, 0, NULL) : NULL;
	const char *v = json_string_value(json_object_get(root, "cniVersion"));

	snprintf(ret, n, "%s", v && strlen(v) < 16 ? v : "");
	json_decref(root);
}
