// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "brisk/jsonget.h"

#define KEYFMT "%s%s%s"
#define KEYARGS(ctx, key) (ctx), (*(ctx) ? "." : ""), (key)

static json_t *jget(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static int jtype_err(const char *ctx, const char *key, const char *what,
		     struct cni_err *err)
{
	return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
			   KEYFMT ": expected %s", KEYARGS(ctx, key), what);
}

int jget_str(json_t *obj, const char *ctx, const char *key, const char **ret,
	     struct cni_err *err)
{
	json_t *v = jget(obj, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return jtype_err(ctx, key, "a string", err);
	*ret = json_string_value(v);
	return 0;
}

int jget_strbuf(json_t *obj, const char *ctx, const char *key, char *buf,
		size_t n, struct cni_err *err)
{
	const char *s = NULL;
	int r = jget_str(obj, ctx, key, &s, err);

	if (r < 0 || !s)
		return r;
	if (strlen(s) >= n || strlen(s) != json_string_length(jget(obj, key)))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   KEYFMT ": too long or contains NUL",
				   KEYARGS(ctx, key));
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

int jget_bool(json_t *obj, const char *ctx, const char *key, bool *ret,
	      struct cni_err *err)
{
	json_t *v = jget(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return jtype_err(ctx, key, "a boolean", err);
	*ret = json_is_true(v);
	return 0;
}

int jget_int(json_t *obj, const char *ctx, const char *key, long min,
	     long max, int *ret, struct cni_err *err)
{
	json_t *v = jget(obj, key);
	json_int_t i;

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return jtype_err(ctx, key, "an integer", err);
	i = json_integer_value(v);
	if (i < min || i > max)
		return cni_err_set(err, CNI_ERR_CONFIG, ERANGE,
				   KEYFMT ": %lld is out of range [%ld, %ld]",
				   KEYARGS(ctx, key), (long long)i, min, max);
	*ret = (int)i;
	return 0;
}

int jget_obj(json_t *obj, const char *ctx, const char *key, json_t **ret,
	     struct cni_err *err)
{
	json_t *v = jget(obj, key);

	if (!v)
		return 0;
	if (!json_is_object(v))
		return jtype_err(ctx, key, "an object", err);
	*ret = v;
	return 0;
}

int jget_arr(json_t *obj, const char *ctx, const char *key, json_t **ret,
	     struct cni_err *err)
{
	json_t *v = jget(obj, key);

	if (!v)
		return 0;
	if (!json_is_array(v))
		return jtype_err(ctx, key, "an array", err);
	*ret = v;
	return 0;
}
