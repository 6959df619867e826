// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: lease file parsing. The input becomes the content of a lease
 * file (and of last_reserved_ip.0) in a scratch store, which is then read
 * back through every path that parses lease files: the host-local format
 * module, and the store's catch-up, lookup and listing.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brisk/log.h"
#include "brisk/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[] = "/tmp/brisk-fuzz-lease-XXXXXX";
/* Not the template's last letter: one name in 62 ends in 'X'. */
static bool fuzz_dir_made;

static void put(const char *name, const uint8_t *data, size_t size)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/net/%s", fuzz_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

static int visit(const struct store_lease *l, void *data, struct cni_err *err)
{
	(void)data;
	(void)err;
	/* Touch the strings so ASan sees any overrun. */
	return (int)(strlen(l->id) + strlen(l->ifname)) < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store s = STORE_INIT;
	struct cni_err err = { 0 };
	struct ipaddr found[STORE_MAX_PER_ID], last;
	char buf[LEASE_READ_MAX];
	size_t n = 0;
	struct stat st;
	bool is_old;

	log_set_level(LOG_LVL_ERR);
	if (!fuzz_dir_made && !mkdtemp(fuzz_dir))
		abort();
	fuzz_dir_made = true;
	if (store_open(fuzz_dir, "net", 1000, &s, &err) < 0)
		abort();
	put("10.0.0.2", data, size);
	put("last_reserved_ip.0", data, size);
	if (lease_read(&s.d, "10.0.0.2", buf, sizeof(buf), &st))
		(void)lease_split(buf, &is_old);
	store_last_reserved(&s, 0, &last, &err);
	/* The store reads the lease when it catches up (new content each
	 * time), then answers from its index. */
	store_find(&s, "cid", "eth0", found, STORE_MAX_PER_ID, &n, &err);
	store_list(&s, visit, NULL, &err);
	store_close(&s);
	return 0;
}
