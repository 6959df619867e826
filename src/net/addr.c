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
	char buf[IPNET_STRLEN], what[IPNET_STRLEN + 16];
	int r;

	netlink_batch_init(&b);
	addr_put_add(nl, &b, ifindex, a, nodad);
	snprintf(what, sizeof(what), "add address %s", ipnet_fmt(a, buf));
	r = netlink_run(nl, &b, NULL, NULL, (const int[]){ EEXIST, 0 }, what,
			err);
	return r == -EEXIST ? 0 : r;
}

int addr_del(struct netlink *nl, int ifindex, const struct ipnet *a,
	     struct cni_err *err)
{
	struct netlink_batch b;
	int r;

	netlink_batch_init(&b);
	put_ifaddr(netlink_batch_add(nl, &b, RTM_DELADDR, 0), ifindex, a);
	r = netlink_run(nl, &b, NULL, NULL,
			(const int[]){ EADDRNOTAVAIL, ENODEV, 0 },
			"delete address", err);
	return r == -EADDRNOTAVAIL || r == -ENODEV ? 0 : r;
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

struct addr_dad_ctx {
	int ifindex;
	int n_tentative;
	struct ipnet *failed; /* the first address whose DAD failed */
};

static int addr_dad_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_dad_ctx *c = data;
	const struct nlattr *attr;
	uint32_t flags = ifa->ifa_flags;
	struct ipnet a = { .prefixlen = ifa->ifa_prefixlen };

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    (int)ifa->ifa_index != c->ifindex || ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		/* IFA_FLAGS holds all 32 bits; ifa_flags only the low 8. */
		if (mnl_attr_get_type(attr) == IFA_FLAGS &&
		    mnl_attr_get_payload_len(attr) == 4)
			flags = mnl_attr_get_u32(attr);
		else if (mnl_attr_get_type(attr) == IFA_ADDRESS &&
			 mnl_attr_get_payload_len(attr) == 16) {
			a.addr.family = AF_INET6;
			memcpy(a.addr.b, mnl_attr_get_payload(attr), 16);
		}
	}
	if ((flags & IFA_F_DADFAILED) && !c->failed->addr.family)
		*c->failed = a;
	if (flags & IFA_F_TENTATIVE)
		c->n_tentative++;
	return MNL_CB_OK;
}

int addr_dad_state(struct netlink *nl, int ifindex, int *ret_tentative,
		   struct ipnet *ret_failed, struct cni_err *err)
{
	char buf[512] __attribute__((aligned(8)));
	struct addr_dad_ctx c = { ifindex, 0, ret_failed };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct netlink_ack ack;

	memset(ret_failed, 0, sizeof(*ret_failed));
	nlh->nlmsg_type = RTM_GETADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_index = (unsigned int)ifindex;
	if (netlink_dump(nl, nlh, addr_dad_cb, &c, &ack) < 0)
		return netlink_ack_err(&ack, err, "list addresses");
	*ret_tentative = c.n_tentative;
	return 0;
}
