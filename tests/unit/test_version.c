// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "brisk/version.h"

static void test_parse_every_supported(void **state)
{
	static const char *const names[] = { "0.1.0", "0.2.0", "0.3.0",
					     "0.3.1", "0.4.0", "1.0.0",
					     "1.1.0" };

	assert_int_equal(CNI_V_COUNT, sizeof(names) / sizeof(names[0]));
	for (int i = 0; i < CNI_V_COUNT; i++) {
		struct cni_err err = { 0 };
		enum cni_ver v = CNI_V_COUNT;

		assert_int_equal(cni_ver_parse(names[i], &v, &err), 0);
		assert_int_equal(v, i);
		assert_int_equal(err.code, 0);
		assert_string_equal(cni_ver_str(v), names[i]);
	}
	assert_int_equal(CNI_VER_LATEST, CNI_V110);
}

/* Old configs omitted cniVersion; they mean 0.1.0. */
static void test_parse_empty_is_010(void **state)
{
	struct cni_err err = { 0 };
	enum cni_ver v = CNI_V110;

	assert_int_equal(cni_ver_parse("", &v, &err), 0);
	assert_int_equal(v, CNI_V010);
	v = CNI_V110;
	assert_int_equal(cni_ver_parse(NULL, &v, &err), 0);
	assert_int_equal(v, CNI_V010);
	assert_int_equal(err.code, 0);
}

static void test_parse_unknown(void **state)
{
	struct cni_err err = { 0 };
	enum cni_ver v = CNI_V040;

	assert_int_equal(cni_ver_parse("9.9.9", &v, &err), -EINVAL);
	assert_int_equal(v, CNI_V040);
	assert_int_equal(err.code, CNI_ERR_VERSION);
	assert_string_equal(err.msg, "unsupported cniVersion \"9.9.9\"");
	assert_string_equal(err.details,
			    "supported versions: [\"0.1.0\",\"0.2.0\","
			    "\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\","
			    "\"1.1.0\"]");
}

static void test_parse_garbage(void **state)
{
	static const char *const bad[] = { "1.0",	"1",	  "v1.0.0",
					   "1.0.0 ",	" 1.0.0", "1.0.0.0",
					   "0.3.1\n",	"abc",	  "1.1.0x" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cni_err err = { 0 };
		enum cni_ver v;

		assert_true(cni_ver_parse(bad[i], &v, &err) < 0);
		assert_int_equal(err.code, CNI_ERR_VERSION);
		assert_non_null(strstr(err.msg, "unsupported cniVersion"));
		assert_non_null(strstr(err.details, cni_ver_list_json()));
	}
}

/* A long value is cut in msg rather than overflowing it. */
static void test_parse_long_value(void **state)
{
	struct cni_err err = { 0 };
	char big[600];
	enum cni_ver v;

	memset(big, '7', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_true(cni_ver_parse(big, &v, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_VERSION);
	assert_true(strlen(err.msg) < sizeof(err.msg));
	assert_non_null(strstr(err.msg, "\"7777"));
}

/* The first error wins: an earlier one is neither replaced nor decorated. */
static void test_parse_keeps_first_error(void **state)
{
	struct cni_err err = { .code = CNI_ERR_CONFIG };
	enum cni_ver v;

	strcpy(err.msg, "first");
	assert_true(cni_ver_parse("2.0.0", &v, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_CONFIG);
	assert_string_equal(err.msg, "first");
	assert_string_equal(err.details, "");
}

static void test_list_json_matches_table(void **state)
{
	json_error_t jerr;
	json_t *list = json_loads(cni_ver_list_json(), 0, &jerr);

	assert_non_null(list);
	assert_true(json_is_array(list));
	assert_int_equal(json_array_size(list), CNI_V_COUNT);
	for (int i = 0; i < CNI_V_COUNT; i++)
		assert_string_equal(json_string_value(json_array_get(list, i)),
				    cni_ver_str(i));
	json_decref(list);
}

static void test_str_out_of_range(void **state)
{
	assert_string_equal(cni_ver_str(CNI_V_COUNT), "");
	assert_string_equal(cni_ver_str((enum cni_ver)-1), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_every_supported),
		cmocka_unit_test(test_parse_empty_is_010),
		cmocka_unit_test(test_parse_unknown),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_parse_long_value),
		cmocka_unit_test(test_parse_keeps_first_error),
		cmocka_unit_test(test_list_json_matches_table),
		cmocka_unit_test(test_str_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
