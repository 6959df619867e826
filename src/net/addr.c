// SPDX-License-Identifier: Apache-2.0
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "brisk/addr.h"

static void put_ifaddr(struct nlmsghdr *nlh, int ifindex,
		       const struct ipnet *a)
{
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t len = ipaddr_len(a->addr.family);

	ifa->ifa_family = (unsigned char)a->addr.family;
	ifa->ifa_prefixlen = (unsigned char)a->prefixlen;
	ifa->ifa_index = (unsigned int)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, len, a->addr.b);
	mnl_attr_put(nlh, IFA_ADDRESS, len, a->addr.b);
}

int addr_put_add(struct netlink *nl, struct netlink_batch *b, int ifindex,
		 const struct ipnet *a, bool nodad)
{
	struct nlmsghdr *nlh;
	struct ipaddr bcast;

	nlh = netlink_batch_add(nl, b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	if (!nlh)
		return -ENOBUFS;
	put_ifaddr(nlh, ifindex, a);
	if (a->addr.family == AF_INET && a->prefixlen < 31) {
		/* As `ip addr add ... brd +` and the reference plugins do. */
		ipnet_last(a, &bcast);
		mnl_attr_put(nlh, IFA_BROADCAST, 4, bcast.b);
	}
	if (nodad && a->addr.family == AF_INET6)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return 0;
}

int addr_add(struct netlink *nl, int ifindex, const struct ipnet *a,
	     bool nodad, struct cni_err *err)
{
	struct netlink_batch b;
	struct netlink_ack ack;
	char buf[IPNET_STRLEN], what[IPNET_STRLEN + 16];
	int r;

	netlink_batch_init(&b);
	addr_put_add(nl, &b, ifindex, a, nodad);
	r = netlink_batch_run(nl, &b, NULL, NULL, &ack);
	if (r == -EEXIST || r == 0)
		return 0;
	snprintf(what, sizeof(what), "add address %s", ipnet_fmt(a, buf));
	return netlink_ack_err(&ack, err, what);
}

int addr_del(struct netlink *nl, int ifindex, const struct ipnet *a,
	     struct cni_err *err)
{
	struct netlink_batch b;
	struct netlink_ack ack;
	struct nlmsghdr *nlh;
	int r;

	nlh = netlink_batch_one(nl, &b, RTM_DELADDR, 0);
	put_ifaddr(nlh, ifindex, a);
	r = netlink_batch_run(nl, &b, NULL, NULL, &ack);
	if (r == 0 || r == -EADDRNOTAVAIL || r == -ENODEV)
		return 0;
	return netlink_ack_err(&ack, err, "delete address");
}

struct addr_list_ctx {
	int ifindex;
	struct ipnet *ret;
	size_t max;
	size_t n;
};

static int addr_list_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_list_ctx *c = data;
	const struct nlattr *attr;
	struct ipnet *out;

	/* Strict dumps filter by index; older kernels do not, so check. */
	if (nlh->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != c->ifindex ||
	    c->n >= c->max)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		size_t len = ipaddr_len(ifa->ifa_family);

		if (mnl_attr_get_type(attr) != IFA_LOCAL &&
		    !(mnl_attr_get_type(attr) == IFA_ADDRESS &&
		      ifa->ifa_family == AF_INET6))
			continue;
		if (mnl_attr_get_payload_len(attr) != len)
			continue;
		out = &c->ret[c->n++];
		memset(out, 0, sizeof(*out));
		out->addr.family = ifa->ifa_family;
		memcpy(out->addr.b, mnl_attr_get_payload(attr), len);
		out->prefixlen = ifa->ifa_prefixlen;
		break;
	}
	return MNL_CB_OK;
}

int addr_list(struct netlink *nl, int ifindex, int family, struct ipnet *ret,
	      size_t max, size_t *ret_n, struct cni_err *err)
{
	char buf[512] __attribute__((aligned(8)));
	struct addr_list_ctx c = { ifindex, ret, max, 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct netlink_ack ack;

	nlh->nlmsg_type = RTM_GETADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_index = (unsigned int)ifindex;
	if (netlink_dump(nl, nlh, addr_list_cb, &c, &ack) < 0)
		return netlink_ack_err(&ack, err, "list addresses");
	*ret_n = c.n;
	return 0;
}
