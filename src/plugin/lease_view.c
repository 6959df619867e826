// SPDX-License-Identifier: Apache-2.0
/*
 * The leases of a store and their owner records, through lease_list and
 * lease_owner_walk. The records are matched to lease files by address:
 * lease_owner_walk passes only leases whose files are still exactly the
 * ones the record was made for, so a match is the same attachment.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "brisk/cleanup.h"
#include "brisk/grow.h"
#include "brisk/ipam.h"
#include "brisk/lease.h"
#include "lease_view.h"

struct lease_view_ctx {
	struct lease_view *v;
	struct lease_store *s;
	const char *network;
	size_t first; /* this store's first row */
};

static int lease_view_oom(struct cni_err *err)
{
	return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM, "out of memory");
}

/* For display: a garbled lease file must not reach a terminal raw. */
static char *lease_view_strdup(const char *s)
{
	char *d = strdup(s ? s : "");

	for (char *p = d; p && *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			*p = '?';
	return d;
}

static int lease_view_add(const struct ipaddr *ip, const char *id,
			  const char *ifname, void *data, struct cni_err *err)
{
	struct lease_view_ctx *c = data;
	struct lease_view *v = c->v;
	struct lease_row *row;
	char name[IPADDR_STRLEN];
	struct stat st;

	if (GROW_ONE(v->rows, v->cap, v->n, 64) < 0)
		return lease_view_oom(err);
	row = &v->rows[v->n];
	memset(row, 0, sizeof(*row));
	row->network = c->network;
	row->ip = *ip;
	row->id = lease_view_strdup(id);
	row->ifname = lease_view_strdup(ifname);
	if (!row->id || !row->ifname) {
		free(row->id);
		free(row->ifname);
		return lease_view_oom(err);
	}
	if (fstatat(c->s->dirfd, ipaddr_fmt(ip, name), &st,
		    AT_SYMLINK_NOFOLLOW) == 0)
		row->mtime = st.st_mtim.tv_sec;
	v->n++;
	return 0;
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

static int lease_view_owner(const struct lease_owner *o, void *data,
			    struct cni_err *err)
{
	struct lease_view_ctx *c = data;

	for (size_t i = 0; i < o->n; i++) {
		struct lease_row key = { .ip = o->ips[i] };
		struct lease_row *row = bsearch(&key, c->v->rows + c->first,
						c->v->n - c->first, sizeof(key),
						lease_view_rowcmp);

		if (!row || row->has_meta)
			continue;
		if (meta_attach_copy(&row->meta, o->meta) < 0)
			return lease_view_oom(err);
		row->has_meta = true;
	}
	return 0;
}

int lease_view_load(struct lease_view *v, const char *data_dir,
		    const char *network, struct cni_err *err)
{
	_cleanup_(lease_store_close) struct lease_store s = LEASE_STORE_INIT;
	struct lease_view_ctx c = { v, &s, network, v->n };
	int r;

	r = lease_store_open(data_dir, network, &s, err);
	r = r ?: lease_store_lock(&s, IPAM_LOCK_TIMEOUT_MS, err);
	r = r ?: lease_list(&s, lease_view_add, &c, err);
	/* Nothing to sort or match in a store without leases. */
	if (r < 0 || v->n == c.first)
		return r;
	qsort(v->rows + c.first, v->n - c.first, sizeof(v->rows[0]),
	      lease_view_rowcmp);
	return lease_owner_walk(&s, lease_view_owner, &c, err);
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
