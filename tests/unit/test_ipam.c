// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brisk/ipam.h"
#include "brisk/lease.h"

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

	assert_int_equal(ipam_allocate(&f->c, NET, id, "eth0", l, &n, &err), 0);
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

	assert_true(ipam_allocate(&f->c, NET, id, "eth0", l, &n, &err) < 0);
	assert_int_equal(n, 0);
	assert_string_equal(err.msg, msg);
	return err.code;
}

/* Number of leases @id/eth0 holds, read straight from the store. */
static size_t leases_of(struct fixture *f, const char *id)
{
	struct lease_store s = LEASE_STORE_INIT;
	struct ipaddr got[LEASE_MAX_PER_ID];
	struct cni_err err = { 0 };
	size_t n = 0;

	assert_int_equal(lease_store_open(f->tmp, NET, &s, &err), 0);
	assert_int_equal(lease_find_by_id(&s, id, "eth0", got, LEASE_MAX_PER_ID,
					  &n, &err),
			 0);
	lease_store_close(&s);
	return n;
}

static void release(struct fixture *f, const char *id)
{
	struct cni_err err = { 0 };

	assert_int_equal(ipam_release(&f->c, NET, id, "eth0", &err), 0);
	assert_int_equal(leases_of(f, id), 0);
}

static void test_round_robin(void **state)
{
	struct fixture *f = *state;
	struct ipam_lease l[IPAM_MAX_SETS];
	struct cni_err err = { 0 };
	size_t n = 0;

	add_range(f, 0, "10.2.0.0/29", NULL, NULL); /* .2-.6, gateway .1 */
	assert_int_equal(ipam_allocate(&f->c, NET, "c1", "eth0", l, &n, &err),
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
	r = ipam_allocate(&f->c, NET, "c4", "eth0", l, &n, &err);
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
	assert_int_equal(ipam_allocate(&f->c, NET, "c1", "eth1", l, &n, &err),
			 0);
	assert_ip(&l[0].addr.addr, "10.2.0.3");
	assert_ip(&l[1].addr.addr, "fd00::3");
	alloc_ok(f, "c2", "10.2.0.4", "fd00::4");
}

static void test_dual_stack(void **state)
{
	struct fixture *f = *state;
	struct ipam_lease l[IPAM_MAX_SETS];
	struct cni_err err = { 0 };
	size_t n = 0;

	add_range(f, 0, "10.2.0.0/24", NULL, NULL);
	add_range(f, 1, "fd00:1::/64", NULL, NULL);
	assert_int_equal(ipam_allocate(&f->c, NET, "c1", "eth0", l, &n, &err),
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
	assert_int_equal(ipam_allocate(&f->c, NET, "c2", "eth0", l, &n, &err),
			 0);
	assert_ip(&l[0].addr.addr, "10.3.0.2");
	assert_int_equal(l[0].addr.prefixlen, 16);
	assert_ip(&l[0].gw, "10.3.0.1");
	/* The lease of an existing client maps back to its own range. */
	assert_int_equal(ipam_allocate(&f->c, NET, "c1", "eth0", l, &n, &err),
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
