// SPDX-License-Identifier: Apache-2.0
/*
 * brisk run by a person rather than a runtime: main() comes here only when
 * CNI_COMMAND is unset, so an argument can never turn a CNI call into
 * something else, and a CNI call never parses arguments.
 */
#include <stdio.h>
#include <string.h>

#include "brisk/cleanup.h"
#include "brisk/cli.h"
#include "brisk/version.h"

static const char cli_help[] =
	"brisk " BRISK_VERSION
	": a CNI bridge plugin with built-in host-local IPAM\n"
	"\n"
	"As a CNI plugin, brisk is run by a container runtime (containerd,\n"
	"CRI-O, podman, cnitool) with CNI_COMMAND (ADD, DEL, CHECK, VERSION,\n"
	"GC, STATUS) and the other CNI_* variables in its environment and the\n"
	"network config on stdin; it prints the result, or a CNI error object,\n"
	"on stdout. Install it in the runtime's CNI binary directory (usually\n"
	"/opt/cni/bin) and write \"type\": \"brisk\" in a network config.\n"
	"\n"
	"Operator commands (run without CNI_COMMAND):\n"
	"  brisk leases [--data-dir DIR] [--network NAME] [--json]\n"
	"      every lease: address, container ID, interface, age, and whether\n"
	"      its network namespace and host veth still exist\n"
	"  brisk validate [FILE]\n"
	"      check a network config or conflist (stdin by default) as ADD\n"
	"      would, and print it with the defaults filled in\n"
	"  brisk gc --data-dir DIR --network NAME [--apply]\n"
	"      list the leases whose container is gone for sure; --apply\n"
	"      releases them and deletes their host veths\n"
	"  brisk --help | --version\n"
	"\n"
	"DIR defaults to /var/lib/cni/networks where optional. `brisk COMMAND\n"
	"--help` shows a command's options. Exit status: 0 success, 1 failure,\n"
	"2 bad arguments. The environment variable BRISK_LOG sets brisk's\n"
	"stderr level and can override the call log (logFile, logLevel,\n"
	"logMaxSize); see brisk(8).\n";

static int cli_version(void)
{
	printf("brisk %s\nCNI spec versions:", BRISK_VERSION);
	for (int v = 0; v < CNI_V_COUNT; v++)
		printf(" %s", cni_ver_str((enum cni_ver)v));
	putchar('\n');
	return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
}

/* What the reference plugins print when run by hand with no command. */
static int cli_about(void)
{
	fprintf(stderr,
		"brisk %s: CNI bridge plugin with built-in host-local IPAM\n"
		"CNI protocol versions: %s\n"
		"(CNI_COMMAND is not set: see `brisk --help`)\n",
		BRISK_VERSION, cni_ver_list_json());
	return CLI_OK;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cli_cmds[] = {
	{ "gc", cli_gc_main },
	{ "leases", cli_leases_main },
	{ "validate", cli_validate_main },
};

int cli_main(int argc, char **argv)
{
	const char *a = argc > 1 ? argv[1] : NULL;

	if (!a)
		return cli_about();
	if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 ||
	    strcmp(a, "help") == 0)
		return fputs(cli_help, stdout) == EOF ? CLI_FAIL : CLI_OK;
	if (strcmp(a, "--version") == 0 || strcmp(a, "version") == 0)
		return cli_version();
	for (size_t i = 0; i < ARRAY_SIZE(cli_cmds); i++)
		if (strcmp(a, cli_cmds[i].name) == 0)
			return cli_cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr,
		"brisk: unknown command \"%s\" (try `brisk --help`)\n"
		"A container runtime runs brisk with CNI_COMMAND set; "
		"brisk takes no arguments then.\n",
		a);
	return CLI_USAGE;
}
