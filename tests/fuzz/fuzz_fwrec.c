// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the firewall record parser, and its format round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brisk/fwrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fwrec rec, again;
	static char buf[65536], buf2[65536];
	size_t n;

	if (fwrec_parse((const char *)data, size, &rec) < 0)
		return 0;
	/* What parses must format and parse back to the same. */
	n = fwrec_format(&rec, buf, sizeof(buf));
	if (n >= sizeof(buf) || fwrec_parse(buf, n, &again) < 0 ||
	    fwrec_format(&again, buf2, sizeof(buf2)) != n ||
	    memcmp(buf, buf2, n) != 0)
		abort();
	return 0;
}
