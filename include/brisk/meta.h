/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_META_H
#define BRISK_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The attachment record brisk keeps beside a lease (the store's note of its
 * owner, never in the lease store), so that it can later tell for certain
 * that the attachment is gone: the namespace it was made in and the boot.
 */

/* A boot id: 36 characters and the NUL. */
#define META_BOOT_ID_LEN 37

struct meta_attach {
	char boot_id[META_BOOT_ID_LEN]; /* "" when unknown */
	char *netns; /* CNI_NETNS of the ADD; owned, NULL when none */
	uint64_t ns_dev; /* the namespace file's st_dev/st_ino at ADD, */
	uint64_t ns_ino; /* both 0 when it was not a namespace */
	int64_t time; /* CLOCK_REALTIME seconds of the ADD */
};

enum meta_verdict {
	META_LIVE, /* not stale, or not known to be */
	META_STALE_BOOT, /* recorded in an earlier boot */
	META_STALE_NETNS_GONE, /* the netns path no longer exists */
	META_STALE_NOT_NETNS, /* the path exists but is no namespace */
	META_STALE_NETNS_REPLACED, /* the path names another namespace */
};

/*
 * Describe an attachment made now in namespace @netns (NULL or "" when
 * none) during boot @boot_id: records the path and, when it is a namespace
 * file, its st_dev/st_ino. 0 or -ENOMEM. Free with meta_attach_clear.
 */
int meta_attach_init(struct meta_attach *m, const char *netns,
		     const char *boot_id);
void meta_attach_clear(struct meta_attach *m);
/*
 * @m as the note the store keeps beside the leases (malloc'ed; NULL on
 * ENOMEM): "<boot id|-> <netns dev> <netns ino> <time>[ <netns path>]".
 */
char *meta_format(const struct meta_attach *m);
/* A note back into @ret (clear it after). -EBADMSG: not one of ours. */
int meta_parse(const char *note, struct meta_attach *ret);

/*
 * The network namespaces some visible process is in, as a sorted list of
 * nsfs inode numbers (an extra safeguard: such a namespace is never judged
 * gone, whatever its recorded path says).
 */
struct meta_live {
	size_t n;
	uint64_t *ino;
	uint64_t dev;
};

/* Scan /proc. A partial scan (unreadable entries) is fine: it only saves. */
int meta_live_scan(struct meta_live *ret);
void meta_live_clear(struct meta_live *l);

/*
 * Judge a record against boot @boot_id and the namespaces in use (@live may
 * be NULL). Stale only with certainty (see enum meta_verdict), and never
 * while a process in @live is in the recorded namespace.
 */
enum meta_verdict meta_judge(const struct meta_attach *m, const char *boot_id,
			     const struct meta_live *live);
/* A short stable word for @v ("live", "reboot", "netns-gone", ...). */
const char *meta_verdict_str(enum meta_verdict v);

#endif
