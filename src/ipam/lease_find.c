// SPDX-License-Identifier: Apache-2.0
/* Reading the lease files: parsing, matching, and the scans that are the
 * ground truth (and the fallback whenever brisk's index cannot answer). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/fsopen.h"
#include "brisk/lease.h"
#include "brisk/log.h"
#include "lease_int.h"

#define LEASE_LAST_PREFIX "last_reserved_ip."

static void lease_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_closedir_ _cleanup_(lease_closedirp)

int lease_fstamp(int fd, struct lease_stamp *ret)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	ret->ino = (uint64_t)st.st_ino;
	ret->sec = (int64_t)st.st_mtim.tv_sec;
	ret->nsec = (int64_t)st.st_mtim.tv_nsec;
	ret->size = (int64_t)st.st_size;
	return 0;
}

bool lease_stamp_eq(const struct lease_stamp *a, const struct lease_stamp *b)
{
	return a->ino == b->ino && a->sec == b->sec && a->nsec == b->nsec &&
	       a->size == b->size;
}

/*
 * Read a small regular file of the store into @buf (NUL-terminated), with
 * surrounding whitespace trimmed as host-local's strings.TrimSpace does.
 * False when it cannot be read or is too large to be one of ours.
 */
bool lease_read_file(struct lease_store *s, const char *name, char *buf,
		     size_t size, struct lease_stamp *ret_st)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len = 0;
	ssize_t n = 0;
	char *p;

	/* O_NONBLOCK: a FIFO planted under a lease's name must not hang us. */
	fd = openat(s->dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (n < 0 || len >= size)
		return false;
	if (ret_st && lease_fstamp(fd, ret_st) < 0)
		return false;
	while (len > 0 && strchr(" \t\r\n\v\f", buf[len - 1]))
		len--;
	buf[len] = '\0';
	p = buf + strspn(buf, " \t\r\n\v\f");
	memmove(buf, p, strlen(p) + 1);
	return true;
}

enum lease_match lease_match(const char *content, const char *id,
			     const char *ifname)
{
	size_t idlen = strlen(id);

	if (strncmp(content, id, idlen) != 0)
		return LEASE_MATCH_NONE;
	if (content[idlen] == '\0')
		return LEASE_MATCH_OLD;
	if (strncmp(content + idlen, LEASE_LINE_BREAK, 2) == 0 &&
	    strcmp(content + idlen + 2, ifname) == 0)
		return LEASE_MATCH_NEW;
	return LEASE_MATCH_NONE;
}

const char *lease_split(char *content, bool *ret_is_old)
{
	char *br = strstr(content, LEASE_LINE_BREAK);

	*ret_is_old = !br;
	if (!br)
		return "";
	*br = '\0';
	return br + 2;
}

bool lease_name_canonical(const char *name, struct ipaddr *ret)
{
	char buf[IPADDR_STRLEN];

	return ipaddr_parse(name, ret) == 0 &&
	       strcmp(ipaddr_fmt(ret, buf), name) == 0;
}

/* Called for each lease of id/ifname; a negative return stops the scan. */
typedef int (*lease_visit_fn)(struct lease_store *s, const char *name,
			      const struct ipaddr *ip, enum lease_match m,
			      void *data, struct cni_err *err);

/* Called by lease_walk for every lease file, with its trimmed content. */
typedef int (*lease_walk_fn)(struct lease_store *s, const char *name,
			     const struct ipaddr *ip, char *content, void *data,
			     struct cni_err *err);

/*
 * Visit every lease file of the store. Callers hold the lock, so a
 * temporary file met on the way was left by a writer that died: remove it.
 */
static int lease_walk(struct lease_store *s, lease_walk_fn fn, void *data,
		      struct cni_err *err)
{
	_cleanup_free_ char *buf = malloc(LEASE_READ_MAX);
	_cleanup_closedir_ DIR *d = NULL;
	struct ipaddr ip;
	struct dirent *de;
	int fd, r;

	if (!buf)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	/* A fresh open of ".": readdir must not move dirfd's own offset. */
	fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		r = cni_err_set(err, CNI_ERR_IO, errno, "cannot read %s",
				s->path);
		if (fd >= 0)
			close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, LEASE_TMP_PREFIX,
			    strlen(LEASE_TMP_PREFIX)) == 0) {
			unlinkat(s->dirfd, de->d_name, 0);
			continue;
		}
		/* "lock", "last_reserved_ip.N" and dotfiles are not leases. */
		if (ipaddr_parse(de->d_name, &ip) < 0)
			continue;
		if (!lease_read_file(s, de->d_name, buf, LEASE_READ_MAX, NULL))
			buf[0] = '\0';
		r = fn(s, de->d_name, &ip, buf, data, err);
		if (r < 0)
			return r;
	}
	return 0;
}

struct lease_scan_ctx {
	const char *id;
	const char *ifname;
	lease_visit_fn visit;
	void *data;
};

static int lease_scan_one(struct lease_store *s, const char *name,
			  const struct ipaddr *ip, char *content, void *data,
			  struct cni_err *err)
{
	struct lease_scan_ctx *c = data;
	enum lease_match m = lease_match(content, c->id, c->ifname);

	if (m == LEASE_MATCH_NONE)
		return 0;
	return c->visit(s, name, ip, m, c->data, err);
}

/* Visit every lease file of the store whose content matches id/ifname. */
static int lease_scan(struct lease_store *s, const char *id, const char *ifname,
		      lease_visit_fn visit, void *data, struct cni_err *err)
{
	struct lease_scan_ctx c = { id, ifname, visit, data };

	return lease_walk(s, lease_scan_one, &c, err);
}

struct lease_found {
	struct ipaddr *ips;
	size_t max;
	size_t n;
};

static void lease_found_add(struct lease_store *s, struct lease_found *f,
			    const char *name, const struct ipaddr *ip)
{
	if (f->n < f->max)
		f->ips[f->n++] = *ip;
	else
		log_warn(
			"%s: more than %zu leases for one container; ignoring %s",
			s->path, f->max, name);
}

static int lease_collect(struct lease_store *s, const char *name,
			 const struct ipaddr *ip, enum lease_match m,
			 void *data, struct cni_err *err)
{
	lease_found_add(s, data, name, ip);
	return 0;
}

int lease_find_by_id(struct lease_store *s, const char *id, const char *ifname,
		     struct ipaddr *ret, size_t max, size_t *ret_n,
		     struct cni_err *err)
{
	struct lease_found f = { .ips = ret, .max = max };
	_cleanup_free_ struct lease_hit *hits = NULL;
	size_t n_hits = 0;
	int r;

	*ret_n = 0;
	if (lease_idx_find(s, id, ifname, &hits, &n_hits)) {
		for (size_t i = 0; i < n_hits; i++)
			lease_found_add(s, &f, hits[i].name, &hits[i].ip);
		*ret_n = f.n;
		return 0;
	}
	r = lease_scan(s, id, ifname, lease_collect, &f, err);
	if (r < 0)
		return r;
	*ret_n = f.n;
	return 0;
}

struct lease_release {
	const char *id;
	const char *ifname;
	enum lease_match want;
	size_t n;
	int first_errno;
	char first_name[IPADDR_STRLEN];
};

static void lease_release_one(struct lease_store *s, struct lease_release *rel,
			      const char *name, const struct ipaddr *ip)
{
	bool is_old = rel->want == LEASE_MATCH_OLD;
	int r = lease_unlink(s, name, ip, rel->id, is_old ? "" : rel->ifname,
			     is_old);

	if (r > 0) {
		rel->n++;
	} else if (r < 0 && rel->first_errno == 0) {
		rel->first_errno = -r;
		snprintf(rel->first_name, sizeof(rel->first_name), "%s", name);
	}
}

/* Keep going after a failed unlink so that DEL frees all it can. */
static int lease_unlink_match(struct lease_store *s, const char *name,
			      const struct ipaddr *ip, enum lease_match m,
			      void *data, struct cni_err *err)
{
	struct lease_release *rel = data;

	if (m == rel->want)
		lease_release_one(s, rel, name, ip);
	return 0;
}

/* One pass over the leases of the wanted format: index hits or a scan. */
static int lease_release_pass(struct lease_store *s, struct lease_release *rel,
			      const struct lease_hit *hits, size_t n_hits,
			      bool use_hits, struct cni_err *err)
{
	if (!use_hits)
		return lease_scan(s, rel->id, rel->ifname, lease_unlink_match,
				  rel, err);
	for (size_t i = 0; i < n_hits; i++)
		if (hits[i].m == rel->want)
			lease_release_one(s, rel, hits[i].name, &hits[i].ip);
	return 0;
}

int lease_release_by_id(struct lease_store *s, const char *id,
			const char *ifname, struct cni_err *err)
{
	struct lease_release rel = { .id = id,
				     .ifname = ifname,
				     .want = LEASE_MATCH_NEW };
	_cleanup_free_ struct lease_hit *hits = NULL;
	size_t n_hits = 0;
	bool use_hits;
	int r;

	use_hits = lease_idx_find(s, id, ifname, &hits, &n_hits);
	r = lease_release_pass(s, &rel, hits, n_hits, use_hits, err);
	/* As host-local: old id-only leases go only when no new one matched. */
	if (r == 0 && rel.n == 0 && rel.first_errno == 0) {
		rel.want = LEASE_MATCH_OLD;
		r = lease_release_pass(s, &rel, hits, n_hits, use_hits, err);
	}
	lease_idx_forget_free(s);
	if (r < 0)
		return r;
	if (rel.first_errno)
		return cni_err_set(err, CNI_ERR_IO, rel.first_errno,
				   "cannot remove %s/%s", s->path,
				   rel.first_name);
	return 0;
}

int lease_last_reserved(struct lease_store *s, int set, struct ipaddr *ret,
			struct cni_err *err)
{
	char name[64], buf[IPADDR_STRLEN + 16];

	ret->family = 0;
	snprintf(name, sizeof(name), LEASE_LAST_PREFIX "%d", set);
	/* A hint only: a missing or garbled file just restarts the cycle. */
	if (!lease_read_file(s, name, buf, sizeof(buf), NULL)) {
		struct stat st;

		/* ...but one that is no file could never be written back. */
		if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(st.st_mode))
			return cni_err_set(err, CNI_ERR_IO, EMEDIUMTYPE,
					   "%s/%s is %s, not a file", s->path,
					   name, fsopen_kind(st.st_mode));
		return 0;
	}
	if (ipaddr_parse(buf, ret) < 0)
		ret->family = 0;
	return 0;
}

struct lease_list_ctx {
	lease_list_fn fn;
	void *data;
};

static int lease_list_one(struct lease_store *s, const char *name,
			  const struct ipaddr *ip, char *content, void *data,
			  struct cni_err *err)
{
	struct lease_list_ctx *c = data;
	bool is_old;
	const char *ifname = lease_split(content, &is_old);

	return c->fn(ip, content, ifname, c->data, err);
}

int lease_list(struct lease_store *s, lease_list_fn fn, void *data,
	       struct cni_err *err)
{
	struct lease_list_ctx c = { fn, data };

	return lease_walk(s, lease_list_one, &c, err);
}
