// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "brisk/err.h"

static void test_set_returns_neg_errno(void **state)
{
	struct cni_err err = { 0 };

	assert_false(cni_err_is_set(&err));
	assert_int_equal(cni_err_set(&err, CNI_ERR_CONFIG, ENOENT, "key %s: %d",
				     "mtu", 42),
			 -ENOENT);
	assert_true(cni_err_is_set(&err));
	assert_int_equal(err.code, CNI_ERR_CONFIG);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_string_equal(err.msg, "key mtu: 42");
	/* details carry strerror of the errno. */
	assert_string_equal(err.details, strerror(ENOENT));
}

static void test_set_zero_errno_is_einval(void **state)
{
	struct cni_err err = { 0 };

	assert_int_equal(cni_err_set(&err, CNI_ERR_VERSION, 0, "v"), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_VERSION);
	assert_int_equal(err.sys_errno, 0);
	assert_string_equal(err.msg, "v");
	/* No errno, no strerror text. */
	assert_string_equal(err.details, "");
}

static void test_set_null_err(void **state)
{
	/* A caller without an error object still gets the return value. */
	assert_int_equal(cni_err_set(NULL, CNI_ERR_IO, EIO, "x"), -EIO);
	assert_int_equal(cni_err_set(NULL, CNI_ERR_IO, 0, "x"), -EINVAL);
}

static void test_first_error_wins(void **state)
{
	struct cni_err err = { 0 };

	cni_err_set(&err, CNI_ERR_CONFIG, EINVAL, "first");
	cni_err_detail(&err, "context one");
	/* The second still returns its own errno, but changes nothing. */
	assert_int_equal(cni_err_set(&err, CNI_ERR_IO, EIO, "second"), -EIO);
	assert_int_equal(err.code, CNI_ERR_CONFIG);
	assert_int_equal(err.sys_errno, EINVAL);
	assert_string_equal(err.msg, "first");
	assert_non_null(strstr(err.details, "context one"));
	assert_null(strstr(err.details, strerror(EIO)));
}

static void test_detail_appends(void **state)
{
	struct cni_err err = { 0 };
	char want[256];

	/* On empty details: no leading separator. */
	cni_err_set(&err, CNI_ERR_CONFIG, 0, "m");
	cni_err_detail(&err, "a=%d", 1);
	assert_string_equal(err.details, "a=1");
	cni_err_detail(&err, "b=%s", "two");
	assert_string_equal(err.details, "a=1; b=two");

	memset(&err, 0, sizeof(err));
	cni_err_set(&err, CNI_ERR_IO, EACCES, "m");
	cni_err_detail(&err, "path %s", "/x");
	snprintf(want, sizeof(want), "%s; path /x", strerror(EACCES));
	assert_string_equal(err.details, want);
	/* The msg is untouched by details. */
	assert_string_equal(err.msg, "m");
}

static void test_detail_bounded(void **state)
{
	struct cni_err err = { 0 };
	char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cni_err_set(&err, CNI_ERR_CONFIG, 0, "m");
	cni_err_detail(&err, "%s", big);
	assert_int_equal(strlen(err.details), sizeof(err.details) - 1);
	/* Further appends on a full buffer are dropped, still terminated. */
	for (int i = 0; i < 5; i++)
		cni_err_detail(&err, "more %d", i);
	assert_int_equal(strlen(err.details), sizeof(err.details) - 1);
	assert_null(strstr(err.details, "more"));

	/* Just short of full: the separator and a cut piece fit. */
	memset(&err, 0, sizeof(err));
	cni_err_set(&err, CNI_ERR_CONFIG, 0, "m");
	big[sizeof(err.details) - 5] = '\0'; /* 1019 chars */
	cni_err_detail(&err, "%s", big);
	cni_err_detail(&err, "tail");
	assert_int_equal(strlen(err.details), sizeof(err.details) - 1);
	assert_memory_equal(err.details + sizeof(err.details) - 5, "; t", 3);
}

static void test_wrap_prefixes(void **state)
{
	struct cni_err err = { 0 };

	cni_err_set(&err, CNI_ERR_IO, EPERM, "open failed");
	cni_err_wrap(&err, "lease %s", "10.0.0.2");
	assert_string_equal(err.msg, "lease 10.0.0.2: open failed");
	/* code, errno and details are kept. */
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_int_equal(err.sys_errno, EPERM);
	assert_string_equal(err.details, strerror(EPERM));
	cni_err_wrap(&err, "ipam");
	assert_string_equal(err.msg, "ipam: lease 10.0.0.2: open failed");
}

static void test_wrap_bounded(void **state)
{
	struct cni_err err = { 0 };
	char big[400];

	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

	/* A very long prefix: msg is cut, terminated, starts with it. */
	cni_err_set(&err, CNI_ERR_CONFIG, 0, "old");
	cni_err_wrap(&err, "%s", big);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_int_equal(err.msg[0], 'p');
	assert_null(strstr(err.msg, "old"));

	/* A long old message and a short prefix: the old text is cut. */
	memset(&err, 0, sizeof(err));
	big[200] = '\0';
	big[0] = 'o';
	cni_err_set(&err, CNI_ERR_CONFIG, 0, "%s", big);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	cni_err_wrap(&err, "ctx");
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_memory_equal(err.msg, "ctx: op", 7);

	/* A prefix exactly filling msg leaves no room, still terminated. */
	memset(&err, 0, sizeof(err));
	memset(big, 'q', sizeof(big));
	big[sizeof(err.msg) - 3] = '\0'; /* prefix + ": " is 127 bytes */
	cni_err_set(&err, CNI_ERR_CONFIG, 0, "old");
	cni_err_wrap(&err, "%s", big);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_memory_equal(err.msg + sizeof(err.msg) - 3, ": ", 2);

	/* Wrapping many times never overflows. */
	for (int i = 0; i < 100; i++)
		cni_err_wrap(&err, "level %d", i);
	assert_true(strlen(err.msg) < sizeof(err.msg));
	assert_memory_equal(err.msg, "level 99: level 98: ", 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_returns_neg_errno),
		cmocka_unit_test(test_set_zero_errno_is_einval),
		cmocka_unit_test(test_set_null_err),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_detail_appends),
		cmocka_unit_test(test_detail_bounded),
		cmocka_unit_test(test_wrap_prefixes),
		cmocka_unit_test(test_wrap_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
