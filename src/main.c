// SPDX-License-Identifier: Apache-2.0
/* brisk: a CNI bridge plugin. Reads the CNI environment and stdin, runs one
 * command, prints one JSON object on stdout. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/cli.h"
#include "brisk/cmd.h"
#include "brisk/log.h"
#include "brisk/result.h"

static int print_json(json_t *j)
{
	int r = json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);

	fputc('\n', stdout);
	return fflush(stdout) == 0 && r == 0 ? 0 : -1;
}

static int print_error(const struct cni_err *err, const char *ver)
{
	json_t *j = result_encode_error(err, ver);

	if (j)
		print_json(j);
	json_decref(j);
	return 1;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
/* Less than the 128 KiB the kernel maps below the arguments at exec. */
#define MAIN_STACK_PREFAULT (96 * 1024)

/*
 * A call touches some twenty fresh stack pages (the parsed config, the ADD
 * state). Each first touch is a page fault, about 10 us in a VM; asking
 * for them all at once costs about 1 us a page. An older kernel refuses
 * the advice, and nothing changes. VERSION needs none of them.
 */
static void main_prefault_stack(void)
{
	char here;
	uintptr_t top = (uintptr_t)&here & ~(uintptr_t)4095;

	madvise((void *)(top - MAIN_STACK_PREFAULT), MAIN_STACK_PREFAULT,
		MADV_POPULATE_WRITE);
}

static void main_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/*
 * jansson seeds its hash from /dev/urandom on first use (an open, a read,
 * a close); one getrandom() does the same job. The seed must stay random:
 * stdin is untrusted, and a known seed invites hash-flooding.
 */
static void main_seed_json(void)
{
	uint32_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed) &&
	    seed != 0)
		json_object_seed(seed);
}

int main(int argc, char **argv)
{
	struct cni_err err = { 0 };
	_cleanup_free_ char *buf = NULL;
	struct call_log cl;
	json_t *out = NULL;
	struct cni_env env;
	char ver[16] = "";
	size_t len = 0;
	int r;

	/* First: the stderr level for any warning, then the call's clock. */
	log_init_from_env();
	call_log_begin(&cl);
	/*
	 * A runtime that gives up (SIGTERM, SIGINT, a closed pipe) must not
	 * kill us halfway through a lease write or an ADD: the call is short,
	 * so finish it, undo on failure, and exit normally.
	 */
	signal(SIGPIPE, SIG_IGN);
	main_block_signals();
	main_seed_json();
	r = cni_env_read(&env, &err);
	/* Only CNI_COMMAND makes a CNI call; without it brisk is a tool. */
	if (r == 0 && env.cmd == CNI_CMD_NONE)
		return cli_main(argc, argv);
	if (r < 0)
		call_log_early_failure(&cl);
	if (r == 0)
		r = cni_read_all(STDIN_FILENO, &buf, &len, &err);
	if (r == 0 && env.cmd != CNI_CMD_VERSION)
		main_prefault_stack();
	if (r == 0)
		r = plugin_run(&env, buf, len, &out, ver, sizeof(ver), &cl,
			       &err);
	if (r < 0) {
		json_decref(out);
		print_error(&err, ver);
	} else if (out && print_json(out) < 0) {
		r = cni_err_set(&err, CNI_ERR_IO, EIO,
				"cannot write the result");
	}
	json_decref(out);
	call_log_end(&cl, &env, r, &err);
	return r < 0 ? 1 : 0;
}
