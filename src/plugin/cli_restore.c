// SPDX-License-Identifier: Apache-2.0
/*
 * brisk restore [--data-dir DIR] [--network NAME]
 *
 * After someone flushed the ruleset (nft flush ruleset, a firewall
 * reload), brisk's tables are gone with every attachment's elements. The
 * next ADD makes the tables again, but the attachments already running
 * need theirs back: this puts them back from the firewall records, in the
 * network namespace it runs in (the one that holds the bridge).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/cli.h"
#include "brisk/cni.h"
#include "brisk/fw.h"
#include "brisk/fwrec.h"
#include "brisk/netconf.h"

enum {
	RS_DATA_DIR,
	RS_NETWORK
};

static const struct cli_opt cli_restore_opts[] = {
	[RS_DATA_DIR] = { "data-dir", true },
	[RS_NETWORK] = { "network", true },
};

static const struct cli_spec cli_restore_spec = {
	.cmd = "restore",
	.usage =
		"usage: brisk restore [--data-dir DIR] [--network NAME]\n"
		"  Put the nftables elements of every attachment recorded under\n"
		"  DIR (default " IPAM_DEFAULT_DATA_DIR
		"), of every network or of\n"
		"  NAME, back into brisk's tables (after a flush of the ruleset),\n"
		"  in the network namespace it runs in. Elements already there\n"
		"  are kept.\n",
	.opts = cli_restore_opts,
	.n_opts = ARRAY_SIZE(cli_restore_opts),
	.max_pos = 0,
};

struct cli_restore {
	struct fw fw;
	const char *network;
	size_t n_ok, n_failed;
};

static int cli_restore_one(struct fwrec *rec, void *data)
{
	struct cli_restore *c = data;
	struct cni_err err = { 0 };

	if (fw_restore(&c->fw, &rec->plan, &err) < 0) {
		fprintf(stderr, "brisk restore: %s: %s (%s)\n", rec->plan.owner,
			err.msg, err.details);
		c->n_failed++;
		return 0;
	}
	printf("%s %s %s restored\n", c->network, rec->id, rec->ifname);
	c->n_ok++;
	return 0;
}

static int cli_restore_network(struct cli_restore *c, const char *data_dir,
			       const char *network)
{
	struct cni_err err = { 0 };
	int dfd = -1, r;

	c->network = network;
	r = fwrec_dir_open(data_dir, network, false, &dfd, &err);
	if (r == 0 && dfd >= 0)
		r = fwrec_list(dfd, cli_restore_one, c, &err);
	if (dfd >= 0)
		close(dfd);
	if (r < 0)
		fprintf(stderr, "brisk restore: %s: %s (%s)\n", network,
			err.msg, err.details);
	return r < 0 ? 1 : 0;
}

/* Every network with records: the directories under DIR/.brisk. */
static int cli_restore_all(struct cli_restore *c, const char *data_dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	int failed = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/.brisk", data_dir);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && cni_valid_netname(de->d_name))
			failed |= cli_restore_network(c, data_dir, de->d_name);
	closedir(d);
	return failed;
}

int cli_restore_main(int argc, char **argv)
{
	struct cli_restore c = { .fw = { .lock_fd = -1 } };
	struct cni_err err = { 0 };
	const char *dir, *net;
	struct cli_args a;
	bool done;
	int r;

	r = cli_args_run(&cli_restore_spec, argc, argv, &a, &done);
	if (done)
		return r;
	dir = a.val[RS_DATA_DIR] ? a.val[RS_DATA_DIR] : IPAM_DEFAULT_DATA_DIR;
	net = a.val[RS_NETWORK];
	r = cli_check_data_dir(&cli_restore_spec, dir);
	if (r == CLI_OK && net)
		r = cli_check_network(&cli_restore_spec, net);
	if (r != CLI_OK)
		return r;
	/* Held throughout: no ADD, DEL or GC changes a record meanwhile. */
	if (fw_open(&c.fw, &err) < 0 || fw_lock(&c.fw, &err) < 0) {
		fprintf(stderr, "brisk restore: %s (%s)\n", err.msg,
			err.details);
		fw_close(&c.fw);
		return CLI_FAIL;
	}
	r = net ? cli_restore_network(&c, dir, net) : cli_restore_all(&c, dir);
	fw_close(&c.fw);
	printf("%zu attachment%s restored, %zu failed\n", c.n_ok,
	       c.n_ok == 1 ? "" : "s", c.n_failed);
	return r || c.n_failed || fflush(stdout) != 0 ? CLI_FAIL : CLI_OK;
}
