// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brisk/meta.h"
#include "../../src/ipam/index.h"

#define BOOT_A "11111111-2222-3333-4444-555555555555"
#define BOOT_B "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

static struct meta_attach mk(const char *boot, const char *netns, uint64_t dev,
			     uint64_t ino)
{
	struct meta_attach m = { 0 };

	snprintf(m.boot_id, sizeof(m.boot_id), "%s", boot);
	m.netns = netns ? strdup(netns) : NULL;
	m.ns_dev = dev;
	m.ns_ino = ino;
	m.time = 1700000000;
	return m;
}

/* The identity of our own network namespace (nsfs, no root needed). */
static void own_netns(uint64_t *dev, uint64_t *ino)
{
	struct stat st;

	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	*dev = (uint64_t)st.st_dev;
	*ino = (uint64_t)st.st_ino;
}

static void test_boot_id(void **state)
{
	char b[META_BOOT_ID_LEN];

	meta_boot_id(b);
	/* Every Linux with /proc has one; tests run there. */
	assert_int_equal(strlen(b), 36);
}

static void test_other_boot_is_stale(void **state)
{
	struct meta_attach m = mk(BOOT_A, NULL, 0, 0);

	assert_int_equal(meta_judge(&m, BOOT_B, NULL), META_STALE_BOOT);
	assert_int_equal(meta_judge(&m, BOOT_A, NULL), META_LIVE);
	/* An unknown boot id on either side proves nothing. */
	assert_int_equal(meta_judge(&m, "", NULL), META_LIVE);
	m.boot_id[0] = '\0';
	assert_int_equal(meta_judge(&m, BOOT_B, NULL), META_LIVE);
	assert_string_equal(meta_verdict_str(META_STALE_BOOT), "reboot");
	meta_attach_clear(&m);
}

static void test_netns_rules(void **state)
{
	char tmp[] = "/tmp/brisk-meta-XXXXXX", file[64];
	uint64_t dev, ino;
	struct meta_attach m;
	FILE *fp;

	own_netns(&dev, &ino);
	assert_non_null(mkdtemp(tmp));
	snprintf(file, sizeof(file), "%s/ns", tmp);

	/* The path is gone. */
	m = mk(BOOT_A, file, dev, ino + 1000);
	assert_int_equal(meta_judge(&m, BOOT_A, NULL), META_STALE_NETNS_GONE);
	/* It exists, but is a plain file (an unmounted pin). */
	fp = fopen(file, "we");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(meta_judge(&m, BOOT_A, NULL), META_STALE_NOT_NETNS);
	meta_attach_clear(&m);

	/* A namespace, but another one than recorded. */
	m = mk(BOOT_A, "/proc/self/ns/net", dev, ino + 1000);
	assert_int_equal(meta_judge(&m, BOOT_A, NULL),
			 META_STALE_NETNS_REPLACED);
	meta_attach_clear(&m);
	/* The very namespace: alive. */
	m = mk(BOOT_A, "/proc/self/ns/net", dev, ino);
	assert_int_equal(meta_judge(&m, BOOT_A, NULL), META_LIVE);
	/* ...and in an earlier boot it would be stale regardless. */
	assert_int_equal(meta_judge(&m, BOOT_B, NULL), META_STALE_BOOT);
	meta_attach_clear(&m);

	/* Nothing recorded about the namespace: never stale by it. */
	m = mk(BOOT_A, file, 0, 0);
	assert_int_equal(meta_judge(&m, BOOT_A, NULL), META_LIVE);
	meta_attach_clear(&m);
	m = mk(BOOT_A, NULL, dev, ino + 1000);
	assert_int_equal(meta_judge(&m, BOOT_A, NULL), META_LIVE);
	meta_attach_clear(&m);
	/* A relative path cannot be judged from another directory. */
	m = mk(BOOT_A, "ns", dev, ino + 1000);
	assert_int_equal(meta_judge(&m, BOOT_A, NULL), META_LIVE);
	meta_attach_clear(&m);

	unlink(file);
	rmdir(tmp);
}

/* A namespace some process is still in is never gone, whatever the path. */
static void test_live_namespace_wins(void **state)
{
	struct meta_live live;
	uint64_t dev, ino;
	struct meta_attach m;

	own_netns(&dev, &ino);
	assert_int_equal(meta_live_scan(&live), 0);
	assert_true(live.n >= 1);
	m = mk(BOOT_A, "/nonexistent/brisk/ns", dev, ino);
	assert_int_equal(meta_judge(&m, BOOT_A, NULL), META_STALE_NETNS_GONE);
	assert_int_equal(meta_judge(&m, BOOT_A, &live), META_LIVE);
	/* The boot rule is not about namespaces. */
	assert_int_equal(meta_judge(&m, BOOT_B, &live), META_STALE_BOOT);
	meta_attach_clear(&m);
	meta_live_clear(&live);
}

static void test_attach_init(void **state)
{
	struct meta_attach m, c;
	uint64_t dev, ino;

	own_netns(&dev, &ino);
	assert_int_equal(meta_attach_init(&m, "/proc/self/ns/net", BOOT_A), 0);
	assert_string_equal(m.boot_id, BOOT_A);
	assert_string_equal(m.netns, "/proc/self/ns/net");
	assert_true(m.ns_dev == dev && m.ns_ino == ino);
	assert_true(m.time > 1600000000);
	assert_int_equal(meta_attach_copy(&c, &m), 0);
	assert_string_equal(c.netns, m.netns);
	assert_true(c.netns != m.netns);
	meta_attach_clear(&c);
	meta_attach_clear(&m);

	/* Not a namespace file: the path is kept, no identity. */
	assert_int_equal(meta_attach_init(&m, "/proc/self/status", BOOT_A), 0);
	assert_true(m.ns_dev == 0 && m.ns_ino == 0);
	meta_attach_clear(&m);
	assert_int_equal(meta_attach_init(&m, "", ""), 0);
	assert_null(m.netns);
	assert_string_equal(m.boot_id, "");
	meta_attach_clear(&m);
	meta_attach_clear(&m);
}

/* Owner records: any byte but NUL survives, collisions share a file. */
static void test_bucket_roundtrip(void **state)
{
	const char *odd = "e\r\nt h\x01\xff";
	struct index_bucket b = { 0 }, p;
	struct lease_stamp st = { 42, 1700000000, 123456789, 17 };
	struct index_owner *o;
	char *buf, *again;
	size_t len, len2;

	o = index_bucket_add(&b, "ctr-1", odd, false);
	assert_non_null(o);
	assert_int_equal(index_owner_put(o, "10.1.0.2", &st, true), 0);
	assert_int_equal(index_owner_put(o, "fd00::2", &st, false), 0);
	o->has_meta = true;
	o->meta = mk(BOOT_A, "/run/netns/x y", 4, 4026531840ULL);
	o = index_bucket_add(&b, "ctr-old", "ignored", true);
	assert_non_null(o);
	assert_string_equal(o->ifname, "");
	assert_int_equal(index_owner_put(o, "10.1.0.3", &st, false), 0);

	buf = index_bucket_format(&b, &len);
	assert_non_null(buf);
	assert_int_equal(index_bucket_parse(buf, len, &p), 0);
	assert_int_equal(p.n, 2);
	o = index_bucket_find(&p, "ctr-1", odd, false);
	assert_non_null(o);
	assert_int_equal(o->n, 2);
	assert_string_equal(o->addrs[0].name, "10.1.0.2");
	assert_true(o->addrs[0].attested && !o->addrs[1].attested);
	assert_true(o->addrs[1].st.nsec == 123456789 &&
		    o->addrs[1].st.ino == 42);
	assert_true(o->has_meta);
	assert_string_equal(o->meta.netns, "/run/netns/x y");
	assert_string_equal(o->meta.boot_id, BOOT_A);
	assert_true(o->meta.ns_ino == 4026531840ULL);
	/* An id-only owner is found whatever ifname is asked for. */
	assert_non_null(index_bucket_find(&p, "ctr-old", "eth9", true));
	assert_null(index_bucket_find(&p, "ctr-1", "eth0", false));
	again = index_bucket_format(&p, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, again, len);

	/* Damage of any kind is refused, not half-read. */
	for (size_t cut = 1; cut < len; cut += 7) {
		struct index_bucket bad;

		if (index_bucket_parse(buf, len - cut, &bad) == 0)
			index_bucket_free(&bad);
		else
			assert_int_equal(bad.n, 0);
	}
	{
		struct index_bucket bad;

		assert_int_equal(index_bucket_parse("nope\n", 5, &bad),
				 -EBADMSG);
	}
	free(again);
	free(buf);
	index_bucket_free(&p);
	index_bucket_free(&b);
}

/* One owner found, changed and spliced back; the others kept byte for byte. */
static void test_raw_splice(void **state)
{
	struct index_bucket b = { 0 }, p;
	struct lease_stamp st = { 7, 1, 2, 3 };
	struct index_owner o, *q;
	struct index_slot slot;
	char *buf, *out, *again;
	size_t len, out_len, again_len;
	bool found;

	for (int i = 0; i < 3; i++) {
		char id[16];

		snprintf(id, sizeof(id), "ctr-%d", i);
		q = index_bucket_add(&b, id, "eth0", false);
		assert_int_equal(index_owner_put(q, "10.1.0.2", &st, false), 0);
	}
	b.o[1].has_meta = true;
	b.o[1].meta = mk(BOOT_A, "/run/netns/n1", 4, 5);
	buf = index_bucket_format(&b, &len);

	/* The middle one: its addresses grow, the rest stays as it was. */
	assert_int_equal(index_raw_find(buf, len, "ctr-1", "eth0", false, &o,
					&slot, &found),
			 0);
	assert_true(found);
	assert_true(o.has_meta && o.n == 1);
	assert_string_equal(o.meta.netns, "/run/netns/n1");
	assert_int_equal(index_owner_put(&o, "fd00::2", &st, true), 0);
	out = index_raw_splice(buf, len, &slot, &o, &out_len);
	index_owner_clear(&o);
	assert_int_equal(index_bucket_parse(out, out_len, &p), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(index_bucket_find(&p, "ctr-1", "eth0", false)->n, 2);
	assert_int_equal(index_bucket_find(&p, "ctr-2", "eth0", false)->n, 1);
	index_bucket_free(&p);

	/* A new owner is appended; an emptied one goes; none left: len 0. */
	assert_int_equal(index_raw_find(out, out_len, "new", "eth1", false, &o,
					&slot, &found),
			 0);
	assert_false(found);
	assert_int_equal(slot.start, out_len);
	assert_int_equal(index_owner_put(&o, "10.1.0.9", &st, false), 0);
	again = index_raw_splice(out, out_len, &slot, &o, &again_len);
	index_owner_clear(&o);
	assert_int_equal(index_bucket_parse(again, again_len, &p), 0);
	assert_int_equal(p.n, 4);
	index_bucket_free(&p);
	free(again);
	assert_int_equal(index_raw_find(NULL, 0, "x", "eth0", false, &o, &slot,
					&found),
			 0);
	assert_false(found);
	assert_int_equal(index_owner_put(&o, "10.1.0.9", &st, false), 0);
	again = index_raw_splice(NULL, 0, &slot, &o, &again_len);
	index_owner_clear(&o);
	assert_true(again_len > 0);
	assert_int_equal(index_raw_find(again, again_len, "x", "eth0", false,
					&o, &slot, &found),
			 0);
	assert_true(found);
	assert_true(index_owner_del(&o, "10.1.0.9"));
	{
		size_t n = 99;
		char *gone = index_raw_splice(again, again_len, &slot, &o, &n);

		assert_int_equal(n, 0); /* nobody left: the file goes */
		free(gone);
	}
	free(again);
	index_owner_clear(&o);

	/* Damage anywhere is an error, never a wrong answer. */
	for (size_t cut = 1; cut < len; cut += 3) {
		int r = index_raw_find(buf, len - cut, "ctr-2", "eth0", false,
				       &o, &slot, &found);

		assert_true(r == 0 || r == -EBADMSG);
		if (r == 0 && found)
			assert_string_equal(o.id, "ctr-2");
		index_owner_clear(&o);
	}
	free(out);
	free(buf);
	index_bucket_free(&b);
}

static void test_key(void **state)
{
	char a[INDEX_NAME_LEN], b[INDEX_NAME_LEN];

	index_key("ctr-1", "eth0", false, a);
	index_key("ctr-1", "eth0", false, b);
	assert_string_equal(a, b);
	index_key("ctr-2", "eth0", false, b);
	assert_string_not_equal(a, b);
	index_key("ab", "c", true, a);
	index_key("ab", "zz", true, b);
	assert_string_equal(a, b); /* id-only: the ifname is not part of it */
	assert_int_equal(strlen(a), 3);
	assert_int_equal(strspn(a, "0123456789abcdef"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_id),
		cmocka_unit_test(test_other_boot_is_stale),
		cmocka_unit_test(test_netns_rules),
		cmocka_unit_test(test_live_namespace_wins),
		cmocka_unit_test(test_attach_init),
		cmocka_unit_test(test_bucket_roundtrip),
		cmocka_unit_test(test_raw_splice),
		cmocka_unit_test(test_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
