// SPDX-License-Identifier: Apache-2.0
/*
 * The floor for scripts/bench.sh: only the kernel work of one ADD or DEL,
 * done with brisk's own net layer, with no config, IPAM or result.
 *
 *   floor add NETNS_PATH IFNAME BRIDGE ADDR/LEN GW
 *   floor del NETNS_PATH IFNAME
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brisk/addr.h"
#include "brisk/attach.h"
#include "brisk/link.h"
#include "brisk/netlink.h"
#include "brisk/netns.h"
#include "brisk/route.h"

struct floor {
	int nsfd;
	struct netlink host;
	struct netlink cont;
};

static int floor_open(struct floor *f, const char *path, struct cni_err *err)
{
	int r;

	f->nsfd = -1;
	r = netns_open(path, &f->nsfd, err);
	if (r == -ENOENT)
		return cni_err_set(err, CNI_ERR_ENV, ENOENT,
				   "%s: no such netns", path);
	r = r ?: netlink_open(&f->host, err);
	return r ?: netns_netlink_open(f->nsfd, &f->cont, err);
}

static void floor_close(struct floor *f)
{
	netlink_close(&f->cont);
	netlink_close(&f->host);
	if (f->nsfd >= 0)
		close(f->nsfd);
}

static int ensure_bridge(struct floor *f, const char *name,
			 struct link_info *br, struct cni_err *err)
{
	uint8_t mac[6];
	int r;

	r = link_get(&f->host, name, 0, br, err);
	if (r < 0 || br->ifindex)
		return r;
	attach_random_mac(mac);
	r = link_bridge_create(&f->host, name, 0, mac, false, false, err);
	if (r < 0 && r != -EEXIST)
		return r;
	r = link_get(&f->host, name, 0, br, err);
	if (r == 0 && !br->ifindex)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENODEV,
				   "bridge %s vanished", name);
	if (r == 0 && !(br->flags & IFF_UP))
		r = link_set_flags(&f->host, br->ifindex, IFF_UP, IFF_UP, err);
	return r;
}

static int floor_add(struct floor *f, const char *path, const char *ifname,
		     const char *bridge, const struct ipnet *addr,
		     const struct ipaddr *gw, struct cni_err *err)
{
	struct iproute rt = { .scope = -1, .gw = *gw };
	char host_ifname[IFNAMSIZ];
	struct link_info br, cont;
	struct netlink_batch b;
	struct netlink_ack ack;
	struct veth_spec v;
	int r;

	r = ensure_bridge(f, bridge, &br, err);
	if (r < 0)
		return r;
	attach_host_ifname(path, ifname, host_ifname);
	v = (struct veth_spec){
		.host_name = host_ifname,
		.peer_name = ifname,
		.peer_nsfd = f->nsfd,
		.master = br.ifindex,
	};
	attach_random_mac(v.host_mac);
	attach_random_mac(v.peer_mac);
	r = link_veth_create(&f->host, &v, err);
	if (r == -EEXIST)
		return cni_err_set(err, CNI_ERR_INTERNAL, EEXIST,
				   "%s or %s exists", host_ifname, ifname);
	r = r ?: link_get(&f->cont, ifname, 0, &cont, err);
	if (r < 0)
		return r;
	if (!cont.ifindex)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENODEV, "%s vanished",
				   ifname);
	rt.dst.addr.family = AF_INET;
	netlink_batch_init(&b);
	r = link_put_flags(&f->cont, &b, cont.ifindex, IFF_UP, IFF_UP);
	r = r ?: addr_put_add(&f->cont, &b, cont.ifindex, addr, true);
	r = r ?: route_put_add(&f->cont, &b, cont.ifindex, &rt);
	if (r < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, -r, "batch full");
	if (netlink_batch_run(&f->cont, &b, NULL, NULL, &ack) < 0)
		return netlink_ack_err(&ack, err, "container config");
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: floor add NETNS_PATH IFNAME BRIDGE ADDR/LEN GW\n"
		"       floor del NETNS_PATH IFNAME\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct cni_err err = { 0 };
	struct floor f = { .nsfd = -1 };
	struct ipnet addr;
	struct ipaddr gw;
	bool deleted;
	int r;

	if (argc == 7 && strcmp(argv[1], "add") == 0) {
		if (ipnet_parse(argv[5], &addr) < 0 ||
		    addr.addr.family != AF_INET ||
		    ipaddr_parse(argv[6], &gw) < 0 || gw.family != AF_INET)
			return usage();
		r = floor_open(&f, argv[2], &err);
		if (r == 0)
			r = floor_add(&f, argv[2], argv[3], argv[4], &addr, &gw,
				      &err);
	} else if (argc == 4 && strcmp(argv[1], "del") == 0) {
		r = floor_open(&f, argv[2], &err);
		r = r ?: link_del(&f.cont, argv[3], &deleted, &err);
	} else {
		return usage();
	}
	floor_close(&f);
	if (r < 0) {
		fprintf(stderr, "floor %s: %s%s%s\n", argv[1], err.msg,
			err.details[0] ? ": " : "", err.details);
		return 1;
	}
	return 0;
}
