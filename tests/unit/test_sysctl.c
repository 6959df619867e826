// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "brisk/sysctl.h"

static void test_set_if(void **state)
{
	struct sysctl_set s;

	sysctl_set_if(&s, 6, "br0.100", "accept_ra", "0", true);
	/* "/" separators: the dot of a VLAN name stays part of the name. */
	assert_string_equal(s.path, "net/ipv6/conf/br0.100/accept_ra");
	assert_string_equal(s.value, "0");
	assert_true(s.is_best_effort);
	sysctl_set_if(&s, 4, "eth0", "arp_notify", "1", false);
	assert_string_equal(s.path, "net/ipv4/conf/eth0/arp_notify");
	assert_false(s.is_best_effort);
	/* The longest name and key fit. */
	sysctl_set_if(&s, 6, "0123456789abcde", "keep_addr_on_down", "1",
		      false);
	assert_string_equal(s.path,
			    "net/ipv6/conf/0123456789abcde/keep_addr_on_down");
}

/* No root needed: a missing file is skipped, a read-only one refused. */
static void test_apply(void **state)
{
	struct sysctl_set s[2];
	struct cni_err err = { 0 };

	sysctl_set_if(&s[0], 6, "no-such-if0", "accept_ra", "0", false);
	assert_int_equal(sysctl_apply(s, 1, &err), 0);
	assert_int_equal(err.code, 0);

	/* kernel/version is 0444 even for root. */
	strcpy(s[1].path, "kernel/version");
	s[1].value = "x";
	s[1].is_best_effort = true;
	assert_int_equal(sysctl_apply(s, 2, &err), 0);
	assert_int_equal(err.code, 0);
	s[1].is_best_effort = false;
	assert_true(sysctl_apply(s, 2, &err) < 0);
	assert_int_not_equal(err.code, 0);
	assert_non_null(strstr(err.msg, "kernel/version"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_if),
		cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
