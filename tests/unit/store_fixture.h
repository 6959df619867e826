/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the lease-store tests share (test_lease.c, test_store.c): a scratch
 * dataDir with one network, net1, and helpers to look at its files.
 */
#ifndef BRISK_TEST_STORE_FIXTURE_H
#define BRISK_TEST_STORE_FIXTURE_H

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brisk/ipnet.h"
#include "brisk/lease.h"

struct fixture {
	char tmp[256]; /* the mkdtemp directory */
	char data[512]; /* dataDir inside it, not yet made */
	char net[PATH_MAX]; /* <data>/net1 */
	struct lease_dir d; /* test_lease.c's, opened by its setup */
};

static inline int rm_one(const char *p, const struct stat *st, int flag,
			 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	umask(022);
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/brisk-store-XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	snprintf(f->data, sizeof(f->data), "%s/data/networks", f->tmp);
	snprintf(f->net, sizeof(f->net), "%s/net1", f->data);
	f->d = (struct lease_dir)LEASE_DIR_INIT;
	*state = f;
	return 0;
}

static inline int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	lease_close(&f->d);
	nftw(f->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static inline struct ipaddr ip(const char *s)
{
	struct ipaddr a;

	assert_int_equal(ipaddr_parse(s, &a), 0);
	return a;
}

/* <net>/<name>. */
static inline void net_path(struct fixture *f, const char *name, char *ret)
{
	snprintf(ret, PATH_MAX * 2, "%s/%s", f->net, name);
}

/* Read <net>/<name> whole; NULL when absent. Caller frees. */
static inline char *slurp(struct fixture *f, const char *name)
{
	char path[PATH_MAX * 2], *buf = calloc(1, 4096);
	ssize_t n;
	int fd;

	net_path(f, name, path);
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

static inline void assert_file(struct fixture *f, const char *name,
			       const char *want)
{
	char *got = slurp(f, name);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static inline void put_file(struct fixture *f, const char *name,
			    const char *content)
{
	char path[PATH_MAX * 2];
	FILE *fp;

	net_path(f, name, path);
	fp = fopen(path, "we");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static inline bool has_file(struct fixture *f, const char *name)
{
	char path[PATH_MAX * 2];

	net_path(f, name, path);
	return access(path, F_OK) == 0;
}

/* The permission bits of <net>/<name>. */
static inline unsigned int mode_of(struct fixture *f, const char *name)
{
	char path[PATH_MAX * 2];
	struct stat st;

	net_path(f, name, path);
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/*
 * What host-local leaves in a store, and things that are no leases: a
 * lease of cid/eth0 in each family, a temporary of a dead writer, a file
 * named by no address, a directory and a symlink (never followed) named by
 * addresses. @with_own_files: also the lock and last_reserved_ip.0.
 */
static inline void put_hostlocal_leftovers(struct fixture *f,
					   bool with_own_files)
{
	char path[PATH_MAX * 2], target[PATH_MAX * 2];

	put_file(f, "10.1.0.7", "cid\r\neth0");
	put_file(f, "2001:db8::7", "cid\r\neth0");
	if (with_own_files) {
		put_file(f, "lock", "");
		put_file(f, "last_reserved_ip.0", "10.1.0.7");
	}
	put_file(f, ".tmp.1.abc", "cid\r\neth0");
	put_file(f, "notanip", "cid\r\neth0");
	net_path(f, "10.1.0.99", path);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(target, sizeof(target), "%s/outside", f->data);
	put_file(f, "../outside", "cid\r\neth0");
	net_path(f, "10.1.0.50", path);
	assert_int_equal(symlink(target, path), 0);
}

#endif
