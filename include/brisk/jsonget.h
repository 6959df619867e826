/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_JSONGET_H
#define BRISK_JSONGET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "brisk/err.h"

/*
 * Typed getters for config objects. Each names the key in its error as
 * "<ctx>.<key>" (or "<key>" when ctx is ""), code 7. An absent key (or
 * JSON null) is not an error and leaves *ret unchanged.
 */
int jget_str(json_t *obj, const char *ctx, const char *key, const char **ret,
	     struct cni_err *err);
/* Copy a string into @buf; longer than n-1 bytes is code 7. */
int jget_strbuf(json_t *obj, const char *ctx, const char *key, char *buf,
		size_t n, struct cni_err *err);
int jget_bool(json_t *obj, const char *ctx, const char *key, bool *ret,
	      struct cni_err *err);
/* An integer within [min, max]. */
int jget_int(json_t *obj, const char *ctx, const char *key, long min,
	     long max, int *ret, struct cni_err *err);
/* An object or an array; *ret borrowed. */
int jget_obj(json_t *obj, const char *ctx, const char *key, json_t **ret,
	     struct cni_err *err);
int jget_arr(json_t *obj, const char *ctx, const char *key, json_t **ret,
	     struct cni_err *err);

static inline void cleanup_jsonp(json_t **j)
{
	json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(cleanup_jsonp)))

#endif
