// SPDX-License-Identifier: Apache-2.0
/* The operator commands' one argument parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "brisk/cleanup.h"
#include "brisk/cli.h"

enum {
	O_DIR,
	O_NET,
	O_JSON
};

static const struct cli_opt opts[] = {
	[O_DIR] = { "data-dir", true },
	[O_NET] = { "network", true },
	[O_JSON] = { "json", false },
};

static const struct cli_spec spec = {
	.cmd = "leases",
	.usage = "usage\n",
	.opts = opts,
	.n_opts = ARRAY_SIZE(opts),
	.max_pos = 1,
};

#define ARGV(...) ((char *[]){ "leases", __VA_ARGS__, NULL })
#define ARGC(...) \
	((int)(sizeof((char *[]){ "leases", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(a, m, ...)                                                 \
	cli_parse(&spec, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (a), (m), \
		  sizeof(m))

static void test_empty(void **state)
{
	struct cli_args a;
	char msg[128];
	char *argv[] = { "leases", NULL };

	assert_int_equal(cli_parse(&spec, 1, argv, &a, msg, sizeof(msg)),
			 CLI_OK);
	for (size_t i = 0; i < CLI_MAX_OPTS; i++)
		assert_null(a.val[i]);
	assert_int_equal(a.n_pos, 0);
	assert_false(a.help);
	assert_string_equal(msg, "");
}

static void test_values(void **state)
{
	struct cli_args a;
	char msg[128];

	assert_int_equal(PARSE(&a, msg, "--data-dir", "/d", "--network=n",
			       "--json"),
			 CLI_OK);
	assert_string_equal(a.val[O_DIR], "/d");
	assert_string_equal(a.val[O_NET], "n");
	assert_string_equal(a.val[O_JSON], "");
	/* "=" with nothing after it is an empty value, left to the command. */
	assert_int_equal(PARSE(&a, msg, "--network="), CLI_OK);
	assert_string_equal(a.val[O_NET], "");
	/* A value may look like an option: it is taken as the value. */
	assert_int_equal(PARSE(&a, msg, "--network", "--json"), CLI_OK);
	assert_string_equal(a.val[O_NET], "--json");
	assert_null(a.val[O_JSON]);
}

static void test_positionals(void **state)
{
	struct cli_args a;
	char msg[128];

	assert_int_equal(PARSE(&a, msg, "file.conf", "--json"), CLI_OK);
	assert_int_equal(a.n_pos, 1);
	assert_string_equal(a.pos[0], "file.conf");
	assert_non_null(a.val[O_JSON]);
	/* "-" is stdin, an argument; after "--" everything is one. */
	assert_int_equal(PARSE(&a, msg, "-"), CLI_OK);
	assert_string_equal(a.pos[0], "-");
	assert_int_equal(PARSE(&a, msg, "--", "--json"), CLI_OK);
	assert_string_equal(a.pos[0], "--json");
	assert_null(a.val[O_JSON]);
	assert_int_equal(PARSE(&a, msg, "a", "b"), CLI_USAGE);
	assert_string_equal(msg, "unexpected argument \"b\"");
}

static void test_help(void **state)
{
	struct cli_args a;
	char msg[128];

	assert_int_equal(PARSE(&a, msg, "--help"), CLI_OK);
	assert_true(a.help);
	assert_int_equal(PARSE(&a, msg, "--json", "-h"), CLI_OK);
	assert_true(a.help);
	assert_int_equal(PARSE(&a, msg, "--help=yes"), CLI_USAGE);
}

static void test_errors(void **state)
{
	struct cli_args a;
	char msg[128];

	assert_int_equal(PARSE(&a, msg, "--bogus"), CLI_USAGE);
	assert_string_equal(msg, "unknown option --bogus");
	assert_int_equal(PARSE(&a, msg, "--bogus=1"), CLI_USAGE);
	assert_string_equal(msg, "unknown option --bogus");
	assert_int_equal(PARSE(&a, msg, "-x"), CLI_USAGE);
	assert_string_equal(msg, "unknown option -x");
	assert_int_equal(PARSE(&a, msg, "--network"), CLI_USAGE);
	assert_string_equal(msg, "--network needs a value");
	assert_int_equal(PARSE(&a, msg, "--json=1"), CLI_USAGE);
	assert_string_equal(msg, "--json takes no value");
	assert_int_equal(PARSE(&a, msg, "--json", "--json"), CLI_USAGE);
	assert_string_equal(msg, "--json given twice");
	assert_int_equal(PARSE(&a, msg, "--network", "a", "--network=b"),
			 CLI_USAGE);
	assert_string_equal(msg, "--network given twice");
	/* A prefix is not an abbreviation. */
	assert_int_equal(PARSE(&a, msg, "--net", "x"), CLI_USAGE);
	assert_int_equal(PARSE(&a, msg, "--networks", "x"), CLI_USAGE);
	/* A long option name is cut in the message, never overflows it. */
	{
		char small[16];

		assert_int_equal(cli_parse(&spec, 2,
					   ARGV("--an-option-with-a-long-name"),
					   &a, small, sizeof(small)),
				 CLI_USAGE);
		assert_int_equal(strlen(small), sizeof(small) - 1);
	}
}

static void test_no_options(void **state)
{
	static const struct cli_spec none = { .cmd = "validate",
					      .usage = "u\n",
					      .max_pos = 1 };
	struct cli_args a;
	char msg[128];
	char *argv[] = { "validate", "--json", NULL };

	assert_int_equal(cli_parse(&none, 2, argv, &a, msg, sizeof(msg)),
			 CLI_USAGE);
	assert_string_equal(msg, "unknown option --json");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_positionals),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_no_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
