// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "brisk/resolv.h"

static void assert_dns(const char *text, const char *want)
{
	json_t *got = resolv_parse(text, strlen(text));
	json_t *exp = json_loads(want, 0, NULL);

	assert_non_null(got);
	assert_non_null(exp);
	if (!json_equal(got, exp)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

		fail_msg("parsed %s, expected %s", g, want);
	}
	json_decref(got);
	json_decref(exp);
}

static void test_full(void **state)
{
	assert_dns("# a comment\n"
		   "nameserver 10.0.0.53\n"
		   "nameserver fd00::53 ignored-extra\n"
		   "domain example.com\n"
		   "search a.example b.example\n"
		   "search c.example\n"
		   "options ndots:5 timeout:1\n"
		   "; another comment\n",
		   "{\"nameservers\":[\"10.0.0.53\",\"fd00::53\"],"
		   "\"domain\":\"example.com\","
		   "\"search\":[\"a.example\",\"b.example\",\"c.example\"],"
		   "\"options\":[\"ndots:5\",\"timeout:1\"]}");
}

static void test_odd_lines(void **state)
{
	/* Keys alone, unknown keys, tabs, CRLF and no final newline. */
	assert_dns("nameserver\nsortlist 1.2.3.4\n\tnameserver\t10.1.1.1\r\n"
		   "domain", "{\"nameservers\":[\"10.1.1.1\"]}");
	assert_dns("", "{}");
	assert_dns("\n\n\n", "{}");
}

static void test_caps(void **state)
{
	char *big = malloc(RESOLV_MAX_BYTES * 2);
	size_t len = 0;
	json_t *dns;

	assert_non_null(big);
	while (len + 20 < RESOLV_MAX_BYTES * 2)
		len += (size_t)sprintf(big + len, "nameserver 10.0.0.%zu\n",
				       len % 250);
	dns = resolv_parse(big, len);
	assert_non_null(dns);
	assert_int_equal(json_array_size(json_object_get(dns, "nameservers")),
			 RESOLV_MAX_ITEMS);
	json_decref(dns);
	free(big);
}

static void test_read(void **state)
{
	char path[] = "/tmp/brisk-resolv-XXXXXX";
	struct cni_err err = { 0 };
	json_t *dns = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "nameserver 1.1.1.1\n", 19), 19);
	close(fd);
	assert_int_equal(resolv_read(path, &dns, &err), 0);
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(dns, "nameservers"), 0)),
			    "1.1.1.1");
	json_decref(dns);
	unlink(path);
	assert_true(resolv_read(path, &dns, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_non_null(strstr(err.msg, "resolvConf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_odd_lines),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
