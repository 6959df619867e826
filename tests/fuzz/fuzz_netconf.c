// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the network config parser, with CNI_ARGS from the input tail. */
#include <stdint.h>
#include <string.h>

#include "brisk/log.h"
#include "brisk/netconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sep = memchr(data, '\0', size);
	struct cni_err err = { 0 };
	struct netconf c;
	const char *args = "";
	size_t len = size;

	log_set_level(LOG_LVL_ERR);
	/* "config\0cni_args": the part after a NUL is CNI_ARGS. */
	if (sep) {
		len = (size_t)(sep - (const char *)data);
		args = sep + 1;
		if (memchr(args, '\0', size - len - 1) == NULL)
			return 0;
	}
	if (netconf_parse((const char *)data, len, args, &c, &err) == 0)
		netconf_free(&c);
	return 0;
}
