// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "brisk/mac.h"

void mac_fmt(const uint8_t mac[6], char *buf)
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* Whether @i is where a separator goes in a MAC of @len characters. */
static bool mac_sep_at(size_t len, size_t i)
{
	return len == 14 ? i % 5 == 4 : i % 3 == 2;
}

static int mac_hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' :
					   tolower((unsigned char)c) - 'a' + 10;
}

int mac_parse(const char *s, uint8_t ret[6])
{
	size_t len = strlen(s), n = 0;
	char sep = len == 14 ? '.' : len == 17 ? s[2] : 0;
	uint8_t mac[6] = { 0 };

	if ((len != 14 && len != 17) || (len == 17 && sep != ':' && sep != '-'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		bool at_sep = mac_sep_at(len, i);

		if (at_sep ? s[i] != sep : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
		if (!at_sep) {
			mac[n / 2] =
				(uint8_t)(mac[n / 2] << 4 | mac_hexval(s[i]));
			n++;
		}
	}
	memcpy(ret, mac, sizeof(mac));
	return 0;
}
