// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: prevResult decoding for every version, then re-encoding. */
#include <stdint.h>

#include "brisk/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);

	if (!j)
		return 0;
	for (int v = 0; v < CNI_V_COUNT; v++) {
		struct cni_err err = { 0 };
		struct result r;

		result_init(&r);
		if (result_decode(j, (enum cni_ver)v, &r, &err) == 0)
			json_decref(result_encode(&r, (enum cni_ver)v));
		result_clear(&r);
	}
	json_decref(j);
	return 0;
}
