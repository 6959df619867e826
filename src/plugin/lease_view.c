// SPDX-License-Identifier: Apache-2.0
/*
 * The leases of a store with their attachment records, through the store
 * façade: store_list passes each lease with the note kept for that very
 * file, so a record shown is the one of the attachment holding the lease.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brisk/cleanup.h"
#include "brisk/grow.h"
#include "brisk/store.h"
#include "lease_view.h"

struct lease_view_ctx {
	struct lease_view *v;
	const char *network;
};

/* For display: a garbled lease file must not reach a terminal raw. */
static char *lease_view_strdup(const char *s)
{
	char *d = strdup(s ? s : "");

	for (char *p = d; p && *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			*p = '?';
	return d;
}

static int lease_view_add(const struct store_lease *l, void *data,
			  struct cni_err *err)
{
	struct lease_view_ctx *c = data;
	struct lease_view *v = c->v;
	struct lease_row *row;

	if (GROW_ONE(v->rows, v->cap, v->n, 64) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	row = memset(&v->rows[v->n], 0, sizeof(*row));
	row->network = c->network;
	row->ip = l->ip;
	row->mtime = l->mtime;
	row->id = lease_view_strdup(l->id);
	row->ifname = lease_view_strdup(l->ifname);
	/* A note that is not one of ours is no record. */
	row->has_meta = l->note && meta_parse(l->note, &row->meta) == 0;
	v->n++;
	if (row->id && row->ifname)
		return 0;
	return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM, "out of memory");
}

/* IPv4 before IPv6, then by address: the order rows are shown in. */
int lease_view_ipcmp(const struct ipaddr *a, const struct ipaddr *b)
{
	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	return ipaddr_cmp(a, b);
}

static int lease_view_rowcmp(const void *a, const void *b)
{
	return lease_view_ipcmp(&((const struct lease_row *)a)->ip,
				&((const struct lease_row *)b)->ip);
}

int lease_view_load(struct lease_view *v, const char *data_dir,
		    const char *network, struct cni_err *err)
{
	_cleanup_(store_close) struct store s = STORE_INIT;
	struct lease_view_ctx c = { v, network };
	size_t first = v->n;
	int r;

	r = store_open(data_dir, network, STORE_LOCK_TIMEOUT_MS, &s, err);
	if (r == 0) {
		snprintf(v->boot, sizeof(v->boot), "%s", store_boot(&s));
		r = store_list(&s, lease_view_add, &c, err);
	}
	/* Nothing to sort in a store without leases (and no array yet). */
	if (r == 0 && v->n > first)
		qsort(v->rows + first, v->n - first, sizeof(v->rows[0]),
		      lease_view_rowcmp);
	return r;
}

void lease_view_clear(struct lease_view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->rows[i].id);
		free(v->rows[i].ifname);
		if (v->rows[i].has_meta)
			meta_attach_clear(&v->rows[i].meta);
	}
	free(v->rows);
	memset(v, 0, sizeof(*v));
}
