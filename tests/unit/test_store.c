// SPDX-License-Identifier: Apache-2.0
/* The store façade over host-local's files and brisk's index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <time.h>

#include "brisk/store.h"
#include "store_fixture.h"
#include "../../src/ipam/index/record.h"

/* The store of net1, open and locked. */
static void lock(struct fixture *f, struct store *s)
{
	struct cni_err err = { 0 };

	assert_int_equal(store_open(f->data, "net1", 1000, s, &err), 0);
	assert_non_null(s->x);
}

/* The leases of id/@ifname as one sorted string ("10.1.0.2 10.1.0.3"). */
static char *owned_if(struct store *s, const char *id, const char *ifname)
{
	struct ipaddr got[STORE_MAX_PER_ID];
	struct cni_err err = { 0 };
	char *out = calloc(1, 1024), buf[IPADDR_STRLEN];
	size_t n = 0;

	assert_int_equal(
		store_find(s, id, ifname, got, STORE_MAX_PER_ID, &n, &err), 0);
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

static void assert_owned_if(struct store *s, const char *id, const char *ifname,
			    const char *want)
{
	char *got = owned_if(s, id, ifname);

	assert_string_equal(got, want);
	free(got);
}

static void assert_owned(struct store *s, const char *id, const char *want)
{
	assert_owned_if(s, id, "eth0", want);
}

static void reserve(struct store *s, const char *addr, const char *id,
		    const char *ifname, int set, bool want_ok)
{
	struct cni_err err = { 0 };
	struct ipaddr a = ip(addr);
	bool ok = !want_ok;

	assert_int_equal(store_reserve(s, &a, id, ifname, set, &ok, &err), 0);
	assert_int_equal(ok, want_ok);
	assert_int_equal(err.code, 0);
}

/* As ADD does it, in a call of its own: look up, then reserve. */
static void reserve_locked(struct fixture *f, const char *addr, const char *id)
{
	struct store s = STORE_INIT;

	lock(f, &s);
	free(owned_if(&s, id, "eth0"));
	reserve(&s, addr, id, "eth0", 0, true);
	store_close(&s);
}

/* Release id/ifname: it must report exactly the leases that went. */
static void release(struct store *s, const char *id, const char *ifname)
{
	struct ipaddr held[STORE_MAX_PER_ID], freed[STORE_MAX_PER_ID];
	struct cni_err err = { 0 };
	size_t n_held = 0, n = 0, n_left = 0;

	assert_int_equal(store_find(s, id, ifname, held, STORE_MAX_PER_ID,
				    &n_held, &err),
			 0);
	assert_int_equal(store_release(s, id, ifname, freed, STORE_MAX_PER_ID,
				       &n, &err),
			 0);
	assert_int_equal(err.code, 0);
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < n_held && !ipaddr_eq(&freed[i], &held[j]))
			j++;
		assert_true(j < n_held);
	}
	assert_int_equal(store_find(s, id, ifname, held, STORE_MAX_PER_ID,
				    &n_left, &err),
			 0);
	assert_int_equal(n + n_left, n_held);
}

/* First free-to-try address of lo..hi, "" when none. */
static const char *next_free(struct store *s, const char *lo, const char *hi)
{
	static char buf[IPADDR_STRLEN];
	struct cni_err err = { 0 };
	struct ipaddr a = ip(lo), b = ip(hi), r;
	bool found = false;

	assert_int_equal(store_next_free(s, &a, &b, &r, &found, &err), 0);
	return found ? ipaddr_fmt(&r, buf) : "";
}

static void idx_path(struct fixture *f, const char *rel, char *ret)
{
	snprintf(ret, PATH_MAX * 2, "%s/.brisk/net1/%s", f->data, rel);
}

/*
 * Let the filesystem's clock tick (it is coarse: 4 ms at HZ=250): a file
 * written by host-local, another process, never shares the mtime of one
 * written before, but one made here within the same tick could.
 */
static void next_tick(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ the API */

static void test_find_release(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;

	lock(f, &s);
	reserve(&s, "10.1.0.2", "id1", "eth0", 0, true);
	reserve(&s, "10.1.0.3", "id1", "eth1", 0, true);
	reserve(&s, "10.1.0.4", "id2", "eth0", 0, true);
	reserve(&s, "fd00::2", "id1", "eth0", 1, true);
	assert_owned(&s, "id1", "10.1.0.2 fd00::2");
	/* A prefix of an id is another id. */
	assert_owned(&s, "id", "");
	assert_owned_if(&s, "id1", "eth", "");
	release(&s, "id1", "eth0");
	assert_false(has_file(f, "10.1.0.2"));
	assert_false(has_file(f, "fd00::2"));
	assert_file(f, "10.1.0.3", "id1\r\neth1");
	assert_file(f, "10.1.0.4", "id2\r\neth0");
	assert_true(has_file(f, "last_reserved_ip.0"));
	/* Releasing what is not there is success. */
	release(&s, "id1", "eth0");
	release(&s, "nope", "eth0");
	store_close(&s);
}

static void test_reserve_cursor(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;
	struct cni_err err = { 0 };
	struct ipaddr a = ip("10.1.0.2"), last;

	lock(f, &s);
	reserve(&s, "10.1.0.2", "abc", "eth0", 0, true);
	reserve(&s, "10.1.0.3", "abc", "eth1", 0, true);
	reserve(&s, "10.1.0.2", "other", "eth0", 0, false);
	assert_file(f, "10.1.0.2", "abc\r\neth0");
	/* A failed reserve does not move the round-robin cursor. */
	assert_file(f, "last_reserved_ip.0", "10.1.0.3");
	assert_int_equal(store_last_reserved(&s, 0, &last, &err), 0);
	assert_true(ipaddr_eq(&last, &(struct ipaddr){ .family = AF_INET,
						       .b = { 10, 1, 0, 3 } }));
	assert_owned(&s, "abc", "10.1.0.2");
	assert_int_equal(store_release_ip(&s, &a, &err), 0);
	assert_false(has_file(f, "10.1.0.2"));
	assert_owned(&s, "abc", "");
	assert_int_equal(store_release_ip(&s, &a, &err), 0);
	reserve(&s, "10.1.0.2", "other", "eth0", 0, true);
	assert_file(f, "10.1.0.2", "other\r\neth0");
	store_close(&s);
}

static void test_old_format(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;

	lock(f, &s);
	store_close(&s);
	/* The oldest host-local wrote only the id, some with a newline. */
	put_file(f, "10.1.0.9", "id1\n");
	put_file(f, "10.1.0.10", "  id1  ");
	lock(f, &s);
	assert_owned_if(&s, "id1", "eth5", "10.1.0.9 10.1.0.10");
	/* As host-local: id-only files go only when no new-format one does. */
	reserve(&s, "10.1.0.2", "id1", "eth0", 0, true);
	release(&s, "id1", "eth0");
	assert_false(has_file(f, "10.1.0.2"));
	assert_true(has_file(f, "10.1.0.9"));
	release(&s, "id1", "eth7");
	assert_false(has_file(f, "10.1.0.9"));
	assert_false(has_file(f, "10.1.0.10"));
	store_close(&s);
}

static void test_hostlocal_files(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;

	lock(f, &s);
	store_close(&s);
	put_hostlocal_leftovers(f, false);
	put_file(f, "last_reserved_ip.0", "10.1.0.7");
	put_file(f, "10.1.0.8", "cid2\r\neth0");

	lock(f, &s);
	assert_owned(&s, "cid", "10.1.0.7 2001:db8::7");
	reserve(&s, "10.1.0.7", "x", "eth0", 0, false);
	/* Neither the directory nor the symlink is free to take. */
	assert_string_equal(next_free(&s, "10.1.0.99", "10.1.0.99"), "");
	assert_string_equal(next_free(&s, "10.1.0.50", "10.1.0.50"), "");
	release(&s, "cid", "eth0");
	assert_false(has_file(f, "10.1.0.7"));
	assert_false(has_file(f, "2001:db8::7"));
	/* A temporary file seen under the lock is a dead writer's: removed. */
	assert_false(has_file(f, ".tmp.1.abc"));
	assert_true(has_file(f, "notanip"));
	assert_true(has_file(f, "10.1.0.8"));
	assert_true(has_file(f, "10.1.0.50"));
	assert_true(has_file(f, "../outside"));
	store_close(&s);
}

/* ------------------------------------------------------------ the index */

static void test_index_kept_in_step(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;
	char path[PATH_MAX * 2];
	struct stat st;

	reserve_locked(f, "10.1.0.2", "c1");
	reserve_locked(f, "fd00::2", "c1");
	reserve_locked(f, "10.1.0.3", "c2");
	/* brisk's own files are outside the store, the store is untouched. */
	idx_path(f, "index", path);
	assert_int_equal(stat(path, &st), 0);
	idx_path(f, "4-0a01", path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 8192);
	idx_path(f, "6-fd00000000000000000000000000", path);
	assert_int_equal(stat(path, &st), 0);
	assert_file(f, "10.1.0.2", "c1\r\neth0");
	assert_false(has_file(f, ".brisk"));
	/* The store's mtime is the sentinel: the first second of 1970. */
	assert_int_equal(stat(f->net, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1);

	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_VALID);
	assert_owned(&s, "c1", "10.1.0.2 fd00::2");
	assert_owned(&s, "c2", "10.1.0.3");
	assert_owned(&s, "c3", "");
	assert_string_equal(next_free(&s, "10.1.0.2", "10.1.0.9"), "10.1.0.4");
	assert_string_equal(next_free(&s, "fd00::2", "fd00::9"), "fd00::3");
	assert_false(s.synced);
	store_close(&s);
}

static void test_index_missing(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;
	char path[PATH_MAX * 2], cmd[PATH_MAX * 3];

	reserve_locked(f, "10.1.0.2", "c1");
	snprintf(path, sizeof(path), "%s/.brisk", f->data);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_STALE);
	assert_owned(&s, "c1", "10.1.0.2");
	assert_true(s.synced);
	store_close(&s);
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_VALID);
	assert_owned(&s, "c1", "10.1.0.2");
	store_close(&s);

	/* A symlink in its place is never followed: the files answer. */
	assert_int_equal(system(cmd), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(cmd, sizeof(cmd), "%s/net1", path);
	assert_int_equal(symlink(f->tmp, cmd), 0);
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_OFF);
	assert_owned(&s, "c1", "10.1.0.2");
	assert_string_equal(next_free(&s, "10.1.0.2", "10.1.0.9"), "10.1.0.3");
	reserve(&s, "10.1.0.3", "c2", "eth0", 0, true);
	store_close(&s);
	lock(f, &s);
	assert_owned(&s, "c2", "10.1.0.3");
	store_close(&s);
}

/* host-local writes a lease: it knows nothing of the index. */
static void test_index_foreign_create(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;

	reserve_locked(f, "10.1.0.2", "c1");
	put_file(f, "10.1.0.7", "hl\r\neth0");
	put_file(f, "10.1.0.8", "old-hl");
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_STALE);
	assert_owned(&s, "hl", "10.1.0.7");
	assert_owned(&s, "old-hl", "10.1.0.8");
	assert_string_equal(next_free(&s, "10.1.0.7", "10.1.0.8"), "");
	assert_string_equal(next_free(&s, "10.1.0.3", "10.1.0.9"), "10.1.0.3");
	store_close(&s);

	/* Valid again: DEL of host-local's container finds it by the index. */
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_VALID);
	release(&s, "hl", "eth0");
	release(&s, "old-hl", "eth3");
	assert_false(s.synced);
	store_close(&s);
	assert_false(has_file(f, "10.1.0.7"));
	assert_false(has_file(f, "10.1.0.8"));
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_VALID);
	assert_owned(&s, "hl", "");
	assert_string_equal(next_free(&s, "10.1.0.7", "10.1.0.8"), "10.1.0.7");
	store_close(&s);
}

static void test_index_foreign_unlink(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;
	char path[PATH_MAX * 2];

	reserve_locked(f, "10.1.0.2", "c1");
	reserve_locked(f, "10.1.0.3", "c2");
	/* host-local's DEL of c1, and its ADD of the address for c3. */
	net_path(f, "10.1.0.2", path);
	assert_int_equal(unlink(path), 0);
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_STALE);
	assert_owned(&s, "c1", "");
	assert_string_equal(next_free(&s, "10.1.0.2", "10.1.0.9"), "10.1.0.2");
	store_close(&s);
	put_file(f, "10.1.0.2", "c3\r\neth0");
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_STALE);
	assert_owned(&s, "c1", "");
	assert_owned(&s, "c3", "10.1.0.2");
	assert_owned(&s, "c2", "10.1.0.3");
	store_close(&s);
}

/*
 * The same name taken again by someone else between two calls (released
 * and re-reserved by host-local): the catch-up sees another file.
 */
static void test_index_foreign_reuse(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;
	char path[PATH_MAX * 2];

	reserve_locked(f, "10.1.0.2", "c1");
	next_tick();
	net_path(f, "10.1.0.2", path);
	assert_int_equal(unlink(path), 0);
	put_file(f, "10.1.0.2", "c9\r\neth0");
	lock(f, &s);
	assert_owned(&s, "c9", "10.1.0.2");
	assert_owned(&s, "c1", "");
	store_close(&s);
}

/*
 * Catching up reads only what changed: an unchanged lease is trusted by
 * its inode, mtime and size alone. (Here a rewrite that keeps all three,
 * which host-local never does, shows that it was not read again.)
 */
static void test_index_catch_up_reads_changes_only(void **state)
{
	struct fixture *f = *state;
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT } };
	char path[PATH_MAX * 2];
	struct store s = STORE_INIT;
	struct stat st;
	int fd;

	reserve_locked(f, "10.1.0.2", "c1");
	net_path(f, "10.1.0.2", path);
	assert_int_equal(stat(path, &st), 0);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "c7", 2, 0), 2);
	close(fd);
	ts[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	put_file(f, "10.1.0.9", "hl\r\neth0"); /* a change elsewhere */
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_STALE);
	assert_owned(&s, "hl", "10.1.0.9");
	assert_owned(&s, "c1", "10.1.0.2");
	assert_owned(&s, "c7", "");
	store_close(&s);
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
	struct store s = STORE_INIT;
	char path[PATH_MAX * 2], *h, *b;
	struct stat st;
	FILE *fp;

	reserve_locked(f, "10.1.0.2", "c1");
	assert_int_equal(stat(f->net, &st), 0);
	set_mtime(f, 1, st.st_mtim.tv_nsec + 1);
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_STALE);
	store_close(&s);
	/* A call that did not need the index leaves it stale. */
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_STALE);
	assert_owned(&s, "c1", "10.1.0.2");
	store_close(&s);
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_VALID);
	store_close(&s);

	/* A foreign lease, then the sentinel put back: the ctime tells. */
	assert_int_equal(stat(f->net, &st), 0);
	put_file(f, "10.1.0.9", "hl\r\neth0");
	set_mtime(f, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_STALE);
	assert_owned(&s, "hl", "10.1.0.9");
	store_close(&s);

	/* A header from another boot (files may not have reached the disk). */
	idx_path(f, "index", path);
	h = calloc(1, 4096);
	fp = fopen(path, "re");
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
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_STALE);
	store_close(&s);
}

/* Replace @from by @to in the record file of @id. */
static void edit_record(struct fixture *f, const char *id, const char *from,
			const char *to)
{
	char rel[16], path[PATH_MAX * 2], *rec = calloc(1, 8192), *at;
	FILE *fp;

	snprintf(rel, sizeof(rel), "o-%03x", rec_key(id));
	idx_path(f, rel, path);
	fp = fopen(path, "re");
	assert_non_null(fp);
	assert_true(fread(rec, 1, 8191, fp) > 0);
	fclose(fp);
	fp = fopen(path, "we");
	assert_non_null(fp);
	if (from && (at = strstr(rec, from))) {
		*at = '\0';
		fprintf(fp, "%s%s%s", rec, to, at + strlen(from));
	} else {
		fputs(to, fp);
	}
	fclose(fp);
	free(rec);
}

/* A valid index is trusted, but what it says is checked with the files. */
static void test_index_verified(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;

	reserve_locked(f, "10.1.0.2", "c1");
	/* Damaged in place (the store untouched): the record names .5. */
	edit_record(f, "c1", "10.1.0.2", "10.1.0.5");
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_VALID);
	assert_owned(&s, "c1", "10.1.0.2");
	assert_true(s.synced);
	store_close(&s);

	/* Garbage in place of a record: the same. */
	edit_record(f, "c1", NULL, "garbage");
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_VALID);
	assert_owned(&s, "c1", "10.1.0.2");
	assert_true(s.synced);
	store_close(&s);
	lock(f, &s);
	assert_owned(&s, "c1", "10.1.0.2");
	assert_false(s.synced);
	store_close(&s);
}

/* A wrong "taken" or "free" in a bitmap never becomes a wrong answer. */
static void test_index_bitmap_checked(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX * 2];
	struct store s = STORE_INIT;
	struct cni_err err = { 0 };
	bool again = false;
	int fd;

	reserve_locked(f, "10.1.0.2", "c1");
	/* Every bit cleared: .2 looks free, link() says otherwise. */
	idx_path(f, "4-0a01", path);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8192), 0);
	close(fd);
	lock(f, &s);
	assert_string_equal(next_free(&s, "10.1.0.2", "10.1.0.9"), "10.1.0.2");
	reserve(&s, "10.1.0.2", "c2", "eth0", 0, false);
	assert_true(s.synced);
	assert_string_equal(next_free(&s, "10.1.0.2", "10.1.0.9"), "10.1.0.3");
	store_close(&s);
	/* Every bit set: nothing looks free until the files are read. */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (int i = 0; i < 1024; i++)
		assert_int_equal(
			write(fd, "\xff\xff\xff\xff\xff\xff\xff\xff", 8), 8);
	close(fd);
	lock(f, &s);
	assert_string_equal(next_free(&s, "10.1.0.2", "10.1.0.9"), "");
	assert_int_equal(store_recheck(&s, &again, &err), 0);
	assert_true(again);
	assert_string_equal(next_free(&s, "10.1.0.2", "10.1.0.9"), "10.1.0.3");
	assert_int_equal(store_recheck(&s, &again, &err), 0);
	assert_false(again);
	store_close(&s);
}

/* Notes survive catch-ups, for the very files they were written for. */
struct count {
	const char *id;
	const char *note;
	int n;
};

static int count_lease(const struct store_lease *l, void *data,
		       struct cni_err *err)
{
	struct count *c = data;

	if (strcmp(l->id, c->id) == 0 && l->note &&
	    strcmp(l->note, c->note) == 0)
		c->n++;
	return 0;
}

static int walk_count(struct fixture *f, const char *id, const char *note)
{
	struct store s = STORE_INIT;
	struct cni_err err = { 0 };
	struct count c = { id, note, 0 };

	lock(f, &s);
	assert_int_equal(store_list(&s, count_lease, &c, &err), 0);
	store_close(&s);
	return c.n;
}

static void test_index_owner_note(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;
	char path[PATH_MAX * 2];

	reserve_locked(f, "10.1.0.2", "c1");
	reserve_locked(f, "10.1.0.3", "c2");
	lock(f, &s);
	store_note(&s, "c1", "eth0", "a note\nwith any byte \x01 but NUL");
	store_note(&s, "nobody", "eth0", "x"); /* no lease: no note */
	store_close(&s);
	assert_int_equal(
		walk_count(f, "c1", "a note\nwith any byte \x01 but NUL"), 1);
	assert_int_equal(walk_count(f, "nobody", "x"), 0);
	/* A foreign change elsewhere: caught up with, the note kept. */
	put_file(f, "10.1.0.9", "hl\r\neth0");
	assert_int_equal(
		walk_count(f, "c1", "a note\nwith any byte \x01 but NUL"), 1);
	/* A second lease is not what the note was written for... */
	reserve_locked(f, "fd00::3", "c1");
	assert_int_equal(
		walk_count(f, "c1", "a note\nwith any byte \x01 but NUL"), 1);
	/* ...and host-local rewrote c1's lease (same bytes, another file):
	 * the note describes a file that is gone, so nothing is judged. */
	next_tick();
	net_path(f, "10.1.0.2", path);
	assert_int_equal(unlink(path), 0);
	put_file(f, "10.1.0.2", "c1\r\neth0");
	assert_int_equal(
		walk_count(f, "c1", "a note\nwith any byte \x01 but NUL"), 0);
}

/* Two owners whose records share a file: lookups stay exact. */
static void test_index_shared_record(void **state)
{
	struct fixture *f = *state;
	struct store s = STORE_INIT;
	char other[32];

	for (int i = 1;; i++) {
		snprintf(other, sizeof(other), "c%d", i);
		if (rec_key(other) == rec_key("c0"))
			break;
	}
	reserve_locked(f, "10.1.0.2", "c0");
	reserve_locked(f, "10.1.0.3", other);
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_VALID);
	assert_owned(&s, "c0", "10.1.0.2");
	assert_owned(&s, other, "10.1.0.3");
	release(&s, "c0", "eth0");
	assert_owned(&s, "c0", "");
	assert_owned(&s, other, "10.1.0.3");
	store_close(&s);
	assert_false(has_file(f, "10.1.0.2"));
	lock(f, &s);
	assert_int_equal(index_state(s.x), INDEX_VALID);
	assert_owned(&s, other, "10.1.0.3");
	assert_false(s.synced);
	store_close(&s);
}

static unsigned int idx_mode(struct fixture *f, const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st;

	idx_path(f, rel, path);
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/*
 * brisk's own records (which name namespaces and containers) are no more
 * readable than the leases; what is not the index's there (another
 * module's files, an older brisk's leftovers) is left alone.
 */
static void test_index_files(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX * 2], rel[16];
	struct store s = STORE_INIT;
	struct dirent *de;
	DIR *d;

	reserve_locked(f, "10.1.0.2", "c1");
	lock(f, &s);
	store_note(&s, "c1", "eth0", "/run/netns/x");
	store_close(&s);
	snprintf(path, sizeof(path), "%s/.brisk", f->data);
	d = opendir(path);
	assert_non_null(d);
	closedir(d);
	snprintf(rel, sizeof(rel), "o-%03x", rec_key("c1"));
	assert_int_equal(idx_mode(f, ".."), 0700);
	assert_int_equal(idx_mode(f, "."), 0700);
	assert_int_equal(idx_mode(f, "index"), 0600);
	assert_int_equal(idx_mode(f, "4-0a01"), 0600);
	assert_int_equal(idx_mode(f, rel), 0600);
	/* An older brisk's 0755 directory and 0644 header, its ids/, and the
	 * firewall's records beside the index. */
	idx_path(f, ".", path);
	assert_int_equal(chmod(path, 0755), 0);
	idx_path(f, "index", path);
	assert_int_equal(chmod(path, 0644), 0);
	idx_path(f, "ids", path);
	assert_int_equal(mkdir(path, 0755), 0);
	idx_path(f, "ids/3ff", path);
	assert_int_equal(close(creat(path, 0644)), 0);
	idx_path(f, "fw", path);
	assert_int_equal(mkdir(path, 0700), 0);
	idx_path(f, "fw/rule-1", path);
	assert_int_equal(close(creat(path, 0600)), 0);
	put_file(f, "10.1.0.9",
		 "hl\r\neth0"); /* makes the next call catch up */
	lock(f, &s);
	assert_owned(&s, "hl", "10.1.0.9");
	assert_true(s.synced);
	store_close(&s);
	assert_int_equal(idx_mode(f, "."), 0700);
	assert_int_equal(idx_mode(f, "index"), 0600);
	idx_path(f, "ids/3ff", path);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(idx_mode(f, "fw/rule-1"), 0600);
	/* Only the index's own files otherwise. */
	idx_path(f, ".", path);
	d = opendir(path);
	while ((de = readdir(d)))
		assert_true(de->d_name[0] == '.' ||
			    strcmp(de->d_name, "fw") == 0 ||
			    strcmp(de->d_name, "ids") == 0 ||
			    strcmp(de->d_name, "index") == 0 ||
			    strcmp(de->d_name, "spare") == 0 ||
			    strcmp(de->d_name, "lease") == 0 ||
			    strncmp(de->d_name, "o-", 2) == 0 ||
			    strncmp(de->d_name, "4-", 2) == 0);
	closedir(d);
}

/*
 * A DEL leaves an empty spare; the next new record file is that spare,
 * renamed (the same inode), and a file in the way of the name is kept.
 */
static void test_index_spare(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], rel[16];
	struct store s = STORE_INIT;
	struct stat st, st2;
	FILE *fp;

	reserve_locked(f, "10.1.0.2", "c1");
	idx_path(f, "spare", path);
	assert_int_equal(access(path, F_OK), -1);
	lock(f, &s);
	release(&s, "c1", "eth0");
	store_close(&s);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* The released lease's file waits beside it, for the next lease. */
	idx_path(f, "lease", path);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st2.st_size, strlen("c1\r\neth0"));
	idx_path(f, "spare", path);
	/* A container whose record file does not exist yet takes it. */
	assert_int_not_equal(rec_key("c2"), rec_key("c1"));
	reserve_locked(f, "10.1.0.3", "c2");
	assert_int_equal(access(path, F_OK), -1);
	snprintf(rel, sizeof(rel), "o-%03x", rec_key("c2"));
	idx_path(f, rel, path);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st2.st_ino, st.st_ino);
	assert_true(st2.st_size > 0);
	idx_path(f, "lease", path);
	assert_int_equal(access(path, F_OK), -1);
	assert_true(has_file(f, "10.1.0.3"));
	lock(f, &s);
	assert_owned(&s, "c2", "10.1.0.3");
	assert_false(s.synced);
	release(&s, "c2", "eth0");
	store_close(&s);
	/* A spare with something in it: padded over, never misread. */
	idx_path(f, "spare", path);
	fp = fopen(path, "we");
	assert_non_null(fp);
	fputs("brisk-owners 2\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n", fp);
	fclose(fp);
	snprintf(rel, sizeof(rel), "o-%03x", rec_key("c3"));
	idx_path(f, rel, path);
	assert_int_equal(access(path, F_OK), -1);
	reserve_locked(f, "10.1.0.4", "c3");
	assert_int_equal(access(path, F_OK), 0);
	idx_path(f, "spare", path);
	assert_int_equal(access(path, F_OK), -1);
	lock(f, &s);
	assert_owned(&s, "c3", "10.1.0.4");
	assert_owned(&s, "c2", "");
	store_close(&s);
}

/*
 * An owner-record file left without owners stays until the next catch-up,
 * which removes it (else in time every catch-up would read all 1024).
 */
static void test_index_empty_pruned(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], rel[16], rel2[16];
	struct store s = STORE_INIT;

	assert_int_not_equal(rec_key("c2"), rec_key("c1"));
	reserve_locked(f, "10.1.0.2", "c1");
	reserve_locked(f, "10.1.0.3", "c2");
	lock(f, &s);
	release(&s, "c1", "eth0");
	store_close(&s);
	snprintf(rel, sizeof(rel), "o-%03x", rec_key("c1"));
	snprintf(rel2, sizeof(rel2), "o-%03x", rec_key("c2"));
	idx_path(f, rel, path);
	assert_int_equal(access(path, F_OK), 0);
	put_file(f, "10.1.0.9", "hl\r\neth0"); /* the next call catches up */
	lock(f, &s);
	assert_owned(&s, "hl", "10.1.0.9");
	assert_true(s.synced);
	store_close(&s);
	assert_int_equal(access(path, F_OK), -1);
	idx_path(f, rel2, path);
	assert_int_equal(access(path, F_OK), 0);
	lock(f, &s);
	assert_owned(&s, "c2", "10.1.0.3");
	assert_owned(&s, "c1", "");
	assert_false(s.synced);
	store_close(&s);
}

#define T(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_find_release),
		T(test_reserve_cursor),
		T(test_old_format),
		T(test_hostlocal_files),
		T(test_index_kept_in_step),
		T(test_index_empty_pruned),
		T(test_index_missing),
		T(test_index_foreign_create),
		T(test_index_foreign_unlink),
		T(test_index_foreign_reuse),
		T(test_index_spare),
		T(test_index_catch_up_reads_changes_only),
		T(test_index_sentinel),
		T(test_index_verified),
		T(test_index_bitmap_checked),
		T(test_index_owner_note),
		T(test_index_shared_record),
		T(test_index_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
