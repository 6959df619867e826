// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "brisk/netconf.h"

/* The keys every bridge config needs. */
#define HDR "\"cniVersion\":\"1.0.0\",\"name\":\"mynet\",\"type\":\"bridge\""
#define IPAM_HL(x) "\"ipam\":{\"type\":\"host-local\"," x "}"
#define SUBNET "\"subnet\":\"10.0.0.0/24\""

static void assert_ip(const struct ipaddr *a, const char *want)
{
	char buf[IPADDR_STRLEN];

	assert_string_equal(ipaddr_fmt(a, buf), want);
}

static void assert_net(const struct ipnet *n, const char *want)
{
	char buf[IPNET_STRLEN];

	assert_string_equal(ipnet_fmt(n, buf), want);
}

/* Parse @json (with CNI_ARGS @args) expecting success into @c. */
static void parse_ok(const char *json, const char *args, struct netconf *c)
{
	struct cni_err err = { 0 };

	if (netconf_parse(json, strlen(json), args, c, &err) < 0)
		fail_msg("rejected %s: code %d: %s (%s)", json, err.code,
			 err.msg, err.details);
	assert_int_equal(err.code, 0);
	assert_non_null(c->raw);
}

/* Parse expecting failure with @code and @needle in the msg. */
static void parse_fails_err(const char *json, const char *args, int code,
			    const char *needle, struct cni_err *err)
{
	struct netconf *c = calloc(1, sizeof(*c));

	memset(err, 0, sizeof(*err));
	if (netconf_parse(json, strlen(json), args, c, err) >= 0) {
		netconf_free(c);
		free(c);
		fail_msg("accepted %s", json);
	}
	/* On failure nothing is left to free. */
	assert_null(c->raw);
	netconf_free(c);
	free(c);
	if (err->code != code)
		fail_msg("%s: code %d (%s), want %d", json, err->code, err->msg,
			 code);
	if (needle && !strstr(err->msg, needle))
		fail_msg("%s: msg \"%s\" lacks \"%s\"", json, err->msg, needle);
}

static void parse_fails(const char *json, const char *args, int code,
			const char *needle)
{
	struct cni_err err;

	parse_fails_err(json, args, code, needle, &err);
}

static struct netconf *new_conf(void)
{
	struct netconf *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	return c;
}

static void free_conf(struct netconf *c)
{
	netconf_free(c);
	/* Freeing twice is harmless. */
	netconf_free(c);
	assert_null(c->raw);
	free(c);
}

static void test_full_config(void **state)
{
	static const char json[] =
		"{\"cniVersion\":\"1.1.0\",\"name\":\"net-1.a_b\","
		"\"type\":\"bridge\",\"bridge\":\"br-test0\","
		"\"isGateway\":true,\"isDefaultGateway\":false,"
		"\"forceAddress\":true,\"ipMasq\":false,\"hairpinMode\":true,"
		"\"promiscMode\":false,\"enabledad\":true,\"macspoofchk\":false,"
		"\"preserveDefaultVlan\":true,\"portIsolation\":true,"
		"\"vlanTrunk\":[{\"id\":7},{\"minID\":10,\"maxID\":12}],"
		"\"disableContainerInterface\":false,\"mtu\":1400,\"vlan\":5,"
		"\"unknownKey\":{\"ignored\":[1,2]},"
		"\"dns\":{\"nameservers\":[\"10.1.0.53\"]},"
		"\"prevResult\":{\"cniVersion\":\"1.1.0\",\"ips\":[]},"
		"\"args\":{\"cni\":{\"ips\":[\"10.1.0.9\"],"
		"\"mac\":\"02:00:00:00:00:02\"}},"
		"\"runtimeConfig\":{\"ips\":[\"fd00:1::9/64\"]},"
		"\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"/run/brisk-test\","
		"\"resolvConf\":\"/etc/resolv.test\","
		"\"ranges\":[[{\"subnet\":\"10.1.0.0/16\","
		"\"rangeStart\":\"10.1.0.10\",\"rangeEnd\":\"10.1.0.200\","
		"\"gateway\":\"10.1.255.254\"},{\"subnet\":\"10.2.0.0/24\"}],"
		"[{\"subnet\":\"fd00:1::/64\"}]],"
		"\"routes\":[{\"dst\":\"0.0.0.0/0\"},"
		"{\"dst\":\"192.168.0.0/16\",\"gw\":\"10.1.0.1\"},"
		"{\"dst\":\"fd00:2::/48\",\"gw\":\"fd00:1::1\"}]}}";
	struct netconf *c = new_conf();
	const struct ipam_rangeset *s;

	parse_ok(json, NULL, c);
	assert_int_equal(c->ver, CNI_V110);
	assert_string_equal(c->cni_version, "1.1.0");
	assert_string_equal(c->name, "net-1.a_b");
	assert_string_equal(c->type, "bridge");
	assert_string_equal(c->bridge, "br-test0");
	assert_true(c->is_gw);
	assert_false(c->is_default_gw);
	assert_true(c->force_address);
	assert_false(c->ip_masq);
	assert_true(c->hairpin);
	assert_false(c->promisc);
	assert_true(c->enable_dad);
	assert_false(c->mac_spoofchk);
	assert_false(c->disable_container_iface);
	assert_int_equal(c->mtu, 1400);
	assert_true(c->port_isolation);
	assert_int_equal(c->vlan, 5);
	assert_true(c->preserve_default_vlan);
	assert_true(c->has_vlan_trunk);
	for (int v = 0; v <= VLAN_ID_MAX + 1; v++)
		assert_int_equal(netconf_trunk_has(c, v),
				 v == 7 || (v >= 10 && v <= 12));
	assert_string_equal(c->mac, "02:00:00:00:00:02");
	/* Borrowed pointers into raw. */
	assert_non_null(c->dns);
	assert_ptr_equal(c->dns, json_object_get(c->raw, "dns"));
	assert_non_null(c->prev_result);
	assert_ptr_equal(c->prev_result, json_object_get(c->raw, "prevResult"));

	assert_int_equal(c->ipam.kind, IPAM_BUILTIN);
	assert_string_equal(c->ipam.type, "host-local");
	assert_string_equal(c->ipam.data_dir, "/run/brisk-test");
	assert_string_equal(c->ipam.resolv_conf, "/etc/resolv.test");
	assert_int_equal(c->ipam.n_sets, 2);
	s = &c->ipam.sets[0];
	assert_int_equal(s->n, 2);
	assert_net(&s->r[0].subnet, "10.1.0.0/16");
	assert_ip(&s->r[0].start, "10.1.0.10");
	assert_ip(&s->r[0].end, "10.1.0.200");
	assert_ip(&s->r[0].gw, "10.1.255.254");
	assert_net(&s->r[1].subnet, "10.2.0.0/24");
	assert_ip(&s->r[1].start, "10.2.0.1");
	assert_ip(&s->r[1].end, "10.2.0.254");
	assert_ip(&s->r[1].gw, "10.2.0.1");
	s = &c->ipam.sets[1];
	assert_int_equal(s->n, 1);
	assert_net(&s->r[0].subnet, "fd00:1::/64");
	assert_ip(&s->r[0].start, "fd00:1::1");
	assert_ip(&s->r[0].end, "fd00:1::ffff:ffff:ffff:ffff");
	assert_ip(&s->r[0].gw, "fd00:1::1");

	assert_int_equal(c->ipam.n_routes, 3);
	assert_net(&c->ipam.routes[0].dst, "0.0.0.0/0");
	assert_false(ipaddr_is_set(&c->ipam.routes[0].gw));
	assert_int_equal(c->ipam.routes[0].scope, -1);
	assert_net(&c->ipam.routes[1].dst, "192.168.0.0/16");
	assert_ip(&c->ipam.routes[1].gw, "10.1.0.1");
	assert_net(&c->ipam.routes[2].dst, "fd00:2::/48");
	assert_ip(&c->ipam.routes[2].gw, "fd00:1::1");

	assert_int_equal(c->ipam.n_req_ips, 2);
	assert_ip(&c->ipam.req_ips[0], "10.1.0.9");
	assert_ip(&c->ipam.req_ips[1], "fd00:1::9");
	free_conf(c);
}

static void test_defaults(void **state)
{
	struct netconf *c = new_conf();
	const struct ipam_range *r;

	parse_ok("{" HDR "," IPAM_HL(SUBNET) "}", NULL, c);
	assert_int_equal(c->ver, CNI_V100);
	assert_string_equal(c->bridge, "cni0");
	assert_false(c->is_gw);
	assert_false(c->is_default_gw);
	assert_false(c->force_address);
	assert_false(c->ip_masq);
	assert_false(c->hairpin);
	assert_false(c->promisc);
	assert_false(c->enable_dad);
	assert_false(c->disable_container_iface);
	assert_int_equal(c->mtu, 0);
	assert_int_equal(c->vlan, 0);
	assert_false(c->port_isolation);
	assert_false(c->preserve_default_vlan);
	assert_false(c->has_vlan_trunk);
	assert_false(netconf_vlan_filtering(c));
	assert_string_equal(c->mac, "");
	assert_null(c->dns);
	assert_null(c->prev_result);
	assert_int_equal(c->ipam.kind, IPAM_BUILTIN);
	assert_string_equal(c->ipam.data_dir, IPAM_DEFAULT_DATA_DIR);
	assert_string_equal(c->ipam.data_dir, "/var/lib/cni/networks");
	assert_string_equal(c->ipam.resolv_conf, "");
	assert_int_equal(c->ipam.n_routes, 0);
	assert_int_equal(c->ipam.n_req_ips, 0);
	assert_int_equal(c->ipam.n_sets, 1);
	r = &c->ipam.sets[0].r[0];
	assert_ip(&r->gw, "10.0.0.1");
	assert_ip(&r->start, "10.0.0.1");
	assert_ip(&r->end, "10.0.0.254");
	free_conf(c);

	/* No cniVersion: the oldest spec, where it was optional. */
	c = new_conf();
	parse_ok("{\"name\":\"n\",\"type\":\"bridge\"}", NULL, c);
	assert_int_equal(c->ver, CNI_V010);
	assert_int_equal(c->ipam.kind, IPAM_NONE);
	free_conf(c);

	/* "brisk" is the built-in IPAM too; JSON null is absent. */
	c = new_conf();
	parse_ok("{" HDR ",\"mtu\":null,\"bridge\":null,\"dns\":null,"
		 "\"ipam\":{\"type\":\"brisk\",\"ranges\":"
		 "[[{\"subnet\":\"fd00::/120\"}]]}}",
		 NULL, c);
	assert_int_equal(c->ipam.kind, IPAM_BUILTIN);
	assert_string_equal(c->bridge, "cni0");
	assert_int_equal(c->mtu, 0);
	assert_null(c->dns);
	assert_ip(&c->ipam.sets[0].r[0].end, "fd00::ff");
	free_conf(c);
}

static void test_default_gateway_implies_gateway(void **state)
{
	struct netconf *c = new_conf();

	parse_ok("{" HDR ",\"isDefaultGateway\":true}", NULL, c);
	assert_true(c->is_default_gw);
	assert_true(c->is_gw);
	free_conf(c);

	c = new_conf();
	parse_ok("{" HDR ",\"isGateway\":false,\"isDefaultGateway\":true}",
		 NULL, c);
	assert_true(c->is_gw);
	free_conf(c);

	c = new_conf();
	parse_ok("{" HDR ",\"isGateway\":true}", NULL, c);
	assert_true(c->is_gw);
	assert_false(c->is_default_gw);
	free_conf(c);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"{\"name\": }",
		"{} x",
		"{\"a\":1,}",
		"nul",
		"{'a':1}",
		"{\"a\":\"\\u0000\"}",
		"{\"name\":\"n\" \"type\":\"t\"}",
	};
	static const char *const not_obj[] = { "[]",   "\"s\"", "1",
					       "null", "true",	"[{}]" };
	struct cni_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails(bad[i], NULL, CNI_ERR_DECODE, NULL);
	parse_fails_err("{\n\"name\": }", NULL, CNI_ERR_DECODE, "JSON", &err);
	/* Where the parser stopped is in the details. */
	assert_non_null(strstr(err.details, "line 2"));
	for (size_t i = 0; i < sizeof(not_obj) / sizeof(not_obj[0]); i++)
		parse_fails(not_obj[i], NULL, CNI_ERR_DECODE, NULL);
	/* Only len bytes count: a valid prefix of a longer buffer. */
	{
		static const char buf[] =
			"{\"name\":\"n\",\"type\":\"t\"}GARBAGE";
		struct netconf *c = new_conf();

		memset(&err, 0, sizeof(err));
		assert_int_equal(
			netconf_parse(buf, strlen(buf) - 7, NULL, c, &err), 0);
		free_conf(c);
		c = new_conf();
		assert_true(netconf_parse(buf, strlen(buf), NULL, c, &err) < 0);
		assert_int_equal(err.code, CNI_ERR_DECODE);
		free(c);
	}
}

static void test_duplicate_keys(void **state)
{
	parse_fails("{" HDR ",\"name\":\"other\"}", NULL, CNI_ERR_DECODE, NULL);
	parse_fails("{" HDR ",\"mtu\":1400,\"mtu\":1500}", NULL, CNI_ERR_DECODE,
		    NULL);
	/* Nested objects too. */
	parse_fails("{" HDR
		    ",\"ipam\":{\"type\":\"host-local\",\"type\":\"x\"}}",
		    NULL, CNI_ERR_DECODE, NULL);
}

static void test_wrong_types(void **state)
{
	static const char *const bools[] = {
		"isGateway",	       "isDefaultGateway",
		"forceAddress",	       "ipMasq",
		"hairpinMode",	       "promiscMode",
		"enabledad",	       "macspoofchk",
		"preserveDefaultVlan", "disableContainerInterface",
		"portIsolation",
	};
	static const char *const bool_vals[] = { "\"true\"", "1", "0", "{}",
						 "[]" };
	char json[512];

	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		for (size_t j = 0; j < sizeof(bool_vals) / sizeof(bool_vals[0]);
		     j++) {
			snprintf(json, sizeof(json), "{" HDR ",\"%s\":%s}",
				 bools[i], bool_vals[j]);
			parse_fails(json, NULL, CNI_ERR_CONFIG, bools[i]);
		}
	}
	parse_fails("{" HDR ",\"mtu\":\"1500\"}", NULL, CNI_ERR_CONFIG, "mtu");
	parse_fails("{" HDR ",\"mtu\":1500.5}", NULL, CNI_ERR_CONFIG, "mtu");
	parse_fails("{" HDR ",\"mtu\":true}", NULL, CNI_ERR_CONFIG, "mtu");
	parse_fails("{" HDR ",\"vlan\":\"100\"}", NULL, CNI_ERR_CONFIG, "vlan");
	parse_fails("{" HDR ",\"vlan\":[1]}", NULL, CNI_ERR_CONFIG, "vlan");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"name\":5,\"type\":\"bridge\"}",
		    NULL, CNI_ERR_CONFIG, "name");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":[]}",
		    NULL, CNI_ERR_CONFIG, "type");
	parse_fails("{\"cniVersion\":1,\"name\":\"n\",\"type\":\"bridge\"}",
		    NULL, CNI_ERR_CONFIG, "cniVersion");
	parse_fails("{" HDR ",\"bridge\":5}", NULL, CNI_ERR_CONFIG, "bridge");
	parse_fails("{" HDR ",\"bridge\":{}}", NULL, CNI_ERR_CONFIG, "bridge");
	parse_fails("{" HDR ",\"ipam\":\"host-local\"}", NULL, CNI_ERR_CONFIG,
		    "ipam");
	parse_fails("{" HDR ",\"ipam\":[]}", NULL, CNI_ERR_CONFIG, "ipam");
	parse_fails("{" HDR ",\"ipam\":{\"type\":5}}", NULL, CNI_ERR_CONFIG,
		    "ipam.type");
	parse_fails("{" HDR "," IPAM_HL("\"ranges\":{}") "}", NULL,
		    CNI_ERR_CONFIG, "ipam.ranges");
	parse_fails("{" HDR "," IPAM_HL("\"ranges\":[{}]") "}", NULL,
		    CNI_ERR_CONFIG, "ipam.ranges[0]");
	parse_fails("{" HDR "," IPAM_HL("\"ranges\":[[]]") "}", NULL,
		    CNI_ERR_CONFIG, "ipam.ranges[0]");
	parse_fails("{" HDR "," IPAM_HL("\"ranges\":[[\"10.0.0.0/24\"]]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.ranges[0][0]");
	parse_fails("{" HDR "," IPAM_HL("\"ranges\":[[{\"subnet\":5}]]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.ranges[0][0].subnet");
	parse_fails("{" HDR "," IPAM_HL("\"ranges\":[[{}]]") "}", NULL,
		    CNI_ERR_CONFIG, "ipam.ranges[0][0].subnet");
	parse_fails("{" HDR "," IPAM_HL(SUBNET ",\"routes\":{}") "}", NULL,
		    CNI_ERR_CONFIG, "ipam.routes");
	parse_fails("{" HDR
		    "," IPAM_HL(SUBNET ",\"routes\":[\"0.0.0.0/0\"]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[0]");
	parse_fails("{" HDR "," IPAM_HL(SUBNET ",\"routes\":[{\"dst\":5}]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[0].dst");
	parse_fails("{" HDR "," IPAM_HL(SUBNET ",\"dataDir\":5") "}", NULL,
		    CNI_ERR_CONFIG, "ipam.dataDir");
	parse_fails("{" HDR "," IPAM_HL(SUBNET ",\"resolvConf\":false") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.resolvConf");
	parse_fails("{" HDR ",\"dns\":\"8.8.8.8\"}", NULL, CNI_ERR_CONFIG,
		    "dns");
	/* dns goes into the result as it is: a result's types, as the reference. */
	parse_fails("{" HDR ",\"dns\":{\"nameservers\":\"8.8.8.8\"}}", NULL,
		    CNI_ERR_CONFIG, "dns.nameservers");
	parse_fails("{" HDR ",\"dns\":{\"search\":[\"a\",1]}}", NULL,
		    CNI_ERR_CONFIG, "dns.search[1]");
	parse_fails("{" HDR ",\"dns\":{\"domain\":[]}}", NULL, CNI_ERR_CONFIG,
		    "dns.domain");
	parse_fails("{" HDR ",\"dns\":{\"options\":{}}}", NULL, CNI_ERR_CONFIG,
		    "dns.options");
	parse_fails("{" HDR ",\"prevResult\":[]}", NULL, CNI_ERR_CONFIG,
		    "prevResult");
	parse_fails("{" HDR ",\"args\":\"x\"}", NULL, CNI_ERR_CONFIG, "args");
	parse_fails("{" HDR ",\"args\":{\"cni\":[]}}", NULL, CNI_ERR_CONFIG,
		    "args.cni");
	parse_fails("{" HDR ",\"runtimeConfig\":1}", NULL, CNI_ERR_CONFIG,
		    "runtimeConfig");
	parse_fails("{" HDR ",\"runtimeConfig\":{\"mac\":1}}", NULL,
		    CNI_ERR_CONFIG, "runtimeConfig.mac");
	parse_fails("{" HDR "," IPAM_HL(SUBNET) ",\"runtimeConfig\":{\"ips\":"
						"\"10.0.0.5\"}}",
		    NULL, CNI_ERR_CONFIG, "runtimeConfig.ips");
	parse_fails("{" HDR "," IPAM_HL(SUBNET) ",\"runtimeConfig\":{\"ips\":"
						"[5]}}",
		    NULL, CNI_ERR_CONFIG, "runtimeConfig.ips[0]");
}

static void test_bad_values(void **state)
{
	char json[512];
	int i;

	parse_fails("{" HDR ",\"mtu\":67}", NULL, CNI_ERR_CONFIG, "mtu");
	parse_fails("{" HDR ",\"mtu\":-1}", NULL, CNI_ERR_CONFIG, "mtu");
	parse_fails("{" HDR ",\"mtu\":65536}", NULL, CNI_ERR_CONFIG, "mtu");
	parse_fails("{" HDR ",\"vlan\":4095}", NULL, CNI_ERR_CONFIG, "vlan");
	parse_fails("{" HDR ",\"vlan\":-1}", NULL, CNI_ERR_CONFIG, "vlan");
	parse_fails("{" HDR ",\"bridge\":\"0123456789abcdef\"}", NULL,
		    CNI_ERR_CONFIG, "bridge");
	parse_fails("{" HDR ",\"bridge\":\"a/b\"}", NULL, CNI_ERR_CONFIG,
		    "bridge");
	parse_fails("{" HDR ",\"bridge\":\"..\"}", NULL, CNI_ERR_CONFIG,
		    "bridge");
	/* The longest interface name is fine. */
	{
		struct netconf *c = new_conf();

		parse_ok("{" HDR ",\"bridge\":\"0123456789abcde\",\"mtu\":68}",
			 NULL, c);
		assert_string_equal(c->bridge, "0123456789abcde");
		assert_int_equal(c->mtu, 68);
		free_conf(c);
	}
	/* A name longer than the buffer is refused, not cut. */
	i = snprintf(
		json, sizeof(json),
		"{\"cniVersion\":\"1.0.0\",\"type\":\"bridge\",\"name\":\"");
	memset(json + i, 'n', NETCONF_NAME_MAX);
	snprintf(json + i + NETCONF_NAME_MAX,
		 sizeof(json) - i - NETCONF_NAME_MAX, "\"}");
	parse_fails(json, NULL, CNI_ERR_CONFIG, "name");
}

static void test_unsupported_version(void **state)
{
	struct cni_err err;

	parse_fails_err(
		"{\"cniVersion\":\"9.9.9\",\"name\":\"n\",\"type\":\"bridge\"}",
		NULL, CNI_ERR_VERSION, "9.9.9", &err);
	assert_non_null(strstr(err.details, "0.1.0"));
	assert_non_null(strstr(err.details, "0.4.0"));
	assert_non_null(strstr(err.details, "1.0.0"));
	assert_non_null(strstr(err.details, "1.1.0"));
	parse_fails(
		"{\"cniVersion\":\"1.0\",\"name\":\"n\",\"type\":\"bridge\"}",
		NULL, CNI_ERR_VERSION, NULL);
	parse_fails("{\"cniVersion\":\"v1.0.0\",\"name\":\"n\",\"type\":\"b\"}",
		    NULL, CNI_ERR_VERSION, NULL);
	/* The version is checked before anything else is. */
	parse_fails("{\"cniVersion\":\"2.0.0\",\"name\":5}", NULL,
		    CNI_ERR_VERSION, NULL);
}

static void test_names(void **state)
{
	parse_fails("{\"cniVersion\":\"1.0.0\",\"type\":\"bridge\"}", NULL,
		    CNI_ERR_CONFIG, "name");
	parse_fails(
		"{\"cniVersion\":\"1.0.0\",\"name\":\"\",\"type\":\"bridge\"}",
		NULL, CNI_ERR_CONFIG, "name");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", NULL,
		    CNI_ERR_CONFIG, "type");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"\"}",
		    NULL, CNI_ERR_CONFIG, "type");
	parse_fails(
		"{\"cniVersion\":\"1.0.0\",\"name\":\"../x\",\"type\":\"bridge\"}",
		NULL, CNI_ERR_CONFIG, "name");
	parse_fails(
		"{\"cniVersion\":\"1.0.0\",\"name\":\".x\",\"type\":\"bridge\"}",
		NULL, CNI_ERR_CONFIG, "name");
	parse_fails(
		"{\"cniVersion\":\"1.0.0\",\"name\":\"a b\",\"type\":\"bridge\"}",
		NULL, CNI_ERR_CONFIG, "name");
	parse_fails(
		"{\"cniVersion\":\"1.0.0\",\"name\":\"a/b\",\"type\":\"bridge\"}",
		NULL, CNI_ERR_CONFIG, "name");
}

static void test_legacy_ranges(void **state)
{
	struct netconf *c = new_conf();
	const struct ipam_range *r;

	parse_ok("{" HDR "," IPAM_HL("\"subnet\":\"10.9.0.0/24\","
				     "\"rangeStart\":\"10.9.0.10\","
				     "\"rangeEnd\":\"10.9.0.20\","
				     "\"gateway\":\"10.9.0.254\"") "}",
		 NULL, c);
	assert_int_equal(c->ipam.n_sets, 1);
	assert_int_equal(c->ipam.sets[0].n, 1);
	r = &c->ipam.sets[0].r[0];
	assert_net(&r->subnet, "10.9.0.0/24");
	assert_ip(&r->start, "10.9.0.10");
	assert_ip(&r->end, "10.9.0.20");
	assert_ip(&r->gw, "10.9.0.254");
	free_conf(c);

	/* Legacy keys and ranges: the legacy range is the first set. */
	c = new_conf();
	parse_ok("{" HDR
		 "," IPAM_HL("\"subnet\":\"10.9.0.0/24\","
			     "\"ranges\":[[{\"subnet\":\"10.8.0.0/24\"}],"
			     "[{\"subnet\":\"fd00::/64\"}]]") "}",
		 NULL, c);
	assert_int_equal(c->ipam.n_sets, 3);
	assert_net(&c->ipam.sets[0].r[0].subnet, "10.9.0.0/24");
	assert_net(&c->ipam.sets[1].r[0].subnet, "10.8.0.0/24");
	assert_net(&c->ipam.sets[2].r[0].subnet, "fd00::/64");
	free_conf(c);

	/* Legacy keys with bad values are named under "ipam". */
	parse_fails("{" HDR "," IPAM_HL("\"subnet\":\"10.9.0.1/24\"") "}", NULL,
		    CNI_ERR_CONFIG, "ipam");
	parse_fails("{" HDR "," IPAM_HL("\"subnet\":\"10.9.0.0/24\","
					"\"gateway\":\"10.10.0.1\"") "}",
		    NULL, CNI_ERR_CONFIG, "gateway");
	parse_fails("{" HDR "," IPAM_HL("\"subnet\":\"10.9.0.0/24\","
					"\"rangeStart\":\"bogus\"") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.rangeStart");
	parse_fails("{" HDR "," IPAM_HL("\"subnet\":\"10.9.0.0/24\","
					"\"rangeStart\":\"10.9.0.20\","
					"\"rangeEnd\":\"10.9.0.10\"") "}",
		    NULL, CNI_ERR_CONFIG, "rangeStart");
	parse_fails("{" HDR "," IPAM_HL("\"subnet\":\"10.9.0.0/31\"") "}", NULL,
		    CNI_ERR_CONFIG, "too small");
	parse_fails("{" HDR "," IPAM_HL("\"subnet\":\"nonsense\"") "}", NULL,
		    CNI_ERR_CONFIG, "ipam.subnet");
}

static void test_range_sets_invalid(void **state)
{
	/* No ranges at all for the built-in IPAM. */
	parse_fails("{" HDR "," IPAM_HL("\"dataDir\":\"/x\"") "}", NULL,
		    CNI_ERR_CONFIG, "ipam.ranges");
	parse_fails("{" HDR "," IPAM_HL("\"ranges\":[]") "}", NULL,
		    CNI_ERR_CONFIG, "ipam.ranges");
	/* Overlapping sets. */
	parse_fails("{" HDR
		    "," IPAM_HL("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],"
				"[{\"subnet\":\"10.0.0.0/25\"}]]") "}",
		    NULL, CNI_ERR_CONFIG, "overlap");
	parse_fails("{" HDR
		    "," IPAM_HL(SUBNET ",\"ranges\":"
				       "[[{\"subnet\":\"10.0.0.0/16\"}]]") "}",
		    NULL, CNI_ERR_CONFIG, "overlap");
	/* Overlapping ranges within one set. */
	parse_fails("{" HDR
		    "," IPAM_HL("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"},"
				"{\"subnet\":\"10.0.0.0/24\","
				"\"rangeStart\":\"10.0.0.100\"}]]") "}",
		    NULL, CNI_ERR_CONFIG, "overlap");
	/* v4 and v6 mixed in one set. */
	parse_fails("{" HDR
		    "," IPAM_HL("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"},"
				"{\"subnet\":\"fd00::/64\"}]]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.ranges[0]");
	/* Host bits, tiny subnets, addresses outside the subnet. */
	parse_fails("{" HDR "," IPAM_HL(
			    "\"ranges\":[[{\"subnet\":\"10.0.0.5/24\"}]]") "}",
		    NULL, CNI_ERR_CONFIG, "host bits");
	parse_fails("{" HDR "," IPAM_HL(
			    "\"ranges\":[[{\"subnet\":\"fd00::/127\"}]]") "}",
		    NULL, CNI_ERR_CONFIG, "too small");
	parse_fails("{" HDR
		    "," IPAM_HL("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\","
				"\"rangeEnd\":\"10.0.1.5\"}]]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.ranges[0][0]");
	parse_fails("{" HDR
		    "," IPAM_HL("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\","
				"\"gateway\":\"fd00::1\"}]]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.ranges[0][0]");
}

static void test_range_sets_limits(void **state)
{
	char json[4096];
	size_t n;

	/* IPAM_MAX_SETS sets are fine, one more is not. */
	for (int sets = IPAM_MAX_SETS; sets <= IPAM_MAX_SETS + 1; sets++) {
		struct netconf *c = new_conf();

		n = (size_t)snprintf(json, sizeof(json),
				     "{" HDR
				     ",\"ipam\":{\"type\":\"host-local\","
				     "\"ranges\":[");
		for (int i = 0; i < sets; i++)
			n += (size_t)snprintf(
				json + n, sizeof(json) - n,
				"%s[{\"subnet\":\"10.%d.0.0/24\"}]",
				i ? "," : "", i);
		snprintf(json + n, sizeof(json) - n, "]}}");
		if (sets == IPAM_MAX_SETS) {
			parse_ok(json, NULL, c);
			assert_int_equal(c->ipam.n_sets, IPAM_MAX_SETS);
			free_conf(c);
		} else {
			free(c);
			parse_fails(json, NULL, CNI_ERR_CONFIG, "ipam.ranges");
		}
	}
	/* RANGESET_MAX ranges in one set, then one more. */
	for (int rs = RANGESET_MAX; rs <= RANGESET_MAX + 1; rs++) {
		struct netconf *c = new_conf();

		n = (size_t)snprintf(json, sizeof(json),
				     "{" HDR
				     ",\"ipam\":{\"type\":\"host-local\","
				     "\"ranges\":[[");
		for (int i = 0; i < rs; i++)
			n += (size_t)snprintf(json + n, sizeof(json) - n,
					      "%s{\"subnet\":\"10.%d.0.0/24\"}",
					      i ? "," : "", i);
		snprintf(json + n, sizeof(json) - n, "]]}}");
		if (rs == RANGESET_MAX) {
			parse_ok(json, NULL, c);
			assert_int_equal(c->ipam.sets[0].n, RANGESET_MAX);
			free_conf(c);
		} else {
			free(c);
			parse_fails(json, NULL, CNI_ERR_CONFIG,
				    "ipam.ranges[0]");
		}
	}
}

static void test_routes(void **state)
{
	struct netconf *c = new_conf();

	parse_ok("{" HDR "," IPAM_HL(
			 SUBNET ",\"routes\":["
				"{\"dst\":\"0.0.0.0/0\"},"
				"{\"dst\":\"10.5.0.0/16\",\"gw\":\"10.0.0.9\"},"
				"{\"dst\":\"::/0\",\"gw\":null},"
				"{\"dst\":\"10.6.1.2/16\"}]") "}",
		 NULL, c);
	assert_int_equal(c->ipam.n_routes, 4);
	assert_net(&c->ipam.routes[0].dst, "0.0.0.0/0");
	assert_false(ipaddr_is_set(&c->ipam.routes[0].gw));
	assert_int_equal(c->ipam.routes[0].scope, -1);
	assert_int_equal(c->ipam.routes[0].mtu, 0);
	assert_int_equal(c->ipam.routes[0].table, 0);
	assert_net(&c->ipam.routes[1].dst, "10.5.0.0/16");
	assert_ip(&c->ipam.routes[1].gw, "10.0.0.9");
	assert_int_equal(c->ipam.routes[1].scope, -1);
	assert_net(&c->ipam.routes[2].dst, "::/0");
	assert_false(ipaddr_is_set(&c->ipam.routes[2].gw));
	/* Host bits in dst are kept here; the netlink builder masks them. */
	assert_net(&c->ipam.routes[3].dst, "10.6.1.2/16");
	free_conf(c);

	c = new_conf();
	parse_ok("{" HDR "," IPAM_HL(SUBNET ",\"routes\":[]") "}", NULL, c);
	assert_int_equal(c->ipam.n_routes, 0);
	free_conf(c);

	/* The CNI route's other keys, which host-local passes on. */
	c = new_conf();
	parse_ok("{" HDR
		 "," IPAM_HL(SUBNET
			     ",\"routes\":[{\"dst\":"
			     "\"10.5.0.0/16\",\"mtu\":1300,\"advmss\":1260,"
			     "\"priority\":50,\"table\":100,\"scope\":0}]") "}",
		 NULL, c);
	assert_int_equal(c->ipam.routes[0].mtu, 1300);
	assert_int_equal(c->ipam.routes[0].advmss, 1260);
	assert_int_equal(c->ipam.routes[0].priority, 50);
	assert_int_equal(c->ipam.routes[0].table, 100);
	assert_int_equal(c->ipam.routes[0].scope, 0);
	free_conf(c);
	parse_fails("{" HDR "," IPAM_HL(
			    SUBNET ",\"routes\":[{\"dst\":"
				   "\"10.5.0.0/16\",\"table\":\"100\"}]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[0].table");
	parse_fails("{" HDR
		    "," IPAM_HL(SUBNET ",\"routes\":[{\"dst\":"
				       "\"10.5.0.0/16\",\"scope\":256}]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[0].scope");
	parse_fails("{" HDR
		    "," IPAM_HL(SUBNET ",\"routes\":[{\"dst\":"
				       "\"10.5.0.0/16\",\"priority\":-1}]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[0].priority");

	parse_fails("{" HDR
		    "," IPAM_HL(SUBNET
				",\"routes\":[{\"dst\":\"10.0.0.0/33\"}]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[0].dst");
	parse_fails("{" HDR "," IPAM_HL(
			    SUBNET ",\"routes\":[{\"dst\":\"10.0.0.0\"}]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[0].dst");
	parse_fails("{" HDR
		    "," IPAM_HL(SUBNET ",\"routes\":[{\"dst\":\"0.0.0.0/0\"},"
				       "{\"gw\":\"10.0.0.1\"}]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[1].dst");
	parse_fails("{" HDR
		    "," IPAM_HL(SUBNET ",\"routes\":[{\"dst\":\"0.0.0.0/0\","
				       "\"gw\":\"bogus\"}]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[0].gw");
	parse_fails("{" HDR
		    "," IPAM_HL(SUBNET ",\"routes\":[{\"dst\":\"0.0.0.0/0\","
				       "\"gw\":\"fd00::1\"}]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[0].gw");
	parse_fails("{" HDR
		    "," IPAM_HL(SUBNET ",\"routes\":[{\"dst\":\"0.0.0.0/0\","
				       "\"gw\":1}]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[0].gw");
}

static void test_ipam_kinds(void **state)
{
	struct netconf *c = new_conf();

	parse_ok("{" HDR ",\"ipam\":{}}", NULL, c);
	assert_int_equal(c->ipam.kind, IPAM_NONE);
	assert_int_equal(c->ipam.n_sets, 0);
	free_conf(c);

	c = new_conf();
	parse_ok("{" HDR "}", NULL, c);
	assert_int_equal(c->ipam.kind, IPAM_NONE);
	free_conf(c);

	c = new_conf();
	parse_ok("{" HDR ",\"ipam\":null}", NULL, c);
	assert_int_equal(c->ipam.kind, IPAM_NONE);
	free_conf(c);

	/* Anything else is delegated; its keys are its own business. */
	c = new_conf();
	parse_ok("{" HDR ",\"ipam\":{\"type\":\"dhcp\",\"ranges\":\"theirs\","
		 "\"dataDir\":\"rel\"}}",
		 NULL, c);
	assert_int_equal(c->ipam.kind, IPAM_DELEGATE);
	assert_string_equal(c->ipam.type, "dhcp");
	assert_int_equal(c->ipam.n_sets, 0);
	free_conf(c);

	parse_fails("{" HDR ",\"ipam\":{\"type\":\"../evil\"}}", NULL,
		    CNI_ERR_CONFIG, "ipam.type");
	parse_fails("{" HDR ",\"ipam\":{\"type\":\"/bin/sh\"}}", NULL,
		    CNI_ERR_CONFIG, "ipam.type");
	parse_fails("{" HDR ",\"ipam\":{\"type\":\".\"}}", NULL, CNI_ERR_CONFIG,
		    "ipam.type");
	parse_fails("{" HDR ",\"ipam\":{\"subnet\":\"10.0.0.0/24\"}}", NULL,
		    CNI_ERR_CONFIG, "ipam.type");
	parse_fails("{" HDR ",\"ipam\":{\"type\":\"\"}}", NULL, CNI_ERR_CONFIG,
		    "ipam.type");
}

static void test_data_dir(void **state)
{
	struct netconf *c = new_conf();

	parse_ok("{" HDR "," IPAM_HL(SUBNET ",\"dataDir\":\"/tmp/d\"") "}",
		 NULL, c);
	assert_string_equal(c->ipam.data_dir, "/tmp/d");
	free_conf(c);

	parse_fails("{" HDR "," IPAM_HL(SUBNET ",\"dataDir\":\"var/lib\"") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.dataDir");
	/* As host-local: "" is the default. */
	c = new_conf();
	parse_ok("{" HDR "," IPAM_HL(SUBNET ",\"dataDir\":\"\"") "}", NULL, c);
	assert_string_equal(c->ipam.data_dir, "/var/lib/cni/networks");
	free_conf(c);
	parse_fails("{" HDR "," IPAM_HL(SUBNET ",\"dataDir\":\"./x\"") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.dataDir");
}

static void test_requested_ips(void **state)
{
	struct netconf *c = new_conf();

	parse_ok("{" HDR "," IPAM_HL(SUBNET) "}", "IP=10.0.0.9", c);
	assert_int_equal(c->ipam.n_req_ips, 1);
	assert_ip(&c->ipam.req_ips[0], "10.0.0.9");
	free_conf(c);

	c = new_conf();
	parse_ok("{" HDR "," IPAM_HL(SUBNET) "}",
		 "K8S_POD_NAME=p;IP=10.0.0.9/24,fd00::9;FOO=bar", c);
	assert_int_equal(c->ipam.n_req_ips, 2);
	assert_ip(&c->ipam.req_ips[0], "10.0.0.9");
	assert_ip(&c->ipam.req_ips[1], "fd00::9");
	free_conf(c);

	c = new_conf();
	parse_ok("{" HDR
		 "," IPAM_HL(SUBNET) ",\"args\":{\"cni\":{\"ips\":"
				     "[\"10.0.0.7\",\"10.0.0.8/24\"]}}}",
		 NULL, c);
	assert_int_equal(c->ipam.n_req_ips, 2);
	assert_ip(&c->ipam.req_ips[0], "10.0.0.7");
	assert_ip(&c->ipam.req_ips[1], "10.0.0.8");
	free_conf(c);

	c = new_conf();
	parse_ok("{" HDR "," IPAM_HL(SUBNET) ",\"runtimeConfig\":{\"ips\":"
					     "[\"10.0.0.6/24\",\"10.0.0.5\"]}}",
		 NULL, c);
	assert_int_equal(c->ipam.n_req_ips, 2);
	assert_ip(&c->ipam.req_ips[0], "10.0.0.6");
	assert_ip(&c->ipam.req_ips[1], "10.0.0.5");
	free_conf(c);

	/* All three sources, in order: CNI_ARGS, args, runtimeConfig. */
	c = new_conf();
	parse_ok(
		"{" HDR "," IPAM_HL(
			SUBNET) ",\"args\":{\"cni\":{\"ips\":"
				"[\"10.0.0.2\"]}},\"runtimeConfig\":{\"ips\":[\"10.0.0.3\"]}}",
		"IP=10.0.0.1", c);
	assert_int_equal(c->ipam.n_req_ips, 3);
	assert_ip(&c->ipam.req_ips[0], "10.0.0.1");
	assert_ip(&c->ipam.req_ips[1], "10.0.0.2");
	assert_ip(&c->ipam.req_ips[2], "10.0.0.3");
	free_conf(c);

	parse_fails("{" HDR "," IPAM_HL(SUBNET) "}", "IP=bogus", CNI_ERR_CONFIG,
		    "CNI_ARGS IP");
	parse_fails("{" HDR "," IPAM_HL(SUBNET) ",\"runtimeConfig\":{\"ips\":"
						"[\"10.0.0.300\"]}}",
		    NULL, CNI_ERR_CONFIG, "runtimeConfig.ips[0]");
	parse_fails("{" HDR "," IPAM_HL(SUBNET) ",\"args\":{\"cni\":{\"ips\":"
						"[\"10.0.0.2\",\"x/24\"]}}}",
		    NULL, CNI_ERR_CONFIG, "args.cni.ips[1]");
	/* A malformed CNI_ARGS is an environment error. */
	parse_fails("{" HDR "," IPAM_HL(SUBNET) "}", "IP", CNI_ERR_ENV,
		    "CNI_ARGS");
	/* More than IPAM_MAX_REQ_IPS. */
	parse_fails("{" HDR "," IPAM_HL(SUBNET) "}",
		    "IP=10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,"
		    "10.0.0.7,10.0.0.8,10.0.0.9",
		    CNI_ERR_CONFIG, NULL);
}

static void test_mac(void **state)
{
	struct netconf *c = new_conf();

	parse_ok("{" HDR "}", "MAC=02:00:00:00:00:01", c);
	assert_string_equal(c->mac, "02:00:00:00:00:01");
	free_conf(c);

	c = new_conf();
	parse_ok("{" HDR ",\"args\":{\"cni\":{\"mac\":\"02:00:00:00:00:02\"}}}",
		 "MAC=02:00:00:00:00:01", c);
	assert_string_equal(c->mac, "02:00:00:00:00:02");
	free_conf(c);

	/* runtimeConfig wins over both. */
	c = new_conf();
	parse_ok("{" HDR ",\"args\":{\"cni\":{\"mac\":\"02:00:00:00:00:02\"}},"
		 "\"runtimeConfig\":{\"mac\":\"02:00:00:00:00:03\"}}",
		 "MAC=02:00:00:00:00:01", c);
	assert_string_equal(c->mac, "02:00:00:00:00:03");
	free_conf(c);

	c = new_conf();
	parse_ok("{" HDR ",\"runtimeConfig\":{\"mac\":\"0A:BB:cc:DD:ee:FF\"}}",
		 NULL, c);
	assert_string_equal(c->mac, "0a:bb:cc:dd:ee:ff");
	free_conf(c);

	/* The other forms Go's net.ParseMAC takes, as the reference does. */
	c = new_conf();
	parse_ok("{" HDR ",\"runtimeConfig\":{\"mac\":\"0A-bb-CC-dd-EE-f0\"}}",
		 NULL, c);
	assert_string_equal(c->mac, "0a:bb:cc:dd:ee:f0");
	free_conf(c);
	c = new_conf();
	parse_ok("{" HDR "}", "MAC=0Abb.CCdd.EEf1", c);
	assert_string_equal(c->mac, "0a:bb:cc:dd:ee:f1");
	free_conf(c);

	parse_fails("{" HDR "}", "MAC=zz:00:00:00:00:01", CNI_ERR_CONFIG,
		    "mac");
	parse_fails("{" HDR ",\"runtimeConfig\":{\"mac\":\"02:00:00:00:00\"}}",
		    NULL, CNI_ERR_CONFIG, "mac");
	/* The forms mac_parse refuses are test_mac's; one of them here. */
	parse_fails("{" HDR
		    ",\"runtimeConfig\":{\"mac\":\"02-00:00-00-00-01\"}}",
		    NULL, CNI_ERR_CONFIG, "mac");
	parse_fails("{" HDR
		    ",\"args\":{\"cni\":{\"mac\":\"02:00:00:00:00:0g\"}}}",
		    NULL, CNI_ERR_CONFIG, "mac");
	/* Longer than any MAC: the key is named. */
	parse_fails("{" HDR
		    ",\"args\":{\"cni\":{\"mac\":\"02:00:00:00:00:01:02\"}}}",
		    NULL, CNI_ERR_CONFIG, "args.cni.mac");
	/* Multicast (and broadcast) addresses are not an interface's own. */
	parse_fails("{" HDR
		    ",\"runtimeConfig\":{\"mac\":\"01:00:5e:00:00:01\"}}",
		    NULL, CNI_ERR_CONFIG, "mac");
	parse_fails("{" HDR
		    ",\"runtimeConfig\":{\"mac\":\"ff:ff:ff:ff:ff:ff\"}}",
		    NULL, CNI_ERR_CONFIG, "mac");
	parse_fails("{" HDR "}", "MAC=33:33:00:00:00:01", CNI_ERR_CONFIG,
		    "mac");
	parse_fails("{" HDR "}", "MAC=0300.0000.0001", CNI_ERR_CONFIG, "mac");
	/* A bad CNI_ARGS MAC is refused even when a later source is good. */
	parse_fails("{" HDR
		    ",\"runtimeConfig\":{\"mac\":\"02:00:00:00:00:03\"}}",
		    "MAC=02:00:00:00:00:01:02:03", CNI_ERR_ENV, "MAC");
}

static void test_unsupported_fields(void **state)
{
	struct netconf *c;

	parse_fails("{" HDR ",\"markMasqBit\":13}", NULL,
		    CNI_ERR_UNSUPPORTED_FIELD, "markMasqBit");

	/* Host ports need a container address of their family. */
	parse_fails("{" HDR ",\"ipam\":{},\"runtimeConfig\":{\"portMappings\":"
		    "[{\"hostPort\":80,\"containerPort\":80}]}}",
		    NULL, CNI_ERR_CONFIG, "without ipam");
	parse_fails("{" HDR "," IPAM_HL(SUBNET) ",\"runtimeConfig\":{"
		    "\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,"
		    "\"hostIP\":\"::\"}]}}",
		    NULL, CNI_ERR_CONFIG,
		    "portMappings[0].hostIP: the network has no IPv6 range");
	c = new_conf();
	parse_ok("{" HDR "," IPAM_HL(SUBNET) ",\"runtimeConfig\":{"
		 "\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,"
		 "\"hostIP\":\"10.0.0.1\"}]}}",
		 NULL, c);
	free_conf(c);

	/* The firewall keys are brisk's now. */
	c = new_conf();
	parse_ok("{" HDR ",\"ipMasq\":true,\"macspoofchk\":true}", NULL, c);
	assert_true(c->ip_masq);
	assert_true(c->mac_spoofchk);
	free_conf(c);

	/* Another main plugin using brisk as its IPAM: its keys are its own. */
	c = new_conf();
	parse_ok("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"ptp\","
		 "\"ipMasq\":true,\"vlan\":5000,\"vlanTrunk\":\"x\","
		 "\"hairpinMode\":true,\"promiscMode\":true," IPAM_HL(
			 SUBNET) "}",
		 NULL, c);
	assert_string_equal(c->type, "ptp");
	assert_true(c->ip_masq);
	assert_int_equal(c->vlan, 0);
	assert_int_equal(c->ipam.kind, IPAM_BUILTIN);
	free_conf(c);

	/* Off is fine everywhere. */
	c = new_conf();
	parse_ok("{" HDR ",\"ipMasq\":false,\"vlan\":0,\"macspoofchk\":false}",
		 NULL, c);
	free_conf(c);
}

/* Parse HDR plus @extra; the caller frees. */
static struct netconf *parse_extra(const char *extra)
{
	struct netconf *c = new_conf();
	char json[1024];

	snprintf(json, sizeof(json), "{" HDR "%s}", extra);
	parse_ok(json, NULL, c);
	return c;
}

static void fails_extra(const char *extra, const char *needle)
{
	char json[1024];

	snprintf(json, sizeof(json), "{" HDR "%s}", extra);
	parse_fails(json, NULL, CNI_ERR_CONFIG, needle);
}

/* The trunk as a string of ids and ranges, e.g. "1,5-7". */
static void assert_trunk(const struct netconf *c, const char *want)
{
	char buf[256] = "";
	size_t n = 0;

	for (int v = 1; v <= VLAN_ID_MAX; v++) {
		int e = v;

		if (!netconf_trunk_has(c, v))
			continue;
		while (netconf_trunk_has(c, e + 1))
			e++;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%d",
				      n ? "," : "", v);
		if (e > v)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "-%d",
					      e);
		v = e;
	}
	assert_string_equal(buf, want);
}

static void test_port_keys(void **state)
{
	struct netconf *c;

	c = parse_extra(",\"portIsolation\":true");
	assert_true(c->port_isolation);
	free_conf(c);
	c = parse_extra(",\"portIsolation\":false,\"vlan\":0");
	assert_false(c->port_isolation);
	assert_false(netconf_vlan_filtering(c));
	free_conf(c);
	fails_extra(",\"portIsolation\":\"true\"", "portIsolation");
	fails_extra(",\"portIsolation\":1", "portIsolation");

	c = parse_extra(",\"vlan\":4094");
	assert_int_equal(c->vlan, 4094);
	assert_true(netconf_vlan_filtering(c));
	assert_false(c->has_vlan_trunk);
	assert_trunk(c, "");
	free_conf(c);

	/* Ids and ranges, overlapping and repeated, both in one item. */
	c = parse_extra(
		",\"vlanTrunk\":[{\"id\":101},{\"minID\":1,\"maxID\":3},"
		"{\"minID\":2,\"maxID\":5,\"id\":4094},{\"id\":3},"
		"{\"minID\":100,\"maxID\":100}]");
	assert_true(c->has_vlan_trunk);
	assert_true(netconf_vlan_filtering(c));
	assert_trunk(c, "1-5,100-101,4094");
	assert_false(netconf_trunk_has(c, 0));
	assert_false(netconf_trunk_has(c, 4095));
	free_conf(c);
	/* An empty list or item adds nothing but still asks for filtering. */
	c = parse_extra(",\"vlanTrunk\":[]");
	assert_true(c->has_vlan_trunk);
	assert_true(netconf_vlan_filtering(c));
	assert_trunk(c, "");
	free_conf(c);
	c = parse_extra(",\"vlanTrunk\":[{}]");
	assert_true(c->has_vlan_trunk);
	assert_trunk(c, "");
	free_conf(c);
	/* null is absent, as for every key. */
	c = parse_extra(",\"vlanTrunk\":null,\"preserveDefaultVlan\":true");
	assert_false(c->has_vlan_trunk);
	assert_true(c->preserve_default_vlan);
	free_conf(c);
	/* The whole range at once. */
	c = parse_extra(
		",\"vlan\":0,\"vlanTrunk\":[{\"minID\":1,\"maxID\":4094}]");
	assert_trunk(c, "1-4094");
	free_conf(c);
}

static void test_trunk_invalid(void **state)
{
	fails_extra(",\"vlanTrunk\":{\"id\":5}", "vlanTrunk");
	fails_extra(",\"vlanTrunk\":\"5\"", "vlanTrunk");
	fails_extra(",\"vlanTrunk\":[5]", "vlanTrunk[0]");
	fails_extra(",\"vlanTrunk\":[null]", "vlanTrunk[0]");
	fails_extra(",\"vlanTrunk\":[{\"id\":\"5\"}]", "vlanTrunk[0].id");
	fails_extra(",\"vlanTrunk\":[{\"id\":5.5}]", "vlanTrunk[0].id");
	fails_extra(",\"vlanTrunk\":[{\"id\":0}]", "vlanTrunk[0].id");
	fails_extra(",\"vlanTrunk\":[{\"id\":4095}]", "vlanTrunk[0].id");
	fails_extra(",\"vlanTrunk\":[{\"id\":1},{\"minID\":0,\"maxID\":5}]",
		    "vlanTrunk[1].minID");
	fails_extra(",\"vlanTrunk\":[{\"minID\":1,\"maxID\":4095}]",
		    "vlanTrunk[0].maxID");
	fails_extra(",\"vlanTrunk\":[{\"minID\":5}]", "maxID is missing");
	fails_extra(",\"vlanTrunk\":[{\"maxID\":5}]", "minID is missing");
	fails_extra(",\"vlanTrunk\":[{\"minID\":6,\"maxID\":5}]",
		    "greater than maxID");
	fails_extra(",\"vlanTrunk\":[{\"minID\":\"1\",\"maxID\":5}]",
		    "vlanTrunk[0].minID");
	/* The port's own VLAN cannot also be a tagged one. */
	fails_extra(",\"vlan\":7,\"vlanTrunk\":[{\"minID\":5,\"maxID\":9}]",
		    "VLAN 7");
	fails_extra(",\"vlan\":7,\"vlanTrunk\":[{\"id\":7}]", "VLAN 7");
	fails_extra(",\"preserveDefaultVlan\":\"yes\"", "preserveDefaultVlan");
}

static void test_combinations(void **state)
{
	struct netconf *c;

	/* Refused by the reference: checked before anything is made. */
	fails_extra(",\"hairpinMode\":true,\"promiscMode\":true",
		    "hairpinMode and promiscMode");
	fails_extra(",\"disableContainerInterface\":true," IPAM_HL(SUBNET),
		    "disableContainerInterface");
	fails_extra(",\"disableContainerInterface\":true,"
		    "\"ipam\":{\"type\":\"dhcp\"}",
		    "disableContainerInterface");
	c = parse_extra(",\"hairpinMode\":true,\"promiscMode\":false");
	free_conf(c);
	c = parse_extra(",\"disableContainerInterface\":true,\"ipam\":{}");
	assert_true(c->disable_container_iface);
	free_conf(c);
	/* "<bridge>.<vlan>" carries the gateway: it must be a valid name. */
	fails_extra(",\"bridge\":\"bridge-name\",\"vlan\":4094,"
		    "\"isGateway\":true," IPAM_HL(SUBNET),
		    "bridge-name.4094");
	c = parse_extra(",\"bridge\":\"bridge-nam\",\"vlan\":4094,"
			"\"isGateway\":true," IPAM_HL(SUBNET));
	free_conf(c);
	/* Without a gateway (or an address) no such interface is made. */
	c = parse_extra(",\"bridge\":\"bridge-name\",\"vlan\":4094,"
			"\"isGateway\":false," IPAM_HL(SUBNET));
	free_conf(c);
	c = parse_extra(",\"bridge\":\"bridge-name\",\"vlan\":4094,"
			"\"isGateway\":true,\"ipam\":{}");
	free_conf(c);
}

static void test_ip_ranges(void **state)
{
	struct netconf *c;

	/* Prepended, as host-local does: they become sets 0.. */
	c = parse_extra(
		",\"runtimeConfig\":{\"ipRanges\":[[{\"subnet\":"
		"\"10.9.0.0/24\",\"rangeStart\":\"10.9.0.100\"}],"
		"[{\"subnet\":\"fd00:9::/64\"}]]},"
		"\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.8.0.0/24\","
		"\"ranges\":[[{\"subnet\":\"10.7.0.0/24\"}]]}");
	assert_int_equal(c->ipam.n_sets, 4);
	assert_net(&c->ipam.sets[0].r[0].subnet, "10.9.0.0/24");
	assert_ip(&c->ipam.sets[0].r[0].start, "10.9.0.100");
	assert_net(&c->ipam.sets[1].r[0].subnet, "fd00:9::/64");
	assert_net(&c->ipam.sets[2].r[0].subnet, "10.8.0.0/24");
	assert_net(&c->ipam.sets[3].r[0].subnet, "10.7.0.0/24");
	free_conf(c);
	/* Enough on their own; an empty list changes nothing. */
	c = parse_extra(",\"runtimeConfig\":{\"ipRanges\":[[{\"subnet\":"
			"\"10.9.0.0/24\"},{\"subnet\":\"10.9.1.0/24\"}]]},"
			"\"ipam\":{\"type\":\"host-local\"}");
	assert_int_equal(c->ipam.n_sets, 1);
	assert_int_equal(c->ipam.sets[0].n, 2);
	free_conf(c);
	c = parse_extra(
		",\"runtimeConfig\":{\"ipRanges\":[]}," IPAM_HL(SUBNET));
	assert_int_equal(c->ipam.n_sets, 1);
	assert_net(&c->ipam.sets[0].r[0].subnet, "10.0.0.0/24");
	free_conf(c);
	/* IPAM-only mode reads them too. */
	{
		struct netconf *m = new_conf();
		static const char json[] =
			"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"macvlan\","
			"\"runtimeConfig\":{\"ipRanges\":[[{\"subnet\":\"10.9.0.0/24\"}]]},"
			"\"ipam\":{\"type\":\"brisk\"}}";

		parse_ok(json, NULL, m);
		assert_int_equal(m->ipam.n_sets, 1);
		free_conf(m);
	}

	fails_extra(",\"runtimeConfig\":{\"ipRanges\":{}}," IPAM_HL(SUBNET),
		    "runtimeConfig.ipRanges");
	fails_extra(",\"runtimeConfig\":{\"ipRanges\":[{\"subnet\":"
		    "\"10.9.0.0/24\"}]}," IPAM_HL(SUBNET),
		    "runtimeConfig.ipRanges[0]");
	fails_extra(",\"runtimeConfig\":{\"ipRanges\":[[{\"subnet\":"
		    "\"10.9.0.0/33\"}]]}," IPAM_HL(SUBNET),
		    "runtimeConfig.ipRanges[0][0].subnet");
	fails_extra(",\"runtimeConfig\":{\"ipRanges\":[[{\"subnet\":"
		    "\"10.0.0.128/25\"}]]}," IPAM_HL(SUBNET),
		    "overlap");
	fails_extra(
		",\"runtimeConfig\":{\"ipRanges\":[[{\"subnet\":\"10.1.0.0/24\"}],"
		"[{\"subnet\":\"10.2.0.0/24\"}],[{\"subnet\":\"10.3.0.0/24\"}],"
		"[{\"subnet\":\"10.4.0.0/24\"}],[{\"subnet\":\"10.5.0.0/24\"}],"
		"[{\"subnet\":\"10.6.0.0/24\"}],[{\"subnet\":\"10.7.0.0/24\"}],"
		"[{\"subnet\":\"10.8.0.0/24\"}]]}," IPAM_HL(SUBNET),
		"more than 8");
}

/* host-local: before 0.3.0 a result has one ip4 and one ip6. */
static void test_sets_per_family(void **state)
{
	static const char two_v4[] =
		"{\"cniVersion\":\"%s\",\"name\":\"n\",\"type\":\"bridge\","
		"\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":"
		"\"10.1.0.0/24\"}],[{\"subnet\":\"10.2.0.0/24\"}]]}}";
	static const char dual[] =
		"{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"bridge\","
		"\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":"
		"\"10.1.0.0/24\"}],[{\"subnet\":\"fd00::/64\"}]]}}";
	struct netconf *c = new_conf();
	char json[512];

	snprintf(json, sizeof(json), two_v4, "0.2.0");
	parse_fails(json, NULL, CNI_ERR_CONFIG, "one range set per family");
	snprintf(json, sizeof(json), two_v4, "0.1.0");
	parse_fails(json, NULL, CNI_ERR_CONFIG, "one range set per family");
	snprintf(json, sizeof(json), two_v4, "0.3.0");
	parse_ok(json, NULL, c);
	free_conf(c);
	c = new_conf();
	parse_ok(dual, NULL, c);
	free_conf(c);
}

static void test_peek_version(void **state)
{
	static const char ok[] = "{\"cniVersion\":\"0.4.0\",\"name\":\"n\"}";
	char v[16];

	netconf_peek_version(ok, strlen(ok), v, sizeof(v));
	assert_string_equal(v, "0.4.0");
	/* Best effort: an unsupported version is still reported. */
	netconf_peek_version("{\"cniVersion\":\"9.9.9\"}", 22, v, sizeof(v));
	assert_string_equal(v, "9.9.9");

	strcpy(v, "junk");
	netconf_peek_version("{\"cniVersion\":", 14, v, sizeof(v));
	assert_string_equal(v, "");
	strcpy(v, "junk");
	netconf_peek_version("{}", 2, v, sizeof(v));
	assert_string_equal(v, "");
	strcpy(v, "junk");
	netconf_peek_version("{\"cniVersion\":100}", 18, v, sizeof(v));
	assert_string_equal(v, "");
	strcpy(v, "junk");
	netconf_peek_version("[\"cniVersion\"]", 14, v, sizeof(v));
	assert_string_equal(v, "");
	strcpy(v, "junk");
	netconf_peek_version(NULL, 0, v, sizeof(v));
	assert_string_equal(v, "");
	/* An absurdly long version is not echoed. */
	strcpy(v, "junk");
	{
		static const char lng[] =
			"{\"cniVersion\":\"1.0.0.0.0.0.0.0.0.0\"}";

		netconf_peek_version(lng, strlen(lng), v, sizeof(v));
	}
	assert_string_equal(v, "");
	/* The output is bounded by n. */
	netconf_peek_version(ok, strlen(ok), v, 4);
	assert_string_equal(v, "0.4");
	/* Only len bytes are read. */
	netconf_peek_version(ok, 10, v, sizeof(v));
	assert_string_equal(v, "");
}

/*
 * host-local reads an empty address as none (Go's net.IP), and so does
 * brisk: the range's defaults, a route through the family's gateway.
 */
static void test_empty_addresses(void **state)
{
	const char *legacy = "{" HDR ",\"ipam\":{\"type\":\"host-local\","
			     "\"subnet\":\"10.2.0.0/24\",\"gateway\":\"\","
			     "\"rangeStart\":\"\"}}";
	struct netconf *c = new_conf();
	const struct ipam_range *r;

	parse_ok("{" HDR "," IPAM_HL("\"ranges\":[[{\"subnet\":\"10.2.0.0/24\","
				     "\"rangeStart\":\"\",\"rangeEnd\":\"\","
				     "\"gateway\":\"\"}]],\"routes\":[{\"dst\":"
				     "\"192.0.2.0/24\",\"gw\":\"\"}]") "}",
		 NULL, c);
	r = &c->ipam.sets[0].r[0];
	assert_ip(&r->start, "10.2.0.1");
	assert_ip(&r->end, "10.2.0.254");
	assert_ip(&r->gw, "10.2.0.1");
	assert_int_equal(c->ipam.n_routes, 1);
	assert_false(ipaddr_is_set(&c->ipam.routes[0].gw));
	free_conf(c);

	c = new_conf();
	parse_ok(legacy, NULL, c);
	assert_ip(&c->ipam.sets[0].r[0].gw, "10.2.0.1");
	free_conf(c);
	/* A subnet has no such reading: the reference refuses "" too. */
	parse_fails("{" HDR "," IPAM_HL("\"subnet\":\"\"") "}", NULL,
		    CNI_ERR_CONFIG, "subnet");
	(void)state;
}

/*
 * Go's JSON decoding in the reference matches keys in any case: a key of
 * brisk's in another case is refused, naming the spelling, never ignored.
 */
static void test_key_case(void **state)
{
	struct netconf *c;

	parse_fails("{" HDR ",\"HairpinMode\":true," IPAM_HL(SUBNET) "}", NULL,
		    CNI_ERR_CONFIG, "HairpinMode: brisk reads keys in their "
				    "exact case: write \"hairpinMode\"");
	/* Even beside the right one (Go would take the later). */
	parse_fails("{" HDR ",\"hairpinMode\":true,\"HAIRPINMODE\":false,"
		    IPAM_HL(SUBNET) "}",
		    NULL, CNI_ERR_CONFIG, "HAIRPINMODE");
	parse_fails("{" HDR ",\"IPAM\":{\"type\":\"host-local\"," SUBNET "}}",
		    NULL, CNI_ERR_CONFIG, "IPAM: ");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"Type\":\"bridge\","
		    IPAM_HL(SUBNET) "}",
		    NULL, CNI_ERR_CONFIG, "write \"type\"");
	parse_fails("{" HDR "," IPAM_HL("\"Subnet\":\"10.0.0.0/24\"") "}", NULL,
		    CNI_ERR_CONFIG, "ipam.Subnet: ");
	parse_fails("{" HDR ",\"ipam\":{\"Type\":\"host-local\"," SUBNET "}}",
		    NULL, CNI_ERR_CONFIG, "ipam.Type: ");
	/* In arrays, shown with the element's index. */
	parse_fails("{" HDR "," IPAM_HL("\"ranges\":[[{" SUBNET "}],"
					"[{\"subnet\":\"fd00::/64\","
					"\"RangeStart\":\"fd00::9\"}]]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.ranges[1][0].RangeStart: ");
	parse_fails("{" HDR "," IPAM_HL(SUBNET ",\"routes\":[{\"Dst\":"
					       "\"0.0.0.0/0\"}]") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.routes[0].Dst: ");
	parse_fails("{" HDR "," IPAM_HL(SUBNET) ",\"runtimeConfig\":"
		    "{\"portMappings\":[{\"HostPort\":80,\"containerPort\":80}]}}",
		    NULL, CNI_ERR_CONFIG,
		    "runtimeConfig.portMappings[0].HostPort: ");
	/* brisk's own keys too: ignoring one would be as bad. */
	parse_fails("{" HDR ",\"LogLevel\":\"debug\"," IPAM_HL(SUBNET) "}",
		    NULL, CNI_ERR_CONFIG, "write \"logLevel\"");

	/* Keys brisk does not read, in any case, are not its business. */
	c = new_conf();
	parse_ok("{" HDR ",\"Frobnicate\":1,\"IPAM.subnet\":2,"
		 "\"capabilities\":{\"PortMappings\":true}," IPAM_HL(SUBNET) "}",
		 NULL, c);
	free_conf(c);
	/* As another plugin's IPAM: its keys are its own, ipam's are ours. */
	c = new_conf();
	parse_ok("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"macvlan\","
		 "\"MTU\":1400,\"HairpinMode\":true,\"runtimeConfig\":"
		 "{\"PortMappings\":[]}," IPAM_HL(SUBNET) "}",
		 NULL, c);
	free_conf(c);
	parse_fails("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"macvlan\","
		    IPAM_HL(SUBNET ",\"DataDir\":\"/x\"") "}",
		    NULL, CNI_ERR_CONFIG, "ipam.DataDir: ");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"macvlan\","
		    IPAM_HL(SUBNET) ",\"runtimeConfig\":{\"IPs\":[]}}",
		    NULL, CNI_ERR_CONFIG, "runtimeConfig.IPs: ");
	/* A delegated IPAM's keys are its own, bar the one naming it. */
	c = new_conf();
	parse_ok("{" HDR ",\"ipam\":{\"type\":\"dhcp\",\"Subnet\":\"x\"}}",
		 NULL, c);
	free_conf(c);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_default_gateway_implies_gateway),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_unsupported_version),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_legacy_ranges),
		cmocka_unit_test(test_range_sets_invalid),
		cmocka_unit_test(test_range_sets_limits),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_ipam_kinds),
		cmocka_unit_test(test_data_dir),
		cmocka_unit_test(test_requested_ips),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_unsupported_fields),
		cmocka_unit_test(test_port_keys),
		cmocka_unit_test(test_trunk_invalid),
		cmocka_unit_test(test_combinations),
		cmocka_unit_test(test_ip_ranges),
		cmocka_unit_test(test_sets_per_family),
		cmocka_unit_test(test_peek_version),
		cmocka_unit_test(test_key_case),
		cmocka_unit_test(test_empty_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
