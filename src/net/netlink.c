// SPDX-License-Identifier: Apache-2.0
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "brisk/netlink.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Big enough for one dump datagram: the kernel sizes them to ~16 KiB. */
#define NETLINK_RECV_SIZE 32768

int netlink_open(struct netlink *ret, struct cni_err *err)
{
	return netlink_open_proto(ret, NETLINK_ROUTE, err);
}

int netlink_open_proto(struct netlink *ret, int proto, struct cni_err *err)
{
	static const int opts[] = { NETLINK_EXT_ACK, NETLINK_CAP_ACK,
				    NETLINK_GET_STRICT_CHK };
	int one = 1;

	ret->sock = mnl_socket_open2(proto, SOCK_CLOEXEC);
	if (!ret->sock)
		return cni_err_set(err, CNI_ERR_INTERNAL, errno,
				   "netlink: cannot open socket");
	/* Older kernels lack some options; they only improve messages. */
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		(void)mnl_socket_setsockopt(ret->sock, opts[i], &one,
					    sizeof(one));
	if (mnl_socket_bind(ret->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		netlink_close(ret);
		return cni_err_set(err, CNI_ERR_INTERNAL, e,
				   "netlink: cannot bind socket");
	}
	ret->portid = mnl_socket_get_portid(ret->sock);
	ret->seq = (unsigned int)time(NULL);
	return 0;
}

void netlink_close(struct netlink *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

void netlink_batch_init(struct netlink_batch *b)
{
	b->len = 0;
	b->cur = NULL;
	b->count = 0;
	b->first_seq = 0;
}

bool netlink_batch_close(struct netlink_batch *b)
{
	if (b->cur) {
		b->len += NLMSG_ALIGN(b->cur->nlmsg_len);
		b->cur = NULL;
	}
	return b->len <= NETLINK_BATCH_SIZE;
}

struct nlmsghdr *netlink_batch_add(struct netlink *nl, struct netlink_batch *b,
				   uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	/* Refuse before touching anything: a refused add changes nothing. */
	if (b->count >= NETLINK_BATCH_MAX)
		return NULL;
	if (b->cur &&
	    b->len + NLMSG_ALIGN(b->cur->nlmsg_len) > NETLINK_BATCH_SIZE - 1024)
		return NULL;
	netlink_batch_close(b);
	/* Builders add at most a few hundred bytes: the slack covers them. */
	nlh = mnl_nlmsg_put_header(b->buf + b->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	if (b->count == 0)
		b->first_seq = nlh->nlmsg_seq;
	b->count++;
	b->cur = nlh;
	return nlh;
}

static int ack_attr_cb(const struct nlattr *attr, void *data)
{
	struct netlink_ack *ack = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(ack->msg, sizeof(ack->msg), "%s",
			 mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* Record an NLMSG_ERROR; only the first failure of a batch is kept. */
static void netlink_parse_error(const struct nlmsghdr *nlh, int index,
				struct netlink_ack *ack)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	unsigned int off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)) || e->error == 0 ||
	    ack->error != 0)
		return;
	ack->error = e->error;
	ack->index = index;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_parse(nlh, off, ack_attr_cb, ack);
}

/* What netlink_recv waits for. */
struct netlink_wait {
	unsigned int first_seq; /* the first message that wants an ACK */
	unsigned int pending; /* how many ACKs (or 1 for a dump) */
	unsigned int abort_seq; /* an error for it ends the wait; 0: none */
	bool dump;
};

/*
 * Read replies until @w->pending ACKs (or, for a dump, NLMSG_DONE) arrived.
 * Messages of other sequence numbers (stale replies) are ignored.
 */
static int netlink_recv(struct netlink *nl, struct netlink_wait *w,
			netlink_cb cb, void *data, struct netlink_ack *ack)
{
	char buf[NETLINK_RECV_SIZE] __attribute__((aligned(8)));
	unsigned int first_seq = w->first_seq, limit = w->pending;
	unsigned int pending = w->pending;
	bool dump = w->dump;

	while (pending > 0) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ack->error ?: -errno;
		for (; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			unsigned int idx = nlh->nlmsg_seq - first_seq;

			if (w->abort_seq && nlh->nlmsg_seq == w->abort_seq &&
			    nlh->nlmsg_type == NLMSG_ERROR) {
				/* A refused batch as a whole: no more ACKs. */
				netlink_parse_error(nlh, -1, ack);
				if (ack->error)
					return ack->error;
				continue;
			}
			if (nlh->nlmsg_seq < first_seq || idx >= limit)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				netlink_parse_error(nlh, (int)idx, ack);
				pending--;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				if (dump)
					pending = 0;
			} else if (cb && ack->error == 0 &&
				   cb(nlh, data) < MNL_CB_OK) {
				ack->error = -EBADMSG;
				ack->index = (int)idx;
			}
			if (pending == 0)
				break;
		}
	}
	return ack->error;
}

int netlink_batch_run(struct netlink *nl, struct netlink_batch *b,
		      netlink_cb cb, void *data, struct netlink_ack *ack)
{
	size_t len;

	memset(ack, 0, sizeof(*ack));
	ack->index = -1;
	if (b->count == 0)
		return 0;
	if (!netlink_batch_close(b))
		return ack->error = -ENOBUFS;
	len = b->len;
	return netlink_send_acked(nl, b->buf, len, b->first_seq, b->count, 0,
				  cb, data, ack);
}

int netlink_send_acked(struct netlink *nl, const void *buf, size_t len,
		       unsigned int first_seq, unsigned int count,
		       unsigned int abort_seq, netlink_cb cb, void *data,
		       struct netlink_ack *ack)
{
	struct netlink_wait w = { first_seq, count, abort_seq, false };

	memset(ack, 0, sizeof(*ack));
	ack->index = -1;
	if (mnl_socket_sendto(nl->sock, buf, len) < 0)
		return ack->error = -errno;
	return netlink_recv(nl, &w, cb, data, ack);
}

int netlink_run(struct netlink *nl, struct netlink_batch *b, netlink_cb cb,
		void *data, const int *quiet, const char *what,
		struct cni_err *err)
{
	struct netlink_ack ack;
	int r = netlink_batch_run(nl, b, cb, data, &ack);

	for (; r < 0 && quiet && *quiet; quiet++)
		if (r == -*quiet)
			return r;
	return r < 0 ? netlink_ack_err(&ack, err, what) : 0;
}

int netlink_dump(struct netlink *nl, struct nlmsghdr *nlh, netlink_cb cb,
		 void *data, struct netlink_ack *ack)
{
	memset(ack, 0, sizeof(*ack));
	ack->index = -1;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return ack->error = -errno;
	/* A dump ends with NLMSG_DONE, or an NLMSG_ERROR when refused. */
	return netlink_recv(nl, &(struct netlink_wait){ nlh->nlmsg_seq, 1, 0, true },
			    cb, data, ack);
}

int netlink_ack_err(const struct netlink_ack *ack, struct cni_err *err,
		    const char *what)
{
	cni_err_set(err, CNI_ERR_INTERNAL, -ack->error, "%s: %s", what,
		    strerror(-ack->error));
	if (ack->msg[0])
		cni_err_detail(err, "kernel: %s", ack->msg);
	return ack->error;
}
