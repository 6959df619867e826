// SPDX-License-Identifier: Apache-2.0
/*
 * brisk validate [FILE]
 *
 * A network config or conflist checked the way ADD checks it, with no
 * kernel and no store: the first problem is reported with the code and
 * message ADD would give (the same error object, on stdout), or the config
 * is printed with brisk's defaults filled in. In a conflist, brisk's
 * entries (type brisk or bridge, or an ipam of type brisk) are checked as
 * the runtime would hand them over, with the list's name and cniVersion.
 * --keys prints the parser's table of keys instead.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/cli.h"
#include "brisk/cmd.h"
#include "brisk/jsonget.h"
#include "brisk/netconf.h"
#include "brisk/result.h"

enum {
	VAL_KEYS
};

static const struct cli_opt cli_validate_opts[] = {
	[VAL_KEYS] = { "keys", false },
};

static const struct cli_spec cli_validate_spec = {
	.cmd = "validate",
	.usage =
		"usage: brisk validate [FILE]\n"
		"       brisk validate --keys\n"
		"  Check a network config or conflist (FILE, or stdin when\n"
		"  absent or \"-\") as ADD would, without touching the kernel or\n"
		"  the lease store. Prints the config with defaults filled in\n"
		"  (exit 0), or ADD's error object and the reason (exit 1).\n"
		"  --keys lists every key brisk reads, its type and default.\n",
	.opts = cli_validate_opts,
	.n_opts = ARRAY_SIZE(cli_validate_opts),
	.max_pos = 1,
};

/* The parser's table of keys, for people and for the README's test. */
static int cli_validate_keys(void)
{
	int w = 3;

	for (size_t i = 0; i < netconf_n_keys; i++)
		if ((int)strlen(netconf_keys[i].path) > w)
			w = (int)strlen(netconf_keys[i].path);
	printf("%-*s  %-6s  %s\n", w, "KEY", "TYPE", "DEFAULT");
	for (size_t i = 0; i < netconf_n_keys; i++)
		printf("%-*s  %-6s  %s\n", w, netconf_keys[i].path,
		       netconf_keys[i].type,
		       netconf_keys[i].dflt ? netconf_keys[i].dflt : "-");
	return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
}

struct cli_validate {
	const char *what; /* the file's name, for messages */
	char where[48]; /* "plugins[N]: " when in a conflist */
	char ver[16]; /* cniVersion for the error reply */
	struct cni_err err;
};

static int cli_validate_read(const char *path, char **ret, size_t *ret_len)
{
	bool is_stdin = !path || strcmp(path, "-") == 0;
	_cleanup_close_ int fd = -1;
	struct cni_err err = { 0 };
	struct stat st;

	if (is_stdin) {
		path = "stdin";
		fd = dup(STDIN_FILENO);
	} else {
		/* The operator's own file: a pipe may wait for its writer. */
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "brisk validate: cannot read %s: %s\n", path,
			strerror(errno));
		return CLI_FAIL;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "brisk validate: %s is a directory\n", path);
		return CLI_FAIL;
	}
	/* A FIFO read before its writer opened it would read as empty. */
	if (S_ISFIFO(st.st_mode) && !is_stdin) {
		close(fd);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		fprintf(stderr, "brisk validate: cannot read %s: %s\n", path,
			strerror(errno));
		return CLI_FAIL;
	}
	if (cni_read_all(fd, ret, ret_len, &err) < 0) {
		fprintf(stderr, "brisk validate: %s: %s\n", path, err.msg);
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* The error as ADD prints it on stdout, and in words on stderr. */
static int cli_validate_fail(struct cli_validate *v)
{
	json_t *j = result_encode_error(&v->err, v->ver);

	if (j) {
		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	json_decref(j);
	fflush(stdout);
	fprintf(stderr, "brisk validate: %s: %scode %d: %s%s%s%s\n", v->what,
		v->where, v->err.code, v->err.msg,
		v->err.details[0] ? " (" : "", v->err.details,
		v->err.details[0] ? ")" : "");
	return CLI_FAIL;
}

static int cli_validate_print(json_t *norm)
{
	if (json_dumpf(norm, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		return CLI_FAIL;
	putchar('\n');
	return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
}

static bool cli_validate_is_brisks(json_t *p)
{
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *ipam = json_string_value(
		json_object_get(json_object_get(p, "ipam"), "type"));

	return netconf_type_is_main(type) ||
	       (ipam && strcmp(ipam, "brisk") == 0);
}

/*
 * One entry of a list, as libcni hands it to the plugin: the list's name
 * and cniVersion injected. Replaced by its normalised form (without them).
 */
static int cli_validate_entry(struct cli_validate *v, json_t *list, size_t i,
			      json_t *p)
{
	_cleanup_json_ json_t *conf = json_deep_copy(p);
	_cleanup_json_ json_t *norm = NULL;
	_cleanup_free_ char *buf = NULL;
	int r;

	if (!conf)
		return cni_err_set(&v->err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	json_object_set(conf, "name", json_object_get(list, "name"));
	json_object_set(conf, "cniVersion",
			json_object_get(list, "cniVersion"));
	buf = json_dumps(conf, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!buf)
		return cni_err_set(&v->err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	r = plugin_validate(buf, strlen(buf), &norm, v->ver, sizeof(v->ver),
			    &v->err);
	if (r < 0)
		return r;
	if (!json_object_get(p, "name"))
		json_object_del(norm, "name");
	if (!json_object_get(p, "cniVersion"))
		json_object_del(norm, "cniVersion");
	return json_array_set(json_object_get(list, "plugins"), i, norm);
}

static int cli_validate_list_head(struct cli_validate *v, json_t *list,
				  json_t **ret_plugins)
{
	const char *ver = NULL;
	enum cni_ver cv;
	int r = 0;

	r = r ?: jget_str(list, "", "cniVersion", &ver, &v->err);
	r = r ?: cni_ver_parse(ver ? ver : "", &cv, &v->err);
	r = r ?: jget_arr(list, "", "plugins", ret_plugins, &v->err);
	if (r < 0)
		return r;
	snprintf(v->ver, sizeof(v->ver), "%s", ver ? ver : "");
	if (!cni_valid_netname(
		    json_string_value(json_object_get(list, "name"))))
		return cni_err_set(&v->err, CNI_ERR_CONFIG, EINVAL,
				   "name: missing or not a valid network name");
	if (!*ret_plugins || json_array_size(*ret_plugins) == 0)
		return cni_err_set(&v->err, CNI_ERR_CONFIG, EINVAL,
				   "plugins: expected a non-empty array");
	return 0;
}

static int cli_validate_list(struct cli_validate *v, json_t *list)
{
	json_t *plugins = NULL, *p;
	size_t i, n = 0;
	int r;

	r = cli_validate_list_head(v, list, &plugins);
	if (r < 0)
		return cli_validate_fail(v);
	json_array_foreach(plugins, i, p) {
		const char *type =
			json_string_value(json_object_get(p, "type"));

		snprintf(v->where, sizeof(v->where), "plugins[%zu]: ", i);
		if (!json_is_object(p) || !type || !*type) {
			cni_err_set(&v->err, CNI_ERR_CONFIG, EINVAL,
				    "type: missing plugin type");
			return cli_validate_fail(v);
		}
		if (!cli_validate_is_brisks(p)) {
			fprintf(stderr,
				"brisk validate: %s: plugins[%zu] (%s) is not run by brisk: not checked\n",
				v->what, i, type);
			continue;
		}
		if (cli_validate_entry(v, list, i, p) < 0)
			return cli_validate_fail(v);
		n++;
	}
	v->where[0] = '\0';
	if (n == 0) {
		cni_err_set(
			&v->err, CNI_ERR_CONFIG, EINVAL,
			"plugins: no plugin of type brisk (or bridge), and no ipam of type brisk");
		return cli_validate_fail(v);
	}
	return cli_validate_print(list);
}

static int cli_validate_run(struct cli_validate *v, const char *buf, size_t len)
{
	_cleanup_json_ json_t *doc =
		json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	_cleanup_json_ json_t *norm = NULL;

	if (json_is_object(doc) && json_object_get(doc, "plugins"))
		return cli_validate_list(v, doc);
	/* A single config, exactly as ADD reads it (bad JSON included). */
	if (plugin_validate(buf, len, &norm, v->ver, sizeof(v->ver), &v->err) <
	    0)
		return cli_validate_fail(v);
	return cli_validate_print(norm);
}

int cli_validate_main(int argc, char **argv)
{
	struct cli_validate v = { 0 };
	_cleanup_free_ char *buf = NULL;
	struct cli_args a;
	size_t len = 0;
	bool done;
	int r;

	r = cli_args_run(&cli_validate_spec, argc, argv, &a, &done);
	if (done)
		return r;
	if (a.val[VAL_KEYS])
		return a.n_pos ? cli_usage_error(&cli_validate_spec,
						 "--keys takes no FILE") :
				 cli_validate_keys();
	v.what = a.n_pos && strcmp(a.pos[0], "-") != 0 ? a.pos[0] : "stdin";
	r = cli_validate_read(a.n_pos ? a.pos[0] : NULL, &buf, &len);
	if (r != CLI_OK)
		return r;
	return cli_validate_run(&v, buf, len);
}
