// SPDX-License-Identifier: Apache-2.0
/* The call log: its settings, its line encoder and its appender. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "brisk/calllog.h"

static struct calllog_entry entry(void)
{
	struct calllog_entry e = { 0 };

	e.start.tv_sec = 1700000000; /* 2023-11-14T22:13:20Z */
	e.start.tv_nsec = 123456789;
	e.duration_us = 4321;
	e.pid = 77;
	e.cmd = "ADD";
	e.network = "net1";
	e.container_id = "c0ffee";
	e.ifname = "eth0";
	return e;
}

/* Encode @e and parse the line back (it must be one line of JSON). */
static json_t *roundtrip(const struct calllog_entry *e)
{
	char buf[CALLLOG_LINE_MAX];
	json_error_t jerr;
	json_t *j;
	int n = calllog_encode(e, buf, sizeof(buf));

	assert_true(n > 1);
	assert_int_equal(buf[n - 1], '\n');
	assert_null(memchr(buf, '\n', (size_t)n - 1));
	j = json_loadb(buf, (size_t)n, 0, &jerr);
	if (!j)
		fail_msg("not JSON: %.*s (%s)", n, buf, jerr.text);
	return j;
}

static const char *jstr(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static void test_encode_success(void **state)
{
	struct calllog_entry e = entry();
	json_t *j;

	ipnet_parse("10.1.0.2/24", &e.ips[0]);
	ipnet_parse("fd00::2/64", &e.ips[1]);
	e.n_ips = 2;
	j = roundtrip(&e);
	assert_string_equal(jstr(j, "time"), "2023-11-14T22:13:20.123456Z");
	assert_int_equal(json_integer_value(json_object_get(j, "pid")), 77);
	assert_string_equal(jstr(j, "cmd"), "ADD");
	assert_string_equal(jstr(j, "network"), "net1");
	assert_string_equal(jstr(j, "containerID"), "c0ffee");
	assert_string_equal(jstr(j, "ifname"), "eth0");
	assert_int_equal(json_array_size(json_object_get(j, "ips")), 2);
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(j, "ips"), 1)),
		"fd00::2/64");
	assert_int_equal(json_integer_value(json_object_get(j, "us")), 4321);
	assert_int_equal(json_integer_value(json_object_get(j, "code")), 0);
	assert_null(json_object_get(j, "msg"));
	json_decref(j);
}

static void test_encode_failure(void **state)
{
	struct calllog_entry e = entry();
	json_t *j;

	e.network = NULL;
	e.container_id = NULL;
	e.code = 7;
	e.msg = "name: \"a\\b\" is not valid\n\x1b[31m";
	j = roundtrip(&e);
	assert_null(json_object_get(j, "network"));
	assert_null(json_object_get(j, "containerID"));
	assert_null(json_object_get(j, "ips"));
	assert_int_equal(json_integer_value(json_object_get(j, "code")), 7);
	/* Quotes survive escaped; control bytes become '?'. */
	assert_string_equal(jstr(j, "msg"),
			    "name: \"a\\b\" is not valid??[31m");
	json_decref(j);
	/* A failure without a message still says msg. */
	e.msg = NULL;
	j = roundtrip(&e);
	assert_string_equal(jstr(j, "msg"), "");
	json_decref(j);
}

static void test_encode_bounded(void **state)
{
	struct calllog_entry e = entry();
	static char big[5000];
	json_t *j;

	/* Every string at its worst: long, all quotes (escaped to two). */
	memset(big, '"', sizeof(big) - 1);
	e.cmd = e.network = e.container_id = e.ifname = e.msg = big;
	e.code = 999;
	e.n_ips = CALLLOG_MAX_IPS;
	for (size_t i = 0; i < CALLLOG_MAX_IPS; i++)
		ipnet_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
			    &e.ips[i]);
	j = roundtrip(&e);
	assert_int_equal(strlen(jstr(j, "containerID")), 256);
	json_decref(j);
	/* Non-ASCII (invalid UTF-8 too) never breaks the line. */
	e = entry();
	e.container_id = "\xff\xfe\xc3\xa9";
	j = roundtrip(&e);
	assert_string_equal(jstr(j, "containerID"), "????");
	json_decref(j);
	/* Too small a buffer is an error, never a cut line. */
	{
		char small[32];

		assert_true(calllog_encode(&e, small, sizeof(small)) < 0);
	}
}

static void test_levels(void **state)
{
	enum calllog_level l;

	assert_true(calllog_level_parse("off", &l));
	assert_int_equal(l, CALLLOG_OFF);
	assert_true(calllog_level_parse("debug", &l));
	assert_int_equal(l, CALLLOG_DEBUG);
	assert_false(calllog_level_parse("warn", &l));
	assert_false(calllog_level_parse("", &l));
	assert_string_equal(calllog_level_str(CALLLOG_ERROR), "error");
	/* Which calls get a line at which level. */
	assert_false(calllog_wanted(CALLLOG_OFF, "ADD", 7));
	assert_false(calllog_wanted(CALLLOG_ERROR, "ADD", 0));
	assert_true(calllog_wanted(CALLLOG_ERROR, "VERSION", 4));
	assert_true(calllog_wanted(CALLLOG_INFO, "ADD", 0));
	assert_true(calllog_wanted(CALLLOG_INFO, "DEL", 0));
	assert_true(calllog_wanted(CALLLOG_INFO, "CHECK", 0));
	assert_true(calllog_wanted(CALLLOG_INFO, "GC", 0));
	assert_false(calllog_wanted(CALLLOG_INFO, "STATUS", 0));
	assert_false(calllog_wanted(CALLLOG_INFO, "VERSION", 0));
	assert_false(calllog_wanted(CALLLOG_INFO, NULL, 0));
	assert_true(calllog_wanted(CALLLOG_INFO, "STATUS", 50));
	assert_true(calllog_wanted(CALLLOG_DEBUG, "VERSION", 0));
}

static void test_paths(void **state)
{
	assert_true(calllog_path_ok("/var/log/brisk.log"));
	assert_false(calllog_path_ok("brisk.log"));
	assert_false(calllog_path_ok("/var/log/"));
	assert_false(calllog_path_ok(""));
}

static void test_env(void **state)
{
	struct calllog_conf c;
	const char *bad;

	calllog_conf_init(&c);
	assert_string_equal(c.file, "");
	assert_int_equal(c.level, CALLLOG_INFO);
	assert_int_equal(c.max_size, CALLLOG_MAX_SIZE_DEFAULT);
	/* The stderr level is log.c's; the log's items are ours. */
	calllog_conf_apply_env(&c, "debug,logFile=/tmp/x.log,logLevel=error",
			       &bad);
	assert_null(bad);
	assert_string_equal(c.file, "/tmp/x.log");
	assert_int_equal(c.level, CALLLOG_ERROR);
	calllog_conf_apply_env(&c, "logMaxSize=8192", &bad);
	assert_null(bad);
	assert_int_equal(c.max_size, 8192);
	/* Bad values are named and ignored; the rest still applies. */
	calllog_conf_apply_env(&c, "logMaxSize=12,logLevel=debug", &bad);
	assert_string_equal(bad, "logMaxSize=12");
	assert_int_equal(c.max_size, 8192);
	assert_int_equal(c.level, CALLLOG_DEBUG);
	calllog_conf_apply_env(&c, "logFile=relative", &bad);
	assert_string_equal(bad, "logFile=relative");
	assert_string_equal(c.file, "/tmp/x.log");
	calllog_conf_apply_env(&c, "logLevel=loud", &bad);
	assert_non_null(bad);
	/* logFile=off (or empty) turns a config's log off. */
	calllog_conf_apply_env(&c, "logFile=off", &bad);
	assert_null(bad);
	assert_string_equal(c.file, "");
	snprintf(c.file, sizeof(c.file), "/x");
	calllog_conf_apply_env(&c, "logFile=", &bad);
	assert_string_equal(c.file, "");
	calllog_conf_apply_env(&c, "", &bad);
	assert_null(bad);
	calllog_conf_apply_env(&c, NULL, &bad);
	assert_null(bad);
}

static char tmpdir[64];

static int setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/brisk-test-calllog.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_append(void **state)
{
	char path[128], link[128], fifo[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/a.log", tmpdir);
	assert_int_equal(logfile_append(path, "one\n", 4, 4096), 0);
	assert_int_equal(logfile_append(path, "two\n", 4, 4096), 0);
	assert_string_equal(slurp(path), "one\ntwo\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never through a symlink, never into a FIFO (and never waiting). */
	snprintf(link, sizeof(link), "%s/link.log", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(logfile_append(link, "x\n", 2, 4096), -ELOOP);
	snprintf(fifo, sizeof(fifo), "%s/fifo.log", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(logfile_append(fifo, "x\n", 2, 4096), -EINVAL);
	assert_int_equal(logfile_append(tmpdir, "x\n", 2, 4096), -EINVAL);
	assert_string_equal(slurp(path), "one\ntwo\n");
	/* A directory that is not there: an error, nothing made. */
	assert_int_equal(logfile_append("/nonexistent-brisk-dir/x.log", "x\n",
					2, 4096),
			 -ENOENT);
}

static void test_rotate(void **state)
{
	char path[128], old[140], line[100];
	struct stat st;

	snprintf(path, sizeof(path), "%s/r.log", tmpdir);
	snprintf(old, sizeof(old), "%s.1", path);
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	/* 40 lines of 100 bytes fill 4000 of a 4096 cap; the 41st rotates. */
	for (int i = 0; i < 40; i++)
		assert_int_equal(logfile_append(path, line, sizeof(line), 4096),
				 0);
	assert_int_equal(stat(old, &st), -1);
	assert_int_equal(logfile_append(path, line, sizeof(line), 4096), 0);
	assert_int_equal(stat(old, &st), 0);
	assert_int_equal(st.st_size, 4000);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 100);
	/* The next rotation replaces the old generation: at most two files. */
	for (int i = 0; i < 41; i++)
		assert_int_equal(logfile_append(path, line, sizeof(line), 4096),
				 0);
	assert_int_equal(stat(old, &st), 0);
	assert_int_equal(st.st_size, 4000);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_success),
		cmocka_unit_test(test_encode_failure),
		cmocka_unit_test(test_encode_bounded),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_rotate),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
