// SPDX-License-Identifier: Apache-2.0
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "brisk/cni.h"

static const char *const cni_vars[] = {
	"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS",
	"CNI_IFNAME",  "CNI_ARGS",	  "CNI_PATH",
};

static int clear_env(void **state)
{
	for (size_t i = 0; i < sizeof(cni_vars) / sizeof(cni_vars[0]); i++)
		unsetenv(cni_vars[i]);
	return 0;
}

/* Set the attachment variables; NULL unsets. */
static void set_env(const char *cmd, const char *cid, const char *ifname,
		    const char *netns)
{
	const char *vals[] = { cmd, cid, netns, ifname };

	for (size_t i = 0; i < 4; i++) {
		if (vals[i])
			setenv(cni_vars[i], vals[i], 1);
		else
			unsetenv(cni_vars[i]);
	}
}

/* cni_env_read must fail with code 4 and a msg naming @var. */
static void assert_env_fails(const char *var)
{
	struct cni_env e;
	struct cni_err err = { 0 };

	assert_true(cni_env_read(&e, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_ENV);
	if (!strstr(err.msg, var))
		fail_msg("msg \"%s\" does not name %s", err.msg, var);
}

static void assert_env_ok(enum cni_cmd want)
{
	struct cni_env e;
	struct cni_err err = { 0 };

	if (cni_env_read(&e, &err) < 0)
		fail_msg("cni_env_read: %s", err.msg);
	assert_int_equal(e.cmd, want);
	assert_int_equal(err.code, 0);
}

static void test_env_no_command(void **state)
{
	struct cni_env e;
	struct cni_err err = { 0 };

	assert_int_equal(cni_env_read(&e, &err), 0);
	assert_int_equal(e.cmd, CNI_CMD_NONE);
	assert_int_equal(err.code, 0);
	/* Unset variables read as "", never NULL. */
	assert_string_equal(e.netns, "");
	assert_string_equal(e.args, "");
	assert_string_equal(e.path, "");
	assert_string_equal(e.container_id, "");
	assert_string_equal(e.ifname, "");

	setenv("CNI_COMMAND", "", 1);
	assert_env_ok(CNI_CMD_NONE);
}

static void test_env_unknown_command(void **state)
{
	static const char *const bad[] = { "FOO",    "add",	"ADD ",
					   "DELETE", "version", " ADD" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_env(bad[i], "c1", "eth0", "/var/run/netns/x");
		assert_env_fails("CNI_COMMAND");
	}
}

static void test_env_add(void **state)
{
	struct cni_env e;
	struct cni_err err = { 0 };

	set_env("ADD", "c1", "eth0", "/var/run/netns/x");
	setenv("CNI_ARGS", "IP=10.0.0.5", 1);
	setenv("CNI_PATH", "/opt/cni/bin", 1);
	assert_int_equal(cni_env_read(&e, &err), 0);
	assert_int_equal(e.cmd, CNI_CMD_ADD);
	assert_string_equal(e.container_id, "c1");
	assert_string_equal(e.ifname, "eth0");
	assert_string_equal(e.netns, "/var/run/netns/x");
	assert_string_equal(e.args, "IP=10.0.0.5");
	assert_string_equal(e.path, "/opt/cni/bin");

	set_env("ADD", NULL, "eth0", "/var/run/netns/x");
	assert_env_fails("CNI_CONTAINERID");
	set_env("ADD", "", "eth0", "/var/run/netns/x");
	assert_env_fails("CNI_CONTAINERID");
	set_env("ADD", "../etc", "eth0", "/var/run/netns/x");
	assert_env_fails("CNI_CONTAINERID");
	set_env("ADD", "c1", NULL, "/var/run/netns/x");
	assert_env_fails("CNI_IFNAME");
	set_env("ADD", "c1", "", "/var/run/netns/x");
	assert_env_fails("CNI_IFNAME");
	set_env("ADD", "c1", "a/b", "/var/run/netns/x");
	assert_env_fails("CNI_IFNAME");
	set_env("ADD", "c1", "0123456789abcdef", "/var/run/netns/x");
	assert_env_fails("CNI_IFNAME");
	set_env("ADD", "c1", "eth0", NULL);
	assert_env_fails("CNI_NETNS");
	set_env("ADD", "c1", "eth0", "");
	assert_env_fails("CNI_NETNS");
	set_env("ADD", "c1", "eth0", "var/run/netns/x");
	assert_env_fails("CNI_NETNS");
	set_env("ADD", "c1", "eth0", "./x");
	assert_env_fails("CNI_NETNS");
}

static void test_env_check(void **state)
{
	set_env("CHECK", "c1", "eth0", "/proc/1/ns/net");
	assert_env_ok(CNI_CMD_CHECK);
	set_env("CHECK", NULL, "eth0", "/proc/1/ns/net");
	assert_env_fails("CNI_CONTAINERID");
	set_env("CHECK", "c1", NULL, "/proc/1/ns/net");
	assert_env_fails("CNI_IFNAME");
	set_env("CHECK", "c1", "eth0", NULL);
	assert_env_fails("CNI_NETNS");
	set_env("CHECK", "c1", "eth0", "netns");
	assert_env_fails("CNI_NETNS");
}

static void test_env_del(void **state)
{
	struct cni_env e;
	struct cni_err err = { 0 };

	/* The namespace may already be gone: an empty CNI_NETNS is fine. */
	set_env("DEL", "c1", "eth0", NULL);
	assert_int_equal(cni_env_read(&e, &err), 0);
	assert_int_equal(e.cmd, CNI_CMD_DEL);
	assert_string_equal(e.netns, "");
	set_env("DEL", "c1", "eth0", "");
	assert_env_ok(CNI_CMD_DEL);
	set_env("DEL", "c1", "eth0", "/var/run/netns/x");
	assert_env_ok(CNI_CMD_DEL);
	/* ... but a relative one is still wrong. */
	set_env("DEL", "c1", "eth0", "x");
	assert_env_fails("CNI_NETNS");
	set_env("DEL", NULL, "eth0", NULL);
	assert_env_fails("CNI_CONTAINERID");
	set_env("DEL", "c1", NULL, NULL);
	assert_env_fails("CNI_IFNAME");
}

static void test_env_no_attachment_cmds(void **state)
{
	static const struct {
		const char *name;
		enum cni_cmd cmd;
	} cmds[] = {
		{ "VERSION", CNI_CMD_VERSION },
		{ "GC", CNI_CMD_GC },
		{ "STATUS", CNI_CMD_STATUS },
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		set_env(cmds[i].name, NULL, NULL, NULL);
		assert_env_ok(cmds[i].cmd);
		/* Leftover junk in the others is not their concern. */
		set_env(cmds[i].name, "", "", "relative");
		assert_env_ok(cmds[i].cmd);
	}
}

static void test_valid_container_id(void **state)
{
	static const char *const ok[] = {
		"abc",
		"a.b-c_d",
		"A",
		"0",
		"9abc",
		"a..",
		"a-",
		"Z_z.0-9",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab",
	};
	static const char *const bad[] = {
		"",   "-a",  "a/b",  "a b",  "..", ".",	  "a\n", "_a",
		".a", "a:b", "a\\b", "a\tb", "é",  "a@b", "a*",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!cni_valid_container_id(ok[i]))
			fail_msg("rejected container ID \"%s\"", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cni_valid_container_id(bad[i]))
			fail_msg("accepted container ID \"%s\"", bad[i]);
	assert_false(cni_valid_container_id(NULL));
}

static void test_valid_ifname(void **state)
{
	static const char *const ok[] = {
		"eth0",
		"a",
		"net1",
		"veth-1.2_x",
		"...",
		".a",
		"0123456789abcde",
		"é",
	};
	static const char *const bad[] = {
		"",
		".",
		"..",
		"a/b",
		"a:b",
		"a b",
		"a\tb",
		"a\nb",
		"/",
		"eth0:1",
		"0123456789abcdef",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!cni_valid_ifname(ok[i]))
			fail_msg("rejected ifname \"%s\"", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cni_valid_ifname(bad[i]))
			fail_msg("accepted ifname \"%s\"", bad[i]);
	assert_false(cni_valid_ifname(NULL));
	assert_int_equal(strlen("0123456789abcde"), 15);
}

static void test_valid_netname(void **state)
{
	char name[200];

	assert_true(cni_valid_netname("mynet"));
	assert_true(cni_valid_netname("my-net_1.0"));
	assert_false(cni_valid_netname(""));
	assert_false(cni_valid_netname("."));
	assert_false(cni_valid_netname(".."));
	assert_false(cni_valid_netname(".hidden"));
	assert_false(cni_valid_netname("../x"));
	assert_false(cni_valid_netname("a/b"));
	assert_false(cni_valid_netname("-a"));
	assert_false(cni_valid_netname("a b"));
	assert_false(cni_valid_netname(NULL));

	memset(name, 'n', sizeof(name));
	name[127] = '\0';
	assert_true(cni_valid_netname(name));
	name[127] = 'n';
	name[128] = '\0';
	assert_false(cni_valid_netname(name));
}

static void test_args_get(void **state)
{
	const char *args = "IP=10.0.0.5;MAC=aa:bb:cc:dd:ee:ff";
	struct cni_err err = { 0 };
	char buf[64];

	assert_int_equal(cni_args_get(args, "IP", buf, sizeof(buf), &err), 1);
	assert_string_equal(buf, "10.0.0.5");
	assert_int_equal(cni_args_get(args, "MAC", buf, sizeof(buf), &err), 1);
	assert_string_equal(buf, "aa:bb:cc:dd:ee:ff");
	/* Absence is not an error. */
	strcpy(buf, "untouched");
	assert_int_equal(cni_args_get(args, "FOO", buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "untouched");
	/* Keys match whole, not by prefix. */
	assert_int_equal(cni_args_get(args, "I", buf, sizeof(buf), &err), 0);
	assert_int_equal(cni_args_get(args, "IPX", buf, sizeof(buf), &err), 0);
	assert_int_equal(
		cni_args_get("XIP=1;IP=2", "IP", buf, sizeof(buf), &err), 1);
	assert_string_equal(buf, "2");
	/* Values may hold '='; empty values and segments are allowed. */
	assert_int_equal(cni_args_get("K=a=b", "K", buf, sizeof(buf), &err), 1);
	assert_string_equal(buf, "a=b");
	assert_int_equal(cni_args_get("K=", "K", buf, sizeof(buf), &err), 1);
	assert_string_equal(buf, "");
	assert_int_equal(cni_args_get("A=1;;B=2;", "B", buf, sizeof(buf), &err),
			 1);
	assert_string_equal(buf, "2");
	assert_int_equal(cni_args_get("IgnoreUnknown=1;K8S_POD_NAME=p;IP=1",
				      "K8S_POD_NAME", buf, sizeof(buf), &err),
			 1);
	assert_string_equal(buf, "p");
	/* A key given twice: the last value, as the reference's LoadArgs. */
	assert_int_equal(cni_args_get("IP=1;MAC=m;IP=2", "IP", buf, sizeof(buf),
				      &err),
			 1);
	assert_string_equal(buf, "2");
	/* Empty and unset CNI_ARGS. */
	assert_int_equal(cni_args_get("", "IP", buf, sizeof(buf), &err), 0);
	assert_int_equal(cni_args_get(NULL, "IP", buf, sizeof(buf), &err), 0);
	assert_int_equal(err.code, 0);
}

static void test_args_get_errors(void **state)
{
	struct cni_err err = { 0 };
	char buf[9];

	assert_true(cni_args_get("K", "IP", buf, sizeof(buf), &err) < 0);
	assert_int_equal(err.code, CNI_ERR_ENV);
	assert_non_null(strstr(err.msg, "CNI_ARGS"));

	memset(&err, 0, sizeof(err));
	assert_true(cni_args_get("A=1;junk;IP=2", "IP", buf, sizeof(buf),
				 &err) < 0);
	assert_int_equal(err.code, CNI_ERR_ENV);
	assert_non_null(strstr(err.msg, "junk"));

	/* Exactly fitting (8 bytes + NUL), then one byte too long. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(
		cni_args_get("IP=10.0.0.5", "IP", buf, sizeof(buf), &err), 1);
	assert_string_equal(buf, "10.0.0.5");
	assert_true(cni_args_get("IP=10.0.0.55", "IP", buf, sizeof(buf), &err) <
		    0);
	assert_int_equal(err.code, CNI_ERR_ENV);
	assert_non_null(strstr(err.msg, "IP"));
}

/* cni_read_all through a pipe, fed from a thread. */
struct feeder {
	int fd;
	size_t len;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	char chunk[4096];
	size_t left = f->len;

	memset(chunk, 'x', sizeof(chunk));
	while (left > 0) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
		ssize_t w = write(f->fd, chunk, n);

		if (w <= 0)
			break; /* the reader gave up: EPIPE */
		left -= (size_t)w;
	}
	close(f->fd);
	return NULL;
}

/* Feed @len bytes of 'x' and read them back; returns cni_read_all's r. */
static int read_via_pipe(size_t len, char **ret, size_t *ret_len,
			 struct cni_err *err)
{
	struct feeder f;
	pthread_t t;
	int p[2], r;

	assert_int_equal(pipe(p), 0);
	f.fd = p[1];
	f.len = len;
	assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
	r = cni_read_all(p[0], ret, ret_len, err);
	/* Unblock a writer stuck on a full pipe after a refusal. */
	close(p[0]);
	pthread_join(t, NULL);
	return r;
}

static void test_read_all_small(void **state)
{
	struct cni_err err = { 0 };
	char *buf = NULL;
	size_t len = 99;

	assert_int_equal(read_via_pipe(0, &buf, &len, &err), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);

	assert_int_equal(read_via_pipe(10, &buf, &len, &err), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "xxxxxxxxxx");
	free(buf);

	/* Across the first growth of the buffer. */
	assert_int_equal(read_via_pipe(4097, &buf, &len, &err), 0);
	assert_int_equal(len, 4097);
	assert_int_equal(strlen(buf), 4097);
	free(buf);
	assert_int_equal(err.code, 0);
}

static void test_read_all_large(void **state)
{
	struct cni_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(read_via_pipe(CNI_STDIN_MAX - 1, &buf, &len, &err), 0);
	assert_int_equal(len, CNI_STDIN_MAX - 1);
	assert_int_equal(buf[len], '\0');
	free(buf);
}

/* Exactly CNI_STDIN_MAX bytes is allowed: the cap is "code 6 past it". */
static void test_read_all_exactly_cap(void **state)
{
	struct cni_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int r = read_via_pipe(CNI_STDIN_MAX, &buf, &len, &err);

	if (r < 0)
		fail_msg(
			"%d bytes (exactly CNI_STDIN_MAX) refused: code %d, %s",
			CNI_STDIN_MAX, err.code, err.msg);
	assert_int_equal(len, CNI_STDIN_MAX);
	assert_int_equal(buf[len], '\0');
	free(buf);
}

static void test_read_all_over_cap(void **state)
{
	struct cni_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;

	assert_true(read_via_pipe(CNI_STDIN_MAX + 1, &buf, &len, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_null(buf);

	memset(&err, 0, sizeof(err));
	assert_true(read_via_pipe(3 * CNI_STDIN_MAX, &buf, &len, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_null(buf);
}

static void test_read_all_bad_fd(void **state)
{
	struct cni_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(cni_read_all(-1, &buf, &len, &err), -EBADF);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_null(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_env_no_command, clear_env),
		cmocka_unit_test_setup(test_env_unknown_command, clear_env),
		cmocka_unit_test_setup(test_env_add, clear_env),
		cmocka_unit_test_setup(test_env_check, clear_env),
		cmocka_unit_test_setup(test_env_del, clear_env),
		cmocka_unit_test_setup(test_env_no_attachment_cmds, clear_env),
		cmocka_unit_test(test_valid_container_id),
		cmocka_unit_test(test_valid_ifname),
		cmocka_unit_test(test_valid_netname),
		cmocka_unit_test(test_args_get),
		cmocka_unit_test(test_args_get_errors),
		cmocka_unit_test(test_read_all_small),
		cmocka_unit_test(test_read_all_large),
		cmocka_unit_test(test_read_all_exactly_cap),
		cmocka_unit_test(test_read_all_over_cap),
		cmocka_unit_test(test_read_all_bad_fd),
	};

	/* The feeder may write after a refusal closed the pipe: EPIPE, not death. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, clear_env, NULL);
}
