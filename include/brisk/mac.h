/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_MAC_H
#define BRISK_MAC_H

#include <stdint.h>

/* "aa:bb:cc:dd:ee:ff" and the NUL. */
#define MAC_STRLEN 18

/* @mac as "aa:bb:cc:dd:ee:ff" into @buf (MAC_STRLEN bytes). */
void mac_fmt(const uint8_t mac[6], char *buf);
/*
 * A six-byte MAC in a form Go's net.ParseMAC (the reference's) takes:
 * aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabb.ccdd.eeff, in any case, and
 * nothing looser (no signs, spaces or one-digit groups, which sscanf would
 * take). 0, or -EINVAL with @ret untouched.
 */
int mac_parse(const char *s, uint8_t ret[6]);

#endif
