// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "brisk/range.h"

static struct ipaddr ip(const char *s)
{
	struct ipaddr a = { 0 };

	if (s)
		assert_int_equal(ipaddr_parse(s, &a), 0);
	return a;
}

static struct ipam_range mkrange(const char *subnet, const char *start,
				 const char *end, const char *gw)
{
	struct ipam_range r = { 0 };

	assert_int_equal(ipnet_parse(subnet, &r.subnet), 0);
	r.start = ip(start);
	r.end = ip(end);
	r.gw = ip(gw);
	return r;
}

static void assert_ip(const struct ipaddr *a, const char *want)
{
	char buf[IPADDR_STRLEN];

	assert_string_equal(ipaddr_fmt(a, buf), want);
}

/* Canonicalise @r expecting failure; returns the message. */
static void assert_canon_fails(struct ipam_range r, const char *msg)
{
	struct cni_err err = { 0 };

	assert_true(range_canonicalize(&r, true, "ipam.ranges[0][1]", &err) <
		    0);
	assert_int_equal(err.code, CNI_ERR_CONFIG);
	assert_string_equal(err.msg, msg);
}

static void test_canon_v4_defaults(void **state)
{
	struct ipam_range r = mkrange("10.0.0.0/24", NULL, NULL, NULL);
	struct cni_err err = { 0 };

	assert_int_equal(range_canonicalize(&r, true, "k", &err), 0);
	assert_ip(&r.start, "10.0.0.1");
	assert_ip(&r.end, "10.0.0.254");
	assert_ip(&r.gw, "10.0.0.1");

	r = mkrange("10.0.0.0/24", NULL, NULL, NULL);
	assert_int_equal(range_canonicalize(&r, false, "k", &err), 0);
	assert_false(ipaddr_is_set(&r.gw));

	r = mkrange("10.0.0.0/24", "10.0.0.10", "10.0.0.20", "10.0.0.254");
	assert_int_equal(range_canonicalize(&r, true, "k", &err), 0);
	assert_ip(&r.start, "10.0.0.10");
	assert_ip(&r.end, "10.0.0.20");
	assert_ip(&r.gw, "10.0.0.254");
	assert_int_equal(err.code, 0);
}

static void test_canon_v6_defaults(void **state)
{
	struct ipam_range r = mkrange("fd00:1::/64", NULL, NULL, NULL);
	struct cni_err err = { 0 };

	assert_int_equal(range_canonicalize(&r, true, "k", &err), 0);
	assert_ip(&r.start, "fd00:1::1");
	/* IPv6 has no broadcast: the last address is usable. */
	assert_ip(&r.end, "fd00:1::ffff:ffff:ffff:ffff");
	assert_ip(&r.gw, "fd00:1::1");
}

static void test_canon_host_bits(void **state)
{
	struct ipam_range r = mkrange("10.0.0.1/24", NULL, NULL, NULL);
	struct cni_err err = { 0 };

	assert_int_equal(range_canonicalize(&r, true, "ipam.ranges[0][1]",
					    &err),
			 -EINVAL);
	assert_int_equal(err.code, CNI_ERR_CONFIG);
	assert_string_equal(err.msg, "ipam.ranges[0][1]: subnet 10.0.0.1/24 "
				     "has host bits set");
	assert_non_null(strstr(err.details, "10.0.0.0/24"));
	assert_canon_fails(mkrange("fd00::1/64", NULL, NULL, NULL),
			   "ipam.ranges[0][1]: subnet fd00::1/64 has host "
			   "bits set");
}

static void test_canon_too_small(void **state)
{
	struct ipam_range r = mkrange("10.0.0.0/30", NULL, NULL, NULL);
	struct cni_err err = { 0 };

	assert_int_equal(range_canonicalize(&r, false, "k", &err), 0);
	assert_ip(&r.start, "10.0.0.1");
	assert_ip(&r.end, "10.0.0.2");
	assert_canon_fails(mkrange("10.0.0.0/31", NULL, NULL, NULL),
			   "ipam.ranges[0][1]: subnet 10.0.0.0/31 is too "
			   "small to allocate from");
	assert_canon_fails(mkrange("10.0.0.0/32", NULL, NULL, NULL),
			   "ipam.ranges[0][1]: subnet 10.0.0.0/32 is too "
			   "small to allocate from");
	assert_canon_fails(mkrange("fd00::/127", NULL, NULL, NULL),
			   "ipam.ranges[0][1]: subnet fd00::/127 is too "
			   "small to allocate from");

	r = mkrange("fd00::/126", NULL, NULL, NULL);
	assert_int_equal(range_canonicalize(&r, false, "k", &err), 0);
	assert_ip(&r.end, "fd00::3");
}

static void test_canon_v4mapped(void **state)
{
	struct ipam_range r = mkrange("::fffe:a00:0/120", NULL, NULL, NULL);
	struct cni_err err = { 0 };

	/* As the reference: a mapped IPv4 subnet is no IPv6 subnet. */
	assert_canon_fails(mkrange("::ffff:10.0.0.0/120", NULL, NULL, NULL),
			   "ipam.ranges[0][1]: subnet ::ffff:10.0.0.0/120 is "
			   "IPv4-mapped IPv6: give the IPv4 subnet");
	assert_canon_fails(mkrange("::ffff:0:0/96", NULL, NULL, NULL),
			   "ipam.ranges[0][1]: subnet ::ffff:0.0.0.0/96 is "
			   "IPv4-mapped IPv6: give the IPv4 subnet");
	/* One bit off the mapped prefix is an ordinary IPv6 subnet. */
	assert_int_equal(range_canonicalize(&r, false, "k", &err), 0);
}

static void test_canon_out_of_subnet(void **state)
{
	assert_canon_fails(mkrange("10.0.0.0/24", "10.0.1.1", NULL, NULL),
			   "ipam.ranges[0][1]: rangeStart 10.0.1.1 is not in "
			   "subnet 10.0.0.0/24");
	assert_canon_fails(mkrange("10.0.0.0/24", NULL, "10.0.1.1", NULL),
			   "ipam.ranges[0][1]: rangeEnd 10.0.1.1 is not in "
			   "subnet 10.0.0.0/24");
	assert_canon_fails(mkrange("10.0.0.0/24", NULL, NULL, "10.0.1.1"),
			   "ipam.ranges[0][1]: gateway 10.0.1.1 is not in "
			   "subnet 10.0.0.0/24");
	assert_canon_fails(mkrange("10.0.0.0/24", "10.0.0.9", "10.0.0.8",
				   NULL),
			   "ipam.ranges[0][1]: rangeStart 10.0.0.9 is after "
			   "rangeEnd 10.0.0.8");
	/* The default end is below an explicit start at the broadcast. */
	assert_canon_fails(mkrange("10.0.0.0/24", "10.0.0.255", NULL, NULL),
			   "ipam.ranges[0][1]: rangeStart 10.0.0.255 is after "
			   "rangeEnd 10.0.0.254");
	assert_canon_fails(mkrange("10.0.0.0/24", NULL, NULL, "fd00::1"),
			   "ipam.ranges[0][1]: gateway fd00::1 is not the same "
			   "family as subnet 10.0.0.0/24");
	assert_canon_fails(mkrange("fd00::/64", "fd00:1::1", NULL, NULL),
			   "ipam.ranges[0][1]: rangeStart fd00:1::1 is not in "
			   "subnet fd00::/64");
}

static void canon_set(struct ipam_rangeset *s)
{
	struct cni_err err = { 0 };

	for (size_t i = 0; i < s->n; i++)
		assert_int_equal(range_canonicalize(&s->r[i], true, "k", &err),
				 0);
}

static void test_rangeset_validate(void **state)
{
	struct ipam_rangeset s = { 0 };
	struct cni_err err = { 0 };

	assert_true(rangeset_validate(&s, "ipam.ranges[0]", &err) < 0);
	assert_int_equal(err.code, CNI_ERR_CONFIG);

	/* Two ranges in one subnet are fine as long as they are disjoint. */
	s.n = 2;
	s.r[0] = mkrange("10.0.0.0/24", "10.0.0.1", "10.0.0.100", NULL);
	s.r[1] = mkrange("10.0.0.0/24", "10.0.0.101", "10.0.0.200", NULL);
	canon_set(&s);
	memset(&err, 0, sizeof(err));
	assert_int_equal(rangeset_validate(&s, "ipam.ranges[0]", &err), 0);

	s.r[1] = mkrange("10.0.0.0/24", "10.0.0.100", "10.0.0.200", NULL);
	canon_set(&s);
	assert_true(rangeset_validate(&s, "ipam.ranges[0]", &err) < 0);
	assert_string_equal(err.msg, "ipam.ranges[0]: ranges 10.0.0.1-10.0.0.100 "
				     "and 10.0.0.100-10.0.0.200 overlap");

	s.r[1] = mkrange("10.0.0.0/16", NULL, NULL, NULL);
	canon_set(&s);
	memset(&err, 0, sizeof(err));
	assert_true(rangeset_validate(&s, "ipam.ranges[0]", &err) < 0);

	s.r[1] = mkrange("fd00::/64", NULL, NULL, NULL);
	canon_set(&s);
	memset(&err, 0, sizeof(err));
	assert_true(rangeset_validate(&s, "ipam.ranges[1]", &err) < 0);
	assert_string_equal(err.msg, "ipam.ranges[1]: mixed address families");
}

static void test_rangeset_overlaps_find(void **state)
{
	struct ipam_rangeset a = { 0 }, b = { 0 }, c = { 0 };
	struct ipaddr x;

	a.n = b.n = c.n = 1;
	a.r[0] = mkrange("10.0.0.0/24", NULL, "10.0.0.100", NULL);
	b.r[0] = mkrange("10.0.0.0/24", "10.0.0.101", NULL, NULL);
	c.r[0] = mkrange("fd00::/64", NULL, NULL, NULL);
	canon_set(&a);
	canon_set(&b);
	canon_set(&c);
	assert_false(rangeset_overlaps(&a, &b));
	assert_false(rangeset_overlaps(&a, &c));
	assert_true(rangeset_overlaps(&a, &a));
	b.r[0].start = ip("10.0.0.100");
	assert_true(rangeset_overlaps(&a, &b));

	x = ip("10.0.0.100");
	assert_int_equal(rangeset_find(&a, &x), 0);
	x = ip("10.0.0.101");
	assert_int_equal(rangeset_find(&a, &x), -1);
	x = ip("10.0.0.0");
	assert_int_equal(rangeset_find(&a, &x), -1);
	x = ip("fd00::5");
	assert_int_equal(rangeset_find(&a, &x), -1);
	assert_int_equal(rangeset_find(&c, &x), 0);
}

/* Run the iterator from @last and compare with the NULL-ended @want. */
static void assert_iter(const struct ipam_rangeset *s, const char *last,
			const char *const *want)
{
	struct rangeset_iter it;
	struct ipaddr l = ip(last), got;
	size_t i = 0;
	int ri = -1;

	rangeset_iter_init(&it, s, last ? &l : NULL);
	while (rangeset_iter_next(&it, &got, &ri)) {
		assert_non_null(want[i]);
		assert_ip(&got, want[i]);
		assert_int_equal(rangeset_find(s, &got), ri);
		i++;
	}
	assert_null(want[i]);
	/* Exhausted stays exhausted. */
	assert_false(rangeset_iter_next(&it, &got, &ri));
}

static void test_iter_single(void **state)
{
	struct ipam_rangeset s = { .n = 1 };

	s.r[0] = mkrange("10.0.0.0/29", NULL, NULL, NULL);
	canon_set(&s); /* .1-.6, gateway .1 */
	assert_iter(&s, NULL,
		    (const char *const[]){ "10.0.0.2", "10.0.0.3", "10.0.0.4",
					   "10.0.0.5", "10.0.0.6", NULL });
	assert_iter(&s, "10.0.0.3",
		    (const char *const[]){ "10.0.0.4", "10.0.0.5", "10.0.0.6",
					   "10.0.0.2", "10.0.0.3", NULL });
	/* Last at the end: wrap to the start, skipping the gateway. */
	assert_iter(&s, "10.0.0.6",
		    (const char *const[]){ "10.0.0.2", "10.0.0.3", "10.0.0.4",
					   "10.0.0.5", "10.0.0.6", NULL });
	/* Last outside the set: from the first range's start. */
	assert_iter(&s, "10.9.9.9",
		    (const char *const[]){ "10.0.0.2", "10.0.0.3", "10.0.0.4",
					   "10.0.0.5", "10.0.0.6", NULL });
	assert_iter(&s, "10.0.0.7",
		    (const char *const[]){ "10.0.0.2", "10.0.0.3", "10.0.0.4",
					   "10.0.0.5", "10.0.0.6", NULL });
}

static void test_iter_gateway_mid_range(void **state)
{
	struct ipam_rangeset s = { .n = 1 };

	s.r[0] = mkrange("10.0.0.0/29", NULL, NULL, "10.0.0.4");
	canon_set(&s);
	assert_iter(&s, "10.0.0.2",
		    (const char *const[]){ "10.0.0.3", "10.0.0.5", "10.0.0.6",
					   "10.0.0.1", "10.0.0.2", NULL });
	/* Starting right after last lands on the gateway: still one cycle. */
	assert_iter(&s, "10.0.0.3",
		    (const char *const[]){ "10.0.0.5", "10.0.0.6", "10.0.0.1",
					   "10.0.0.2", "10.0.0.3", NULL });
}

static void test_iter_multi_range(void **state)
{
	struct ipam_rangeset s = { .n = 3 };
	struct cni_err err = { 0 };

	s.r[0] = mkrange("10.0.0.0/30", NULL, NULL, NULL); /* gw .0.1 */
	s.r[1] = mkrange("10.0.1.0/30", NULL, NULL, NULL);
	s.r[2] = mkrange("10.0.2.0/24", "10.0.2.7", "10.0.2.8", "10.0.2.1");
	canon_set(&s);
	s.r[1].gw.family = 0; /* no gateway in the middle range */
	assert_int_equal(rangeset_validate(&s, "k", &err), 0);
	assert_iter(&s, NULL,
		    (const char *const[]){ "10.0.0.2", "10.0.1.1", "10.0.1.2",
					   "10.0.2.7", "10.0.2.8", NULL });
	assert_iter(&s, "10.0.0.2",
		    (const char *const[]){ "10.0.1.1", "10.0.1.2", "10.0.2.7",
					   "10.0.2.8", "10.0.0.2", NULL });
	assert_iter(&s, "10.0.1.2",
		    (const char *const[]){ "10.0.2.7", "10.0.2.8", "10.0.0.2",
					   "10.0.1.1", "10.0.1.2", NULL });
	/* Wrap from the last range to range 0, whose start is a gateway. */
	assert_iter(&s, "10.0.2.8",
		    (const char *const[]){ "10.0.0.2", "10.0.1.1", "10.0.1.2",
					   "10.0.2.7", "10.0.2.8", NULL });
}

static void test_iter_v6(void **state)
{
	struct ipam_rangeset s = { .n = 1 };

	s.r[0] = mkrange("fd00::/126", NULL, NULL, NULL);
	canon_set(&s); /* ::1-::3, gateway ::1 */
	assert_iter(&s, NULL, (const char *const[]){ "fd00::2", "fd00::3", NULL });
	assert_iter(&s, "fd00::2",
		    (const char *const[]){ "fd00::3", "fd00::2", NULL });
	s.r[0] = mkrange("fd00::/120", "fd00::fe", NULL, NULL);
	canon_set(&s);
	assert_iter(&s, "fd00::ff",
		    (const char *const[]){ "fd00::fe", "fd00::ff", NULL });
}

static void test_iter_one_address(void **state)
{
	struct ipam_rangeset s = { .n = 1 };

	s.r[0] = mkrange("10.0.0.0/24", "10.0.0.9", "10.0.0.9", NULL);
	canon_set(&s);
	assert_iter(&s, NULL, (const char *const[]){ "10.0.0.9", NULL });
	assert_iter(&s, "10.0.0.9", (const char *const[]){ "10.0.0.9", NULL });
	/* Nothing but the gateway: nothing at all. */
	s.r[0] = mkrange("10.0.0.0/24", "10.0.0.1", "10.0.0.1", NULL);
	canon_set(&s);
	assert_iter(&s, NULL, (const char *const[]){ NULL });
	assert_iter(&s, "10.0.0.1", (const char *const[]){ NULL });
}

static void test_iter_full_cycle_unique(void **state)
{
	struct ipam_rangeset s = { .n = 1 };
	uint8_t seen[256] = { 0 };
	struct rangeset_iter it;
	struct ipaddr last = ip("10.0.0.77"), got;
	int count = 0;

	s.r[0] = mkrange("10.0.0.0/24", NULL, NULL, NULL);
	canon_set(&s);
	rangeset_iter_init(&it, &s, &last);
	while (rangeset_iter_next(&it, &got, NULL)) {
		if (count == 0)
			assert_ip(&got, "10.0.0.78");
		assert_int_equal(seen[got.b[3]]++, 0);
		count++;
	}
	assert_int_equal(count, 253); /* .2-.254 */
	assert_int_equal(seen[1], 0);
	assert_int_equal(seen[255], 0);
	assert_ip(&got, "10.0.0.77");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon_v4_defaults),
		cmocka_unit_test(test_canon_v6_defaults),
		cmocka_unit_test(test_canon_host_bits),
		cmocka_unit_test(test_canon_too_small),
		cmocka_unit_test(test_canon_v4mapped),
		cmocka_unit_test(test_canon_out_of_subnet),
		cmocka_unit_test(test_rangeset_validate),
		cmocka_unit_test(test_rangeset_overlaps_find),
		cmocka_unit_test(test_iter_single),
		cmocka_unit_test(test_iter_gateway_mid_range),
		cmocka_unit_test(test_iter_multi_range),
		cmocka_unit_test(test_iter_v6),
		cmocka_unit_test(test_iter_one_address),
		cmocka_unit_test(test_iter_full_cycle_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
