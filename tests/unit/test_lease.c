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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
