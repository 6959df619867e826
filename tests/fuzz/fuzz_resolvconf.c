// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: resolv.conf parsing into a CNI dns object. */
#include <stdint.h>

#include "brisk/resolv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *dns = resolv_parse((const char *)data, size);
	char *text = dns ? json_dumps(dns, JSON_COMPACT) : NULL;

	free(text);
	json_decref(dns);
	return 0;
}
