// SPDX-License-Identifier: Apache-2.0
/*
 * brisk leases [--data-dir DIR] [--network NAME] [--json]
 *
 * Who holds which address, and whether that holder is still there: for
 * every lease, its container ID, interface and age, and whether the
 * attachment's network namespace (from brisk's record of the ADD) and its
 * host veth (by the name brisk derives) still exist. A store written by
 * host-local alone has no records: those columns then say "?".
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "brisk/attach.h"
#include "brisk/cleanup.h"
#include "brisk/cli.h"
#include "brisk/grow.h"
#include "brisk/jsonget.h"
#include "lease_view.h"

enum {
	LS_DATA_DIR,
	LS_NETWORK,
	LS_JSON
};

static const struct cli_opt cli_leases_opts[] = {
	[LS_DATA_DIR] = { "data-dir", true },
	[LS_NETWORK] = { "network", true },
	[LS_JSON] = { "json", false },
};

static const struct cli_spec cli_leases_spec = {
	.cmd = "leases",
	.usage =
		"usage: brisk leases [--data-dir DIR] [--network NAME] [--json]\n"
		"  Every lease under DIR (default " IPAM_DEFAULT_DATA_DIR "),\n"
		"  of every network or of NAME: address, interface, age, whether\n"
		"  the attachment's namespace (NETNS) and host veth (VETH) still\n"
		"  exist (yes, no, or ? when brisk has no record of it; NETNS\n"
		"  names the reason when it is gone), and the container ID.\n"
		"  --json prints a JSON array instead of the table.\n",
	.opts = cli_leases_opts,
	.n_opts = ARRAY_SIZE(cli_leases_opts),
	.max_pos = 0,
};

/* What is known about one lease's attachment now. */
struct lease_state {
	enum meta_verdict why;
	int netns; /* 1 exists, 0 gone, -1 unknown */
	int veth; /* same */
	char veth_name[IFNAMSIZ];
};

struct cli_leases {
	const char *data_dir;
	bool json;
	char **networks;
	size_t n_networks;
	size_t cap_networks;
	struct lease_view view;
	struct lease_state *state;
	struct meta_live live;
	struct netlink nl;
	bool has_nl;
};

static int cli_leases_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cli_leases_add_network(struct cli_leases *l, const char *name)
{
	if (GROW_ONE(l->networks, l->cap_networks, l->n_networks, 8) < 0)
		return -ENOMEM;
	l->networks[l->n_networks] = strdup(name);
	if (!l->networks[l->n_networks])
		return -ENOMEM;
	l->n_networks++;
	return 0;
}

/* Every network directory under the data dir (brisk's ".brisk" is not). */
static int cli_leases_find_networks(struct cli_leases *l)
{
	DIR *d = opendir(l->data_dir);
	struct dirent *de;
	struct stat st;
	int r = 0;

	if (!d) {
		fprintf(stderr, "brisk leases: cannot read %s: %s\n",
			l->data_dir, strerror(errno));
		return CLI_FAIL;
	}
	while (r == 0 && (de = readdir(d)))
		if (cni_valid_netname(de->d_name) &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
			    0 &&
		    S_ISDIR(st.st_mode))
			r = cli_leases_add_network(l, de->d_name);
	closedir(d);
	if (r < 0) {
		fputs("brisk leases: out of memory\n", stderr);
		return CLI_FAIL;
	}
	if (l->n_networks > 1)
		qsort(l->networks, l->n_networks, sizeof(char *),
		      cli_leases_name_cmp);
	return CLI_OK;
}

static int cli_leases_load(struct cli_leases *l)
{
	for (size_t i = 0; i < l->n_networks; i++) {
		struct cni_err err = { 0 };

		if (lease_view_load(&l->view, l->data_dir, l->networks[i],
				    &err) < 0) {
			fprintf(stderr, "brisk leases: %s: %s (%s)\n",
				l->networks[i], err.msg, err.details);
			return CLI_FAIL;
		}
	}
	return CLI_OK;
}

static void cli_leases_judge(struct cli_leases *l, const struct lease_row *row,
			     struct lease_state *st)
{
	struct link_info li = { 0 };
	struct cni_err err = { 0 };

	st->why = META_LIVE;
	st->netns = -1;
	st->veth = -1;
	if (row->has_meta) {
		st->why = meta_judge(&row->meta, l->view.boot, &l->live);
		if (st->why != META_LIVE)
			st->netns = 0;
		else if (row->meta.ns_ino)
			st->netns = 1;
	}
	if (!row->id[0] || !cni_valid_ifname(row->ifname))
		return;
	attach_host_ifname(row->id, row->ifname, st->veth_name);
	if (!l->has_nl || link_get(&l->nl, st->veth_name, 0, &li, &err) < 0)
		return;
	if (li.ifindex && strcmp(li.kind, "veth") == 0)
		st->veth = 1;
	else if (row->has_meta)
		st->veth = 0; /* brisk made it, so under this name */
}

static int cli_leases_judge_all(struct cli_leases *l)
{
	struct cni_err err = { 0 };

	l->state = calloc(l->view.n ? l->view.n : 1, sizeof(*l->state));
	if (!l->state) {
		fputs("brisk leases: out of memory\n", stderr);
		return CLI_FAIL;
	}
	if (meta_live_scan(&l->live) < 0)
		memset(&l->live, 0, sizeof(l->live));
	/* Without netlink (not root) the veth column says "?". */
	l->has_nl = netlink_open(&l->nl, &err) == 0;
	for (size_t i = 0; i < l->view.n; i++)
		cli_leases_judge(l, &l->view.rows[i], &l->state[i]);
	return CLI_OK;
}

static void cli_leases_age(int64_t mtime, time_t now, char *buf, size_t n)
{
	long long s = mtime ? (long long)(now - mtime) : -1;

	if (s < 0)
		snprintf(buf, n, "?");
	else if (s < 60)
		snprintf(buf, n, "%llds", s);
	else if (s < 3600)
		snprintf(buf, n, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, n, "%lldh%lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, n, "%lldd%lldh", s / 86400, s % 86400 / 3600);
}

static const char *cli_leases_netns_word(const struct lease_state *st)
{
	if (st->netns == 0)
		return meta_verdict_str(st->why);
	return st->netns > 0 ? "yes" : "?";
}

static const char *cli_leases_tri(int v)
{
	return v > 0 ? "yes" : v == 0 ? "no" : "?";
}

#define LS_COLS 7
#define LS_CELL NETCONF_NAME_MAX

static void cli_leases_cells(struct cli_leases *l, size_t i, time_t now,
			     char cells[LS_COLS][LS_CELL], const char **wide)
{
	const struct lease_row *row = &l->view.rows[i];

	snprintf(cells[0], LS_CELL, "%s", row->network);
	ipaddr_fmt(&row->ip, cells[1]);
	/* A garbled lease file may hold anything: cut, never misalign. */
	snprintf(cells[2], LS_CELL, "%.15s",
		 row->ifname[0] ? row->ifname : "-");
	cli_leases_age(row->mtime, now, cells[3], LS_CELL);
	snprintf(cells[4], LS_CELL, "%s", cli_leases_netns_word(&l->state[i]));
	snprintf(cells[5], LS_CELL, "%s", cli_leases_tri(l->state[i].veth));
	/* The container ID may be long: the last column, never cut. */
	*wide = row->id[0] ? row->id : "-";
}

static int cli_leases_table(struct cli_leases *l)
{
	static const char *const head[LS_COLS] = { "NETWORK",  "ADDRESS",
						   "IFNAME",   "AGE",
						   "NETNS",    "VETH",
						   "CONTAINER" };
	char cells[LS_COLS][LS_CELL];
	size_t w[LS_COLS - 1];
	time_t now = time(NULL);
	const char *id;

	for (size_t c = 0; c < LS_COLS - 1; c++)
		w[c] = strlen(head[c]);
	for (size_t i = 0; i < l->view.n; i++) {
		cli_leases_cells(l, i, now, cells, &id);
		for (size_t c = 0; c < LS_COLS - 1; c++)
			if (strlen(cells[c]) > w[c])
				w[c] = strlen(cells[c]);
	}
	for (size_t c = 0; c < LS_COLS - 1; c++)
		printf("%-*s  ", (int)w[c], head[c]);
	printf("%s\n", head[LS_COLS - 1]);
	for (size_t i = 0; i < l->view.n; i++) {
		cli_leases_cells(l, i, now, cells, &id);
		for (size_t c = 0; c < LS_COLS - 1; c++)
			printf("%-*s  ", (int)w[c], cells[c]);
		printf("%s\n", id);
	}
	return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
}

static json_t *cli_leases_tri_json(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static json_t *cli_leases_row_json(struct cli_leases *l, size_t i, time_t now)
{
	const struct lease_row *row = &l->view.rows[i];
	const struct lease_state *st = &l->state[i];
	char ip[IPADDR_STRLEN], when[32] = "";
	struct tm tm;
	time_t t = (time_t)row->mtime;

	if (row->mtime && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"network", row->network, "address", ipaddr_fmt(&row->ip, ip),
		"containerID", row->id, "ifname", row->ifname, "created",
		when[0] ? json_string(when) : json_null(), "ageSeconds",
		row->mtime ? json_integer(now - t) : json_null(), "record",
		json_boolean(row->has_meta), "netns",
		row->has_meta && row->meta.netns ?
			json_string(row->meta.netns) :
			json_null(),
		"netnsExists", cli_leases_tri_json(st->netns), "stale",
		st->netns == 0 ? json_string(meta_verdict_str(st->why)) :
				 json_null(),
		"hostVeth",
		st->veth_name[0] ? json_string(st->veth_name) : json_null(),
		"hostVethExists", cli_leases_tri_json(st->veth));
}

static int cli_leases_json(struct cli_leases *l)
{
	_cleanup_json_ json_t *a = json_array();
	time_t now = time(NULL);

	for (size_t i = 0; a && i < l->view.n; i++)
		if (json_array_append_new(a, cli_leases_row_json(l, i, now)) <
		    0)
			break;
	if (!a || json_array_size(a) != l->view.n) {
		fputs("brisk leases: out of memory\n", stderr);
		return CLI_FAIL;
	}
	if (json_dumpf(a, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		return CLI_FAIL;
	putchar('\n');
	return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
}

static int cli_leases_run(struct cli_leases *l, const char *network)
{
	char path[PATH_MAX];
	struct stat st;
	int r;

	if (network) {
		/* Listing must not create a store that is not there. */
		snprintf(path, sizeof(path), "%s/%s", l->data_dir, network);
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "brisk leases: no lease store %s\n",
				path);
			return CLI_FAIL;
		}
		r = cli_leases_add_network(l, network) < 0 ? CLI_FAIL : CLI_OK;
	} else {
		r = cli_leases_find_networks(l);
	}
	r = r ?: cli_leases_load(l);
	r = r ?: cli_leases_judge_all(l);
	if (r != CLI_OK)
		return r;
	return l->json ? cli_leases_json(l) : cli_leases_table(l);
}

static void cli_leases_free(struct cli_leases *l)
{
	for (size_t i = 0; i < l->n_networks; i++)
		free(l->networks[i]);
	free(l->networks);
	lease_view_clear(&l->view);
	free(l->state);
	meta_live_clear(&l->live);
	if (l->has_nl)
		netlink_close(&l->nl);
}

int cli_leases_main(int argc, char **argv)
{
	struct cli_leases l = { 0 };
	struct cli_args a;
	bool done;
	int r;

	r = cli_args_run(&cli_leases_spec, argc, argv, &a, &done);
	if (done)
		return r;
	l.data_dir = a.val[LS_DATA_DIR] ? a.val[LS_DATA_DIR] :
					  IPAM_DEFAULT_DATA_DIR;
	l.json = a.val[LS_JSON] != NULL;
	r = cli_check_data_dir(&cli_leases_spec, l.data_dir);
	if (r == CLI_OK && a.val[LS_NETWORK])
		r = cli_check_network(&cli_leases_spec, a.val[LS_NETWORK]);
	if (r != CLI_OK)
		return r;
	r = cli_leases_run(&l, a.val[LS_NETWORK]);
	cli_leases_free(&l);
	return r;
}
