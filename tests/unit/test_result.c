// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "brisk/result.h"

#ifndef FIXTURES
#error "FIXTURES must name the tests/fixtures directory"
#endif

/* One state value per version, for the tests run once per version. */
static enum cni_ver vers[CNI_V_COUNT] = { CNI_V010, CNI_V020, CNI_V030,
					  CNI_V031, CNI_V040, CNI_V100,
					  CNI_V110 };

static void add_iface(struct result *r, const char *name, const char *mac,
		      const char *sandbox, int mtu)
{
	struct result_iface *ifc = &r->ifaces[r->n_ifaces++];

	strcpy(ifc->name, name);
	strcpy(ifc->mac, mac);
	ifc->sandbox = sandbox[0] ? strdup(sandbox) : NULL;
	ifc->mtu = mtu;
}

static void add_ip(struct result *r, const char *addr, const char *gw,
		   int iface)
{
	struct result_ip *ip = &r->ips[r->n_ips++];

	assert_int_equal(ipnet_parse(addr, &ip->addr), 0);
	if (gw)
		assert_int_equal(ipaddr_parse(gw, &ip->gw), 0);
	ip->iface = iface;
}

static void add_route(struct result *r, const char *dst, const char *gw,
		      int mtu, int priority)
{
	struct iproute rt = { .scope = -1, .mtu = mtu, .priority = priority };

	assert_int_equal(ipnet_parse(dst, &rt.dst), 0);
	if (gw)
		assert_int_equal(ipaddr_parse(gw, &rt.gw), 0);
	assert_int_equal(result_add_route(r, &rt), 0);
}

/* The representative dual-stack result the golden files describe. */
static void make_sample(struct result *r)
{
	json_error_t jerr;

	result_init(r);
	add_iface(r, "cni0", "0a:58:0a:01:00:01", "", 1400);
	add_iface(r, "veth1a2b3c4d", "b2:4e:6f:10:22:33", "", 1400);
	add_iface(r, "eth0", "0a:58:0a:01:00:05", "/var/run/netns/x", 1400);
	add_ip(r, "10.1.0.5/24", "10.1.0.1", 2);
	add_ip(r, "fd00:1::5/64", "fd00:1::1", 2);
	add_route(r, "0.0.0.0/0", "10.1.0.1", 0, 0);
	add_route(r, "::/0", "fd00:1::1", 0, 0);
	add_route(r, "192.168.0.0/16", NULL, 1300, 10);
	r->dns = json_loads("{\"nameservers\":[\"10.1.0.53\"]}", 0, &jerr);
	assert_non_null(r->dns);
}

static json_t *load_fixture(const char *name)
{
	char path[512];
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/result/%s", FIXTURES, name);
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
	return j;
}

static void assert_json_eq(json_t *got, json_t *want)
{
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		char *w = json_dumps(want, JSON_SORT_KEYS);

		print_error("got:  %s\nwant: %s\n", g, w);
		free(g);
		free(w);
		fail();
	}
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (!j)
		fail_msg("bad test JSON: %s", jerr.text);
	return j;
}

static void test_encode_golden(void **state)
{
	enum cni_ver ver = *(enum cni_ver *)*state;
	struct result r;
	char name[32];
	json_t *got, *want;
	char *text;

	make_sample(&r);
	snprintf(name, sizeof(name), "v%s.json", cni_ver_str(ver));
	want = load_fixture(name);
	got = result_encode(&r, ver);
	assert_non_null(got);
	assert_json_eq(got, want);
	/* cniVersion leads the printed object, as in every spec example. */
	text = json_dumps(got, JSON_COMPACT);
	assert_non_null(text);
	assert_memory_equal(text, "{\"cniVersion\":", 14);
	free(text);
	json_decref(got);
	json_decref(want);
	result_clear(&r);
}

/* A layer-2 only result: interfaces but no address. */
static void make_l2(struct result *r)
{
	result_init(r);
	add_iface(r, "br0", "", "", 0);
	add_iface(r, "eth0", "0a:58:0a:01:00:05", "/var/run/netns/x", 0);
}

static void test_encode_l2_only_020(void **state)
{
	struct result r;
	json_t *got, *want;

	make_l2(&r);
	got = result_encode(&r, CNI_V020);
	want = parse("{\"cniVersion\":\"0.2.0\",\"dns\":{}}");
	assert_json_eq(got, want);
	json_decref(got);
	json_decref(want);
	result_clear(&r);
}

static void test_encode_l2_only_100(void **state)
{
	struct result r;
	json_t *got, *want;

	make_l2(&r);
	got = result_encode(&r, CNI_V100);
	want = parse("{\"cniVersion\":\"1.0.0\",\"interfaces\":["
		     "{\"name\":\"br0\"},"
		     "{\"name\":\"eth0\",\"mac\":\"0a:58:0a:01:00:05\","
		     "\"sandbox\":\"/var/run/netns/x\"}],\"dns\":{}}");
	assert_json_eq(got, want);
	json_decref(got);
	json_decref(want);
	result_clear(&r);
}

/* Empty result: only cniVersion and dns, for both shapes. */
static void test_encode_empty(void **state)
{
	struct result r;
	json_t *got, *want;

	result_init(&r);
	got = result_encode(&r, CNI_V110);
	want = parse("{\"cniVersion\":\"1.1.0\",\"dns\":{}}");
	assert_json_eq(got, want);
	json_decref(got);
	json_decref(want);
	got = result_encode(&r, CNI_V010);
	want = parse("{\"cniVersion\":\"0.1.0\",\"dns\":{}}");
	assert_json_eq(got, want);
	json_decref(got);
	json_decref(want);
}

/* 0.2.0 keeps only the first address of each family. */
static void test_encode_020_first_address_only(void **state)
{
	struct result r;
	json_t *got, *want;

	result_init(&r);
	add_ip(&r, "10.0.0.2/24", NULL, -1);
	add_ip(&r, "10.0.1.2/24", "10.0.1.1", -1);
	add_route(&r, "::/0", "fd00::1", 0, 0);
	got = result_encode(&r, CNI_V020);
	want = parse("{\"cniVersion\":\"0.2.0\","
		     "\"ip4\":{\"ip\":\"10.0.0.2/24\"},\"dns\":{}}");
	assert_json_eq(got, want);
	json_decref(got);
	json_decref(want);
	result_clear(&r);
}

/* 1.1.0 route extras: table when > 0, scope when >= 0 (0 is universe). */
static void test_encode_110_route_extras(void **state)
{
	struct iproute rt = { .advmss = 1200, .table = 100, .scope = 0 };
	struct result r;
	json_t *got, *want;

	result_init(&r);
	assert_int_equal(ipnet_parse("10.9.0.0/16", &rt.dst), 0);
	assert_int_equal(result_add_route(&r, &rt), 0);
	got = result_encode(&r, CNI_V110);
	want = parse("{\"cniVersion\":\"1.1.0\",\"routes\":[{\"dst\":"
		     "\"10.9.0.0/16\",\"advmss\":1200,\"table\":100,"
		     "\"scope\":0}],\"dns\":{}}");
	assert_json_eq(got, want);
	json_decref(got);
	json_decref(want);
	got = result_encode(&r, CNI_V100);
	want = parse("{\"cniVersion\":\"1.0.0\",\"routes\":[{\"dst\":"
		     "\"10.9.0.0/16\"}],\"dns\":{}}");
	assert_json_eq(got, want);
	json_decref(got);
	json_decref(want);
	result_clear(&r);
}

static void test_encode_error(void **state)
{
	struct cni_err err = { 0 };
	json_t *got, *want;
	char *text;

	cni_err_set(&err, CNI_ERR_CONFIG, 0, "ipam.subnet: bad");
	got = result_encode_error(&err, "1.0.0");
	want = parse("{\"cniVersion\":\"1.0.0\",\"code\":7,"
		     "\"msg\":\"ipam.subnet: bad\"}");
	assert_json_eq(got, want);
	text = json_dumps(got, JSON_COMPACT);
	assert_memory_equal(text, "{\"cniVersion\":", 14);
	free(text);
	json_decref(got);
	json_decref(want);

	cni_err_detail(&err, "more");
	got = result_encode_error(&err, "0.4.0");
	want = parse("{\"cniVersion\":\"0.4.0\",\"code\":7,"
		     "\"msg\":\"ipam.subnet: bad\",\"details\":\"more\"}");
	assert_json_eq(got, want);
	json_decref(got);
	json_decref(want);
}

/* A msg cut inside a multi-byte character must still encode. */
static void test_encode_error_bad_utf8(void **state)
{
	struct cni_err err = { .code = CNI_ERR_IO };
	json_t *got;

	strcpy(err.msg, "bad \xc3");
	strcpy(err.details, "x\xff\xe2\x82\xac\xed\xa0\x80y");
	got = result_encode_error(&err, NULL);
	assert_non_null(got);
	assert_string_equal(json_string_value(json_object_get(got, "msg")),
			    "bad ?");
	assert_string_equal(json_string_value(json_object_get(got, "details")),
			    "x?\xe2\x82\xac???y");
	assert_string_equal(
		json_string_value(json_object_get(got, "cniVersion")),
		cni_ver_str(CNI_VER_LATEST));
	json_decref(got);
}

static void assert_ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	assert_int_equal(a->family, b->family);
	assert_true(ipaddr_eq(a, b));
}

static void assert_route_eq(const struct iproute *got,
			    const struct iproute *want, bool has_extras)
{
	assert_ipaddr_eq(&got->dst.addr, &want->dst.addr);
	assert_int_equal(got->dst.prefixlen, want->dst.prefixlen);
	assert_ipaddr_eq(&got->gw, &want->gw);
	assert_int_equal(got->mtu, has_extras ? want->mtu : 0);
	assert_int_equal(got->priority, has_extras ? want->priority : 0);
	assert_int_equal(got->advmss, 0);
	assert_int_equal(got->table, 0);
	assert_int_equal(got->scope, -1);
}

/* What survives a trip through @ver's encoding. */
static void assert_round_trip(const struct result *in, const struct result *out,
			      enum cni_ver ver)
{
	bool is_legacy = ver <= CNI_V020;
	/* 0.2.0 groups routes by family: ip4's first, then ip6's. */
	static const int legacy_order[] = { 0, 2, 1 };

	assert_int_equal(out->n_ifaces, is_legacy ? 0 : in->n_ifaces);
	for (int i = 0; i < out->n_ifaces; i++) {
		assert_string_equal(out->ifaces[i].name, in->ifaces[i].name);
		assert_string_equal(out->ifaces[i].mac, in->ifaces[i].mac);
		assert_string_equal(out->ifaces[i].sandbox ?: "",
				    in->ifaces[i].sandbox ?: "");
		assert_int_equal(out->ifaces[i].mtu,
				 ver >= CNI_V110 ? in->ifaces[i].mtu : 0);
	}
	assert_int_equal(out->n_ips, in->n_ips);
	for (int i = 0; i < out->n_ips; i++) {
		assert_ipaddr_eq(&out->ips[i].addr.addr, &in->ips[i].addr.addr);
		assert_int_equal(out->ips[i].addr.prefixlen,
				 in->ips[i].addr.prefixlen);
		assert_ipaddr_eq(&out->ips[i].gw, &in->ips[i].gw);
		assert_int_equal(out->ips[i].iface,
				 is_legacy ? -1 : in->ips[i].iface);
	}
	assert_int_equal(out->n_routes, in->n_routes);
	for (int i = 0; i < out->n_routes; i++)
		assert_route_eq(&out->routes[i],
				&in->routes[is_legacy ? legacy_order[i] : i],
				ver >= CNI_V110);
	assert_true(json_equal(out->dns, in->dns));
}

static void test_decode_round_trip(void **state)
{
	enum cni_ver ver = *(enum cni_ver *)*state;
	struct cni_err err = { 0 };
	struct result in, out;
	json_t *j;

	make_sample(&in);
	j = result_encode(&in, ver);
	assert_non_null(j);
	result_init(&out);
	assert_int_equal(result_decode(j, ver, &out, &err), 0);
	assert_int_equal(err.code, 0);
	assert_round_trip(&in, &out, ver);
	json_decref(j);
	result_clear(&in);
	result_clear(&out);
}

/* The golden files themselves decode, with the other version as a hint. */
static void test_decode_golden_any_hint(void **state)
{
	enum cni_ver ver = *(enum cni_ver *)*state;
	enum cni_ver hint = ver <= CNI_V020 ? CNI_V110 : CNI_V010;
	struct cni_err err = { 0 };
	struct result in, out;
	char name[32];
	json_t *j;

	make_sample(&in);
	snprintf(name, sizeof(name), "v%s.json", cni_ver_str(ver));
	j = load_fixture(name);
	result_init(&out);
	assert_int_equal(result_decode(j, hint, &out, &err), 0);
	assert_round_trip(&in, &out, ver);
	json_decref(j);
	result_clear(&in);
	result_clear(&out);
}

/* Decode @text, expect code 7, a msg containing @key, and an empty result. */
static void expect_decode_error(const char *text, const char *key)
{
	struct cni_err err = { 0 };
	struct result out;
	json_t *j = parse(text);
	int r;

	result_init(&out);
	r = result_decode(j, CNI_V100, &out, &err);
	if (r >= 0 || !strstr(err.msg, key))
		fail_msg("%s: r=%d msg=\"%s\", want \"%s\"", text, r, err.msg,
			 key);
	assert_int_equal(err.code, CNI_ERR_CONFIG);
	assert_int_equal(out.n_ifaces, 0);
	assert_int_equal(out.n_ips, 0);
	assert_int_equal(out.n_routes, 0);
	assert_null(out.routes);
	assert_null(out.dns);
	json_decref(j);
}

static void test_decode_wrong_type_ips(void **state)
{
	expect_decode_error("{\"ips\":\"10.0.0.2/24\"}",
			    "prevResult.ips: expected an array");
	expect_decode_error("{\"ips\":[{\"address\":\"10.0.0.2/24\"},"
			    "{\"address\":5}]}",
			    "prevResult.ips[1].address: expected a string");
	expect_decode_error("{\"ips\":[7]}",
			    "prevResult.ips[0]: expected an object");
	expect_decode_error("{\"ips\":[{\"address\":\"10.0.0.2/24\","
			    "\"gateway\":[]}]}",
			    "prevResult.ips[0].gateway: expected a string");
	expect_decode_error("{\"ips\":[{\"gateway\":\"10.0.0.1\"}]}",
			    "prevResult.ips[0].address: missing");
}

static void test_decode_bad_address(void **state)
{
	expect_decode_error("{\"ips\":[{\"address\":\"10.0.0.300/24\"}]}",
			    "prevResult.ips[0].address: invalid prefix");
	expect_decode_error("{\"ips\":[{\"address\":\"10.0.0.2\"}]}",
			    "prevResult.ips[0].address");
	expect_decode_error("{\"ips\":[{\"address\":\"10.0.0.2/33\"}]}",
			    "prevResult.ips[0].address");
	expect_decode_error("{\"ips\":[{\"address\":\"10.0.0.2/24\","
			    "\"gateway\":\"nope\"}]}",
			    "prevResult.ips[0].gateway: invalid address");
	expect_decode_error("{\"routes\":[{\"dst\":\"::/0\",\"gw\":\"::g\"}]}",
			    "prevResult.routes[0].gw");
	expect_decode_error("{\"routes\":[{\"gw\":\"10.0.0.1\"}]}",
			    "prevResult.routes[0].dst: missing");
	expect_decode_error("{\"ip4\":{\"ip\":\"fd00::2/64\"}}",
			    "prevResult.ip4.ip");
	expect_decode_error("{\"ip6\":{\"ip\":\"fd00::2/64\",\"routes\":"
			    "[{\"dst\":\"bad\"}]}}",
			    "prevResult.ip6.routes[0].dst");
}

static void test_decode_iface_out_of_range(void **state)
{
	expect_decode_error("{\"interfaces\":[{\"name\":\"eth0\"}],"
			    "\"ips\":[{\"address\":\"10.0.0.2/24\","
			    "\"interface\":1}]}",
			    "prevResult.ips[0].interface");
	expect_decode_error("{\"ips\":[{\"address\":\"10.0.0.2/24\","
			    "\"interface\":0}]}",
			    "prevResult.ips[0].interface");
	expect_decode_error("{\"interfaces\":[{\"name\":\"eth0\"}],"
			    "\"ips\":[{\"address\":\"10.0.0.2/24\","
			    "\"interface\":-1}]}",
			    "prevResult.ips[0].interface");
	expect_decode_error("{\"interfaces\":[{\"name\":\"eth0\"}],"
			    "\"ips\":[{\"address\":\"10.0.0.2/24\","
			    "\"interface\":\"0\"}]}",
			    "prevResult.ips[0].interface: expected an integer");
}

static void test_decode_not_object(void **state)
{
	expect_decode_error("[]", "prevResult: expected an object");
	expect_decode_error("\"x\"", "prevResult: expected an object");
	expect_decode_error("{\"ip4\":[]}",
			    "prevResult.ip4: expected an object");
	expect_decode_error("{\"dns\":[]}",
			    "prevResult.dns: expected an object");
}

static void test_decode_other_errors(void **state)
{
	expect_decode_error("{\"interfaces\":[{\"name\":"
			    "\"a-very-long-name0\"}]}",
			    "prevResult.interfaces[0].name");
	expect_decode_error("{\"interfaces\":[{\"mac\":\"aa\"}]}",
			    "prevResult.interfaces[0].name: missing");
	expect_decode_error("{\"interfaces\":[{\"name\":\"e\",\"mtu\":-1}]}",
			    "prevResult.interfaces[0].mtu");
	expect_decode_error("{\"ips\":[{\"version\":\"6\","
			    "\"address\":\"10.0.0.2/24\"}]}",
			    "prevResult.ips[0].version");
	expect_decode_error("{\"routes\":[{\"dst\":\"::/0\",\"scope\":256}]}",
			    "prevResult.routes[0].scope");
	expect_decode_error("{\"routes\":[{\"dst\":\"::/0\",\"mtu\":1.5}]}",
			    "prevResult.routes[0].mtu: expected an integer");
	expect_decode_error("{\"dns\":{\"nameservers\":[\"1.1.1.1\",2]}}",
			    "prevResult.dns.nameservers[1]");
	expect_decode_error("{\"dns\":{\"domain\":false}}",
			    "prevResult.dns.domain");
	expect_decode_error("{\"ip4\":{\"ip\":\"10.0.0.2/24\"},"
			    "\"ips\":[]}",
			    "prevResult");
}

static void test_decode_limits(void **state)
{
	char text[2048] = "{\"interfaces\":[";
	size_t len;

	for (int i = 0; i <= RESULT_MAX_IFACES; i++)
		strcat(text, i ? ",{\"name\":\"e\"}" : "{\"name\":\"e\"}");
	strcat(text, "]}");
	expect_decode_error(text, "prevResult.interfaces");

	strcpy(text, "{\"ips\":[");
	for (int i = 0; i <= RESULT_MAX_IPS; i++) {
		len = strlen(text);
		snprintf(text + len, sizeof(text) - len,
			 "%s{\"address\":\"10.0.0.%d/24\"}", i ? "," : "",
			 i + 1);
	}
	strcat(text, "]}");
	expect_decode_error(text, "prevResult.ips");
}

/*
 * A sandbox is held by pointer now, up to the PATH_MAX it always allowed;
 * "" is a host interface's. A failure after one was taken leaks nothing
 * (ASan and valgrind run this too).
 */
static void test_decode_sandbox(void **state)
{
	char *text = malloc(2 * RESULT_SANDBOX_MAX + 256), *p;
	struct cni_err err = { 0 };
	struct result out;
	json_t *j;

	assert_non_null(text);
	p = text + sprintf(text,
			   "{\"interfaces\":[{\"name\":\"h\","
			   "\"sandbox\":\"\"},{\"name\":\"c\",\"sandbox\":\"");
	memset(p, 'x', RESULT_SANDBOX_MAX);
	strcpy(p + RESULT_SANDBOX_MAX, "\"}]}");
	j = parse(text);
	result_init(&out);
	assert_int_equal(result_decode(j, CNI_V100, &out, &err), 0);
	assert_null(out.ifaces[0].sandbox);
	assert_int_equal(strlen(out.ifaces[1].sandbox), RESULT_SANDBOX_MAX);
	json_decref(j);
	result_clear(&out);
	strcpy(p + RESULT_SANDBOX_MAX, "x\"}]}");
	expect_decode_error(
		text, "prevResult.interfaces[1].sandbox: longer than 4095");
	strcpy(p + RESULT_SANDBOX_MAX, "\"},{\"name\":\"d\",\"mtu\":-1}]}");
	expect_decode_error(text, "prevResult.interfaces[2].mtu");
	free(text);
}

/* 1.1.0 extras and null members, unknown keys ignored. */
static void test_decode_extras_and_nulls(void **state)
{
	struct cni_err err = { 0 };
	struct result out;
	json_t *j = parse(
		"{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"eth0\","
		"\"mac\":null,\"mtu\":9000,\"socketPath\":\"/x\"}],"
		"\"ips\":[{\"address\":\"fd00::2/64\",\"interface\":0,"
		"\"gateway\":null}],\"routes\":[{\"dst\":\"10.0.0.0/8\","
		"\"advmss\":1400,\"table\":5,\"scope\":253,\"priority\":1}],"
		"\"dns\":null,\"future\":{\"x\":1}}");

	result_init(&out);
	assert_int_equal(result_decode(j, CNI_V110, &out, &err), 0);
	assert_int_equal(out.n_ifaces, 1);
	assert_string_equal(out.ifaces[0].mac, "");
	assert_int_equal(out.ifaces[0].mtu, 9000);
	assert_int_equal(out.ips[0].addr.addr.family, AF_INET6);
	assert_int_equal(out.ips[0].gw.family, 0);
	assert_int_equal(out.ips[0].iface, 0);
	assert_int_equal(out.n_routes, 1);
	assert_int_equal(out.routes[0].advmss, 1400);
	assert_int_equal(out.routes[0].table, 5);
	assert_int_equal(out.routes[0].scope, 253);
	assert_int_equal(out.routes[0].priority, 1);
	assert_int_equal(out.routes[0].mtu, 0);
	assert_null(out.dns);
	json_decref(j);
	result_clear(&out);
}

/* dns is held by reference: it outlives the document it came from. */
static void test_decode_dns_ref(void **state)
{
	struct cni_err err = { 0 };
	struct result out;
	json_t *j = parse("{\"dns\":{\"domain\":\"example.com\","
			  "\"search\":[\"a\"],\"options\":[\"ndots:2\"]}}");

	result_init(&out);
	assert_int_equal(result_decode(j, CNI_V040, &out, &err), 0);
	json_decref(j);
	assert_non_null(out.dns);
	assert_string_equal(
		json_string_value(json_object_get(out.dns, "domain")),
		"example.com");
	result_clear(&out);
}

static void test_add_route_grows(void **state)
{
	struct result r;

	result_init(&r);
	for (int i = 0; i < 100; i++)
		add_route(&r, "10.0.0.0/8", NULL, i, 0);
	assert_int_equal(r.n_routes, 100);
	assert_int_equal(r.routes[99].mtu, 99);
	result_clear(&r);
	assert_int_equal(r.n_routes, 0);
	assert_null(r.routes);
	result_clear(&r);
}

#define PER_VERSION(f)                                                      \
	cmocka_unit_test_prestate(f, &vers[CNI_V010]),                      \
		cmocka_unit_test_prestate(f, &vers[CNI_V020]),              \
		cmocka_unit_test_prestate(f, &vers[CNI_V030]),              \
		cmocka_unit_test_prestate(f, &vers[CNI_V031]),              \
		cmocka_unit_test_prestate(f, &vers[CNI_V040]),              \
		cmocka_unit_test_prestate(f, &vers[CNI_V100]),              \
		cmocka_unit_test_prestate(f, &vers[CNI_V110])

static void assert_merge(const char *a, const char *b, const char *want)
{
	json_t *ja = a ? json_loads(a, 0, NULL) : NULL;
	json_t *jb = b ? json_loads(b, 0, NULL) : NULL;
	json_t *got = result_dns_merge(ja, jb);
	char *text = got ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) :
			   NULL;

	if (!want)
		assert_null(got);
	else
		assert_string_equal(text ? text : "(null)", want);
	/* The inputs are left as they were. */
	if (ja && a) {
		json_t *again = json_loads(a, 0, NULL);

		assert_true(json_equal(ja, again));
		json_decref(again);
	}
	free(text);
	json_decref(got);
	json_decref(ja);
	json_decref(jb);
}

/* Chaining: an earlier plugin's dns, then what ours adds. */
static void test_dns_merge(void **state)
{
	assert_merge(NULL, NULL, NULL);
	assert_merge("{\"nameservers\":[\"10.0.0.53\"]}", NULL,
		     "{\"nameservers\":[\"10.0.0.53\"]}");
	assert_merge(NULL, "{\"domain\":\"b.test\"}",
		     "{\"domain\":\"b.test\"}");
	assert_merge("{\"nameservers\":[\"10.0.0.53\",\"10.0.0.54\"],"
		     "\"search\":[\"a.test\"],\"domain\":\"a.test\"}",
		     "{\"nameservers\":[\"10.0.0.54\",\"fd00::53\"],"
		     "\"search\":[\"b.test\",\"a.test\"],"
		     "\"options\":[\"ndots:2\"],\"domain\":\"b.test\"}",
		     "{\"domain\":\"a.test\",\"nameservers\":[\"10.0.0.53\","
		     "\"10.0.0.54\",\"fd00::53\"],\"options\":[\"ndots:2\"],"
		     "\"search\":[\"a.test\",\"b.test\"]}");
	/* The first has no domain: the second's is taken. */
	assert_merge("{}", "{\"domain\":\"b.test\"}",
		     "{\"domain\":\"b.test\"}");
	/* A list of another type in the second is not merged. */
	assert_merge("{\"search\":[\"a.test\"]}", "{\"search\":\"b.test\"}",
		     "{\"search\":[\"a.test\"]}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PER_VERSION(test_encode_golden),
		cmocka_unit_test(test_encode_l2_only_020),
		cmocka_unit_test(test_encode_l2_only_100),
		cmocka_unit_test(test_encode_empty),
		cmocka_unit_test(test_encode_020_first_address_only),
		cmocka_unit_test(test_encode_110_route_extras),
		cmocka_unit_test(test_encode_error),
		cmocka_unit_test(test_encode_error_bad_utf8),
		PER_VERSION(test_decode_round_trip),
		PER_VERSION(test_decode_golden_any_hint),
		cmocka_unit_test(test_decode_wrong_type_ips),
		cmocka_unit_test(test_decode_bad_address),
		cmocka_unit_test(test_decode_iface_out_of_range),
		cmocka_unit_test(test_decode_not_object),
		cmocka_unit_test(test_decode_other_errors),
		cmocka_unit_test(test_decode_limits),
		cmocka_unit_test(test_decode_sandbox),
		cmocka_unit_test(test_decode_extras_and_nulls),
		cmocka_unit_test(test_decode_dns_ref),
		cmocka_unit_test(test_add_route_grows),
		cmocka_unit_test(test_dns_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
