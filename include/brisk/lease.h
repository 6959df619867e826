/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_LEASE_H
#define BRISK_LEASE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "brisk/err.h"
#include "brisk/ipnet.h"

/*
 * host-local's lease store, byte for byte, and nothing else:
 *   <dataDir>/<network>/<ip>                 "<containerID>\r\n<ifname>"
 *   <dataDir>/<network>/last_reserved_ip.<N> the last address given in set N
 *   <dataDir>/<network>/lock                 flock'ed exclusively by writers
 * Directories 0755 and files 0600, as host-local makes them; files opened
 * under the network's directory through fsopen_file. A lease appears whole
 * or not at all (a written temporary is link()ed into place).
 */
struct lease_dir {
	int datafd; /* dataDir */
	int dirfd; /* <dataDir>/<network> */
	int lockfd; /* -1 until lease_lock */
	/*
	 * Where a removed lease's file is kept for the next lease_create to
	 * write into (its inode reused: creating one costs an ext4 ADD more
	 * than the rest of its writes), set by the caller: a directory of the
	 * same filesystem that host-local never reads; -1 for none.
	 */
	int spare_dirfd;
	const char *spare_name;
	const char *network; /* the last component of path */
	char path[PATH_MAX]; /* <dataDir>/<network>, for messages */
};

#define LEASE_DIR_INIT                                                     \
	{                                                                  \
		.datafd = -1, .dirfd = -1, .lockfd = -1, .spare_dirfd = -1 \
	}

/* Larger than any lease host-local or brisk writes (an ID and an ifname). */
#define LEASE_READ_MAX 4096

/*
 * Open <data_dir>/<network>, making missing directories. The network name
 * must be valid already. Code 5 when a directory cannot be made or opened,
 * or is a symlink.
 */
int lease_open(const char *data_dir, const char *network, struct lease_dir *ret,
	       struct cni_err *err);
/* Take the exclusive lock, waiting at most @timeout_ms: code 11 past it. */
int lease_lock(struct lease_dir *d, int timeout_ms, struct cni_err *err);
/* Drop the lock (if held) and close. Accepts a never-opened one. */
void lease_close(struct lease_dir *d);

/*
 * Create lease @name holding "<id>\r\n<ifname>": *ret_ok false when the
 * address is taken. An empty or garbled file in the way (a writer that
 * died, a power cut) is taken over: under the lock nobody is writing it.
 * *ret_st is the new file's stat.
 */
int lease_create(struct lease_dir *d, const char *name, const char *id,
		 const char *ifname, struct stat *ret_st, bool *ret_ok,
		 struct cni_err *err);
/*
 * Remove lease @name (into the spare slot, when there is one): 1 when
 * removed, 0 when absent, or -errno.
 */
int lease_unlink(struct lease_dir *d, const char *name);
/* lstat of @name: 0, or -errno (-ENOENT when absent). */
int lease_stat(struct lease_dir *d, const char *name, struct stat *ret);
/*
 * Read lease @name into @buf, trimmed as host-local's TrimSpace does, with
 * its stat. False when it is no regular file, is unreadable or too large.
 */
bool lease_read(struct lease_dir *d, const char *name, char *buf, size_t size,
		struct stat *ret_st);
/*
 * Split trimmed content "<id>\r\n<ifname>" in place: returns the ifname,
 * "" with *ret_is_old for the oldest host-local format (the ID alone).
 */
const char *lease_split(char *content, bool *ret_is_old);
/* @name parsed into @ret; true when it is the address's canonical text. */
bool lease_name_canonical(const char *name, struct ipaddr *ret);

/*
 * last_reserved_ip.<set>: family 0 when absent or garbled. Code 5 when it
 * is no regular file (a FIFO, a device...): it could never be written.
 */
int lease_last_read(struct lease_dir *d, int set, struct ipaddr *ret,
		    struct cni_err *err);
int lease_last_write(struct lease_dir *d, int set, const struct ipaddr *ip,
		     struct cni_err *err);

/* Called for each directory entry named by an address; < 0 stops. */
typedef int (*lease_walk_fn)(const char *name, const struct ipaddr *ip,
			     void *data);
/*
 * Visit every entry of the store named by an address. Under the lock a
 * temporary met on the way is a dead writer's: it is removed. A negative
 * return of @fn stops the walk and is returned as it is (@err untouched).
 */
int lease_walk(struct lease_dir *d, lease_walk_fn fn, void *data,
	       struct cni_err *err);

#endif
