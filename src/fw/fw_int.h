/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/fw: what its files share. */
#ifndef BRISK_FW_INT_H
#define BRISK_FW_INT_H

#include <stdarg.h>

#include "brisk/err.h"
#include "brisk/fwmsg.h"
#include "brisk/netlink.h"

/* Not fw.h: fw.c includes this file, and units must not include in a circle. */
struct fw;

/*
 * Close @b (with its end message when @commit) and send it on @fw's
 * socket; 0 or the first failure's negative errno, @ack saying which
 * message and why.
 */
int fw_send(struct fw *fw, struct fw_batch *b, bool commit, netlink_cb cb,
	    void *data, struct netlink_ack *ack);
/* A fresh sequence number on @fw's socket. */
uint32_t fw_next_seq(struct fw *fw);
/* Code 999 "<what>: <strerror>" with the kernel's text in details. */
int fw_ack_err(const struct netlink_ack *ack, struct cni_err *err,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Remove @e's elements; absent ones are fine. */
int fw_del_elems(struct fw *fw, const struct fw_elems *e, struct cni_err *err);

/* An element as the kernel reported it. */
struct fw_got {
	bool found;
	uint8_t key[40], key_end[40], data[20];
	uint32_t key_len, key_end_len, data_len;
	char comment[FW_OWNER_MAX];
};

/*
 * Every element in the NEWSETELEM message @nlh, passed to @fn; stops at
 * a negative return. -EBADMSG when it does not parse.
 */
int fw_parse_elems(const struct nlmsghdr *nlh,
		   int (*fn)(const struct fw_got *g, void *data), void *data);
/* Ask the kernel for element @x; ret->found false when it has none. */
int fw_get_elem(struct fw *fw, const struct fw_elem *x, struct fw_got *ret,
		struct netlink_ack *ack);

/*
 * A mapping on every local address (hp4/hp6 in @e) must not take a port
 * that a mapping with a host IP holds: code 999 naming that one.
 */
int fw_check_wildcards(struct fw *fw, const struct fw_elems *e,
		       struct cni_err *err);
/*
 * Explain an EEXIST for host port element @x (for the wildcard key of it
 * when @probe): code 999 naming the attachment holding the port.
 */
int fw_conflict(struct fw *fw, const struct fw_elem *x, bool probe,
		struct cni_err *err);

#endif
