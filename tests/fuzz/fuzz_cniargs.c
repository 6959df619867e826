// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: CNI_ARGS lookups. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brisk/cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "IP", "MAC", "K8S_POD_NAME", "" };
	char *args = strndup((const char *)data, size);
	char buf[64];

	if (!args)
		return 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct cni_err err = { 0 };

		cni_args_get(args, keys[i], buf, sizeof(buf), &err);
	}
	free(args);
	return 0;
}
