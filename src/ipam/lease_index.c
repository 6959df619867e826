// SPDX-License-Identifier: Apache-2.0
/*
 * The lease store's use of brisk's index (index.h): keeping it in step
 * with every change brisk makes, and answering from it. Every answer is
 * checked against the lease files; a disagreement rebuilds the index.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/log.h"
#include "lease_int.h"

/* Taken addresses probed one by one before listing the store instead. */
#define LEASE_PROBE_MAX 256

static bool lease_idx_valid(struct lease_store *s)
{
	return s->idx && s->idx->state == INDEX_VALID;
}

/*
 * Apply @fn to the owner id/ifname/is_old (a new, empty one when it has no
 * record yet), then write its record back; the other owners of the file
 * are copied as they are. @fn returns 0 to write, > 0 to leave it.
 */
static int lease_idx_update(
	struct lease_store *s, const char *id, const char *ifname, bool is_old,
	int (*fn)(struct index_owner *o, bool found, void *data), void *data)
{
	_cleanup_free_ char *buf = NULL, *out = NULL;
	struct index_owner o;
	struct index_slot slot;
	char key[INDEX_NAME_LEN];
	size_t len = 0, out_len = 0;
	bool found;
	int r;

	index_key(id, ifname, is_old, key);
	r = index_raw_load(s, key, &buf, &len);
	if (r < 0)
		return r;
	r = index_raw_find(buf, len, id, ifname, is_old, &o, &slot, &found);
	if (r < 0)
		return r;
	r = fn(&o, found, data);
	if (r == 0) {
		out = index_raw_splice(buf, len, &slot, &o, &out_len);
		r = out ? index_raw_store(s, key, out, out_len) : -ENOMEM;
	}
	index_owner_clear(&o);
	return r < 0 ? r : 0;
}

struct lease_idx_put {
	const char *name;
	const struct lease_stamp *st;
};

static int lease_idx_put_fn(struct index_owner *o, bool found, void *data)
{
	struct lease_idx_put *p = data;

	return index_owner_put(o, p->name, p->st, false);
}

/* The last search's list of taken addresses learns of a new lease. */
static void lease_used_insert(struct lease_store *s, const struct ipaddr *ip)
{
	struct lease_index *x = s->idx;
	struct ipaddr *p;
	size_t i = 0;

	if (!x || x->used_family != ip->family)
		return;
	while (i < x->n_used && ipaddr_cmp(&x->used[i], ip) < 0)
		i++;
	if (i < x->n_used && ipaddr_eq(&x->used[i], ip))
		return;
	p = realloc(x->used, (x->n_used + 1) * sizeof(*p));
	if (!p) {
		lease_idx_forget_free(s);
		return;
	}
	memmove(&p[i + 1], &p[i], (x->n_used - i) * sizeof(*p));
	p[i] = *ip;
	x->used = p;
	x->n_used++;
}

void lease_idx_reserved(struct lease_store *s, const char *name,
			const struct ipaddr *ip, const char *id,
			const char *ifname, const struct lease_stamp *st)
{
	struct lease_idx_put p = { name, st };

	lease_used_insert(s, ip);
	if (!lease_idx_valid(s))
		return;
	if (index_map_set(s, ip, true) < 0)
		return;
	if (lease_idx_update(s, id, ifname, false, lease_idx_put_fn, &p) < 0)
		index_invalidate(s, "cannot write an owner record");
}

void lease_idx_taken(struct lease_store *s, const struct ipaddr *ip)
{
	struct lease_index *x = s->idx;
	struct ipaddr found;
	bool is_free = false, used_map;

	if (!lease_idx_valid(s) || ip->family != AF_INET)
		return;
	used_map = x->used_map;
	/* Taken, yet the bitmap said free: the index missed a change. */
	if (index_map_find(s, ip, ip, &found, &is_free) == 0 && is_free)
		index_invalidate(s, "a taken address was free in the bitmap");
	x->used_map = used_map;
}

static int lease_idx_del_fn(struct index_owner *o, bool found, void *data)
{
	/* An owner left without leases is dropped when written back. */
	return found && index_owner_del(o, data) ? 0 : -ESTALE;
}

void lease_idx_released(struct lease_store *s, const char *name,
			const struct ipaddr *ip, const char *id,
			const char *ifname, bool is_old)
{
	struct ipaddr canon;

	if (!lease_idx_valid(s))
		return;
	/* A bit stands for the canonical name only. */
	if (lease_name_canonical(name, &canon) &&
	    index_map_set(s, &canon, false) < 0)
		return;
	if (id && lease_idx_update(s, id, ifname, is_old, lease_idx_del_fn,
				   (void *)name) < 0)
		index_invalidate(s, "released lease missing from its record");
}

void lease_idx_forget_free(struct lease_store *s)
{
	struct lease_index *x = s->idx;

	if (!x)
		return;
	free(x->used);
	x->used = NULL;
	x->n_used = 0;
	x->used_family = 0;
}

/* ---------------------------------------------------------------- lookup */

struct lease_hits {
	struct lease_hit *h;
	size_t n;
	size_t cap;
};

/* Check @o's leases against their files and append them to @hits. */
static int lease_idx_verify(struct lease_store *s, const struct index_owner *o,
			    const char *id, const char *ifname,
			    struct lease_hits *hits, char *buf)
{
	enum lease_match want = o->is_old ? LEASE_MATCH_OLD : LEASE_MATCH_NEW;

	for (size_t i = 0; i < o->n; i++) {
		struct lease_hit *h;

		if (!lease_read_file(s, o->addrs[i].name, buf, LEASE_READ_MAX,
				     NULL) ||
		    lease_match(buf, id, ifname) != want)
			return -ESTALE;
		if (GROW_ONE(hits->h, hits->cap, hits->n, 4) < 0)
			return -ENOMEM;
		h = &hits->h[hits->n];
		snprintf(h->name, sizeof(h->name), "%s", o->addrs[i].name);
		if (ipaddr_parse(h->name, &h->ip) < 0)
			return -ESTALE;
		h->m = want;
		hits->n++;
	}
	return 0;
}

static int lease_idx_collect(struct lease_store *s, const char *id,
			     const char *ifname, struct lease_hits *hits)
{
	_cleanup_free_ char *buf = malloc(LEASE_READ_MAX);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (int old = 0; old < 1 + s->idx->has_old && r == 0; old++) {
		_cleanup_free_ char *raw = NULL;
		char key[INDEX_NAME_LEN];
		struct index_owner o;
		struct index_slot slot;
		size_t len = 0;
		bool found;

		index_key(id, ifname, old, key);
		r = index_raw_load(s, key, &raw, &len);
		if (r < 0)
			return r;
		r = index_raw_find(raw, len, id, ifname, old, &o, &slot,
				   &found);
		if (r < 0)
			return r;
		if (found)
			r = lease_idx_verify(s, &o, id, ifname, hits, buf);
		index_owner_clear(&o);
	}
	return r;
}

bool lease_idx_find(struct lease_store *s, const char *id, const char *ifname,
		    struct lease_hit **ret, size_t *ret_n)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct lease_hits hits = { 0 };
		int r;

		if (!index_ready(s))
			return false;
		r = lease_idx_collect(s, id, ifname, &hits);
		if (r == 0) {
			*ret = hits.h;
			*ret_n = hits.n;
			return true;
		}
		free(hits.h);
		if (r == -ENOMEM)
			return false;
		index_invalidate(s, "an owner record does not match the files");
	}
	return false;
}

/* ---------------------------------------------------------------- free */

/* Free to try: no file, or an empty one (lease_reserve recovers it). */
static int lease_probe_one(struct lease_store *s, const struct ipaddr *ip,
			   bool *ret_free, struct cni_err *err)
{
	char name[IPADDR_STRLEN];
	struct stat st;

	*ret_free = false;
	if (fstatat(s->dirfd, ipaddr_fmt(ip, name), &st, AT_SYMLINK_NOFOLLOW) ==
	    0) {
		*ret_free = S_ISREG(st.st_mode) && st.st_size == 0;
		return 0;
	}
	if (errno == ENOENT) {
		*ret_free = true;
		return 0;
	}
	return cni_err_set(err, CNI_ERR_IO, errno, "cannot stat %s/%s", s->path,
			   name);
}

static int lease_cmp_addr(const void *a, const void *b)
{
	return ipaddr_cmp(a, b);
}

/* Every taken address of @family in the store, sorted, into s->idx. */
static int lease_used_build(struct lease_store *s, int family,
			    struct cni_err *err)
{
	struct lease_index *x = s->idx;
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int fd;

	lease_idx_forget_free(s);
	fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return cni_err_set(err, CNI_ERR_IO, errno, "cannot read %s",
				   s->path);
	}
	while ((de = readdir(d))) {
		struct ipaddr ip;
		bool is_free;

		if (!lease_name_canonical(de->d_name, &ip) ||
		    ip.family != family ||
		    lease_probe_one(s, &ip, &is_free, err) < 0 || is_free)
			continue;
		if (x->n_used == cap) {
			struct ipaddr *p;

			cap = cap ? cap * 2 : 1024;
			p = realloc(x->used, cap * sizeof(*p));
			if (!p) {
				closedir(d);
				lease_idx_forget_free(s);
				return cni_err_set(err, CNI_ERR_INTERNAL,
						   ENOMEM, "out of memory");
			}
			x->used = p;
		}
		x->used[x->n_used++] = ip;
	}
	closedir(d);
	if (x->n_used)
		qsort(x->used, x->n_used, sizeof(*x->used), lease_cmp_addr);
	x->used_family = family;
	return 0;
}

/* The first address from @cur to @hi that the sorted list does not hold. */
static int lease_free_from_list(struct lease_store *s, struct ipaddr cur,
				const struct ipaddr *hi, struct ipaddr *ret,
				bool *ret_found, struct cni_err *err)
{
	struct lease_index *x = s->idx;
	size_t lo = 0, up;
	int r;

	if (x->used_family != cur.family) {
		r = lease_used_build(s, cur.family, err);
		if (r < 0)
			return r;
	}
	up = x->n_used;
	while (lo < up) {
		size_t mid = lo + (up - lo) / 2;

		if (ipaddr_cmp(&x->used[mid], &cur) < 0)
			lo = mid + 1;
		else
			up = mid;
	}
	for (size_t i = lo;; i++) {
		if (i >= x->n_used || !ipaddr_eq(&x->used[i], &cur)) {
			*ret = cur;
			*ret_found = true;
			return 0;
		}
		if (ipaddr_eq(&cur, hi))
			return 0;
		ipaddr_next(&cur);
	}
}

int lease_next_free(struct lease_store *s, const struct ipaddr *lo,
		    const struct ipaddr *hi, struct ipaddr *ret,
		    bool *ret_found, struct cni_err *err)
{
	struct ipaddr cur = *lo;
	bool is_free;
	int r;

	*ret_found = false;
	if (lo->family == AF_INET && index_ready(s) &&
	    index_map_find(s, lo, hi, ret, ret_found) == 0)
		return 0;
	/* IPv6 is sparse: the next address is nearly always free. */
	for (int i = 0; !s->idx || i < LEASE_PROBE_MAX; i++) {
		r = lease_probe_one(s, &cur, &is_free, err);
		if (r < 0)
			return r;
		if (is_free) {
			*ret = cur;
			*ret_found = true;
			return 0;
		}
		if (ipaddr_eq(&cur, hi))
			return 0;
		ipaddr_next(&cur);
	}
	return lease_free_from_list(s, cur, hi, ret, ret_found, err);
}

void lease_recheck(struct lease_store *s, bool *ret_again)
{
	struct lease_index *x = s->idx;

	*ret_again = false;
	/* Probes and listings read the files: only a bitmap can be behind. */
	if (!x || !x->used_map || x->rebuilt)
		return;
	x->used_map = false;
	index_invalidate(s, "checking before reporting no free address");
	*ret_again = true;
}
