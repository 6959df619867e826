// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: the index's own files. The input is parsed as an owner-record
 * file (what parses must format and parse back the same) and as the note
 * of an attachment record; when it starts like one of the index's files, it
 * then stands in for the index header and one record file of a scratch
 * store, which must still find the one lease there.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brisk/log.h"
#include "brisk/meta.h"
#include "brisk/store.h"
#include "../../src/ipam/index/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[] = "/tmp/brisk-fuzz-index-XXXXXX";
/* Not the template's last letter: one name in 62 ends in 'X'. */
static bool fuzz_dir_made;

static void put(const char *rel, const char *data, size_t size)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

/* Formatting a parsed record and parsing it again gives the same bytes. */
static void roundtrip(const char *buf, size_t size)
{
	struct rec_file f, g;
	char *out, *again;
	size_t len, len2;

	if (rec_parse(buf, size, &f) < 0)
		return;
	out = rec_format(&f, 0, &len);
	if (!out || rec_parse(out, len, &g) < 0)
		abort();
	again = rec_format(&g, 0, &len2);
	if (!again || len != len2 || memcmp(out, again, len) != 0)
		abort();
	free(again);
	free(out);
	rec_clear(&g);
	rec_clear(&f);
}

static int visit(const struct store_lease *l, void *data, struct cni_err *err)
{
	struct meta_attach m;

	(void)data;
	(void)err;
	if (l->note && meta_parse(l->note, &m) == 0)
		meta_attach_clear(&m);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), rel[64];
	struct store s = STORE_INIT;
	struct cni_err err = { 0 };
	struct ipaddr found[STORE_MAX_PER_ID];
	struct meta_attach m;
	size_t n = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	log_set_level(LOG_LVL_ERR);
	roundtrip(buf, size);
	if (meta_parse(buf, &m) == 0)
		meta_attach_clear(&m);
	/* The slow part, files in a store, only for inputs like the index's
	 * own files (the fuzzer soon learns the prefix). */
	if (size < 6 || memcmp(buf, "brisk-", 6) != 0) {
		free(buf);
		return 0;
	}
	if (!fuzz_dir_made) {
		if (!mkdtemp(fuzz_dir) || store_open(fuzz_dir, "net", 1000, &s,
						     &err) < 0)
			abort();
		fuzz_dir_made = true;
		put("net/10.0.0.2", "cid\r\neth0", 9);
		store_find(&s, "cid", "eth0", found, STORE_MAX_PER_ID, &n, &err);
		store_close(&s);
	}
	/* Both files damaged at once, the store itself as the last call made
	 * it: the header may even look valid. */
	put(".brisk/net/index", buf, size);
	snprintf(rel, sizeof(rel), ".brisk/net/o-%03x", rec_key("cid"));
	put(rel, buf, size);
	if (store_open(fuzz_dir, "net", 1000, &s, &err) < 0)
		abort();
	store_find(&s, "cid", "eth0", found, STORE_MAX_PER_ID, &n, &err);
	if (n != 1)
		abort();
	store_list(&s, visit, NULL, &err);
	store_close(&s);
	free(buf);
	return 0;
}
