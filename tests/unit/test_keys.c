// SPDX-License-Identifier: Apache-2.0
/*
 * The parser's table of keys (src/config/keys.c) against the parser: each
 * row is read, with its type (a wrong type is code 7 naming the key, or
 * code 2 for a key refused whatever its value), and its default is the
 * value `brisk validate` reports when the key is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "brisk/netconf.h"

/* A config every key can be added to; logFile makes the log's keys show. */
static const char base_json[] =
	"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"brisk\","
	"\"logFile\":\"/tmp/brisk-test.log\","
	"\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.0.0.0/24\","
	"\"dataDir\":\"/tmp/brisk-test-data\"}}";

/*
 * The element an array of the table holds, so that setting one of its
 * keys leaves the rest valid. An array path missing here gets {}: add it
 * when a new array of objects is parsed.
 */
static const struct {
	const char *path;
	const char *elem;
} array_elems[] = {
	{ "ipam.ranges[][]", "{\"subnet\":\"10.1.0.0/24\"}" },
	{ "ipam.routes[]", "{\"dst\":\"0.0.0.0/0\"}" },
	{ "vlanTrunk[]", "{\"id\":10}" },
	{ "runtimeConfig.ipRanges[]", "[{\"subnet\":\"10.2.0.0/24\"}]" },
};

static json_t *elem_for(const char *path, size_t len)
{
	for (size_t i = 0; i < sizeof(array_elems) / sizeof(array_elems[0]);
	     i++)
		if (strlen(array_elems[i].path) == len &&
		    strncmp(array_elems[i].path, path, len) == 0)
			return json_loads(array_elems[i].elem, 0, NULL);
	return json_object();
}

/* The object a segment "name[][]" leads into, made as needed. */
static json_t *descend(json_t *obj, const char *path, const char *seg,
		       size_t seglen)
{
	size_t namelen = strcspn(seg, "[");
	char name[64];
	json_t *v;
	int depth = 0;

	if (namelen > seglen)
		namelen = seglen;
	snprintf(name, sizeof(name), "%.*s", (int)namelen, seg);
	for (const char *p = seg + namelen; p < seg + seglen; p += 2)
		depth++;
	if (depth == 0) {
		v = json_object_get(obj, name);
		if (!json_is_object(v)) {
			v = json_object();
			json_object_set_new(obj, name, v);
		}
		return v;
	}
	v = elem_for(path, (size_t)(seg + seglen - path));
	{
		json_t *inner = v;

		for (int d = 0; d < depth; d++) {
			json_t *a = json_array();

			json_array_append_new(a, inner);
			inner = a;
		}
		json_object_set_new(obj, name, inner);
	}
	return v;
}

/* Set @path in @root to @val (stolen). */
static void set_path(json_t *root, const char *path, json_t *val)
{
	const char *seg = path, *dot;
	json_t *obj = root;

	while ((dot = strchr(seg, '.'))) {
		obj = descend(obj, path, seg, (size_t)(dot - seg));
		seg = dot + 1;
	}
	json_object_set_new(obj, seg, val);
}

static json_t *wrong_value(const char *type)
{
	if (strcmp(type, "string") == 0)
		return json_integer(1);
	if (strcmp(type, "bool") == 0 || strcmp(type, "int") == 0)
		return json_string("1");
	if (strcmp(type, "object") == 0 || strcmp(type, "array") == 0)
		return json_integer(1);
	fail_msg("unknown type \"%s\" in the key table", type);
	return NULL;
}

static json_t *right_value(const char *type)
{
	if (strcmp(type, "string") == 0)
		return json_string("x");
	if (strcmp(type, "bool") == 0)
		return json_true();
	if (strcmp(type, "int") == 0)
		return json_integer(1);
	return strcmp(type, "object") == 0 ? json_object() : json_array();
}

/* What jsonget.c says of a value of the wrong type. */
static const char *type_words(const char *type)
{
	if (strcmp(type, "string") == 0)
		return "expected a string";
	if (strcmp(type, "bool") == 0)
		return "expected a boolean";
	if (strcmp(type, "int") == 0)
		return "expected an integer";
	return strcmp(type, "object") == 0 ? "expected an object" :
					     "expected an array";
}

/* "ipam.ranges[][].subnet" as the parser names it: "ipam.ranges[0][0].subnet". */
static void error_name(const char *path, char *buf, size_t n)
{
	size_t o = 0;

	for (const char *p = path; *p && o + 4 < n; p++) {
		if (p[0] == '[' && p[1] == ']') {
			o += (size_t)snprintf(buf + o, n - o, "[0]");
			p++;
		} else {
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
}

static int parse(json_t *doc, struct netconf *c, struct cni_err *err)
{
	char *s = json_dumps(doc, JSON_COMPACT);
	int r;

	assert_non_null(s);
	memset(err, 0, sizeof(*err));
	r = netconf_parse(s, strlen(s), "", c, err);
	free(s);
	return r;
}

static void test_table_sane(void **state)
{
	assert_true(netconf_n_keys > 30);
	for (size_t i = 0; i < netconf_n_keys; i++) {
		const struct netconf_key *k = &netconf_keys[i];

		assert_non_null(k->path);
		json_decref(wrong_value(k->type)); /* a known type */
		if (k->dflt) {
			json_t *d = json_loads(k->dflt, JSON_DECODE_ANY, NULL);

			if (!d)
				fail_msg("%s: default %s is not JSON", k->path,
					 k->dflt);
			json_decref(d);
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(netconf_keys[j].path, k->path) == 0)
				fail_msg("%s is in the table twice", k->path);
	}
}

static void test_base_parses(void **state)
{
	json_t *doc = json_loads(base_json, 0, NULL);
	struct cni_err err;
	struct netconf c;

	if (parse(doc, &c, &err) < 0)
		fail_msg("the base config fails: %s", err.msg);
	netconf_free(&c);
	json_decref(doc);
}

static void test_every_key_is_read_with_its_type(void **state)
{
	for (size_t i = 0; i < netconf_n_keys; i++) {
		const struct netconf_key *k = &netconf_keys[i];
		json_t *doc = json_loads(base_json, 0, NULL);
		char name[128];
		struct cni_err err;
		struct netconf c;

		set_path(doc, k->path, wrong_value(k->type));
		if (parse(doc, &c, &err) == 0) {
			netconf_free(&c);
			fail_msg("%s: a value of the wrong type was accepted",
				 k->path);
		}
		json_decref(doc);
		/* Refused whatever its value (a key brisk does not serve). */
		if (err.code == CNI_ERR_UNSUPPORTED_FIELD)
			continue;
		error_name(k->path, name, sizeof(name));
		if (err.code != CNI_ERR_CONFIG ||
		    strncmp(err.msg, name, strlen(name)) != 0 ||
		    err.msg[strlen(name)] != ':')
			fail_msg(
				"%s (%s): expected code 7 naming %s, got code %d: %s",
				k->path, k->type, name, err.code, err.msg);
		/* A type error must be about the table's type. */
		if (strstr(err.msg, ": expected ") &&
		    !strstr(err.msg, type_words(k->type)))
			fail_msg("%s: the table says %s, the parser: %s",
				 k->path, k->type, err.msg);
	}
}

static void test_the_tables_type_is_accepted(void **state)
{
	for (size_t i = 0; i < netconf_n_keys; i++) {
		const struct netconf_key *k = &netconf_keys[i];
		json_t *doc = json_loads(base_json, 0, NULL);
		char name[128], prefix[140];
		struct cni_err err;
		struct netconf c;

		set_path(doc, k->path, right_value(k->type));
		if (parse(doc, &c, &err) == 0)
			netconf_free(&c);
		json_decref(doc);
		/* It may fail for its value, never for its type. */
		error_name(k->path, name, sizeof(name));
		snprintf(prefix, sizeof(prefix), "%s: expected ", name);
		if (strncmp(err.msg, prefix, strlen(prefix)) == 0)
			fail_msg("%s: a value of type %s was refused: %s",
				 k->path, k->type, err.msg);
	}
}

static json_t *get_path(json_t *doc, const char *path)
{
	char seg[64];
	const char *p = path;

	while (doc && *p) {
		size_t len = strcspn(p, ".");

		snprintf(seg, sizeof(seg), "%.*s", (int)len, p);
		doc = json_object_get(doc, seg);
		p += len + (p[len] == '.');
	}
	return doc;
}

static void del_path(json_t *doc, const char *path)
{
	const char *dot = strrchr(path, '.');
	char parent[128];

	if (!dot) {
		json_object_del(doc, path);
		return;
	}
	snprintf(parent, sizeof(parent), "%.*s", (int)(dot - path), path);
	json_object_del(get_path(doc, parent), dot + 1);
}

static void test_defaults_are_what_validate_shows(void **state)
{
	for (size_t i = 0; i < netconf_n_keys; i++) {
		const struct netconf_key *k = &netconf_keys[i];
		json_t *doc = json_loads(base_json, 0, NULL);
		json_t *want, *norm = NULL;
		struct cni_err err;
		struct netconf c;

		if (!k->dflt) {
			json_decref(doc);
			continue;
		}
		del_path(doc, k->path);
		if (parse(doc, &c, &err) < 0)
			fail_msg("%s: the config without it fails: %s", k->path,
				 err.msg);
		assert_int_equal(netconf_normalize(&c, true, &norm), 0);
		want = json_loads(k->dflt, JSON_DECODE_ANY, NULL);
		if (!json_equal(get_path(norm, k->path), want))
			fail_msg(
				"%s: the table's default is %s; the normalised config has %s",
				k->path, k->dflt,
				get_path(norm, k->path) ?
					json_dumps(get_path(norm, k->path),
						   JSON_ENCODE_ANY) :
					"nothing");
		json_decref(want);
		json_decref(norm);
		netconf_free(&c);
		json_decref(doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_sane),
		cmocka_unit_test(test_base_parses),
		cmocka_unit_test(test_every_key_is_read_with_its_type),
		cmocka_unit_test(test_the_tables_type_is_accepted),
		cmocka_unit_test(test_defaults_are_what_validate_shows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
