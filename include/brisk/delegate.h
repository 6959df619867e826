/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_DELEGATE_H
#define BRISK_DELEGATE_H

#include <jansson.h>

#include "brisk/err.h"

/*
 * Exec the IPAM plugin @type found in @cni_path (CNI_PATH) with this
 * process's environment, CNI_COMMAND replaced by @cmd, and @conf on its
 * stdin. For ADD, *ret_result gets its decoded result (owned by the
 * caller). A plugin error is passed through with its own code and message.
 */
int delegate_run(const char *cni_path, const char *cmd, const char *type,
		 json_t *conf, json_t **ret_result, struct cni_err *err);

#endif
