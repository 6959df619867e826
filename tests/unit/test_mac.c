// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>

#include "brisk/mac.h"

static void test_fmt_parse(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0xab, 0xcd, 0xef, 0x09 };
	uint8_t out[6];
	char buf[MAC_STRLEN];

	mac_fmt(mac, buf);
	assert_string_equal(buf, "02:00:ab:cd:ef:09");
	memset(out, 0, sizeof(out));
	assert_int_equal(mac_parse(buf, out), 0);
	assert_memory_equal(out, mac, 6);
	assert_int_equal(mac_parse("FF:FF:FF:FF:FF:FF", out), 0);
	assert_memory_equal(
		out, ((uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }), 6);
	mac_fmt((uint8_t[]){ 0, 0, 0, 0, 0, 0 }, buf);
	assert_string_equal(buf, "00:00:00:00:00:00");
}

/* The other forms Go's net.ParseMAC takes for six bytes. */
static void test_parse_go_forms(void **state)
{
	static const char *const good[] = { "0A-bb-CC-dd-EE-f0",
					    "0abb.ccDD.eef0",
					    "0a:BB:cc:dd:ee:F0" };
	static const uint8_t want[6] = { 0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xf0 };
	uint8_t out[6];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(out, 0, sizeof(out));
		if (mac_parse(good[i], out) != 0 || memcmp(out, want, 6) != 0)
			fail_msg("mac_parse(\"%s\") wrong", good[i]);
	}
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"aa:bb:cc:dd:ee",
		"aa:bb:cc:dd:ee:",
		"aa:bb:cc:dd:ee:ff:00",
		"aa:bb:cc:dd:ee:gg",
		"aa-bb:cc-dd-ee-ff",
		"aa.bb.cc.dd.ee.ff",
		"aabbccddeeff",
		"aabb.ccdd.eef",
		"aabb:ccdd:eeff",
		"aa:bb:cc:dd:ee:ff ",
		"aa:bb:cc:dd:ee:ff\n",
		"aaa:bb:cc:dd:ee:ff",
		"aa::bb:cc:dd:ee:ff",
		"zz:bb:cc:dd:ee:ff",
	};
	static const uint8_t untouched[6] = {
		0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a
	};
	uint8_t out[6];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 0x5a, sizeof(out));
		if (mac_parse(bad[i], out) != -EINVAL ||
		    memcmp(out, untouched, 6) != 0)
			fail_msg("mac_parse accepted \"%s\"", bad[i]);
	}
}

/*
 * No signs, spaces or one-digit groups (sscanf took "-1:00:00:00:00:00" as
 * ff:00:... once).
 */
static void test_parse_strict(void **state)
{
	static const char *const lax[] = {
		"a:b:c:d:e:f",	     " aa:bb:cc:dd:ee:ff", "aa: bb:cc:dd:ee:ff",
		"-1:00:00:00:00:00", "+a:bb:cc:dd:ee:ff",  "aa:bb:cc:dd:ee:f",
		"-abb.ccdd.eeff",    "+1-bb-cc-dd-ee-ff",
	};
	uint8_t out[6];

	for (size_t i = 0; i < sizeof(lax) / sizeof(lax[0]); i++)
		if (mac_parse(lax[i], out) == 0)
			fail_msg("mac_parse accepted \"%s\"", lax[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_parse),
		cmocka_unit_test(test_parse_go_forms),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
