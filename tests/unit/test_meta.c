// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brisk/meta.h"

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
	struct meta_attach m;
	uint64_t dev, ino;

	own_netns(&dev, &ino);
	assert_int_equal(meta_attach_init(&m, "/proc/self/ns/net", BOOT_A), 0);
	assert_string_equal(m.boot_id, BOOT_A);
	assert_string_equal(m.netns, "/proc/self/ns/net");
	assert_true(m.ns_dev == dev && m.ns_ino == ino);
	assert_true(m.time > 1600000000);
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

/* The note the store keeps: every field back, a path with spaces too. */
static void test_note_roundtrip(void **state)
{
	struct meta_attach m = mk(BOOT_A, " /run/netns/x y ", 4, 4026531840ULL);
	struct meta_attach back;
	char *note;

	m.time = -3;
	note = meta_format(&m);
	assert_non_null(note);
	assert_int_equal(meta_parse(note, &back), 0);
	assert_string_equal(back.boot_id, BOOT_A);
	assert_string_equal(back.netns, " /run/netns/x y ");
	assert_true(back.ns_dev == 4 && back.ns_ino == 4026531840ULL &&
		    back.time == -3);
	meta_attach_clear(&back);
	free(note);
	meta_attach_clear(&m);

	/* No boot id, no namespace. */
	m = mk("", NULL, 0, 0);
	note = meta_format(&m);
	assert_int_equal(meta_parse(note, &back), 0);
	assert_string_equal(back.boot_id, "");
	assert_null(back.netns);
	meta_attach_clear(&back);
	free(note);

	/* Not one of ours. */
	assert_int_equal(meta_parse("", &back), -EBADMSG);
	assert_int_equal(meta_parse("x 1 2", &back), -EBADMSG);
	assert_int_equal(meta_parse("x 1 2 3y", &back), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_boot_is_stale),
		cmocka_unit_test(test_netns_rules),
		cmocka_unit_test(test_live_namespace_wins),
		cmocka_unit_test(test_attach_init),
		cmocka_unit_test(test_note_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
