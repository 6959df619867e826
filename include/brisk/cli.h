/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_CLI_H
#define BRISK_CLI_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The operator's side of the binary: `brisk --help`, `brisk --version` and
 * the commands gc, leases and validate. Reached only when CNI_COMMAND is
 * unset, so nothing here can be mistaken for (or slow down) a CNI call.
 */

/* Exit statuses shared by every operator command. */
enum cli_status {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
};

#define CLI_MAX_OPTS 8
#define CLI_MAX_POS 4

/* One long option: "--name VALUE" / "--name=VALUE", or a flag "--name". */
struct cli_opt {
	const char *name;
	bool has_arg;
};

/* A command's arguments: its options and how many positionals it takes. */
struct cli_spec {
	const char *cmd; /* "leases" */
	const char *usage; /* the synopsis and option list, ends in '\n' */
	const struct cli_opt *opts;
	size_t n_opts; /* at most CLI_MAX_OPTS */
	size_t max_pos; /* at most CLI_MAX_POS */
};

struct cli_args {
	/* Per option of the spec: its value ("" for a flag), NULL if absent. */
	const char *val[CLI_MAX_OPTS];
	const char *pos[CLI_MAX_POS];
	size_t n_pos;
	bool help; /* -h or --help was given */
};

/*
 * Parse @argv (argv[0] is the command's name) against @spec. Returns
 * CLI_OK with @ret filled (strings borrowed from argv), or CLI_USAGE with
 * a one-line reason in @msg: an unknown option, a missing or unexpected
 * value, an option given twice, too many arguments. "--" ends the options;
 * "-" is an argument (stdin). Pure: no I/O, no global state.
 */
int cli_parse(const struct cli_spec *spec, int argc, char **argv,
	      struct cli_args *ret, char *msg, size_t n);

/*
 * Run a command's argument handling the same way everywhere: parse, print
 * the usage on stdout for --help (*ret_done, CLI_OK), or the reason and
 * the usage on stderr (CLI_USAGE). CLI_OK with *ret_done false: go on.
 */
int cli_args_run(const struct cli_spec *spec, int argc, char **argv,
		 struct cli_args *ret, bool *ret_done);

/* Report a usage problem found after parsing (bad value): CLI_USAGE. */
int cli_usage_error(const struct cli_spec *spec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Checks shared by the commands; each returns CLI_OK or CLI_USAGE. */
int cli_check_data_dir(const struct cli_spec *spec, const char *dir);
int cli_check_network(const struct cli_spec *spec, const char *name);

/* brisk with no CNI_COMMAND: --help, --version, or one of the commands. */
int cli_main(int argc, char **argv);

/* The commands; argv[0] is the command's name. Return the exit status. */
int cli_gc_main(int argc, char **argv);
int cli_leases_main(int argc, char **argv);
int cli_validate_main(int argc, char **argv);

#endif
