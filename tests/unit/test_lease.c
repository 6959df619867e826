// SPDX-License-Identifier: Apache-2.0
/* host-local's lease store, byte for byte (src/ipam/lease). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <sys/file.h>
#include <time.h>

#include "brisk/lease.h"
#include "store_fixture.h"

static int setup(void **state)
{
	struct cni_err err = { 0 };
	struct fixture *f;

	fixture_setup(state);
	f = *state;
	assert_int_equal(lease_open(f->data, "net1", &f->d, &err), 0);
	return 0;
}

/* Create lease @addr for id/ifname, expecting @want_ok. */
static void create(struct fixture *f, const char *addr, const char *id,
		   const char *ifname, bool want_ok)
{
	struct cni_err err = { 0 };
	struct stat st;
	bool ok = !want_ok;

	assert_int_equal(lease_create(&f->d, addr, id, ifname, &st, &ok, &err),
			 0);
	assert_int_equal(ok, want_ok);
	assert_int_equal(err.code, 0);
	if (ok)
		assert_true(S_ISREG(st.st_mode) && st.st_size > 0);
}

static void last_write(struct fixture *f, int set, const char *addr)
{
	struct cni_err err = { 0 };
	struct ipaddr a = ip(addr);

	assert_int_equal(lease_last_write(&f->d, set, &a, &err), 0);
}

static void test_reserve_bytes(void **state)
{
	struct fixture *f = *state;
	struct cni_err err = { 0 };
	struct stat st;
	char path[PATH_MAX * 2];

	/* Directories as host-local makes them. */
	assert_int_equal(stat(f->net, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(stat(f->data, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	create(f, "10.1.0.2", "abc", "eth0", true);
	last_write(f, 0, "10.1.0.2");
	assert_file(f, "10.1.0.2", "abc\r\neth0");
	assert_file(f, "last_reserved_ip.0", "10.1.0.2");
	create(f, "fd00::2", "abc", "eth0", true);
	last_write(f, 1, "fd00::2");
	assert_file(f, "fd00::2", "abc\r\neth0");
	assert_file(f, "last_reserved_ip.1", "fd00::2");
	assert_file(f, "last_reserved_ip.0", "10.1.0.2");
	/* A longer address before a shorter one: no tail is left. */
	last_write(f, 0, "10.1.100.200");
	last_write(f, 0, "10.1.0.3");
	assert_file(f, "last_reserved_ip.0", "10.1.0.3");
	/* 0600, as host-local writes them since v1.4.0; the lock too. */
	assert_int_equal(mode_of(f, "10.1.0.2"), 0600);
	assert_int_equal(mode_of(f, "fd00::2"), 0600);
	assert_int_equal(mode_of(f, "last_reserved_ip.0"), 0600);
	assert_int_equal(lease_lock(&f->d, 1000, &err), 0);
	assert_int_equal(mode_of(f, "lock"), 0600);
	net_path(f, "10.1.0.2", path);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_nlink, 1); /* the temporary name is gone */
}

static void test_reserve_taken(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	create(f, "10.1.0.2", "abc", "eth0", true);
	create(f, "10.1.0.2", "other", "eth0", false);
	assert_file(f, "10.1.0.2", "abc\r\neth0");
	assert_int_equal(lease_stat(&f->d, "10.1.0.2", &st), 0);
	assert_int_equal(lease_unlink(&f->d, "10.1.0.2"), 1);
	assert_int_equal(lease_stat(&f->d, "10.1.0.2", &st), -ENOENT);
	assert_int_equal(lease_unlink(&f->d, "10.1.0.2"), 0);
	create(f, "10.1.0.2", "other", "eth0", true);
	assert_file(f, "10.1.0.2", "other\r\neth0");
}

static void test_no_temp_left(void **state)
{
	struct fixture *f = *state;
	struct dirent *de;
	DIR *d;
	int n = 0;

	create(f, "10.1.0.2", "abc", "eth0", true);
	create(f, "10.1.0.2", "abc", "eth0", false);
	create(f, "fd00::9", "abc", "eth0", true);
	last_write(f, 3, "fd00::9");
	d = opendir(f->net);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		assert_true(strcmp(de->d_name, "10.1.0.2") == 0 ||
			    strcmp(de->d_name, "fd00::9") == 0 ||
			    strcmp(de->d_name, "last_reserved_ip.3") == 0);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 3);
}

struct seen {
	int n;
	char names[16][IPADDR_STRLEN];
};

static int note_name(const char *name, const struct ipaddr *a, void *data)
{
	struct seen *s = data;

	assert_true(ipaddr_is_set(a));
	assert_true(s->n < 16);
	snprintf(s->names[s->n++], IPADDR_STRLEN, "%s", name);
	return 0;
}

static bool seen_has(const struct seen *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

static void test_hostlocal_files(void **state)
{
	struct fixture *f = *state;
	char buf[LEASE_READ_MAX];
	struct cni_err err = { 0 };
	struct seen s = { 0 };
	struct stat st;

	put_hostlocal_leftovers(f, true);
	assert_int_equal(lease_walk(&f->d, note_name, &s, &err), 0);
	assert_int_equal(s.n, 4);
	assert_true(seen_has(&s, "10.1.0.7") && seen_has(&s, "2001:db8::7") &&
		    seen_has(&s, "10.1.0.99") && seen_has(&s, "10.1.0.50"));
	/* A temporary file seen under the lock is a dead writer's: removed. */
	assert_false(has_file(f, ".tmp.1.abc"));
	assert_true(has_file(f, "notanip"));
	assert_true(lease_read(&f->d, "10.1.0.7", buf, sizeof(buf), &st));
	assert_string_equal(buf, "cid\r\neth0");
	assert_false(lease_read(&f->d, "10.1.0.50", buf, sizeof(buf), &st));
	assert_false(lease_read(&f->d, "10.1.0.99", buf, sizeof(buf), &st));
	assert_false(lease_read(&f->d, "10.1.0.8", buf, sizeof(buf), &st));
	/* A taken name stays taken whatever it is. */
	create(f, "10.1.0.50", "x", "eth0", false);
	create(f, "10.1.0.99", "x", "eth0", false);
	create(f, "10.1.0.7", "x", "eth0", false);
}

static void test_read_split(void **state)
{
	struct fixture *f = *state;
	char buf[LEASE_READ_MAX], big[LEASE_READ_MAX + 10];
	struct ipaddr a;
	struct stat st;
	bool is_old;

	/* Trimmed as host-local's TrimSpace, then split at the line break. */
	put_file(f, "10.1.0.9", " \n id1\r\neth0 \r\n");
	assert_true(lease_read(&f->d, "10.1.0.9", buf, sizeof(buf), &st));
	assert_string_equal(lease_split(buf, &is_old), "eth0");
	assert_false(is_old);
	assert_string_equal(buf, "id1");
	/* The oldest format: the ID alone, some with a newline. */
	put_file(f, "10.1.0.10", "id1\n");
	assert_true(lease_read(&f->d, "10.1.0.10", buf, sizeof(buf), &st));
	assert_string_equal(lease_split(buf, &is_old), "");
	assert_true(is_old);
	assert_string_equal(buf, "id1");
	/* Too large to be a lease. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put_file(f, "10.1.0.11", big);
	assert_false(lease_read(&f->d, "10.1.0.11", buf, sizeof(buf), &st));
	assert_true(lease_name_canonical("fd00::1", &a));
	assert_false(lease_name_canonical("fd00:0::1", &a));
	assert_false(lease_name_canonical("010.1.0.1", &a));
}

/* host-local's crash between create and write leaves an empty lease. */
static void test_empty_lease_recovered(void **state)
{
	struct fixture *f = *state;

	put_file(f, "10.1.0.9", "");
	put_file(f, "10.1.0.10", "other\r\neth0");
	create(f, "10.1.0.9", "abc", "eth0", true);
	assert_file(f, "10.1.0.9", "abc\r\neth0");
	/* A lease with content is never taken over. */
	create(f, "10.1.0.10", "abc", "eth0", false);
	assert_file(f, "10.1.0.10", "other\r\neth0");
	/* Whitespace only, or control bytes: no writer meant that. */
	put_file(f, "10.1.0.11", " \r\n\t");
	create(f, "10.1.0.11", "abc", "eth1", true);
	assert_file(f, "10.1.0.11", "abc\r\neth1");
	put_file(f, "10.1.0.12", "ab\x01\x02c");
	create(f, "10.1.0.12", "abc", "eth2", true);
	assert_file(f, "10.1.0.12", "abc\r\neth2");
	/* host-local's oldest format (the ID alone) is a real lease. */
	put_file(f, "10.1.0.13", "old-id");
	create(f, "10.1.0.13", "abc", "eth3", false);
	assert_file(f, "10.1.0.13", "old-id");
}

static void test_last_reserved(void **state)
{
	struct fixture *f = *state;
	struct ipaddr a = ip("10.9.9.9");

	struct cni_err err = { 0 };
	char path[PATH_MAX * 2];

	assert_int_equal(lease_last_read(&f->d, 0, &a, &err), 0);
	assert_int_equal(a.family, 0);
	put_file(f, "last_reserved_ip.0", "garbage");
	assert_int_equal(lease_last_read(&f->d, 0, &a, &err), 0);
	assert_int_equal(a.family, 0);
	put_file(f, "last_reserved_ip.0", "10.1.0.5");
	put_file(f, "last_reserved_ip.1", "fd00::5\n");
	assert_int_equal(lease_last_read(&f->d, 0, &a, &err), 0);
	assert_true(ipaddr_eq(&a, &(struct ipaddr){ .family = AF_INET,
						    .b = { 10, 1, 0, 5 } }));
	assert_int_equal(lease_last_read(&f->d, 1, &a, &err), 0);
	assert_int_equal(a.family, AF_INET6);
	/* No file: it could never be written back. */
	net_path(f, "last_reserved_ip.2", path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(lease_last_read(&f->d, 2, &a, &err), -EMEDIUMTYPE);
	assert_int_equal(err.code, CNI_ERR_IO);
	memset(&err, 0, sizeof(err));
	/* Writing it fails at once too (ENXIO: a FIFO with no reader). */
	assert_true(lease_last_write(&f->d, 2, &a, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
}

static void test_symlink_refused(void **state)
{
	struct fixture *f = *state;
	char real[PATH_MAX * 2], link[PATH_MAX * 2];
	struct lease_dir d = LEASE_DIR_INIT;
	struct cni_err err = { 0 };

	snprintf(real, sizeof(real), "%s/real", f->tmp);
	snprintf(link, sizeof(link), "%s/link", f->tmp);
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, link), 0);
	assert_true(lease_open(link, "net1", &d, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_non_null(strstr(err.msg, "symlink"));
	assert_non_null(strstr(err.msg, link));
	lease_close(&d);

	/* The network's directory itself. */
	memset(&err, 0, sizeof(err));
	snprintf(link, sizeof(link), "%s/net2", f->data);
	assert_int_equal(symlink(real, link), 0);
	assert_true(lease_open(f->data, "net2", &d, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_non_null(strstr(err.msg, "symlink"));
	lease_close(&d);

	/* A dataDir that is a file. */
	memset(&err, 0, sizeof(err));
	put_file(f, "afile", "x");
	net_path(f, "afile", link);
	assert_true(lease_open(link, "net1", &d, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
	lease_close(&d);
	lease_close(&d);
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
	struct lease_dir b = LEASE_DIR_INIT;
	char path[PATH_MAX * 2];
	struct cni_err err = { 0 };
	long t0;
	int fd;

	assert_int_equal(lease_lock(&f->d, 1000, &err), 0);
	assert_int_equal(lease_lock(&f->d, 1000, &err), 0);
	assert_int_equal(lease_open(f->data, "net1", &b, &err), 0);
	t0 = now_ms();
	assert_int_equal(lease_lock(&b, 60, &err), -EAGAIN);
	assert_true(now_ms() - t0 >= 60);
	assert_int_equal(err.code, CNI_ERR_TRY_AGAIN);
	assert_string_equal(err.msg, "lease store is locked by another call");
	lease_close(&f->d);

	/* Free now: taken at once. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(lease_lock(&b, 60, &err), 0);
	lease_close(&b);

	/* Any fd holding the flock (host-local's, say) keeps us out. */
	net_path(f, "lock", path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(lease_open(f->data, "net1", &b, &err), 0);
	assert_int_equal(lease_lock(&b, 20, &err), -EAGAIN);
	assert_int_equal(err.code, CNI_ERR_TRY_AGAIN);
	close(fd);
	lease_close(&b);
	assert_int_equal(lease_open(f->data, "net1", &f->d, &err), 0);
	/* A FIFO as the lock: refused at once, not waited on. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(lease_lock(&f->d, 1000, &err), -EMEDIUMTYPE);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_non_null(strstr(err.msg, "is a FIFO, not a file"));
}

/*
 * With a spare slot, a removed lease's file waits there and the next lease
 * is written into it (the same inode). A spare also linked elsewhere (a
 * crash between the link and the removal of its name) is never written; a
 * spare that is no file is dropped.
 */
static void test_spare(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct stat a, b, sp;

	snprintf(dir, sizeof(dir), "%s/spares", f->tmp);
	assert_int_equal(mkdir(dir, 0700), 0);
	f->d.spare_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->d.spare_dirfd >= 0);
	f->d.spare_name = "lease";
	snprintf(path, sizeof(path), "%s/lease", dir);
	create(f, "10.1.0.2", "a-long-container-id", "eth0", true);
	assert_int_equal(lease_stat(&f->d, "10.1.0.2", &a), 0);
	assert_int_equal(lease_unlink(&f->d, "10.1.0.2"), 1);
	assert_int_equal(lease_stat(&f->d, "10.1.0.2", &b), -ENOENT);
	assert_int_equal(stat(path, &sp), 0);
	assert_int_equal(sp.st_ino, a.st_ino);
	create(f, "10.1.0.3", "b", "eth1", true);
	assert_file(f, "10.1.0.3", "b\r\neth1");
	assert_int_equal(lease_stat(&f->d, "10.1.0.3", &b), 0);
	assert_int_equal(b.st_ino, a.st_ino);
	assert_int_equal(b.st_nlink, 1);
	assert_int_equal(access(path, F_OK), -1);
	/* The spare's name still on a live lease: left alone, name dropped. */
	net_path(f, "10.1.0.3", dir);
	assert_int_equal(link(dir, path), 0);
	create(f, "10.1.0.4", "c", "eth0", true);
	assert_file(f, "10.1.0.3", "b\r\neth1");
	assert_file(f, "10.1.0.4", "c\r\neth0");
	assert_int_equal(lease_stat(&f->d, "10.1.0.4", &b), 0);
	assert_int_not_equal(b.st_ino, a.st_ino);
	assert_int_equal(access(path, F_OK), -1);
	/* Only a lease as brisk makes them goes there: not host-local's
	 * older 0644 one, nor a directory under a lease's name. */
	net_path(f, "10.1.0.4", dir);
	assert_int_equal(chmod(dir, 0644), 0);
	assert_int_equal(lease_unlink(&f->d, "10.1.0.4"), 1);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(lease_unlink(&f->d, "10.1.0.4"), -EISDIR);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(rmdir(dir), 0);
	/* No file in the slot: dropped, and a new file made. */
	assert_int_equal(mkfifo(path, 0600), 0);
	create(f, "10.1.0.5", "d", "eth0", true);
	assert_file(f, "10.1.0.5", "d\r\neth0");
	assert_int_equal(access(path, F_OK), -1);
	close(f->d.spare_dirfd);
	f->d.spare_dirfd = -1;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reserve_bytes), T(test_reserve_taken),
		T(test_no_temp_left),  T(test_hostlocal_files),
		T(test_read_split),    T(test_empty_lease_recovered),
		T(test_last_reserved), T(test_symlink_refused),
		T(test_lock_timeout),  T(test_spare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
