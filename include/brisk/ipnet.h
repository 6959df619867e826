/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_IPNET_H
#define BRISK_IPNET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest text form of an address or prefix, NUL included. */
#define IPADDR_STRLEN 46
#define IPNET_STRLEN 50

/* An IPv4 or IPv6 address; family 0 means "none". Bytes in network order. */
struct ipaddr {
	int family;
	uint8_t b[16];
};

/* An address with a prefix length (the address may have host bits set). */
struct ipnet {
	struct ipaddr addr;
	int prefixlen;
};

/* A route: destination, optional gateway, and the 1.1.0 extras (0 = unset). */
struct iproute {
	struct ipnet dst;
	struct ipaddr gw; /* family 0 when there is no gateway */
	int mtu;
	int advmss;
	int priority;
	int table;
	int scope; /* -1 when unset */
};

/* Bytes in an address of @family (4 or 16), 0 for anything else. */
size_t ipaddr_len(int family);
/* Parse a plain address ("10.0.0.1", "fd00::1"). 0 or -EINVAL. */
int ipaddr_parse(const char *s, struct ipaddr *ret);
/* Parse "addr/len". 0 or -EINVAL. Host bits are kept. */
int ipnet_parse(const char *s, struct ipnet *ret);
/* Format into @buf (IPADDR_STRLEN / IPNET_STRLEN bytes); returns @buf. */
char *ipaddr_fmt(const struct ipaddr *a, char *buf);
char *ipnet_fmt(const struct ipnet *n, char *buf);

bool ipaddr_is_set(const struct ipaddr *a);
bool ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b);
/* Compare two addresses of the same family as big-endian numbers. */
int ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b);
/* a + 1 / a - 1, wrapping within the family. */
void ipaddr_next(struct ipaddr *a);
void ipaddr_prev(struct ipaddr *a);

/* The network address (host bits cleared) and the last address of @n. */
void ipnet_first(const struct ipnet *n, struct ipaddr *ret);
void ipnet_last(const struct ipnet *n, struct ipaddr *ret);
/* True when @n has no host bits set. */
bool ipnet_is_network(const struct ipnet *n);
bool ipnet_contains(const struct ipnet *n, const struct ipaddr *a);
/* True for 0.0.0.0/0 and ::/0. */
bool ipnet_is_default(const struct ipnet *n);

#endif
