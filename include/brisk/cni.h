/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_CNI_H
#define BRISK_CNI_H

#include <stdbool.h>
#include <stddef.h>

#include "brisk/err.h"

enum cni_cmd {
	CNI_CMD_NONE,
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_VERSION,
	CNI_CMD_GC,
	CNI_CMD_STATUS,
};

/* The CNI environment; strings point into environ (borrowed). */
struct cni_env {
	enum cni_cmd cmd;
	const char *container_id;
	const char *netns; /* "" when unset */
	const char *ifname;
	const char *args; /* "" when unset */
	const char *path; /* "" when unset */
};

/* Cap on stdin: configs are small; anything larger is hostile. */
#define CNI_STDIN_MAX (1024 * 1024)

/*
 * Read and validate the environment for the command it names. Code 4
 * naming the variable when one is missing or invalid. CNI_CMD_NONE when
 * CNI_COMMAND is unset.
 */
int cni_env_read(struct cni_env *ret, struct cni_err *err);

/* Validators: the spec's container ID charset and the kernel's ifname rules. */
bool cni_valid_container_id(const char *s);
bool cni_valid_ifname(const char *s);
/* Network names: like container IDs; never "." or "..", no leading dot. */
bool cni_valid_netname(const char *s);

/*
 * Read all of @fd, up to CNI_STDIN_MAX bytes (code 6 past it), into a
 * NUL-terminated buffer the caller frees.
 */
int cni_read_all(int fd, char **ret, size_t *ret_len, struct cni_err *err);

/*
 * Look up KEY in CNI_ARGS ("K1=V1;K2=V2"). Writes the value into @buf and
 * returns 1 when found, 0 when absent, negative (code 4) when malformed
 * or too long. A KEY given twice has its last value, as the reference's
 * (Go's LoadArgs sets the field once per pair).
 */
int cni_args_get(const char *args, const char *key, char *buf, size_t n,
		 struct cni_err *err);

#endif
