/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_NETLINK_H
#define BRISK_NETLINK_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>

#include "brisk/err.h"

/* One rtnetlink socket, bound to the namespace it was opened in. */
struct netlink {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
};

/* Requests are batched: many messages, one send, one ACK each. */
#define NETLINK_BATCH_SIZE 8192
#define NETLINK_BATCH_MAX 64

struct netlink_batch {
	size_t len; /* bytes of the messages before cur */
	struct nlmsghdr *cur; /* the message being built, NULL if none */
	unsigned int first_seq;
	unsigned int count;
	char buf[NETLINK_BATCH_SIZE + 4096] __attribute__((aligned(8)));
};

/* What the kernel said about a failed request. */
struct netlink_ack {
	int error; /* negative errno, 0 on success */
	int index; /* which message of the batch failed, -1 if none */
	char msg[256]; /* extended ACK text, "" when none */
};

/* Data callback for replies: return MNL_CB_OK, or MNL_CB_ERROR to stop. */
typedef int (*netlink_cb)(const struct nlmsghdr *nlh, void *data);

/* Open a NETLINK_ROUTE socket (CLOEXEC, extended ACK, strict dumps). */
int netlink_open(struct netlink *ret, struct cni_err *err);
/* The same for another netlink family (e.g. NETLINK_NETFILTER). */
int netlink_open_proto(struct netlink *ret, int proto, struct cni_err *err);
/* Close; accepts a never-opened (zeroed) one. */
void netlink_close(struct netlink *nl);

void netlink_batch_init(struct netlink_batch *b);
/*
 * Start the next message of @b with @type and NLM_F_REQUEST|NLM_F_ACK|@flags.
 * NULL when the batch is full (callers size batches well below the cap).
 */
struct nlmsghdr *netlink_batch_add(struct netlink *nl, struct netlink_batch *b,
				   uint16_t type, uint16_t flags);
/*
 * Close the message being built. False when the batch went past
 * NETLINK_BATCH_SIZE (it is then not to be sent).
 */
bool netlink_batch_close(struct netlink_batch *b);
/*
 * Send @b and collect every ACK, passing data replies to @cb. Returns 0 or
 * the first failure's negative errno; @ack says which message and why.
 */
int netlink_batch_run(struct netlink *nl, struct netlink_batch *b,
		      netlink_cb cb, void *data, struct netlink_ack *ack);
/*
 * Send @len bytes of messages built elsewhere and collect the ACKs of the
 * @count messages numbered @first_seq on (each must carry NLM_F_ACK). An
 * NLMSG_ERROR for @abort_seq (0: none), such as an nfnetlink batch's begin
 * message, which is only answered when the whole batch is refused, ends
 * the wait with that error.
 */
int netlink_send_acked(struct netlink *nl, const void *buf, size_t len,
		       unsigned int first_seq, unsigned int count,
		       unsigned int abort_seq, netlink_cb cb, void *data,
		       struct netlink_ack *ack);
/*
 * netlink_batch_run as one step of a call, the set-up of every request of
 * link.c and addr.c: 0 on success; a failure whose errno is in @quiet (a
 * 0-terminated list, or NULL) is returned as it is with @err untouched (the
 * caller's "exists" or "not there"); any other fills @err as
 * netlink_ack_err does with @what.
 */
int netlink_run(struct netlink *nl, struct netlink_batch *b, netlink_cb cb,
		void *data, const int *quiet, const char *what,
		struct cni_err *err);
/* Send one dump request built in @nlh; @cb sees every reply message. */
int netlink_dump(struct netlink *nl, struct nlmsghdr *nlh, netlink_cb cb,
		 void *data, struct netlink_ack *ack);
/*
 * Fill @err from a failed @ack as code 999 "<what>: <strerror>" with the
 * kernel's text in details. Returns ack->error.
 */
int netlink_ack_err(const struct netlink_ack *ack, struct cni_err *err,
		    const char *what);

#endif
