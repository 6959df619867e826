// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/fsopen.h"
#include "brisk/jsonget.h"
#include "brisk/resolv.h"

#define RESOLV_WS " \t\r\v\f"

/*
 * Append the whitespace-separated words of @rest (only the first with
 * @first_only) to array @key of @dns.
 */
static int resolv_words(json_t *dns, const char *key, char *rest,
			bool first_only)
{
	json_t *arr = json_object_get(dns, key);
	char *save = NULL;

	if (!arr) {
		arr = json_array();
		if (!arr || json_object_set_new(dns, key, arr) < 0)
			return -ENOMEM;
	}
	for (char *w = strtok_r(rest, RESOLV_WS, &save); w;
	     w = strtok_r(NULL, RESOLV_WS, &save)) {
		if (json_array_size(arr) >= RESOLV_MAX_ITEMS)
			break;
		/* Invalid UTF-8 cannot go into JSON: skip such a word. */
		if (json_array_append_new(arr, json_string(w)) < 0)
			continue;
		if (first_only)
			break;
	}
	return 0;
}

static int resolv_line(json_t *dns, char *line)
{
	char *save = NULL;
	char *key = strtok_r(line, RESOLV_WS, &save);
	char *rest = save;

	/* As host-local: a line needs a key and a value; '#', ';' comment. */
	if (!key || key[0] == '#' || key[0] == ';' || !rest ||
	    !rest[strspn(rest, RESOLV_WS)])
		return 0;
	if (strcmp(key, "nameserver") == 0)
		return resolv_words(dns, "nameservers", rest, true);
	if (strcmp(key, "search") == 0)
		return resolv_words(dns, "search", rest, false);
	if (strcmp(key, "options") == 0)
		return resolv_words(dns, "options", rest, false);
	if (strcmp(key, "domain") == 0) {
		char *d = strtok_r(rest, RESOLV_WS, &save);
		json_t *s = d ? json_string(d) : NULL;

		if (s)
			json_object_set_new(dns, "domain", s);
	}
	return 0;
}

json_t *resolv_parse(const char *buf, size_t len)
{
	_cleanup_free_ char *copy = NULL;
	json_t *dns = json_object();
	char *save = NULL;

	if (len > RESOLV_MAX_BYTES)
		len = RESOLV_MAX_BYTES;
	copy = strndup(buf, len);
	if (!dns || !copy) {
		json_decref(dns);
		return NULL;
	}
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (resolv_line(dns, line) < 0) {
			json_decref(dns);
			return NULL;
		}
	}
	return dns;
}

int resolv_read(const char *path, json_t **ret, struct cni_err *err)
{
	_cleanup_free_ char *buf = malloc(RESOLV_MAX_BYTES);
	_cleanup_close_ int fd = -1;
	mode_t mode = 0;
	ssize_t n;

	if (!buf)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	/* Not a plain open: a FIFO would hang it, a device be opened. */
	fd = fsopen_typed(AT_FDCWD, path, O_RDONLY, S_IFREG, &mode);
	if (fd == -EMEDIUMTYPE)
		return cni_err_set(err, CNI_ERR_IO, EINVAL,
				   "ipam.resolvConf: %.200s is %s, not a file",
				   path, fsopen_kind(mode));
	if (fd < 0)
		return cni_err_set(err, CNI_ERR_IO, -fd,
				   "ipam.resolvConf: cannot read %.200s", path);
	/* A regular file: one read to its end (or to the cap). */
	n = read(fd, buf, RESOLV_MAX_BYTES);
	if (n < 0)
		return cni_err_set(err, CNI_ERR_IO, errno,
				   "ipam.resolvConf: cannot read %.200s", path);
	*ret = resolv_parse(buf, (size_t)n);
	if (!*ret)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	return 0;
}
