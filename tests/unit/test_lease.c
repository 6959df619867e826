// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "brisk/lease.h"
#include "../../src/ipam/index.h"

struct fixture {
	char tmp[256]; /* the mkdtemp directory */
	char data[512]; /* dataDir inside it, not yet made */
	char net[PATH_MAX]; /* <data>/net1 */
	struct lease_store s;
};

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(p);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cni_err err = { 0 };

	umask(022);
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/brisk-lease-XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	snprintf(f->data, sizeof(f->data), "%s/data/networks", f->tmp);
	snprintf(f->net, sizeof(f->net), "%s/net1", f->data);
	assert_int_equal(lease_store_open(f->data, "net1", &f->s, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lease_store_close(&f->s);
	nftw(f->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct ipaddr ip(const char *s)
{
	struct ipaddr a;

	assert_int_equal(ipaddr_parse(s, &a), 0);
	return a;
}

/* Read <net>/<name> whole; NULL when absent. Caller frees. */
static char *slurp(struct fixture *f, const char *name)
{
	char path[PATH_MAX * 2], *buf = calloc(1, 4096);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->net, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	n = read(fd, buf, 4095);
	close(fd);
	assert_true(n >= 0);
	return buf;
}

static void assert_file(struct fixture *f, const char *name, const char *want)
{
	char *got = slurp(f, name);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void put_file(struct fixture *f, const char *name, const char *content)
{
	char path[PATH_MAX * 2];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->net, name);
	fp = fopen(path, "we");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static bool has_file(struct fixture *f, const char *name)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", f->net, name);
	return access(path, F_OK) == 0;
}

static void reserve(struct fixture *f, const char *addr, const char *id,
		    const char *ifname, int set, bool want_ok)
{
	struct cni_err err = { 0 };
	struct ipaddr a = ip(addr);
	bool ok = !want_ok;

	assert_int_equal(lease_reserve(&f->s, &a, id, ifname, set, &ok, &err),
			 0);
	assert_int_equal(ok, want_ok);
	assert_int_equal(err.code, 0);
}

static void test_reserve_bytes(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX * 2];
	struct stat st;

	assert_int_equal(stat(f->net, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	reserve(f, "10.1.0.2", "abc", "eth0", 0, true);
	assert_file(f, "10.1.0.2", "abc\r\neth0");
	assert_file(f, "last_reserved_ip.0", "10.1.0.2");
	reserve(f, "fd00::2", "abc", "eth0", 1, true);
	assert_file(f, "fd00::2", "abc\r\neth0");
	assert_file(f, "last_reserved_ip.1", "fd00::2");
	assert_file(f, "last_reserved_ip.0", "10.1.0.2");
	snprintf(path, sizeof(path), "%s/10.1.0.2", f->net);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_nlink, 1); /* the temporary name is gone */
}

static void test_reserve_taken(void **state)
{
	struct fixture *f = *state;
	struct cni_err err = { 0 };
	struct ipaddr a = ip("10.1.0.2");
	bool is = false;

	reserve(f, "10.1.0.2", "abc", "eth0", 0, true);
	reserve(f, "10.1.0.3", "abc", "eth1", 0, true);
	reserve(f, "10.1.0.2", "other", "eth0", 0, false);
	assert_file(f, "10.1.0.2", "abc\r\neth0");
	/* A failed reserve does not move the round-robin cursor. */
	assert_file(f, "last_reserved_ip.0", "10.1.0.3");
	assert_int_equal(lease_exists(&f->s, &a, &is, &err), 0);
	assert_true(is);
	assert_int_equal(lease_release_ip(&f->s, &a, &err), 0);
	assert_int_equal(lease_exists(&f->s, &a, &is, &err), 0);
	assert_false(is);
	assert_int_equal(lease_release_ip(&f->s, &a, &err), 0);
	reserve(f, "10.1.0.2", "other", "eth0", 0, true);
	assert_file(f, "10.1.0.2", "other\r\neth0");
}

static void test_no_temp_left(void **state)
{
	struct fixture *f = *state;
	struct dirent *de;
	DIR *d;
	int n = 0;

	reserve(f, "10.1.0.2", "abc", "eth0", 0, true);
	reserve(f, "10.1.0.2", "abc", "eth0", 0, false);
	reserve(f, "fd00::9", "abc", "eth0", 3, true);
	d = opendir(f->net);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		assert_true(strcmp(de->d_name, "10.1.0.2") == 0 ||
			    strcmp(de->d_name, "fd00::9") == 0 ||
			    strcmp(de->d_name, "last_reserved_ip.0") == 0 ||
			    strcmp(de->d_name, "last_reserved_ip.3") == 0);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 4);
}

static bool found_has(const struct ipaddr *ips, size_t n, const char *s)
{
	struct ipaddr a = ip(s);

	for (size_t i = 0; i < n; i++)
		if (ipaddr_eq(&ips[i], &a))
			return true;
	return false;
}

static void test_find_release(void **state)
{
	struct fixture *f = *state;
	struct ipaddr got[LEASE_MAX_PER_ID];
	struct cni_err err = { 0 };
	size_t n = 99;

	reserve(f, "10.1.0.2", "id1", "eth0", 0, true);
	reserve(f, "10.1.0.3", "id1", "eth1", 0, true);
	reserve(f, "10.1.0.4", "id2", "eth0", 0, true);
	reserve(f, "fd00::2", "id1", "eth0", 1, true);
	assert_int_equal(lease_find_by_id(&f->s, "id1", "eth0", got,
					  LEASE_MAX_PER_ID, &n, &err),
			 0);
	assert_int_equal(n, 2);
	assert_true(found_has(got, n, "10.1.0.2"));
	assert_true(found_has(got, n, "fd00::2"));
	/* A prefix of an id is another id. */
	assert_int_equal(lease_find_by_id(&f->s, "id", "eth0", got,
					  LEASE_MAX_PER_ID, &n, &err),
			 0);
	assert_int_equal(n, 0);
	assert_int_equal(lease_find_by_id(&f->s, "id1", "eth", got,
					  LEASE_MAX_PER_ID, &n, &err),
			 0);
	assert_int_equal(n, 0);

	assert_int_equal(lease_release_by_id(&f->s, "id1", "eth0", &err), 0);
	assert_false(has_file(f, "10.1.0.2"));
	assert_false(has_file(f, "fd00::2"));
	assert_file(f, "10.1.0.3", "id1\r\neth1");
	assert_file(f, "10.1.0.4", "id2\r\neth0");
	assert_true(has_file(f, "last_reserved_ip.0"));
	/* Releasing what is not there is success. */
	assert_int_equal(lease_release_by_id(&f->s, "id1", "eth0", &err), 0);
	assert_int_equal(lease_release_by_id(&f->s, "nope", "eth0", &err), 0);
	assert_int_equal(err.code, 0);
}

static void test_old_format(void **state)
{
	struct fixture *f = *state;
	struct ipaddr got[LEASE_MAX_PER_ID];
	struct cni_err err = { 0 };
	size_t n = 0;

	/* The oldest host-local wrote only the id, some with a newline. */
	put_file(f, "10.1.0.9", "id1\n");
	put_file(f, "10.1.0.10", "  id1  ");
	assert_int_equal(lease_find_by_id(&f->s, "id1", "eth5", got,
					  LEASE_MAX_PER_ID, &n, &err),
			 0);
	assert_int_equal(n, 2);
	assert_true(found_has(got, n, "10.1.0.9"));
	assert_true(found_has(got, n, "10.1.0.10"));

	/* As host-local: id-only files go only when no new-format one does. */
	reserve(f, "10.1.0.2", "id1", "eth0", 0, true);
	assert_int_equal(lease_release_by_id(&f->s, "id1", "eth0", &err), 0);
	assert_false(has_file(f, "10.1.0.2"));
	assert_true(has_file(f, "10.1.0.9"));
	assert_int_equal(lease_release_by_id(&f->s, "id1", "eth7", &err), 0);
	assert_false(has_file(f, "10.1.0.9"));
	assert_false(has_file(f, "10.1.0.10"));
}

static void test_hostlocal_files(void **state)
{
	struct fixture *f = *state;
	struct ipaddr got[LEASE_MAX_PER_ID];
	char path[PATH_MAX * 2], target[PATH_MAX * 2];
	struct cni_err err = { 0 };
	size_t n = 0;

	/* What host-local leaves behind, plus things that are not leases. */
	put_file(f, "10.1.0.7", "cid\r\neth0");
	put_file(f, "2001:db8::7", "cid\r\neth0");
	put_file(f, "lock", "");
	put_file(f, "last_reserved_ip.0", "10.1.0.7");
	put_file(f, ".tmp.1.abc", "cid\r\neth0");
	put_file(f, "notanip", "cid\r\neth0");
	put_file(f, "10.1.0.8", "cid2\r\neth0");
	snprintf(path, sizeof(path), "%s/10.1.0.99", f->net);
	assert_int_equal(mkdir(path, 0755), 0);
	/* A symlink under an address's name is never followed. */
	snprintf(target, sizeof(target), "%s/outside", f->data);
	put_file(f, "../outside", "cid\r\neth0");
	snprintf(path, sizeof(path), "%s/10.1.0.50", f->net);
	assert_int_equal(symlink(target, path), 0);

	assert_int_equal(lease_find_by_id(&f->s, "cid", "eth0", got,
					  LEASE_MAX_PER_ID, &n, &err),
			 0);
	assert_int_equal(n, 2);
	assert_true(found_has(got, n, "10.1.0.7"));
	assert_true(found_has(got, n, "2001:db8::7"));
	reserve(f, "10.1.0.7", "x", "eth0", 0, false);

	assert_int_equal(lease_release_by_id(&f->s, "cid", "eth0", &err), 0);
	assert_false(has_file(f, "10.1.0.7"));
	assert_false(has_file(f, "2001:db8::7"));
	/* A temporary file seen under the lock is a dead writer's: removed. */
	assert_false(has_file(f, ".tmp.1.abc"));
	assert_true(has_file(f, "notanip"));
	assert_true(has_file(f, "10.1.0.8"));
	assert_true(has_file(f, "10.1.0.50"));
}

/* host-local's crash between create and write leaves an empty lease. */
static void test_empty_lease_recovered(void **state)
{
	struct fixture *f = *state;

	put_file(f, "10.1.0.9", "");
	put_file(f, "10.1.0.10", "other\r\neth0");
	reserve(f, "10.1.0.9", "abc", "eth0", 0, true);
	assert_file(f, "10.1.0.9", "abc\r\neth0");
	/* A lease with content is never taken over. */
	reserve(f, "10.1.0.10", "abc", "eth0", 0, false);
	assert_file(f, "10.1.0.10", "other\r\neth0");
	/* Whitespace only, or control bytes: no writer meant that. */
	put_file(f, "10.1.0.11", " \r\n\t");
	reserve(f, "10.1.0.11", "abc", "eth1", 0, true);
	assert_file(f, "10.1.0.11", "abc\r\neth1");
	put_file(f, "10.1.0.12", "ab\x01\x02c");
	reserve(f, "10.1.0.12", "abc", "eth2", 0, true);
	assert_file(f, "10.1.0.12", "abc\r\neth2");
	/* host-local's oldest format (the ID alone) is a real lease. */
	put_file(f, "10.1.0.13", "old-id");
	reserve(f, "10.1.0.13", "abc", "eth3", 0, false);
	assert_file(f, "10.1.0.13", "old-id");
}

static void test_last_reserved(void **state)
{
	struct fixture *f = *state;
	struct cni_err err = { 0 };
	struct ipaddr a = ip("10.9.9.9");

	assert_int_equal(lease_last_reserved(&f->s, 0, &a, &err), 0);
	assert_int_equal(a.family, 0);
	put_file(f, "last_reserved_ip.0", "garbage");
	assert_int_equal(lease_last_reserved(&f->s, 0, &a, &err), 0);
	assert_int_equal(a.family, 0);
	put_file(f, "last_reserved_ip.0", "10.1.0.5");
	put_file(f, "last_reserved_ip.1", "fd00::5\n");
	assert_int_equal(lease_last_reserved(&f->s, 0, &a, &err), 0);
	assert_true(ipaddr_eq(&a, &(struct ipaddr){ .family = AF_INET,
						     .b = { 10, 1, 0, 5 } }));
	assert_int_equal(lease_last_reserved(&f->s, 1, &a, &err), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(err.code, 0);
}

static void test_symlink_refused(void **state)
{
	struct fixture *f = *state;
	char real[PATH_MAX * 2], link[PATH_MAX * 2];
	struct lease_store s = LEASE_STORE_INIT;
	struct cni_err err = { 0 };

	snprintf(real, sizeof(real), "%s/real", f->tmp);
	snprintf(link, sizeof(link), "%s/link", f->tmp);
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, link), 0);
	assert_true(lease_store_open(link, "net1", &s, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_non_null(strstr(err.msg, "symlink"));
	assert_non_null(strstr(err.msg, link));
	lease_store_close(&s);

	/* The network's directory itself. */
	memset(&err, 0, sizeof(err));
	snprintf(link, sizeof(link), "%s/net2", f->data);
	assert_int_equal(symlink(real, link), 0);
	assert_true(lease_store_open(f->data, "net2", &s, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_non_null(strstr(err.msg, "symlink"));
	lease_store_close(&s);

	/* A dataDir that is a file. */
	memset(&err, 0, sizeof(err));
	put_file(f, "afile", "x");
	snprintf(link, sizeof(link), "%s/afile", f->net);
	assert_true(lease_store_open(link, "net1", &s, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
	lease_store_close(&s);
	lease_store_close(&s);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void test_lock_timeout(void **state)
{
	struct fixture *f = *state;
	struct lease_store b = LEASE_STORE_INIT;
	char path[PATH_MAX * 2];
	struct cni_err err = { 0 };
	long t0;
	int fd;

	assert_int_equal(lease_store_lock(&f->s, 1000, &err), 0);
	assert_int_equal(lease_store_lock(&f->s, 1000, &err), 0);
	assert_int_equal(lease_store_open(f->data, "net1", &b, &err), 0);
	t0 = now_ms();
	assert_int_equal(lease_store_lock(&b, 60, &err), -EAGAIN);
	assert_true(now_ms() - t0 >= 60);
	assert_int_equal(err.code, CNI_ERR_TRY_AGAIN);
	assert_string_equal(err.msg, "lease store is locked by another call");
	lease_store_close(&f->s);

	/* Free now: taken at once. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(lease_store_lock(&b, 60, &err), 0);
	lease_store_close(&b);

	/* Any fd holding the flock (host-local's, say) keeps us out. */
	snprintf(path, sizeof(path), "%s/lock", f->net);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(lease_store_open(f->data, "net1", &b, &err), 0);
	assert_int_equal(lease_store_lock(&b, 20, &err), -EAGAIN);
	assert_int_equal(err.code, CNI_ERR_TRY_AGAIN);
	close(fd);
	lease_store_close(&b);
}


/* ------------------------------------------------------------ the index */

/* A second, locked handle on the store (the fixture's is unlocked). */
static void lock(struct fixture *f, struct lease_store *s)
{
	struct cni_err err = { 0 };

	assert_int_equal(lease_store_open(f->data, "net1", s, &err), 0);
	assert_int_equal(lease_store_lock(s, 1000, &err), 0);
	assert_non_null(s->idx);
}

/* The leases of id/eth0 as one sorted string ("10.1.0.2 10.1.0.3"). */
static char *owned(struct lease_store *s, const char *id)
{
	struct ipaddr got[LEASE_MAX_PER_ID];
	struct cni_err err = { 0 };
	char *out = calloc(1, 1024), buf[IPADDR_STRLEN];
	size_t n = 0;

	assert_int_equal(lease_find_by_id(s, id, "eth0", got, LEASE_MAX_PER_ID,
					  &n, &err),
			 0);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (ipaddr_cmp(&got[j], &got[i]) < 0) {
				struct ipaddr t = got[i];

				got[i] = got[j];
				got[j] = t;
			}
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), 1024 - strlen(out), "%s%s",
			 i ? " " : "", ipaddr_fmt(&got[i], buf));
	return out;
}

static void reserve_locked(struct fixture *f, const char *addr,
			   const char *id)
{
	struct lease_store s = LEASE_STORE_INIT;
	struct cni_err err = { 0 };
	struct ipaddr a = ip(addr);
	bool ok = false;

	lock(f, &s);
	/* As ADD does: the lookup first (which brings the index up to date). */
	free(owned(&s, id));
	assert_int_equal(lease_reserve(&s, &a, id, "eth0", 0, &ok, &err), 0);
	assert_true(ok);
	lease_store_close(&s);
}

static void assert_owned(struct lease_store *s, const char *id,
			 const char *want)
{
	char *got = owned(s, id);

	assert_string_equal(got, want);
	free(got);
}

/* First free-to-try address of lo..hi, "" when none. */
static const char *next_free(struct lease_store *s, const char *lo,
			     const char *hi)
{
	static char buf[IPADDR_STRLEN];
	struct cni_err err = { 0 };
	struct ipaddr a = ip(lo), b = ip(hi), r;
	bool found = false;

	assert_int_equal(lease_next_free(s, &a, &b, &r, &found, &err), 0);
	return found ? ipaddr_fmt(&r, buf) : "";
}

static void idx_path(struct fixture *f, const char *rel, char *ret)
{
	snprintf(ret, PATH_MAX * 2, "%s/.brisk/net1/%s", f->data, rel);
}

static void test_index_kept_in_step(void **state)
{
	struct fixture *f = *state;
	struct lease_store s = LEASE_STORE_INIT;
	char path[PATH_MAX * 2];
	struct stat st;

	reserve_locked(f, "10.1.0.2", "c1");
	reserve_locked(f, "fd00::2", "c1");
	reserve_locked(f, "10.1.0.3", "c2");
	/* brisk's own files are outside the store, the store is untouched. */
	idx_path(f, "index", path);
	assert_int_equal(stat(path, &st), 0);
	idx_path(f, "map/4-0a01", path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 8192);
	assert_file(f, "10.1.0.2", "c1\r\neth0");
	assert_false(has_file(f, ".brisk"));
	/* The store's mtime is the sentinel: the first second of 1970. */
	assert_int_equal(stat(f->net, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1);

	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_VALID);
	assert_owned(&s, "c1", "10.1.0.2 fd00::2");
	assert_owned(&s, "c2", "10.1.0.3");
	assert_owned(&s, "c3", "");
	assert_string_equal(next_free(&s, "10.1.0.2", "10.1.0.9"), "10.1.0.4");
	assert_false(s.idx->rebuilt);
	lease_store_close(&s);
}

static void test_index_missing(void **state)
{
	struct fixture *f = *state;
	struct lease_store s = LEASE_STORE_INIT;
	char path[PATH_MAX * 2], cmd[PATH_MAX * 3];

	reserve_locked(f, "10.1.0.2", "c1");
	snprintf(path, sizeof(path), "%s/.brisk", f->data);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_STALE);
	assert_owned(&s, "c1", "10.1.0.2");
	assert_true(s.idx->rebuilt);
	lease_store_close(&s);
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_VALID);
	assert_owned(&s, "c1", "10.1.0.2");
	lease_store_close(&s);

	/* A symlink in its place is never followed: the files answer. */
	assert_int_equal(system(cmd), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(cmd, sizeof(cmd), "%s/net1", path);
	assert_int_equal(symlink(f->tmp, cmd), 0);
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_OFF);
	assert_owned(&s, "c1", "10.1.0.2");
	assert_string_equal(next_free(&s, "10.1.0.2", "10.1.0.9"), "10.1.0.3");
	lease_store_close(&s);
}

/* host-local writes a lease: it knows nothing of the index. */
static void test_index_foreign_create(void **state)
{
	struct fixture *f = *state;
	struct lease_store s = LEASE_STORE_INIT;
	struct cni_err err = { 0 };

	reserve_locked(f, "10.1.0.2", "c1");
	put_file(f, "10.1.0.7", "hl\r\neth0");
	put_file(f, "10.1.0.8", "old-hl");
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_STALE);
	assert_owned(&s, "hl", "10.1.0.7");
	assert_owned(&s, "old-hl", "10.1.0.8");
	assert_string_equal(next_free(&s, "10.1.0.7", "10.1.0.8"), "");
	assert_string_equal(next_free(&s, "10.1.0.3", "10.1.0.9"), "10.1.0.3");
	lease_store_close(&s);

	/* Valid again: DEL of host-local's container finds it by the index. */
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_VALID);
	assert_int_equal(lease_release_by_id(&s, "hl", "eth0", &err), 0);
	assert_int_equal(lease_release_by_id(&s, "old-hl", "eth3", &err), 0);
	assert_false(s.idx->rebuilt);
	lease_store_close(&s);
	assert_false(has_file(f, "10.1.0.7"));
	assert_false(has_file(f, "10.1.0.8"));
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_VALID);
	assert_owned(&s, "hl", "");
	assert_string_equal(next_free(&s, "10.1.0.7", "10.1.0.8"), "10.1.0.7");
	lease_store_close(&s);
}

static void test_index_foreign_unlink(void **state)
{
	struct fixture *f = *state;
	struct lease_store s = LEASE_STORE_INIT;
	char path[PATH_MAX * 2];

	reserve_locked(f, "10.1.0.2", "c1");
	reserve_locked(f, "10.1.0.3", "c2");
	/* host-local's DEL of c1, and its ADD of the address for c3. */
	snprintf(path, sizeof(path), "%s/10.1.0.2", f->net);
	assert_int_equal(unlink(path), 0);
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_STALE);
	assert_owned(&s, "c1", "");
	assert_string_equal(next_free(&s, "10.1.0.2", "10.1.0.9"), "10.1.0.2");
	lease_store_close(&s);
	put_file(f, "10.1.0.2", "c3\r\neth0");
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_STALE);
	assert_owned(&s, "c1", "");
	assert_owned(&s, "c3", "10.1.0.2");
	assert_owned(&s, "c2", "10.1.0.3");
	lease_store_close(&s);
}

static void set_mtime(struct fixture *f, time_t sec, long nsec)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT },
				  { .tv_sec = sec, .tv_nsec = nsec } };

	assert_int_equal(utimensat(AT_FDCWD, f->net, ts, 0), 0);
}

/* Nothing but an exact match of our last commit counts as valid. */
static void test_index_sentinel(void **state)
{
	struct fixture *f = *state;
	struct lease_store s = LEASE_STORE_INIT;
	char path[PATH_MAX * 2];
	struct stat st;
	long nsec;

	reserve_locked(f, "10.1.0.2", "c1");
	assert_int_equal(stat(f->net, &st), 0);
	nsec = st.st_mtim.tv_nsec;
	set_mtime(f, 1, nsec + 1);
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_STALE);
	lease_store_close(&s);
	/* A call that did not need the index leaves it stale. */
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_STALE);
	assert_owned(&s, "c1", "10.1.0.2");
	lease_store_close(&s);
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_VALID);
	lease_store_close(&s);

	/* A foreign lease, then the sentinel put back: the ctime tells. */
	assert_int_equal(stat(f->net, &st), 0);
	put_file(f, "10.1.0.9", "hl\r\neth0");
	set_mtime(f, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_STALE);
	assert_owned(&s, "hl", "10.1.0.9");
	lease_store_close(&s);

	/* A header from another boot (files may not have reached the disk). */
	idx_path(f, "index", path);
	{
		char *h = calloc(1, 4096), *b;
		FILE *fp = fopen(path, "re");

		assert_non_null(fp);
		assert_true(fread(h, 1, 4095, fp) > 0);
		fclose(fp);
		b = strstr(h, "boot ");
		assert_non_null(b);
		memset(b + 5, '0', 8);
		fp = fopen(path, "we");
		fputs(h, fp);
		fclose(fp);
		free(h);
	}
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_STALE);
	lease_store_close(&s);
}

/* A valid index is trusted, but what it says is checked with the files. */
static void test_index_verified(void **state)
{
	struct fixture *f = *state;
	struct lease_store s = LEASE_STORE_INIT;
	char key[INDEX_NAME_LEN], path[PATH_MAX * 2], rel[64];
	char *rec;
	FILE *fp;

	reserve_locked(f, "10.1.0.2", "c1");
	index_key("c1", "eth0", false, key);
	snprintf(rel, sizeof(rel), "ids/%s", key);
	idx_path(f, rel, path);
	fp = fopen(path, "re");
	assert_non_null(fp);
	rec = calloc(1, 4096);
	assert_true(fread(rec, 1, 4095, fp) > 0);
	fclose(fp);
	/* Damaged in place (the store untouched): the record names .5. */
	*strstr(rec, "10.1.0.2") = '\0';
	fp = fopen(path, "we");
	fprintf(fp, "%s10.1.0.5 1 2 3 4 0\n", rec);
	fclose(fp);
	free(rec);
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_VALID);
	assert_owned(&s, "c1", "10.1.0.2");
	assert_true(s.idx->rebuilt);
	lease_store_close(&s);

	/* Garbage in place of a record: the same. */
	fp = fopen(path, "we");
	fputs("garbage", fp);
	fclose(fp);
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_VALID);
	assert_owned(&s, "c1", "10.1.0.2");
	assert_true(s.idx->rebuilt);
	lease_store_close(&s);
}

/* Attachment records survive rebuilds, for the very files they describe. */
static int count_owner(const struct lease_owner *o, void *data,
		       struct cni_err *err)
{
	int *n = data;

	if (strcmp(o->id, "c1") == 0 && o->n == 1 &&
	    strcmp(o->meta->netns, "/run/netns/x") == 0)
		(*n)++;
	return 0;
}

static int walk_count(struct fixture *f)
{
	struct lease_store s = LEASE_STORE_INIT;
	struct cni_err err = { 0 };
	int n = 0;

	lock(f, &s);
	assert_int_equal(lease_owner_walk(&s, count_owner, &n, &err), 0);
	lease_store_close(&s);
	return n;
}

static void test_index_owner_record(void **state)
{
	struct fixture *f = *state;
	struct lease_store s = LEASE_STORE_INIT;
	struct meta_attach m;
	char path[PATH_MAX * 2];

	reserve_locked(f, "10.1.0.2", "c1");
	reserve_locked(f, "10.1.0.3", "c2");
	assert_int_equal(meta_attach_init(&m, "/run/netns/x", "b"), 0);
	lock(f, &s);
	lease_note_owner(&s, "c1", "eth0", &m);
	lease_note_owner(&s, "nobody", "eth0", &m); /* no lease: no record */
	lease_store_close(&s);
	meta_attach_clear(&m);
	assert_int_equal(walk_count(f), 1);
	/* A foreign change elsewhere: rebuilt, the record kept. */
	put_file(f, "10.1.0.9", "hl\r\neth0");
	assert_int_equal(walk_count(f), 1);
	/* host-local rewrote c1's lease (same bytes, another file): the
	 * record describes a file that is gone, so nothing is judged. */
	snprintf(path, sizeof(path), "%s/10.1.0.2", f->net);
	assert_int_equal(unlink(path), 0);
	put_file(f, "10.1.0.2", "c1\r\neth0");
	assert_int_equal(walk_count(f), 0);
}

/* Two owners whose records share a file: lookups stay exact. */
static void test_index_shared_record(void **state)
{
	struct fixture *f = *state;
	struct lease_store s = LEASE_STORE_INIT;
	char k0[INDEX_NAME_LEN], k[INDEX_NAME_LEN], other[32];
	struct cni_err err = { 0 };

	index_key("c0", "eth0", false, k0);
	for (int i = 1;; i++) {
		snprintf(other, sizeof(other), "c%d", i);
		index_key(other, "eth0", false, k);
		if (strcmp(k, k0) == 0)
			break;
	}
	reserve_locked(f, "10.1.0.2", "c0");
	reserve_locked(f, "10.1.0.3", other);
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_VALID);
	assert_owned(&s, "c0", "10.1.0.2");
	assert_owned(&s, other, "10.1.0.3");
	assert_int_equal(lease_release_by_id(&s, "c0", "eth0", &err), 0);
	assert_owned(&s, "c0", "");
	assert_owned(&s, other, "10.1.0.3");
	lease_store_close(&s);
	assert_false(has_file(f, "10.1.0.2"));
	lock(f, &s);
	assert_int_equal(s.idx->state, INDEX_VALID);
	assert_owned(&s, other, "10.1.0.3");
	assert_false(s.idx->rebuilt);
	lease_store_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reserve_bytes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reserve_taken, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_temp_left, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_find_release, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_old_format, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostlocal_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_empty_lease_recovered,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_reserved, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lock_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_index_kept_in_step, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_index_missing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_index_foreign_create,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_foreign_unlink,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_sentinel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_index_verified, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_index_owner_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_index_shared_record, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
