// SPDX-License-Identifier: Apache-2.0
/*
 * Attachment records (see meta.h): written beside the leases by ADD, read
 * back by brisk gc, reclaimStale and brisk leases, which judge from them
 * alone, and only with certainty, that an attachment is gone.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "brisk/grow.h"
#include "brisk/meta.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/*
 * A namespace file. Only nsfs (Linux 3.19 on) counts: on older kernels
 * nothing is recorded, so nothing is ever judged by its namespace.
 */
static bool meta_is_ns_fs(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 &&
	       (unsigned long)sfs.f_type == NSFS_MAGIC;
}

int meta_attach_init(struct meta_attach *m, const char *netns,
		     const char *boot_id)
{
	struct stat st;

	memset(m, 0, sizeof(*m));
	snprintf(m->boot_id, sizeof(m->boot_id), "%s", boot_id ? boot_id : "");
	m->time = (int64_t)time(NULL);
	if (!netns || !*netns)
		return 0;
	m->netns = strdup(netns);
	if (!m->netns)
		return -ENOMEM;
	/* Only an absolute path to a namespace file can be judged later. */
	if (netns[0] == '/' && stat(netns, &st) == 0 && meta_is_ns_fs(netns)) {
		m->ns_dev = (uint64_t)st.st_dev;
		m->ns_ino = (uint64_t)st.st_ino;
	}
	return 0;
}

void meta_attach_clear(struct meta_attach *m)
{
	free(m->netns);
	m->netns = NULL;
}

char *meta_format(const struct meta_attach *m)
{
	char *s = NULL;

	if (asprintf(&s, "%s %" PRIu64 " %" PRIu64 " %" PRId64 "%s%s",
		     m->boot_id[0] ? m->boot_id : "-", m->ns_dev, m->ns_ino,
		     m->time, m->netns ? " " : "",
		     m->netns ? m->netns : "") < 0)
		return NULL;
	return s;
}

int meta_parse(const char *note, struct meta_attach *ret)
{
	char boot[META_BOOT_ID_LEN];
	int n = 0;

	memset(ret, 0, sizeof(*ret));
	if (sscanf(note, "%36s %" SCNu64 " %" SCNu64 " %" SCNd64 "%n", boot,
		   &ret->ns_dev, &ret->ns_ino, &ret->time, &n) != 4 ||
	    (note[n] != '\0' && note[n] != ' '))
		return -EBADMSG;
	snprintf(ret->boot_id, sizeof(ret->boot_id), "%s",
		 strcmp(boot, "-") == 0 ? "" : boot);
	/* The path is the rest, spaces and all. */
	if (note[n] && !(ret->netns = strdup(note + n + 1)))
		return -ENOMEM;
	return 0;
}

static int meta_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int meta_live_scan(struct meta_live *ret)
{
	char path[64];
	struct dirent *de;
	struct stat st;
	size_t cap = 0;
	DIR *d;

	memset(ret, 0, sizeof(*ret));
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/ns/net", de->d_name);
		/* A process that went away, or one we may not look at: skip. */
		if (stat(path, &st) < 0)
			continue;
		ret->dev = (uint64_t)st.st_dev;
		if (GROW_ONE(ret->ino, cap, ret->n, 256) < 0) {
			closedir(d);
			meta_live_clear(ret);
			return -ENOMEM;
		}
		ret->ino[ret->n++] = (uint64_t)st.st_ino;
	}
	closedir(d);
	if (ret->n)
		qsort(ret->ino, ret->n, sizeof(*ret->ino), meta_cmp_u64);
	return 0;
}

void meta_live_clear(struct meta_live *l)
{
	free(l->ino);
	memset(l, 0, sizeof(*l));
}

static bool meta_live_has(const struct meta_live *l, uint64_t dev, uint64_t ino)
{
	if (!l || !l->n || l->dev != dev)
		return false;
	return bsearch(&ino, l->ino, l->n, sizeof(*l->ino), meta_cmp_u64);
}

enum meta_verdict meta_judge(const struct meta_attach *m, const char *boot_id,
			     const struct meta_live *live)
{
	struct statfs sfs;
	struct stat st;

	/* No namespace survives a reboot. */
	if (m->boot_id[0] && boot_id && boot_id[0] &&
	    strcmp(m->boot_id, boot_id) != 0)
		return META_STALE_BOOT;
	if (!m->netns || m->netns[0] != '/' || m->ns_ino == 0)
		return META_LIVE;
	if (meta_live_has(live, m->ns_dev, m->ns_ino))
		return META_LIVE;
	if (stat(m->netns, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ?
			       META_STALE_NETNS_GONE :
			       META_LIVE;
	if (statfs(m->netns, &sfs) < 0)
		return errno == ENOENT ? META_STALE_NETNS_GONE : META_LIVE;
	/* e.g. the empty file left behind when the bind mount went away. */
	if ((unsigned long)sfs.f_type != NSFS_MAGIC)
		return META_STALE_NOT_NETNS;
	if ((uint64_t)st.st_dev != m->ns_dev ||
	    (uint64_t)st.st_ino != m->ns_ino)
		return META_STALE_NETNS_REPLACED;
	return META_LIVE;
}

const char *meta_verdict_str(enum meta_verdict v)
{
	static const char *const words[] = {
		[META_LIVE] = "live",
		[META_STALE_BOOT] = "reboot",
		[META_STALE_NETNS_GONE] = "netns-gone",
		[META_STALE_NOT_NETNS] = "not-a-netns",
		[META_STALE_NETNS_REPLACED] = "netns-replaced",
	};

	return (unsigned int)v < sizeof(words) / sizeof(*words) ? words[v] :
								  "live";
}
