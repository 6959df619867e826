/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_FWREC_H
#define BRISK_FWREC_H

/*
 * Firewall records: per attachment, the plan its elements were made from,
 * in <dataDir>/.brisk/<network>/fw/<containerID>:<ifname> (a hash stands
 * for a container ID too long for a file name). Written before the
 * elements are committed and removed after they are deleted, so a record
 * names every element that may exist; DEL and GC need nothing else.
 */

#include <stdbool.h>
#include <stddef.h>

#include "brisk/err.h"
#include "brisk/fwplan.h"

#define FWREC_ID_MAX 1024

/* One record: whose it is, and the plan. */
struct fwrec {
	char id[FWREC_ID_MAX + 1];
	char ifname[IFNAMSIZ];
	struct fw_plan plan;
};

/*
 * Open the record directory of @network under @data_dir. With @create it
 * (and .brisk/<network>) is made as needed; without, *ret_fd is -1 when it
 * does not exist or is not a directory (no records can be there). Never
 * follows a symlink below @data_dir.
 */
int fwrec_dir_open(const char *data_dir, const char *network, bool create,
		   int *ret_fd, struct cni_err *err);

/* Write @rec, replacing the attachment's record at once (rename). */
int fwrec_save(int dirfd, const struct fwrec *rec, struct cni_err *err);
/*
 * Read the record of id/ifname into @ret; *ret_found is false when there
 * is none. A record that does not parse is code 5.
 */
int fwrec_load(int dirfd, const char *id, const char *ifname, struct fwrec *ret,
	       bool *ret_found, struct cni_err *err);
/* Remove the record of id/ifname; absence is success. */
int fwrec_remove(int dirfd, const char *id, const char *ifname,
		 struct cni_err *err);

/*
 * Call @fn for every record in the directory (in no order); a record that
 * does not parse is skipped with a warning. @fn's negative return stops.
 * Leftover temporary files of writers killed long ago are removed.
 */
int fwrec_list(int dirfd, int (*fn)(struct fwrec *rec, void *data), void *data,
	       struct cni_err *err);

/* The text form; @buf gets at most @len bytes. Returns the length. */
size_t fwrec_format(const struct fwrec *rec, char *buf, size_t len);
/* Parse the text form. 0, or -EINVAL naming nothing: the caller does. */
int fwrec_parse(const char *buf, size_t len, struct fwrec *ret);

#endif
