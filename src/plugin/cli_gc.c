// SPDX-License-Identifier: Apache-2.0
/*
 * brisk gc --data-dir DIR --network NAME [--apply]
 *
 * The operator's command for leases that no DEL will ever free: those
 * whose attachment record says, with certainty, that the container is gone
 * (an earlier boot, or a network namespace that no longer exists). A dry
 * run by default; --apply releases them and deletes their host veths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "brisk/attach.h"
#include "brisk/cleanup.h"
#include "brisk/cli.h"
#include "brisk/cni.h"
#include "brisk/grow.h"
#include "brisk/link.h"
#include "brisk/meta.h"
#include "brisk/stale.h"
#include "fwstep.h"

enum {
	GC_DATA_DIR,
	GC_NETWORK,
	GC_APPLY
};

static const struct cli_opt cli_gc_opts[] = {
	[GC_DATA_DIR] = { "data-dir", true },
	[GC_NETWORK] = { "network", true },
	[GC_APPLY] = { "apply", false },
};

static const struct cli_spec cli_gc_spec = {
	.cmd = "gc",
	.usage =
		"usage: brisk gc --data-dir DIR --network NAME [--apply]\n"
		"  List the leases of NAME whose container is gone for sure\n"
		"  (dry run); --apply releases them and deletes their host veths.\n",
	.opts = cli_gc_opts,
	.n_opts = ARRAY_SIZE(cli_gc_opts),
	.max_pos = 0,
};

struct cli_gc_owner {
	char *id;
	char ifname[IFNAMSIZ];
};

struct cli_gc {
	const char *data_dir;
	const char *network;
	bool apply;
	struct cli_gc_owner *owners; /* distinct, for the host veths */
	size_t n_owners;
	size_t cap_owners;
	bool oom;
};

static void cli_gc_note_owner(struct cli_gc *g, const char *id,
			      const char *ifname)
{
	struct cli_gc_owner *o;

	for (size_t i = 0; i < g->n_owners; i++)
		if (strcmp(g->owners[i].id, id) == 0 &&
		    strcmp(g->owners[i].ifname, ifname) == 0)
			return;
	if (GROW_ONE(g->owners, g->cap_owners, g->n_owners, 8) < 0) {
		g->oom = true;
		return;
	}
	o = &g->owners[g->n_owners];
	o->id = strdup(id);
	if (!o->id) {
		g->oom = true;
		return;
	}
	snprintf(o->ifname, IFNAMSIZ, "%s", ifname);
	g->n_owners++;
}

static void cli_gc_print(const struct stale_lease *st, void *data)
{
	char ip[IPADDR_STRLEN];

	printf("%s %s %s %s\n", ipaddr_fmt(&st->ip, ip), st->id, st->ifname,
	       meta_verdict_str(st->why));
	cli_gc_note_owner(data, st->id, st->ifname);
}

/* The host ends of released attachments, in this namespace; gone is fine. */
static int cli_gc_links(struct cli_gc *g)
{
	struct netlink nl = { 0 };
	struct cni_err err = { 0 };
	int failed = CLI_OK;

	if (g->n_owners == 0)
		return CLI_OK;
	if (netlink_open(&nl, &err) < 0) {
		fprintf(stderr, "brisk gc: %s (%s)\n", err.msg, err.details);
		return CLI_FAIL;
	}
	for (size_t i = 0; i < g->n_owners; i++) {
		struct link_info li = { 0 };
		char name[IFNAMSIZ];
		bool deleted;

		attach_host_ifname(g->owners[i].id, g->owners[i].ifname, name);
		memset(&err, 0, sizeof(err));
		/* Only a veth under the derived name is ours to delete. */
		if (link_get(&nl, name, 0, &li, &err) == 0 &&
		    (li.ifindex == 0 || strcmp(li.kind, "veth") != 0))
			continue;
		if (!cni_err_is_set(&err))
			link_del(&nl, name, &deleted, &err);
		if (cni_err_is_set(&err)) {
			fprintf(stderr, "brisk gc: host veth %s: %s (%s)\n",
				name, err.msg, err.details);
			failed = CLI_FAIL;
		}
	}
	netlink_close(&nl);
	return failed;
}

/* The nftables elements and records of released attachments. */
static int cli_gc_firewall(struct cli_gc *g)
{
	int failed = 0;

	for (size_t i = 0; i < g->n_owners; i++) {
		struct cni_err err = { 0 };

		if (fwstep_forget(g->data_dir, g->network, g->owners[i].id,
				  g->owners[i].ifname, &err) < 0) {
			fprintf(stderr, "brisk gc: firewall of %s/%s: %s (%s)\n",
				g->owners[i].id, g->owners[i].ifname, err.msg,
				err.details);
			failed = 1;
		}
	}
	return failed;
}

static void cli_gc_free(struct cli_gc *g)
{
	for (size_t i = 0; i < g->n_owners; i++)
		free(g->owners[i].id);
	free(g->owners);
}

static int cli_gc_run(struct cli_gc *g)
{
	struct cni_err err = { 0 };
	char path[PATH_MAX];
	struct stat st;
	size_t n = 0;
	int r;

	/* A dry run must not create anything: the store must exist. */
	snprintf(path, sizeof(path), "%s/%s", g->data_dir, g->network);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "brisk gc: no lease store %s\n", path);
		return CLI_FAIL;
	}
	r = stale_gc(g->data_dir, g->network, g->apply, cli_gc_print, g, &n,
		     &err);
	if (r < 0) {
		fprintf(stderr, "brisk gc: %s (%s)\n", err.msg, err.details);
		return CLI_FAIL;
	}
	printf("%zu stale lease%s in network %s: %s\n", n, n == 1 ? "" : "s",
	       g->network,
	       g->apply ? "released" :
			  "dry run, nothing changed (--apply releases them)");
	if (fflush(stdout) != 0)
		return CLI_FAIL;
	if (g->oom) {
		fputs("brisk gc: out of memory\n", stderr);
		return CLI_FAIL;
	}
	return g->apply ? cli_gc_firewall(g) | cli_gc_links(g) : CLI_OK;
}

int cli_gc_main(int argc, char **argv)
{
	struct cli_gc g = { 0 };
	struct cli_args a;
	bool done;
	int r;

	r = cli_args_run(&cli_gc_spec, argc, argv, &a, &done);
	if (done)
		return r;
	g.data_dir = a.val[GC_DATA_DIR];
	g.network = a.val[GC_NETWORK];
	g.apply = a.val[GC_APPLY] != NULL;
	r = cli_check_data_dir(&cli_gc_spec, g.data_dir);
	if (r == CLI_OK)
		r = cli_check_network(&cli_gc_spec, g.network);
	if (r != CLI_OK)
		return r;
	r = cli_gc_run(&g);
	cli_gc_free(&g);
	return r;
}
