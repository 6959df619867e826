// SPDX-License-Identifier: Apache-2.0
/*
 * The one argument parser of the operator commands. Long options only
 * (plus -h): the commands are few and typed rarely, so names beat letters,
 * and a parser with no global state (unlike getopt) can be unit tested.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "brisk/cli.h"
#include "brisk/cni.h"

static int cli_bad(char *msg, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cli_bad(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

static int cli_find_opt(const struct cli_spec *spec, const char *name,
			size_t len)
{
	for (size_t i = 0; i < spec->n_opts; i++)
		if (strlen(spec->opts[i].name) == len &&
		    strncmp(spec->opts[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* One "--name[=value]" at argv[*i]; may take argv[*i + 1] as its value. */
static int cli_long_opt(const struct cli_spec *spec, int argc, char **argv,
			int *i, struct cli_args *ret, char *msg, size_t n)
{
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	int o = cli_find_opt(spec, arg, len);

	if (o < 0 && len == 4 && strncmp(arg, "help", 4) == 0 && !eq) {
		ret->help = true;
		return CLI_OK;
	}
	if (o < 0)
		return cli_bad(msg, n, "unknown option --%.*s", (int)len, arg);
	if (ret->val[o])
		return cli_bad(msg, n, "--%s given twice", spec->opts[o].name);
	if (!spec->opts[o].has_arg) {
		if (eq)
			return cli_bad(msg, n, "--%s takes no value",
				       spec->opts[o].name);
		ret->val[o] = "";
		return CLI_OK;
	}
	if (eq) {
		ret->val[o] = eq + 1;
		return CLI_OK;
	}
	if (*i + 1 >= argc)
		return cli_bad(msg, n, "--%s needs a value",
			       spec->opts[o].name);
	ret->val[o] = argv[++*i];
	return CLI_OK;
}

int cli_parse(const struct cli_spec *spec, int argc, char **argv,
	      struct cli_args *ret, char *msg, size_t n)
{
	bool opts_done = false;
	int r;

	memset(ret, 0, sizeof(*ret));
	msg[0] = '\0';
	if (spec->n_opts > CLI_MAX_OPTS || spec->max_pos > CLI_MAX_POS)
		return cli_bad(msg, n, "internal: spec too large");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_done && strcmp(a, "--") == 0) {
			opts_done = true;
		} else if (!opts_done && strncmp(a, "--", 2) == 0) {
			r = cli_long_opt(spec, argc, argv, &i, ret, msg, n);
			if (r != CLI_OK)
				return r;
		} else if (!opts_done && strcmp(a, "-h") == 0) {
			ret->help = true;
		} else if (!opts_done && a[0] == '-' && a[1] != '\0') {
			return cli_bad(msg, n, "unknown option %s", a);
		} else if (ret->n_pos >= spec->max_pos) {
			return cli_bad(msg, n, "unexpected argument \"%s\"", a);
		} else {
			ret->pos[ret->n_pos++] = a;
		}
	}
	return CLI_OK;
}

int cli_args_run(const struct cli_spec *spec, int argc, char **argv,
		 struct cli_args *ret, bool *ret_done)
{
	char msg[256];
	int r = cli_parse(spec, argc, argv, ret, msg, sizeof(msg));

	*ret_done = true;
	if (r != CLI_OK) {
		fprintf(stderr, "brisk %s: %s\n%s", spec->cmd, msg,
			spec->usage);
		return r;
	}
	if (ret->help)
		return fputs(spec->usage, stdout) == EOF ? CLI_FAIL : CLI_OK;
	*ret_done = false;
	return CLI_OK;
}

int cli_usage_error(const struct cli_spec *spec, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "brisk %s: ", spec->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", spec->usage);
	return CLI_USAGE;
}

int cli_check_data_dir(const struct cli_spec *spec, const char *dir)
{
	if (!dir || dir[0] != '/')
		return cli_usage_error(
			spec, "--data-dir: \"%s\" is not an absolute path",
			dir ? dir : "");
	return CLI_OK;
}

int cli_check_network(const struct cli_spec *spec, const char *name)
{
	if (!name || !cni_valid_netname(name))
		return cli_usage_error(
			spec, "--network: \"%s\" is not a valid network name",
			name ? name : "");
	return CLI_OK;
}
