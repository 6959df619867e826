// SPDX-License-Identifier: Apache-2.0
#include <time.h>

#include "brisk/addr.h"
#include "add.h"

#define SETTLE_TIMEOUT_MS 5000
#define SETTLE_POLL_MS 50

static long settle_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* As the reference: only an IPv6 address with a gateway is waited for. */
static bool settle_needed(const struct add_state *s)
{
	if (!s->a.conf->enable_dad)
		return false;
	for (int i = s->own_ip0; i < s->res.n_ips; i++)
		if (s->res.ips[i].gw.family == AF_INET6)
			return true;
	return false;
}

/*
 * With enabledad, wait (5 s at most, as the reference) until duplicate
 * address detection is done on the container's IPv6 addresses, so they
 * are usable when ADD returns; a duplicate fails ADD.
 */
int add_settle(struct add_state *s, struct cni_err *err)
{
	long deadline = settle_now_ms() + SETTLE_TIMEOUT_MS;
	const struct timespec poll = { 0, SETTLE_POLL_MS * 1000000L };
	char buf[IPNET_STRLEN];
	struct ipnet failed;
	struct link_info li;
	int tentative, r;

	if (!settle_needed(s))
		return 0;
	for (;;) {
		r = addr_dad_state(&s->a.cont, s->cont.ifindex, &tentative,
				   &failed, err);
		if (r < 0)
			return r;
		if (failed.addr.family)
			return cni_err_set(
				err, CNI_ERR_INTERNAL, EADDRINUSE,
				"%s: address %s is in use on the link (DAD failed)",
				s->a.env->ifname, ipnet_fmt(&failed, buf));
		if (!tentative || settle_now_ms() >= deadline)
			break;
		nanosleep(&poll, NULL);
	}
	if (!tentative)
		return 0;
	/* A link without carrier never finishes DAD: not a failure. */
	r = link_get(&s->a.cont, NULL, s->cont.ifindex, &li, err);
	if (r < 0 || !(li.flags & IFF_RUNNING))
		return r;
	return cni_err_set(err, CNI_ERR_INTERNAL, ETIMEDOUT,
			   "%s still has tentative addresses after %d s",
			   s->a.env->ifname, SETTLE_TIMEOUT_MS / 1000);
}
