// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/if_bridge.h>

#include "../../src/plugin/port.h"

#define NATIVE (BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED)

/* A config of the keys that matter here, parsed as brisk does. */
static struct netconf *conf(const char *extra)
{
	struct netconf *c = calloc(1, sizeof(*c));
	struct cni_err err = { 0 };
	char json[512];

	assert_non_null(c);
	snprintf(
		json, sizeof(json),
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\"%s}",
		extra);
	if (netconf_parse(json, strlen(json), NULL, c, &err) < 0)
		fail_msg("%s: %s", json, err.msg);
	return c;
}

static void conf_free(struct netconf *c)
{
	netconf_free(c);
	free(c);
}

/* The plan as text: "vid[-end]/flags ..." (flags: N native, T tagged). */
static void assert_plan(const char *extra, const char *want)
{
	struct bport_vlan v[PORT_VLAN_MAX];
	struct netconf *c = conf(extra);
	struct port_spec p;
	char buf[256] = "";
	size_t n, len = 0;

	port_spec_from_conf(c, &p);
	n = port_vlan_plan(&p, v, PORT_VLAN_MAX);
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d",
					i ? " " : "", v[i].vid);
		if (v[i].vid_end != v[i].vid)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"-%d", v[i].vid_end);
		assert_true(v[i].flags == NATIVE || v[i].flags == 0);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "/%c",
					v[i].flags ? 'N' : 'T');
	}
	assert_string_equal(buf, want);
	conf_free(c);
}

static void test_plan(void **state)
{
	assert_plan("", "");
	assert_plan(",\"vlan\":100", "100/N");
	/* The native VLAN first, then the trunk, runs as ranges. */
	assert_plan(",\"vlan\":100,\"vlanTrunk\":[{\"id\":5},{\"minID\":7,"
		    "\"maxID\":9},{\"id\":10},{\"id\":4094}]",
		    "100/N 5/T 7-10/T 4094/T");
	/* A trunk without vlan keeps 1 native, after the trunk, as the reference. */
	assert_plan(",\"vlanTrunk\":[{\"minID\":1,\"maxID\":3}]", "1-3/T 1/N");
	assert_plan(",\"vlanTrunk\":[{\"id\":200}]", "200/T 1/N");
	/* An empty trunk: nothing on the port (filtering only). */
	assert_plan(",\"vlanTrunk\":[]", "");
	/* The whole space is one range. */
	assert_plan(",\"vlan\":1,\"vlanTrunk\":[{\"minID\":2,\"maxID\":4094}]",
		    "1/N 2-4094/T");
}

static void test_plan_bounded(void **state)
{
	struct netconf *c = conf(
		",\"vlan\":3,\"vlanTrunk\":[{\"id\":5},{\"id\":7},{\"id\":9}]");
	struct bport_vlan v[2];
	struct port_spec p;

	port_spec_from_conf(c, &p);
	assert_int_equal(port_vlan_plan(&p, v, 2), 2);
	assert_int_equal(v[0].vid, 3);
	assert_int_equal(v[1].vid, 5);
	conf_free(c);
}

/* The expected table as text: "vid:flags" for every present VLAN. */
static void assert_expect(const char *extra, int default_pvid, const char *want)
{
	static uint16_t t[VLAN_ID_MAX + 1];
	struct netconf *c = conf(extra);
	struct port_spec p;
	char buf[256] = "";
	size_t len = 0;

	port_spec_from_conf(c, &p);
	port_vlan_expect(&p, default_pvid, t);
	for (int v = 0; v <= VLAN_ID_MAX; v++) {
		if (!t[v])
			continue;
		assert_true(t[v] & PORT_VID_PRESENT);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"%s%d:%s%s", len ? " " : "", v,
					t[v] & BRIDGE_VLAN_INFO_PVID ? "P" : "",
					t[v] & BRIDGE_VLAN_INFO_UNTAGGED ? "U" :
									   "T");
	}
	assert_string_equal(buf, want);
	conf_free(c);
}

static void test_expect(void **state)
{
	/* No VLAN keys: the port keeps the bridge's default. */
	assert_expect("", 1, "1:PU");
	assert_expect("", 0, "");
	/* The default goes, the native comes. */
	assert_expect(",\"vlan\":100", 1, "100:PU");
	assert_expect(",\"vlan\":100", -1, "100:PU");
	/* Preserved: still there, untagged, but no longer the PVID. */
	assert_expect(",\"vlan\":100,\"preserveDefaultVlan\":true", 1,
		      "1:U 100:PU");
	assert_expect(",\"vlan\":100,\"preserveDefaultVlan\":true", 5,
		      "5:U 100:PU");
	/* The default as the native: one entry. */
	assert_expect(",\"vlan\":1,\"preserveDefaultVlan\":true", 1, "1:PU");
	/* A trunk over the preserved default tags it, as the kernel would. */
	assert_expect(",\"vlan\":9,\"preserveDefaultVlan\":true,"
		      "\"vlanTrunk\":[{\"minID\":1,\"maxID\":2}]",
		      1, "1:T 2:T 9:PU");
	/* A trunk without vlan: 1 native again after the trunk's 1. */
	assert_expect(",\"vlanTrunk\":[{\"minID\":1,\"maxID\":2}]", 1,
		      "1:PU 2:T");
	/* An empty trunk: filtering on, the default kept. */
	assert_expect(",\"vlanTrunk\":[]", 1, "1:PU");
}

static void test_table(void **state)
{
	static uint16_t t[VLAN_ID_MAX + 1];
	static const struct bport_vlan v[] = {
		{ 10, 10, NATIVE },
		{ 20, 22, 0 },
		{ 4094, 4094, BRIDGE_VLAN_INFO_UNTAGGED },
	};
	struct bport_vlan bad = { 0, 3, 0 };

	assert_int_equal(port_vlan_table(v, 3, t), 0);
	assert_int_equal(t[10], PORT_VID_PRESENT | NATIVE);
	for (int i = 20; i <= 22; i++)
		assert_int_equal(t[i], PORT_VID_PRESENT);
	assert_int_equal(t[23], 0);
	assert_int_equal(t[4094], PORT_VID_PRESENT | BRIDGE_VLAN_INFO_UNTAGGED);
	assert_int_equal(port_vlan_table(&bad, 1, t), -EINVAL);
	bad = (struct bport_vlan){ 4000, 4095, 0 };
	assert_int_equal(port_vlan_table(&bad, 1, t), -EINVAL);
	bad = (struct bport_vlan){ 9, 8, 0 };
	assert_int_equal(port_vlan_table(&bad, 1, t), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_bounded),
		cmocka_unit_test(test_expect),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
