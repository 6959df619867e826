// SPDX-License-Identifier: Apache-2.0
#include <linux/if_bridge.h>
#include <stdio.h>
#include <string.h>

#include "port.h"

/* Entries per message: 48 ranges stay under the 1 KiB a batch slot allows. */
#define PORT_VLANS_PER_MSG 48

#define VID_NATIVE (BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED)

void port_spec_from_conf(const struct netconf *c, struct port_spec *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->is_hairpin = c->hairpin;
	ret->is_isolated = c->port_isolation;
	ret->vlan = c->vlan;
	ret->trunk = c->has_vlan_trunk ? c->vlan_trunk : NULL;
	ret->is_preserve_default = c->preserve_default_vlan;
}

static bool trunk_has(const uint64_t *t, int vid)
{
	return t && vid > 0 && vid <= VLAN_ID_MAX &&
	       (t[vid / 64] >> (vid % 64) & 1);
}

static bool trunk_any(const uint64_t *t)
{
	for (int i = 0; t && i < VLAN_BITMAP_WORDS; i++)
		if (t[i])
			return true;
	return false;
}

static size_t plan_put(struct bport_vlan *ret, size_t n, size_t max, int vid,
		       int end, uint16_t flags)
{
	if (n < max)
		ret[n] = (struct bport_vlan){ (uint16_t)vid, (uint16_t)end,
					      flags };
	return n + 1;
}

size_t port_vlan_plan(const struct port_spec *p, struct bport_vlan *ret,
		      size_t max)
{
	size_t n = 0;

	if (p->vlan)
		n = plan_put(ret, n, max, p->vlan, p->vlan, VID_NATIVE);
	for (int v = 1; v <= VLAN_ID_MAX; v++) {
		int e = v;

		if (!trunk_has(p->trunk, v))
			continue;
		while (trunk_has(p->trunk, e + 1))
			e++;
		n = plan_put(ret, n, max, v, e, 0);
		v = e;
	}
	/* As the reference: a trunk without "vlan" keeps 1 as native. */
	if (!p->vlan && trunk_any(p->trunk))
		n = plan_put(ret, n, max, 1, 1, VID_NATIVE);
	return n < max ? n : max;
}

static bool port_has_vlans(const struct port_spec *p)
{
	return p->vlan || trunk_any(p->trunk);
}

/* Send @v in messages of PORT_VLANS_PER_MSG, batches as full as they go. */
static int port_send_vlans(struct netlink *nl, struct netlink_batch *b,
			   int ifindex, bool del, const struct bport_vlan *v,
			   size_t n, struct netlink_ack *ack)
{
	for (size_t i = 0; i < n;) {
		size_t k = n - i < PORT_VLANS_PER_MSG ? n - i :
							PORT_VLANS_PER_MSG;
		int r = bport_put_vlans(nl, b, ifindex, del, v + i, k);

		if (r == -ENOBUFS && b->count > 0) {
			r = netlink_batch_run(nl, b, NULL, NULL, ack);
			netlink_batch_init(b);
			if (r < 0)
				return r;
			continue;
		}
		if (r < 0)
			return ack->error = r;
		i += k;
	}
	return 0;
}

static int port_send_all(struct netlink *nl, int ifindex,
			 const struct port_spec *p, int default_pvid,
			 struct netlink_ack *ack, const char **ret_what)
{
	struct bport_vlan plan[PORT_VLAN_MAX], def = { 1, 1, 0 };
	struct netlink_batch b;
	size_t n;
	int r = 0;

	netlink_batch_init(&b);
	*ret_what = "flags";
	if (p->is_hairpin || p->is_isolated)
		r = bport_put_flags(nl, &b, ifindex, p->is_hairpin,
				    p->is_isolated);
	if (r == 0 && port_has_vlans(p)) {
		/* Refused at once by a kernel without VLAN filtering. */
		r = netlink_batch_run(nl, &b, NULL, NULL, ack);
		netlink_batch_init(&b);
		*ret_what = "VLANs";
		/* A new port holds just the bridge's default VLAN. */
		if (default_pvid >= 0)
			def.vid = def.vid_end = (uint16_t)default_pvid;
		if (r == 0 && !p->is_preserve_default && def.vid)
			r = port_send_vlans(nl, &b, ifindex, true, &def, 1,
					    ack);
		n = port_vlan_plan(p, plan, PORT_VLAN_MAX);
		if (r == 0)
			r = port_send_vlans(nl, &b, ifindex, false, plan, n,
					    ack);
	}
	return r ?: netlink_batch_run(nl, &b, NULL, NULL, ack);
}

int port_configure(struct netlink *nl, int ifindex, const char *name,
		   const struct port_spec *p, int default_pvid,
		   struct cni_err *err)
{
	struct netlink_ack ack = { 0 };
	const char *stage;
	char what[64];
	int r;

	r = port_send_all(nl, ifindex, p, default_pvid, &ack, &stage);
	if (r == 0)
		return 0;
	snprintf(what, sizeof(what), "bridge port %s %s", name, stage);
	if (!ack.error)
		ack.error = r;
	return netlink_ack_err(&ack, err, what);
}

static void expect_add(uint16_t *t, int *pvid, int vid, uint16_t flags)
{
	/* What the kernel does when a port's VLAN is added again. */
	if (flags & BRIDGE_VLAN_INFO_PVID) {
		if (*pvid > 0)
			t[*pvid] &= (uint16_t)~BRIDGE_VLAN_INFO_PVID;
		*pvid = vid;
	} else if (*pvid == vid) {
		*pvid = 0;
	}
	t[vid] = PORT_VID_PRESENT | flags;
}

void port_vlan_expect(const struct port_spec *p, int default_pvid,
		      uint16_t ret[VLAN_ID_MAX + 1])
{
	struct bport_vlan plan[PORT_VLAN_MAX];
	size_t n = port_vlan_plan(p, plan, PORT_VLAN_MAX);
	int def = default_pvid >= 0 ? default_pvid : 1, pvid = 0;

	memset(ret, 0, (VLAN_ID_MAX + 1) * sizeof(*ret));
	if (def > 0 && (p->is_preserve_default || !port_has_vlans(p)))
		expect_add(ret, &pvid, def, VID_NATIVE);
	for (size_t i = 0; i < n; i++)
		for (int v = plan[i].vid; v <= plan[i].vid_end; v++)
			expect_add(ret, &pvid, v, plan[i].flags);
}

int port_vlan_table(const struct bport_vlan *v, size_t n,
		    uint16_t ret[VLAN_ID_MAX + 1])
{
	memset(ret, 0, (VLAN_ID_MAX + 1) * sizeof(*ret));
	for (size_t i = 0; i < n; i++) {
		if (v[i].vid < 1 || v[i].vid_end > VLAN_ID_MAX ||
		    v[i].vid_end < v[i].vid)
			return -EINVAL;
		for (int vid = v[i].vid; vid <= v[i].vid_end; vid++)
			ret[vid] = PORT_VID_PRESENT | (v[i].flags & VID_NATIVE);
	}
	return 0;
}
