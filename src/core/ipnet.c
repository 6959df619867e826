// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brisk/ipnet.h"

size_t ipaddr_len(int family)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return 0;
}

int ipaddr_parse(const char *s, struct ipaddr *ret)
{
	struct ipaddr a = { 0 };

	if (!s)
		return -EINVAL;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.b) != 1)
			return -EINVAL;
		a.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, a.b) != 1)
			return -EINVAL;
		a.family = AF_INET;
	}
	*ret = a;
	return 0;
}

int ipnet_parse(const char *s, struct ipnet *ret)
{
	char buf[IPNET_STRLEN];
	const char *slash;
	char *end;
	long len;
	size_t alen;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(buf) || slash[1] == '\0')
		return -EINVAL;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (ipaddr_parse(buf, &ret->addr) < 0)
		return -EINVAL;
	for (const char *p = slash + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	alen = ipaddr_len(ret->addr.family);
	if (errno || *end || len < 0 || (size_t)len > alen * 8)
		return -EINVAL;
	ret->prefixlen = (int)len;
	return 0;
}

char *ipaddr_fmt(const struct ipaddr *a, char *buf)
{
	if (!a->family || !inet_ntop(a->family, a->b, buf, IPADDR_STRLEN))
		strcpy(buf, "<none>");
	return buf;
}

char *ipnet_fmt(const struct ipnet *n, char *buf)
{
	char a[IPADDR_STRLEN];

	snprintf(buf, IPNET_STRLEN, "%s/%d", ipaddr_fmt(&n->addr, a),
		 n->prefixlen);
	return buf;
}

bool ipaddr_is_set(const struct ipaddr *a)
{
	return a->family != 0;
}

bool ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	return a->family == b->family &&
	       memcmp(a->b, b->b, ipaddr_len(a->family)) == 0;
}

int ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, ipaddr_len(a->family));
}

void ipaddr_next(struct ipaddr *a)
{
	for (int i = (int)ipaddr_len(a->family) - 1; i >= 0; i--)
		if (++a->b[i] != 0)
			break;
}

void ipaddr_prev(struct ipaddr *a)
{
	for (int i = (int)ipaddr_len(a->family) - 1; i >= 0; i--)
		if (a->b[i]-- != 0)
			break;
}

/* Apply the prefix mask to @n's address: host bits cleared or all set. */
static void ipnet_fill_host(const struct ipnet *n, struct ipaddr *ret,
			    bool ones)
{
	size_t len = ipaddr_len(n->addr.family);

	*ret = n->addr;
	for (size_t i = 0; i < len; i++) {
		int bits = n->prefixlen - (int)i * 8;
		uint8_t mask = bits >= 8 ? 0xff :
			       bits <= 0 ? 0 :
					   (uint8_t)(0xff << (8 - bits));
		ret->b[i] = ones ? (ret->b[i] | (uint8_t)~mask) :
				   (ret->b[i] & mask);
	}
}

void ipnet_first(const struct ipnet *n, struct ipaddr *ret)
{
	ipnet_fill_host(n, ret, false);
}

void ipnet_last(const struct ipnet *n, struct ipaddr *ret)
{
	ipnet_fill_host(n, ret, true);
}

bool ipnet_is_network(const struct ipnet *n)
{
	struct ipaddr first;

	ipnet_first(n, &first);
	return ipaddr_eq(&first, &n->addr);
}

bool ipnet_contains(const struct ipnet *n, const struct ipaddr *a)
{
	struct ipaddr x = *a, nf, af;
	struct ipnet an;

	if (a->family != n->addr.family)
		return false;
	an.addr = x;
	an.prefixlen = n->prefixlen;
	ipnet_first(n, &nf);
	ipnet_first(&an, &af);
	return ipaddr_eq(&nf, &af);
}

bool ipnet_is_default(const struct ipnet *n)
{
	return n->addr.family != 0 && n->prefixlen == 0;
}
