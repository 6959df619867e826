// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "brisk/ipam.h"
#include "brisk/meta.h"
#include "brisk/stale.h"
#include "brisk/store.h"

#define NET "net1"

struct fixture {
	char tmp[256];
	struct ipamconf c;
};

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(p);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->tmp, sizeof(f->tmp), "/tmp/brisk-ipam-XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	f->c.kind = IPAM_BUILTIN;
	snprintf(f->c.type, sizeof(f->c.type), "host-local");
	snprintf(f->c.data_dir, sizeof(f->c.data_dir), "%s", f->tmp);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

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

/* Append a range to set @set of the config (a new set when it is n_sets). */
static void add_range(struct fixture *f, size_t set, const char *subnet,
		      const char *start, const char *end)
{
	struct ipam_rangeset *s = &f->c.sets[set];
	struct ipam_range *r = &s->r[s->n++];
	struct cni_err err = { 0 };

	if (set == f->c.n_sets)
		f->c.n_sets++;
	assert_int_equal(ipnet_parse(subnet, &r->subnet), 0);
	if (start)
		r->start = ip(start);
	if (end)
		r->end = ip(end);
	assert_int_equal(range_canonicalize(r, true, "k", &err), 0);
	assert_int_equal(rangeset_validate(s, "k", &err), 0);
}

static void request(struct fixture *f, const char *addr)
{
	f->c.req_ips[f->c.n_req_ips++] = ip(addr);
}

static void assert_ip(const struct ipaddr *a, const char *want)
{
	char buf[IPADDR_STRLEN];

	assert_string_equal(ipaddr_fmt(a, buf), want);
}

/* Allocate for id/eth0 expecting success and one address per set. */
static void alloc_ok(struct fixture *f, const char *id, const char *want0,
		     const char *want1)
{
	struct ipam_lease l[IPAM_MAX_SETS];
	struct cni_err err = { 0 };
	size_t n = 0;

	assert_int_equal(ipam_allocate(&f->c, NET, id, "eth0", NULL, l, &n, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(n, f->c.n_sets);
	assert_ip(&l[0].addr.addr, want0);
	if (want1)
		assert_ip(&l[1].addr.addr, want1);
}

/* Allocate for @id expecting failure; returns the error code. */
static int alloc_fails(struct fixture *f, const char *id, const char *msg)
{
	struct ipam_lease l[IPAM_MAX_SETS];
	struct cni_err err = { 0 };
	size_t n = 99;

	assert_true(ipam_allocate(&f->c, NET, id, "eth0", NULL, l, &n, &err) < 0);
	assert_int_equal(n, 0);
	assert_string_equal(err.msg, msg);
	return err.code;
}

/* Number of leases @id/eth0 holds, read straight from the store. */
static size_t leases_of(struct fixture *f, const char *id)
{
	struct store s = STORE_INIT;
	struct ipaddr got[STORE_MAX_PER_ID];
	struct cni_err err = { 0 };
	size_t n = 0;

	assert_int_equal(store_open(f->tmp, NET, 1000, &s, &err), 0);
	assert_int_equal(store_find(&s, id, "eth0", got, STORE_MAX_PER_ID, &n,
				    &err),
			 0);
	store_close(&s);
	return n;
}

/* Release @id: what it freed is what it held. */
static void release(struct fixture *f, const char *id)
{
	size_t had = leases_of(f, id);
	struct ipam_freed freed;
	struct cni_err err = { 0 };

	assert_int_equal(ipam_release(&f->c, NET, id, "eth0", &freed, &err), 0);
	assert_int_equal(freed.n, had);
	assert_int_equal(leases_of(f, id), 0);
}

static void test_round_robin(void **state)
{
	struct fixture *f = *state;
	struct ipam_lease l[IPAM_MAX_SETS];
	struct cni_err err = { 0 };
	size_t n = 0;

	add_range(f, 0, "10.2.0.0/29", NULL, NULL); /* .2-.6, gateway .1 */
	assert_int_equal(ipam_allocate(&f->c, NET, "c1", "eth0", NULL, l, &n, &err),
			 0);
	assert_int_equal(n, 1);
	assert_ip(&l[0].addr.addr, "10.2.0.2");
	assert_int_equal(l[0].addr.prefixlen, 29);
	assert_ip(&l[0].gw, "10.2.0.1");
	assert_int_equal(l[0].set, 0);
	alloc_ok(f, "c2", "10.2.0.3", NULL);
	/* A released address is not reused until the cycle comes round. */
	release(f, "c1");
	alloc_ok(f, "c3", "10.2.0.4", NULL);
	alloc_ok(f, "c4", "10.2.0.5", NULL);
	alloc_ok(f, "c5", "10.2.0.6", NULL);
	alloc_ok(f, "c6", "10.2.0.2", NULL);
	assert_int_equal(alloc_fails(f, "c7", "no free address in ipam.ranges[0]"),
			 CNI_ERR_INTERNAL);
	assert_int_equal(leases_of(f, "c7"), 0);
}

static void test_wrap_from_last_reserved(void **state)
{
	struct fixture *f = *state;
	char path[512];
	FILE *fp;

	add_range(f, 0, "10.2.0.0/24", "10.2.0.10", "10.2.0.20");
	alloc_ok(f, "c0", "10.2.0.10", NULL);
	/* As host-local left it: the cursor at the end of the range. */
	snprintf(path, sizeof(path), "%s/" NET "/last_reserved_ip.0", f->tmp);
	fp = fopen(path, "we");
	assert_non_null(fp);
	fputs("10.2.0.20", fp);
	fclose(fp);
	alloc_ok(f, "c1", "10.2.0.11", NULL);
	alloc_ok(f, "c2", "10.2.0.12", NULL);
}

static void test_exhaustion_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct cni_err err = { 0 };
	struct ipam_lease l[IPAM_MAX_SETS];
	size_t n = 0;
	int r;

	add_range(f, 0, "10.2.0.0/24", NULL, NULL);
	add_range(f, 1, "fd00::/126", NULL, NULL); /* ::2, ::3 */
	alloc_ok(f, "c1", "10.2.0.2", "fd00::2");
	alloc_ok(f, "c2", "10.2.0.3", "fd00::3");
	r = alloc_fails(f, "c3", "no free address in ipam.ranges[1]");
	assert_int_equal(r, CNI_ERR_INTERNAL);
	/* The IPv4 address taken before the IPv6 set failed is given back. */
	assert_int_equal(leases_of(f, "c3"), 0);
	r = ipam_allocate(&f->c, NET, "c4", "eth0", NULL, l, &n, &err);
	assert_int_equal(r, -ENOSPC);
	assert_non_null(strstr(err.details, "no IP addresses available in "
					    "range set: fd00::1-fd00::3"));
	release(f, "c1");
	alloc_ok(f, "c5", "10.2.0.6", "fd00::2");
}

static void test_idempotent(void **state)
{
	struct fixture *f = *state;
	struct ipam_lease l[IPAM_MAX_SETS];
	struct cni_err err = { 0 };
	size_t n = 0;

	add_range(f, 0, "10.2.0.0/24", NULL, NULL);
	add_range(f, 1, "fd00::/64", NULL, NULL);
	alloc_ok(f, "c1", "10.2.0.2", "fd00::2");
	alloc_ok(f, "c1", "10.2.0.2", "fd00::2");
	assert_int_equal(leases_of(f, "c1"), 2);
	/* Another interface of the same container is another client. */
	assert_int_equal(ipam_allocate(&f->c, NET, "c1", "eth1", NULL, l, &n, &err),
			 0);
	assert_ip(&l[0].addr.addr, "10.2.0.3");
	assert_ip(&l[1].addr.addr, "fd00::3");
	alloc_ok(f, "c2", "10.2.0.4", "fd00::4");
	/* Requesting what is held is the same; anything else is refused. */
	request(f, "10.2.0.2");
	alloc_ok(f, "c1", "10.2.0.2", "fd00::2");
	f->c.n_req_ips = 0;
	request(f, "10.2.0.9");
	assert_int_equal(alloc_fails(f, "c1", "requested address 10.2.0.9, but "
					      "c1/eth0 already holds 10.2.0.2 "
					      "in ipam.ranges[0]: DEL it first"),
			 CNI_ERR_INTERNAL);
	assert_int_equal(leases_of(f, "c1"), 2);
}

static void test_dual_stack(void **state)
{
	struct fixture *f = *state;
	struct ipam_lease l[IPAM_MAX_SETS];
	struct cni_err err = { 0 };
	size_t n = 0;

	add_range(f, 0, "10.2.0.0/24", NULL, NULL);
	add_range(f, 1, "fd00:1::/64", NULL, NULL);
	assert_int_equal(ipam_allocate(&f->c, NET, "c1", "eth0", NULL, l, &n, &err),
			 0);
	assert_int_equal(n, 2);
	assert_ip(&l[0].addr.addr, "10.2.0.2");
	assert_int_equal(l[0].addr.prefixlen, 24);
	assert_ip(&l[0].gw, "10.2.0.1");
	assert_int_equal(l[0].set, 0);
	assert_ip(&l[1].addr.addr, "fd00:1::2");
	assert_int_equal(l[1].addr.prefixlen, 64);
	assert_ip(&l[1].gw, "fd00:1::1");
	assert_int_equal(l[1].set, 1);
}

static void test_multi_range_set(void **state)
{
	struct fixture *f = *state;
	struct ipam_lease l[IPAM_MAX_SETS];
	struct cni_err err = { 0 };
	size_t n = 0;

	add_range(f, 0, "10.2.0.0/30", NULL, NULL); /* .2 only */
	add_range(f, 0, "10.3.0.0/16", NULL, "10.3.0.3");
	alloc_ok(f, "c1", "10.2.0.2", NULL);
	assert_int_equal(ipam_allocate(&f->c, NET, "c2", "eth0", NULL, l, &n, &err),
			 0);
	assert_ip(&l[0].addr.addr, "10.3.0.2");
	assert_int_equal(l[0].addr.prefixlen, 16);
	assert_ip(&l[0].gw, "10.3.0.1");
	/* The lease of an existing client maps back to its own range. */
	assert_int_equal(ipam_allocate(&f->c, NET, "c1", "eth0", NULL, l, &n, &err),
			 0);
	assert_int_equal(l[0].addr.prefixlen, 30);
	assert_ip(&l[0].gw, "10.2.0.1");
}

static void test_requested(void **state)
{
	struct fixture *f = *state;

	add_range(f, 0, "10.2.0.0/24", NULL, NULL);
	add_range(f, 1, "fd00::/64", NULL, NULL);
	request(f, "fd00::99");
	alloc_ok(f, "c1", "10.2.0.2", "fd00::99");
	f->c.n_req_ips = 0;
	request(f, "10.2.0.50");
	alloc_ok(f, "c2", "10.2.0.50", "fd00::9a");
	/* Round robin continues after the requested address. */
	f->c.n_req_ips = 0;
	alloc_ok(f, "c3", "10.2.0.51", "fd00::9b");

	request(f, "10.2.0.50");
	assert_int_equal(alloc_fails(f, "c4", "requested address 10.2.0.50 is "
					      "already allocated"),
			 CNI_ERR_INTERNAL);
	assert_int_equal(leases_of(f, "c4"), 0);
	f->c.n_req_ips = 0;
	request(f, "10.9.0.1");
	assert_int_equal(alloc_fails(f, "c4", "requested address 10.9.0.1 is "
					      "not in any range"),
			 CNI_ERR_CONFIG);
	f->c.n_req_ips = 0;
	request(f, "10.2.0.255");
	assert_int_equal(alloc_fails(f, "c4", "requested address 10.2.0.255 is "
					      "not in any range"),
			 CNI_ERR_CONFIG);
	f->c.n_req_ips = 0;
	request(f, "10.2.0.1");
	assert_int_equal(alloc_fails(f, "c4", "requested address 10.2.0.1 is "
					      "the gateway of ipam.ranges[0]"),
			 CNI_ERR_CONFIG);
	f->c.n_req_ips = 0;
	request(f, "10.2.0.60");
	request(f, "10.2.0.61");
	assert_int_equal(alloc_fails(f, "c4", "requested addresses 10.2.0.60 "
					      "and 10.2.0.61 are both in "
					      "ipam.ranges[0]"),
			 CNI_ERR_CONFIG);
	/* A taken IPv6 request gives back the IPv4 address already taken. */
	f->c.n_req_ips = 0;
	request(f, "fd00::99");
	alloc_fails(f, "c4", "requested address fd00::99 is already allocated");
	assert_int_equal(leases_of(f, "c4"), 0);
	assert_int_equal(leases_of(f, "c1"), 2);
}

static void test_release_check(void **state)
{
	struct fixture *f = *state;
	struct ipaddr ips[2] = { ip("10.2.0.2"), ip("fd00::2") };
	struct ipaddr other = ip("10.2.0.3");
	struct cni_err err = { 0 };

	add_range(f, 0, "10.2.0.0/24", NULL, NULL);
	add_range(f, 1, "fd00::/64", NULL, NULL);
	alloc_ok(f, "c1", "10.2.0.2", "fd00::2");
	assert_int_equal(ipam_check(&f->c, NET, "c1", "eth0", ips, 2, &err), 0);
	assert_true(ipam_check(&f->c, NET, "c1", "eth0", &other, 1, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INTERNAL);
	assert_string_equal(err.msg, "address 10.2.0.3 is not leased to this "
				     "container");
	memset(&err, 0, sizeof(err));
	assert_true(ipam_check(&f->c, NET, "c1", "eth1", ips, 2, &err) < 0);

	release(f, "c1");
	memset(&err, 0, sizeof(err));
	assert_true(ipam_check(&f->c, NET, "c1", "eth0", ips, 2, &err) < 0);
	assert_string_equal(err.msg, "address 10.2.0.2 is not leased to this "
				     "container");
	/* Releasing again, or an unknown container, is success. */
	release(f, "c1");
	release(f, "never-seen");
	alloc_ok(f, "c1", "10.2.0.3", "fd00::3");
}


/* ------------------------------------------------------- the lease index */

static void put(struct fixture *f, const char *name, const char *content)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/" NET "/%s", f->tmp, name);
	fp = fopen(path, "we");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static bool has(struct fixture *f, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/" NET "/%s", f->tmp, name);
	return access(path, F_OK) == 0;
}

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000L;
}

/*
 * Fill 10.3.0.0/16 in host-local's format, straight on disk, except the
 * addresses in @keep: 256 owners (one per third octet), hard links so
 * that 65,000 files are quick to make.
 */
static void fill16(struct fixture *f, const char *const *keep)
{
	char dir[512], first[600], path[600], content[64];

	snprintf(dir, sizeof(dir), "%s/" NET, f->tmp);
	mkdir(dir, 0755);
	for (int c = 0; c < 256; c++) {
		bool made = false;

		snprintf(content, sizeof(content), "fill-%d\r\neth0", c);
		for (int d = 0; d < 256; d++) {
			char name[32];
			bool skip = (c == 0 && d < 2) || (c == 255 && d == 255);

			snprintf(name, sizeof(name), "10.3.%d.%d", c, d);
			for (const char *const *k = keep; *k && !skip; k++)
				skip = strcmp(*k, name) == 0;
			if (skip)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (!made) {
				put(f, name, content);
				snprintf(first, sizeof(first), "%s", path);
				made = true;
			} else {
				assert_int_equal(link(first, path), 0);
			}
		}
	}
}

static void test_far_free_in_full_16(void **state)
{
	static const char *const keep[] = { "10.3.200.7", "10.3.0.9", NULL };
	struct fixture *f = *state;
	long t0, t_rebuild, t_valid;

	add_range(f, 0, "10.3.0.0/16", NULL, NULL);
	fill16(f, keep);
	put(f, "last_reserved_ip.0", "10.3.0.20");
	/* The first call rebuilds brisk's index (one pass over the store). */
	t0 = now_us();
	alloc_ok(f, "c1", "10.3.200.7", NULL);
	t_rebuild = now_us() - t0;
	/* Then the bitmap finds the far address without probing them all. */
	t0 = now_us();
	alloc_ok(f, "c2", "10.3.0.9", NULL);
	t_valid = now_us() - t0;
	print_message("    one ADD, /16 nearly full: %ld us rebuilding, %ld us "
		      "with a valid index\n", t_rebuild, t_valid);
	/* Released behind brisk's back (host-local's DEL): seen at once. */
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/" NET "/10.3.77.77", f->tmp);
		assert_int_equal(unlink(path), 0);
	}
	alloc_ok(f, "c3", "10.3.77.77", NULL);
	release(f, "c1");
	alloc_ok(f, "c4", "10.3.200.7", NULL);
}

/* Set the bit of @addr (in 10.2.0.0/16) in brisk's bitmap, in place. */
static void poison_bit(struct fixture *f, const char *addr)
{
	struct ipaddr a = ip(addr);
	unsigned int bit = (unsigned int)a.b[2] << 8 | a.b[3];
	uint64_t w = 0;
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/.brisk/" NET "/4-%02x%02x",
		 f->tmp, a.b[0], a.b[1]);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &w, 8, bit / 64 * 8), 8);
	w |= 1ULL << (bit % 64);
	assert_int_equal(pwrite(fd, &w, 8, bit / 64 * 8), 8);
	close(fd);
}

/* A wrong "taken" in the index never becomes "no free address". */
static void test_exhaustion_reverified(void **state)
{
	struct fixture *f = *state;

	add_range(f, 0, "10.2.0.0/29", NULL, NULL); /* .2-.6 */
	alloc_ok(f, "c1", "10.2.0.2", NULL);
	alloc_ok(f, "c2", "10.2.0.3", NULL);
	alloc_ok(f, "c3", "10.2.0.4", NULL);
	alloc_ok(f, "c4", "10.2.0.5", NULL);
	/* The index is valid but wrong: .6 marked taken. */
	poison_bit(f, "10.2.0.6");
	alloc_ok(f, "c5", "10.2.0.6", NULL);
	release(f, "c2");
	poison_bit(f, "10.2.0.3");
	alloc_ok(f, "c6", "10.2.0.3", NULL);
	assert_int_equal(alloc_fails(f, "c7", "no free address in ipam.ranges[0]"),
			 CNI_ERR_INTERNAL);
}

/* Mark id/eth0's attachment as made in another boot. */
static void mark_stale(struct fixture *f, const char *id)
{
	struct store s = STORE_INIT;
	struct cni_err err = { 0 };
	struct meta_attach m;
	char *note;

	assert_int_equal(meta_attach_init(&m, "/run/netns/gone",
					  "00000000-0000-0000-0000-000000000000"),
			 0);
	note = meta_format(&m);
	assert_non_null(note);
	assert_int_equal(store_open(f->tmp, NET, 1000, &s, &err), 0);
	store_note(&s, id, "eth0", note);
	store_close(&s);
	free(note);
	meta_attach_clear(&m);
}

struct seen {
	int n;
	char line[4][128];
};

static void note_stale(const struct stale_lease *st, void *data)
{
	struct seen *s = data;
	char buf[IPADDR_STRLEN];

	if (s->n < 4)
		snprintf(s->line[s->n], sizeof(s->line[0]), "%s %s %s %s",
			 ipaddr_fmt(&st->ip, buf), st->id, st->ifname,
			 meta_verdict_str(st->why));
	s->n++;
}

static struct seen gc(struct fixture *f, bool apply)
{
	struct cni_err err = { 0 };
	struct seen s = { 0 };
	size_t n = 99;

	assert_int_equal(stale_gc(f->tmp, NET, apply, note_stale, &s, &n, &err),
			 0);
	assert_int_equal(n, (size_t)s.n);
	return s;
}

static void test_gc_stale(void **state)
{
	struct fixture *f = *state;
	struct seen s;

	add_range(f, 0, "10.2.0.0/24", NULL, NULL);
	add_range(f, 1, "fd00::/64", NULL, NULL);
	alloc_ok(f, "c1", "10.2.0.2", "fd00::2");
	alloc_ok(f, "c2", "10.2.0.3", "fd00::3");
	put(f, "10.2.0.9", "hl\r\neth0"); /* host-local's: no record */
	assert_int_equal(gc(f, false).n, 0);
	mark_stale(f, "c1");
	s = gc(f, false);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.line[0], "10.2.0.2 c1 eth0 reboot");
	assert_string_equal(s.line[1], "fd00::2 c1 eth0 reboot");
	/* A dry run changes nothing. */
	assert_true(has(f, "10.2.0.2") && has(f, "fd00::2"));
	assert_int_equal(gc(f, true).n, 2);
	assert_false(has(f, "10.2.0.2") || has(f, "fd00::2"));
	assert_true(has(f, "10.2.0.3") && has(f, "fd00::3"));
	assert_true(has(f, "10.2.0.9"));
	assert_int_equal(leases_of(f, "c2"), 2);
	assert_int_equal(gc(f, false).n, 0);

	/* Re-added by its runtime after the reboot: the record is renewed. */
	mark_stale(f, "c2");
	alloc_ok(f, "c2", "10.2.0.3", "fd00::3");
	assert_int_equal(gc(f, false).n, 0);
	/* host-local rewrote c2's lease: not the file the record is about. */
	mark_stale(f, "c2");
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/" NET "/10.2.0.3", f->tmp);
		assert_int_equal(unlink(path), 0);
		put(f, "10.2.0.3", "c2\r\neth0");
	}
	s = gc(f, false);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.line[0], "fd00::3 c2 eth0 reboot");
}

static void test_reclaim_stale(void **state)
{
	struct fixture *f = *state;

	add_range(f, 0, "10.2.0.0/29", NULL, NULL); /* .2-.6 */
	alloc_ok(f, "c1", "10.2.0.2", NULL);
	alloc_ok(f, "c2", "10.2.0.3", NULL);
	alloc_ok(f, "c3", "10.2.0.4", NULL);
	alloc_ok(f, "c4", "10.2.0.5", NULL);
	alloc_ok(f, "c5", "10.2.0.6", NULL);
	mark_stale(f, "c3");
	/* Off by default. */
	assert_int_equal(alloc_fails(f, "c6", "no free address in ipam.ranges[0]"),
			 CNI_ERR_INTERNAL);
	assert_int_equal(leases_of(f, "c3"), 1);
	f->c.reclaim_stale = true;
	alloc_ok(f, "c6", "10.2.0.4", NULL);
	assert_int_equal(leases_of(f, "c3"), 0);
	/* Nothing stale left: full is full. */
	assert_int_equal(alloc_fails(f, "c7", "no free address in ipam.ranges[0]"),
			 CNI_ERR_INTERNAL);
	/* The attachment being made is never its own victim. */
	mark_stale(f, "c1");
	alloc_ok(f, "c1", "10.2.0.2", NULL);
	assert_int_equal(leases_of(f, "c1"), 1);
}

static void test_status(void **state)
{
	struct fixture *f = *state;
	struct cni_err err = { 0 };

	add_range(f, 0, "10.2.0.0/29", NULL, NULL); /* .2-.6 */
	add_range(f, 1, "fd00::/126", NULL, NULL); /* ::2, ::3 */
	assert_int_equal(ipam_status(&f->c, NET, &err), 0);
	alloc_ok(f, "c1", "10.2.0.2", "fd00::2");
	alloc_ok(f, "c2", "10.2.0.3", "fd00::3");
	assert_int_equal(ipam_status(&f->c, NET, &err), -ENOSPC);
	assert_int_equal(err.code, CNI_ERR_UNAVAILABLE);
	assert_string_equal(err.msg, "no free address in ipam.ranges[1]");
	release(f, "c1");
	memset(&err, 0, sizeof(err));
	assert_int_equal(ipam_status(&f->c, NET, &err), 0);
}

static void test_reclaim_config(void **state)
{
	struct ipamconf c;
	struct cni_err err = { 0 };
	json_t *root;

	root = json_pack("{s:{s:s, s:s, s:b}}", "ipam", "type", "host-local",
			 "subnet", "10.2.0.0/24", "reclaimStale", 1);
	assert_int_equal(ipamconf_parse(root, NULL, &c, &err), 0);
	assert_true(c.reclaim_stale);
	json_decref(root);
	root = json_pack("{s:{s:s, s:s}}", "ipam", "type", "host-local",
			 "subnet", "10.2.0.0/24");
	assert_int_equal(ipamconf_parse(root, NULL, &c, &err), 0);
	assert_false(c.reclaim_stale);
	json_decref(root);
	root = json_pack("{s:{s:s, s:s, s:s}}", "ipam", "type", "host-local",
			 "subnet", "10.2.0.0/24", "reclaimStale", "yes");
	assert_true(ipamconf_parse(root, NULL, &c, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "ipam.reclaimStale"));
	json_decref(root);
}

/*
 * The search by stretches picks exactly what host-local's iterator
 * (rangeset_iter, a walk of every address) picks: random multi-range sets,
 * random leases, random cursors, gateways inside and outside the ranges.
 */
static void test_same_pick_as_iterator(void **state)
{
	struct fixture *f = *state;
	unsigned int seed = 12345;

	for (int round = 0; round < 150; round++) {
		struct ipam_rangeset *rs = &f->c.sets[0];
		struct rangeset_iter it;
		struct ipaddr want, last, a;
		char name[IPADDR_STRLEN], cmd[600], id[32];
		bool have_want = false;
		int nr = 1 + (int)(rand_r(&seed) % 3);

		snprintf(cmd, sizeof(cmd), "rm -rf '%s/" NET "' '%s/.brisk'",
			 f->tmp, f->tmp);
		assert_int_equal(system(cmd), 0);
		memset(&f->c.sets, 0, sizeof(f->c.sets));
		f->c.n_sets = 0;
		for (int i = 0; i < nr; i++) {
			char sub[32], lo[32], hi[32];
			int st = 2 + (int)(rand_r(&seed) % 5);

			snprintf(sub, sizeof(sub), "10.%d.0.0/28", 40 + i);
			snprintf(lo, sizeof(lo), "10.%d.0.%d", 40 + i, st);
			snprintf(hi, sizeof(hi), "10.%d.0.%d", 40 + i,
				 st + (int)(rand_r(&seed) % 6));
			add_range(f, 0, sub, rand_r(&seed) % 2 ? lo : NULL, hi);
			/* Sometimes the gateway inside the range. */
			if (rand_r(&seed) % 3 == 0)
				rs->r[i].gw = rs->r[i].start;
		}
		/* Random leases, and a random cursor (maybe none). */
		mkdir(f->tmp, 0755);
		snprintf(cmd, sizeof(cmd), "%s/" NET, f->tmp);
		mkdir(cmd, 0755);
		rangeset_iter_init(&it, rs, NULL);
		while (rangeset_iter_next(&it, &a, NULL))
			if (rand_r(&seed) % 3)
				put(f, ipaddr_fmt(&a, name), "x\r\neth0");
		last.family = 0;
		if (rand_r(&seed) % 4) {
			int i = (int)(rand_r(&seed) % (unsigned int)nr);

			last = rs->r[i].start;
			for (unsigned int k = rand_r(&seed) % 6; k > 0 &&
			     !ipaddr_eq(&last, &rs->r[i].end); k--)
				ipaddr_next(&last);
			put(f, "last_reserved_ip.0", ipaddr_fmt(&last, name));
		}
		rangeset_iter_init(&it, rs, &last);
		while (!have_want && rangeset_iter_next(&it, &want, NULL))
			have_want = !has(f, ipaddr_fmt(&want, name));
		snprintf(id, sizeof(id), "r%d", round);
		if (have_want)
			alloc_ok(f, id, ipaddr_fmt(&want, name), NULL);
		else
			alloc_fails(f, id, "no free address in ipam.ranges[0]");
	}
}

/* IPv6 in a long run of taken addresses, and an empty lease in it. */
static void test_v6_long_run_taken(void **state)
{
	struct fixture *f = *state;
	char dir[512], name[IPADDR_STRLEN];
	struct ipaddr a = ip("fd00::2");

	add_range(f, 0, "fd00::/119", NULL, NULL); /* ::1 gateway, ::2-::1ff */
	snprintf(dir, sizeof(dir), "%s/" NET, f->tmp);
	mkdir(dir, 0755);
	for (int i = 2; i < 0x200; i++, ipaddr_next(&a))
		if (i != 0x1f0)
			put(f, ipaddr_fmt(&a, name), "v6fill\r\neth0");
	put(f, "fd00::1f3", ""); /* a crashed writer's: free to take */
	alloc_ok(f, "c1", "fd00::1f0", NULL);
	alloc_ok(f, "c2", "fd00::1f3", NULL);
	assert_int_equal(alloc_fails(f, "c3", "no free address in ipam.ranges[0]"),
			 CNI_ERR_INTERNAL);
	release(f, "c1");
	alloc_ok(f, "c3", "fd00::1f0", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_robin, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wrap_from_last_reserved,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion_rolls_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dual_stack, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_multi_range_set, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_requested, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_check, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_far_free_in_full_16, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion_reverified,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_gc_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_stale, setup,
						teardown),
		cmocka_unit_test(test_reclaim_config),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_pick_as_iterator,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_long_run_taken, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
