// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "brisk/ipnet.h"

static struct ipaddr ip(const char *s)
{
	struct ipaddr a = { 0 };

	assert_int_equal(ipaddr_parse(s, &a), 0);
	return a;
}

static struct ipnet net(const char *s)
{
	struct ipnet n = { 0 };

	assert_int_equal(ipnet_parse(s, &n), 0);
	return n;
}

/*
 * Compare by value: glibc's inet_ntop writes ::/96 addresses in the old
 * IPv4-compatible form ("::0.1.0.0" for ::1:0), so text is not canonical.
 */
static void assert_ip(const struct ipaddr *a, const char *want)
{
	struct ipaddr w = ip(want);
	char buf[IPADDR_STRLEN];

	if (!ipaddr_eq(a, &w))
		fail_msg("%s != %s", ipaddr_fmt(a, buf), want);
}

static void test_addr_parse_fmt(void **state)
{
	static const char *const ok[] = {
		"0.0.0.0",
		"10.0.0.1",
		"255.255.255.255",
		"::",
		"::1",
		"fd00::1",
		"2001:db8::ff:1",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	static const char *const bad[] = {
		"",	     "1.2.3",	   "1.2.3.4.5", "256.0.0.1",
		"1.2.3.4/8", "a",	   "10.0.0.1 ", " 10.0.0.1",
		":::",	     "fd00::1::2", "g::1",	"1.2.3.-1",
	};
	struct ipaddr a;
	char buf[IPADDR_STRLEN];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		a = ip(ok[i]);
		assert_string_equal(ipaddr_fmt(&a, buf), ok[i]);
	}
	a = ip("10.1.2.3");
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(ipaddr_len(a.family), 4);
	assert_memory_equal(a.b, ((uint8_t[]){ 10, 1, 2, 3 }), 4);
	a = ip("fd00::1");
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(ipaddr_len(a.family), 16);
	assert_int_equal(a.b[0], 0xfd);
	assert_int_equal(a.b[15], 1);
	/* Text is canonicalised on output. */
	a = ip("FD00:0:0:0::0001");
	assert_string_equal(ipaddr_fmt(&a, buf), "fd00::1");
	a = ip("::ffff:1.2.3.4");
	assert_int_equal(a.family, AF_INET6);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ipaddr b = { 0 };

		assert_int_equal(ipaddr_parse(bad[i], &b), -EINVAL);
		assert_int_equal(b.family, 0); /* untouched on failure */
	}
	assert_int_equal(ipaddr_parse(NULL, &a), -EINVAL);

	/* A family-0 address formats as a marker, never garbage. */
	memset(&a, 0, sizeof(a));
	assert_string_equal(ipaddr_fmt(&a, buf), "<none>");
	assert_false(ipaddr_is_set(&a));
	assert_int_equal(ipaddr_len(0), 0);
	assert_int_equal(ipaddr_len(AF_UNIX), 0);
}

static void test_net_parse_fmt(void **state)
{
	static const char *const ok[] = {
		"0.0.0.0/0",   "10.0.0.0/8",	"10.0.0.5/24",
		"1.2.3.4/32",  "::/0",		"fd00::/64",
		"fd00::1/128", "2001:db8::/32", "255.255.255.255/32",
	};
	static const char *const bad[] = {
		"",
		"1.2.3",
		"1.2.3.4",
		"1.2.3.4/33",
		"::/129",
		"a/b",
		"10.0.0.0/",
		"10.0.0.0/-1",
		"10.0.0.0/ 8",
		"10.0.0.0/8 ",
		"/8",
		"10.0.0.0/+8",
		"10.0.0.0/8/8",
		"10.0.0.0/0x8",
		"1.2.3/8",
		"fd00::/",
		"10.0.0.0/99999999999999999999999",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/64",
	};
	struct ipnet n;
	char buf[IPNET_STRLEN];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = net(ok[i]);
		assert_string_equal(ipnet_fmt(&n, buf), ok[i]);
	}
	/* Host bits are kept. */
	n = net("10.0.0.5/24");
	assert_int_equal(n.prefixlen, 24);
	assert_ip(&n.addr, "10.0.0.5");
	n = net("fd00::1/64");
	assert_int_equal(n.addr.family, AF_INET6);
	assert_int_equal(n.prefixlen, 64);
	/* Leading zeros in the length are still a number. */
	n = net("10.0.0.0/08");
	assert_int_equal(n.prefixlen, 8);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ipnet m = { 0 };

		if (ipnet_parse(bad[i], &m) != -EINVAL)
			fail_msg("ipnet_parse accepted \"%s\"", bad[i]);
	}
	assert_int_equal(ipnet_parse(NULL, &n), -EINVAL);

	/* Formatting an empty prefix does not crash. */
	memset(&n, 0, sizeof(n));
	assert_string_equal(ipnet_fmt(&n, buf), "<none>/0");
}

static void test_next_prev(void **state)
{
	struct ipaddr a;

	a = ip("10.0.0.1");
	ipaddr_next(&a);
	assert_ip(&a, "10.0.0.2");
	ipaddr_prev(&a);
	assert_ip(&a, "10.0.0.1");

	/* Carries across bytes. */
	a = ip("10.0.0.255");
	ipaddr_next(&a);
	assert_ip(&a, "10.0.1.0");
	ipaddr_prev(&a);
	assert_ip(&a, "10.0.0.255");
	a = ip("10.255.255.255");
	ipaddr_next(&a);
	assert_ip(&a, "11.0.0.0");
	ipaddr_prev(&a);
	assert_ip(&a, "10.255.255.255");

	/* Wraps within the family. */
	a = ip("255.255.255.255");
	ipaddr_next(&a);
	assert_ip(&a, "0.0.0.0");
	ipaddr_prev(&a);
	assert_ip(&a, "255.255.255.255");

	a = ip("::ffff");
	ipaddr_next(&a);
	assert_ip(&a, "::1:0");
	ipaddr_prev(&a);
	assert_ip(&a, "::ffff");
	a = ip("fd00::ffff:ffff:ffff:ffff");
	ipaddr_next(&a);
	assert_ip(&a, "fd00:0:0:1::");
	a = ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ipaddr_next(&a);
	assert_ip(&a, "::");
	ipaddr_prev(&a);
	assert_ip(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* A v4 step never touches the bytes past the family's length. */
	a = ip("255.255.255.255");
	a.b[4] = 0x77;
	ipaddr_next(&a);
	assert_int_equal(a.b[4], 0x77);
}

struct first_last {
	const char *net;
	const char *first;
	const char *last;
};

static void test_first_last(void **state)
{
	static const struct first_last cases[] = {
		{ "10.1.2.3/0", "0.0.0.0", "255.255.255.255" },
		{ "10.1.2.3/1", "0.0.0.0", "127.255.255.255" },
		{ "200.1.2.3/1", "128.0.0.0", "255.255.255.255" },
		{ "10.1.2.3/24", "10.1.2.0", "10.1.2.255" },
		{ "10.1.2.3/31", "10.1.2.2", "10.1.2.3" },
		{ "10.1.2.3/32", "10.1.2.3", "10.1.2.3" },
		{ "10.1.2.3/20", "10.1.0.0", "10.1.15.255" },
		{ "10.1.2.3/9", "10.0.0.0", "10.127.255.255" },
		{ "fd00::1/0",
		  "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ "fd00::1/1",
		  "8000::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ "fd00:1:2:3:4::1/64",
		  "fd00:1:2:3::", "fd00:1:2:3:ffff:ffff:ffff:ffff" },
		{ "fd00::5/127", "fd00::4", "fd00::5" },
		{ "fd00::5/128", "fd00::5", "fd00::5" },
		{ "fd00::1234/116", "fd00::1000", "fd00::1fff" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipnet n = net(cases[i].net);
		struct ipaddr f, l;

		ipnet_first(&n, &f);
		ipnet_last(&n, &l);
		assert_ip(&f, cases[i].first);
		assert_ip(&l, cases[i].last);
		assert_int_equal(f.family, n.addr.family);
	}
}

static void test_contains(void **state)
{
	struct ipnet n = net("10.0.0.0/24");
	struct ipaddr a;

	a = ip("10.0.0.0");
	assert_true(ipnet_contains(&n, &a));
	a = ip("10.0.0.255");
	assert_true(ipnet_contains(&n, &a));
	a = ip("10.0.1.0");
	assert_false(ipnet_contains(&n, &a));
	a = ip("9.255.255.255");
	assert_false(ipnet_contains(&n, &a));
	/* A prefix with host bits still means its network. */
	n = net("10.0.0.77/24");
	a = ip("10.0.0.1");
	assert_true(ipnet_contains(&n, &a));
	/* Families never mix, even for ::ffff:a.b.c.d. */
	a = ip("::ffff:10.0.0.1");
	assert_false(ipnet_contains(&n, &a));
	n = net("::/0");
	a = ip("10.0.0.1");
	assert_false(ipnet_contains(&n, &a));
	a = ip("fd00::1");
	assert_true(ipnet_contains(&n, &a));
	n = net("0.0.0.0/0");
	a = ip("1.2.3.4");
	assert_true(ipnet_contains(&n, &a));
	n = net("fd00::/64");
	a = ip("fd00::ffff:ffff:ffff:ffff");
	assert_true(ipnet_contains(&n, &a));
	a = ip("fd00:0:0:1::");
	assert_false(ipnet_contains(&n, &a));
	n = net("1.2.3.4/32");
	a = ip("1.2.3.4");
	assert_true(ipnet_contains(&n, &a));
	a = ip("1.2.3.5");
	assert_false(ipnet_contains(&n, &a));
}

static void test_is_network_is_default(void **state)
{
	struct ipnet n;

	n = net("10.0.0.0/24");
	assert_true(ipnet_is_network(&n));
	n = net("10.0.0.1/24");
	assert_false(ipnet_is_network(&n));
	n = net("10.0.0.128/25");
	assert_true(ipnet_is_network(&n));
	n = net("10.0.0.128/24");
	assert_false(ipnet_is_network(&n));
	n = net("10.0.0.1/32");
	assert_true(ipnet_is_network(&n));
	n = net("0.0.0.0/0");
	assert_true(ipnet_is_network(&n));
	n = net("1.0.0.0/0");
	assert_false(ipnet_is_network(&n));
	n = net("fd00::/64");
	assert_true(ipnet_is_network(&n));
	n = net("fd00::1/64");
	assert_false(ipnet_is_network(&n));
	n = net("fd00::1/128");
	assert_true(ipnet_is_network(&n));

	n = net("0.0.0.0/0");
	assert_true(ipnet_is_default(&n));
	n = net("::/0");
	assert_true(ipnet_is_default(&n));
	n = net("0.0.0.0/1");
	assert_false(ipnet_is_default(&n));
	n = net("::/1");
	assert_false(ipnet_is_default(&n));
	n = net("10.0.0.0/8");
	assert_false(ipnet_is_default(&n));
	memset(&n, 0, sizeof(n));
	assert_false(ipnet_is_default(&n)); /* family 0 is "none" */
}

static void test_eq_cmp(void **state)
{
	struct ipaddr a, b;

	a = ip("10.0.0.1");
	b = ip("10.0.0.1");
	assert_true(ipaddr_eq(&a, &b));
	assert_int_equal(ipaddr_cmp(&a, &b), 0);
	b = ip("10.0.0.2");
	assert_false(ipaddr_eq(&a, &b));
	assert_true(ipaddr_cmp(&a, &b) < 0);
	assert_true(ipaddr_cmp(&b, &a) > 0);
	/* Big-endian: the high byte decides. */
	a = ip("9.255.255.255");
	b = ip("10.0.0.0");
	assert_true(ipaddr_cmp(&a, &b) < 0);
	a = ip("10.0.1.0");
	b = ip("10.0.0.255");
	assert_true(ipaddr_cmp(&a, &b) > 0);
	a = ip("fd00::1:0");
	b = ip("fd00::ffff");
	assert_true(ipaddr_cmp(&a, &b) > 0);
	assert_true(ipaddr_cmp(&b, &a) < 0);

	/* Different families are never equal and order consistently. */
	a = ip("0.0.0.0");
	b = ip("::");
	assert_false(ipaddr_eq(&a, &b));
	assert_true(ipaddr_cmp(&a, &b) != 0);
	assert_true((ipaddr_cmp(&a, &b) < 0) == (ipaddr_cmp(&b, &a) > 0));
	/* ::ffff:1.2.3.4 is not 1.2.3.4. */
	a = ip("1.2.3.4");
	b = ip("::ffff:1.2.3.4");
	assert_false(ipaddr_eq(&a, &b));

	/* Bytes past a v4 address do not matter. */
	a = ip("10.0.0.1");
	b = ip("10.0.0.1");
	b.b[10] = 0xee;
	assert_true(ipaddr_eq(&a, &b));
	assert_int_equal(ipaddr_cmp(&a, &b), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse_fmt),
		cmocka_unit_test(test_net_parse_fmt),
		cmocka_unit_test(test_next_prev),
		cmocka_unit_test(test_first_last),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_is_network_is_default),
		cmocka_unit_test(test_eq_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
