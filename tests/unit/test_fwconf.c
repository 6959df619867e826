// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <netinet/in.h>

#include "brisk/fwconf.h"
#include "brisk/log.h"

static struct fwconf *parse(const char *json, const char *type, int *ret,
			    struct cni_err *err)
{
	struct fwconf *c = calloc(1, sizeof(*c));
	json_error_t jerr;
	json_t *root = json_loads(json, 0, &jerr);

	assert_non_null(c);
	if (!root)
		fail_msg("bad test JSON %s: %s", json, jerr.text);
	memset(err, 0, sizeof(*err));
	*ret = fwconf_parse(root, type, c, err);
	json_decref(root);
	return c;
}

static struct fwconf *parse_ok(const char *json)
{
	struct cni_err err;
	int r;
	struct fwconf *c = parse(json, "brisk", &r, &err);

	if (r < 0)
		fail_msg("rejected %s: %s (%s)", json, err.msg, err.details);
	return c;
}

static void parse_fails(const char *json, int code, const char *needle)
{
	struct cni_err err;
	int r;

	free(parse(json, "bridge", &r, &err));
	if (r >= 0)
		fail_msg("accepted %s", json);
	assert_int_equal(err.code, code);
	if (!strstr(err.msg, needle))
		fail_msg("msg \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_defaults(void **state)
{
	struct fwconf *c = parse_ok("{}");

	assert_true(c->snat);
	assert_false(c->masq_all);
	assert_false(c->backend_iptables);
	assert_int_equal(c->n_ports, 0);
	assert_int_equal(c->n_exclude, 0);
	free(c);
}

static void test_keys(void **state)
{
	char buf[IPNET_STRLEN];
	struct fwconf *c = parse_ok(
		"{\"ipMasqBackend\":\"iptables\",\"snat\":false,\"masqAll\":true,"
		"\"ipMasqExclude\":[\"10.0.0.0/8\",\"fd00::/8\"]}");

	assert_true(c->backend_iptables);
	assert_false(c->snat);
	assert_true(c->masq_all);
	assert_int_equal(c->n_exclude, 2);
	assert_string_equal(ipnet_fmt(&c->exclude[1], buf), "fd00::/8");
	free(c);
	c = parse_ok("{\"ipMasqBackend\":\"nftables\"}");
	assert_false(c->backend_iptables);
	free(c);
}

static void test_ports(void **state)
{
	char buf[IPADDR_STRLEN];
	struct fwconf *c = parse_ok(
		"{\"runtimeConfig\":{\"portMappings\":["
		"{\"hostPort\":8080,\"containerPort\":80},"
		"{\"hostPort\":53,\"containerPort\":5353,\"protocol\":\"UDP\"},"
		"{\"hostPort\":9,\"containerPort\":9,\"protocol\":\"sctp\",\"hostIP\":\"192.0.2.1\"},"
		"{\"hostPort\":7,\"containerPort\":7,\"protocol\":\"\",\"hostIP\":\"\"},"
		"{\"hostPort\":8080,\"containerPort\":80}]}}");

	/* The repeated first mapping is dropped, not refused. */
	assert_int_equal(c->n_ports, 4);
	assert_int_equal(c->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(c->ports[0].host_port, 8080);
	assert_int_equal(c->ports[0].cont_port, 80);
	assert_int_equal(c->ports[0].host_ip.family, 0);
	assert_int_equal(c->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(c->ports[2].proto, IPPROTO_SCTP);
	assert_string_equal(ipaddr_fmt(&c->ports[2].host_ip, buf), "192.0.2.1");
	assert_int_equal(c->ports[3].proto, IPPROTO_TCP);
	assert_int_equal(c->ports[3].host_ip.family, 0);
	free(c);
}

static void test_errors(void **state)
{
	parse_fails("{\"ipMasqBackend\":\"pf\"}", CNI_ERR_CONFIG,
		    "ipMasqBackend");
	parse_fails("{\"ipMasqBackend\":1}", CNI_ERR_CONFIG, "ipMasqBackend");
	parse_fails("{\"ipMasqExclude\":[\"10.0.0.0\"]}", CNI_ERR_CONFIG,
		    "ipMasqExclude[0]");
	parse_fails("{\"ipMasqExclude\":\"10.0.0.0/8\"}", CNI_ERR_CONFIG,
		    "ipMasqExclude");
	parse_fails("{\"snat\":1}", CNI_ERR_CONFIG, "snat");
	parse_fails("{\"masqAll\":\"yes\"}", CNI_ERR_CONFIG, "masqAll");
	parse_fails("{\"markMasqBit\":13}", CNI_ERR_UNSUPPORTED_FIELD,
		    "markMasqBit");
	parse_fails("{\"externalSetMarkChain\":\"C\"}",
		    CNI_ERR_UNSUPPORTED_FIELD, "externalSetMarkChain");
	parse_fails("{\"conditionsV6\":[]}", CNI_ERR_UNSUPPORTED_FIELD,
		    "conditionsV6");
	/* JSON null is an absent key, as everywhere. */
	free(parse_ok("{\"markMasqBit\":null,\"conditionsV4\":null}"));
	parse_fails("{\"runtimeConfig\":{\"portMappings\":{}}}", CNI_ERR_CONFIG,
		    "portMappings");
	parse_fails("{\"runtimeConfig\":{\"portMappings\":[1]}}",
		    CNI_ERR_CONFIG, "portMappings[0]");
	parse_fails("{\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":1}]}}",
		    CNI_ERR_CONFIG, "containerPort is required");
	parse_fails("{\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":65536,"
		    "\"containerPort\":1}]}}",
		    CNI_ERR_CONFIG, "portMappings[0].hostPort");
	parse_fails(
		"{\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":\"80\","
		"\"containerPort\":1}]}}",
		CNI_ERR_CONFIG, "hostPort");
	parse_fails("{\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,"
		    "\"containerPort\":1,\"protocol\":\"icmp\"}]}}",
		    CNI_ERR_CONFIG, "protocol");
	parse_fails("{\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,"
		    "\"containerPort\":1,\"hostIP\":\"10.0.0.1/8\"}]}}",
		    CNI_ERR_CONFIG, "hostIP");
	/* A host IP and every address, same port: one would lose. */
	parse_fails(
		"{\"runtimeConfig\":{\"portMappings\":["
		"{\"hostPort\":80,\"containerPort\":1,\"hostIP\":\"10.0.0.1\"},"
		"{\"hostPort\":80,\"containerPort\":1}]}}",
		CNI_ERR_CONFIG,
		"portMappings[1]: host port 80 is mapped twice");
}

static void test_any_address(void **state)
{
	/* 0.0.0.0 and :: are every address of one family: no overlap. */
	struct fwconf *c = parse_ok(
		"{\"runtimeConfig\":{\"portMappings\":["
		"{\"hostPort\":80,\"containerPort\":1,\"hostIP\":\"0.0.0.0\"},"
		"{\"hostPort\":80,\"containerPort\":2,\"hostIP\":\"::\"}]}}");

	assert_int_equal(c->n_ports, 2);
	free(c);
	parse_fails(
		"{\"runtimeConfig\":{\"portMappings\":["
		"{\"hostPort\":80,\"containerPort\":1,\"hostIP\":\"0.0.0.0\"},"
		"{\"hostPort\":80,\"containerPort\":1,\"hostIP\":\"10.0.0.1\"}]}}",
		CNI_ERR_CONFIG, "mapped twice");
	parse_fails(
		"{\"runtimeConfig\":{\"portMappings\":["
		"{\"hostPort\":80,\"containerPort\":1,\"hostIP\":\"fd00::1\"},"
		"{\"hostPort\":80,\"containerPort\":1,\"hostIP\":\"::\"}]}}",
		CNI_ERR_CONFIG, "mapped twice");
}

/* What `brisk validate` shows: every key, the mappings as parsed. */
static void test_normalize(void **state)
{
	struct fwconf *c = parse_ok(
		"{\"ipMasqExclude\":[\"10.1.2.3/8\"],\"runtimeConfig\":{"
		"\"portMappings\":[{\"hostPort\":80,\"containerPort\":8,"
		"\"protocol\":\"UDP\",\"hostIP\":\"::1\"},{\"hostPort\":81,"
		"\"containerPort\":9},{\"hostPort\":81,\"containerPort\":9}]}}");
	json_t *o = json_loads("{\"runtimeConfig\":{\"portMappings\":[]}}", 0,
			       NULL);
	json_t *want = json_loads(
		"{\"ipMasqBackend\":\"nftables\",\"ipMasqExclude\":[\"10.0.0.0/8\"],"
		"\"snat\":true,\"masqAll\":false,\"runtimeConfig\":{"
		"\"portMappings\":[{\"hostPort\":80,\"containerPort\":8,"
		"\"protocol\":\"udp\",\"hostIP\":\"::1\"},{\"hostPort\":81,"
		"\"containerPort\":9,\"protocol\":\"tcp\"}]}}",
		0, NULL);

	assert_int_equal(fwconf_normalize(o, c), 0);
	if (!json_equal(o, want))
		fail_msg("normalised: %s", json_dumps(o, JSON_COMPACT));
	json_decref(o);
	/* No runtimeConfig: none is made up. */
	o = json_object();
	assert_int_equal(fwconf_normalize(o, c), 0);
	assert_null(json_object_get(o, "runtimeConfig"));
	json_decref(o);
	json_decref(want);
	free(c);
}

static void test_other_plugin(void **state)
{
	struct cni_err err;
	int r;
	/* ptp with brisk as its IPAM: its keys are ptp's to judge. */
	struct fwconf *c = parse("{\"ipMasqBackend\":\"pf\",\"markMasqBit\":1,"
				 "\"runtimeConfig\":{\"portMappings\":[1]}}",
				 "ptp", &r, &err);

	assert_int_equal(r, 0);
	assert_int_equal(c->n_ports, 0);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_any_address),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_other_plugin),
	};

	log_set_level(LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
