// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <string.h>

#include "brisk/cni.h"

static const struct {
	const char *name;
	enum cni_cmd cmd;
} cni_cmds[] = {
	{ "ADD", CNI_CMD_ADD },	    { "DEL", CNI_CMD_DEL },
	{ "CHECK", CNI_CMD_CHECK }, { "VERSION", CNI_CMD_VERSION },
	{ "GC", CNI_CMD_GC },	    { "STATUS", CNI_CMD_STATUS },
};

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

bool cni_valid_container_id(const char *s)
{
	/* The spec: ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ */
	if (!s || !is_alnum(s[0]) || strlen(s) > 1024)
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!is_alnum(*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return true;
}

bool cni_valid_netname(const char *s)
{
	/* Also a path component under dataDir, so it must stay one. */
	return cni_valid_container_id(s) && strlen(s) < 128;
}

bool cni_valid_ifname(const char *s)
{
	size_t len;

	if (!s)
		return false;
	len = strlen(s);
	if (len == 0 || len > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || *p == ' ' || *p == '\t' ||
		    *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f')
			return false;
	return true;
}

static const char *env_or_empty(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

static int env_parse_cmd(const char *v, enum cni_cmd *ret,
			 struct cni_err *err)
{
	for (size_t i = 0; i < sizeof(cni_cmds) / sizeof(cni_cmds[0]); i++) {
		if (strcmp(v, cni_cmds[i].name) == 0) {
			*ret = cni_cmds[i].cmd;
			return 0;
		}
	}
	return cni_err_set(err, CNI_ERR_ENV, EINVAL,
			   "CNI_COMMAND: unknown command \"%.40s\"", v);
}

/* ADD, DEL and CHECK act on one attachment and need its identity. */
static int env_check_attachment(struct cni_env *e, struct cni_err *err)
{
	if (!*e->container_id)
		return cni_err_set(err, CNI_ERR_ENV, EINVAL,
				   "CNI_CONTAINERID is required");
	if (!cni_valid_container_id(e->container_id))
		return cni_err_set(err, CNI_ERR_ENV, EINVAL,
				   "CNI_CONTAINERID: invalid container ID");
	if (!*e->ifname)
		return cni_err_set(err, CNI_ERR_ENV, EINVAL,
				   "CNI_IFNAME is required");
	if (!cni_valid_ifname(e->ifname))
		return cni_err_set(err, CNI_ERR_ENV, EINVAL,
				   "CNI_IFNAME: invalid interface name \"%.20s\"",
				   e->ifname);
	/* DEL must work when the namespace is already gone or unknown. */
	if (e->cmd != CNI_CMD_DEL && !*e->netns)
		return cni_err_set(err, CNI_ERR_ENV, EINVAL,
				   "CNI_NETNS is required");
	if (*e->netns && e->netns[0] != '/')
		return cni_err_set(err, CNI_ERR_ENV, EINVAL,
				   "CNI_NETNS: must be an absolute path");
	return 0;
}

int cni_env_read(struct cni_env *ret, struct cni_err *err)
{
	const char *cmd = getenv("CNI_COMMAND");
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->container_id = env_or_empty("CNI_CONTAINERID");
	ret->netns = env_or_empty("CNI_NETNS");
	ret->ifname = env_or_empty("CNI_IFNAME");
	ret->args = env_or_empty("CNI_ARGS");
	ret->path = env_or_empty("CNI_PATH");
	if (!cmd || !*cmd) {
		ret->cmd = CNI_CMD_NONE;
		return 0;
	}
	r = env_parse_cmd(cmd, &ret->cmd, err);
	if (r < 0)
		return r;
	if (ret->cmd == CNI_CMD_ADD || ret->cmd == CNI_CMD_DEL ||
	    ret->cmd == CNI_CMD_CHECK)
		return env_check_attachment(ret, err);
	return 0;
}
