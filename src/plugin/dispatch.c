// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>

#include "brisk/attach.h"
#include "brisk/cmd.h"
#include "brisk/ipam.h"
#include "brisk/version.h"

static int plugin_version(const char *buf, size_t len, json_t **ret_out,
			  struct cni_err *err)
{
	char ver[16] = "";
	enum cni_ver v;
	struct cni_err ignored = { 0 };
	json_error_t jerr;
	json_t *list;

	/* Runtimes probe with dummy input: answer whatever it holds. */
	netconf_peek_version(buf, len, ver, sizeof(ver));
	if (!ver[0] || cni_ver_parse(ver, &v, &ignored) < 0)
		snprintf(ver, sizeof(ver), "%s", cni_ver_str(CNI_VER_LATEST));
	list = json_loads(cni_ver_list_json(), 0, &jerr);
	*ret_out = json_pack("{s:s, s:o}", "cniVersion", ver,
			     "supportedVersions", list);
	if (!*ret_out)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM, "out of memory");
	return 0;
}

/* ADD/DEL/CHECK in IPAM-only mode: another plugin's config names brisk. */
static bool is_ipam_mode(const struct netconf *c)
{
	return strcmp(c->type, "brisk") != 0 && strcmp(c->type, "bridge") != 0 &&
	       c->ipam.kind == IPAM_BUILTIN;
}

static int plugin_need_version(const struct netconf *c, enum cni_ver min,
			       const char *what, struct cni_err *err)
{
	if (c->ver >= min)
		return 0;
	return cni_err_set(err, CNI_ERR_VERSION, ENOTSUP,
			   "%s needs cniVersion %s or later, config has %s",
			   what, cni_ver_str(min), cni_ver_str(c->ver));
}

static int plugin_cmd(const struct cni_env *env, struct netconf *c,
		      json_t **ret_out, struct ipam_freed *freed,
		      struct cni_err *err)
{
	switch (env->cmd) {
	case CNI_CMD_ADD:
		if (is_ipam_mode(c))
			return ipam_mode_run(env, c, ret_out, err);
		return cmd_add(env, c, ret_out, err);
	case CNI_CMD_DEL:
		if (is_ipam_mode(c))
			return attach_ipam_del(env, c, freed, err);
		return cmd_del(env, c, freed, err);
	case CNI_CMD_CHECK:
		if (plugin_need_version(c, CNI_V040, "CHECK", err) < 0)
			return -ENOTSUP;
		if (is_ipam_mode(c))
			return ipam_mode_run(env, c, ret_out, err);
		return cmd_check(env, c, err);
	case CNI_CMD_GC:
		if (plugin_need_version(c, CNI_V110, "GC", err) < 0)
			return -ENOTSUP;
		return cmd_gc(env, c, err);
	case CNI_CMD_STATUS:
		if (plugin_need_version(c, CNI_V110, "STATUS", err) < 0)
			return -ENOTSUP;
		return cmd_status(env, c, err);
	default:
		return cni_err_set(err, CNI_ERR_ENV, EINVAL,
				   "CNI_COMMAND: unsupported");
	}
}

int plugin_validate(const char *buf, size_t len, json_t **ret_norm,
		    char *ret_ver, size_t ver_len, struct cni_err *err)
{
	struct netconf c;
	int r;

	*ret_norm = NULL;
	ret_ver[0] = '\0';
	/* What ADD checks before it touches the kernel or the store. */
	r = netconf_parse(buf, len, "", &c, err);
	if (r < 0) {
		netconf_peek_version(buf, len, ret_ver, ver_len);
		return r;
	}
	snprintf(ret_ver, ver_len, "%s", c.cni_version);
	if (netconf_normalize(&c, !is_ipam_mode(&c), ret_norm) < 0)
		r = cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM, "out of memory");
	netconf_free(&c);
	return r;
}

int plugin_run(const struct cni_env *env, const char *buf, size_t len,
	       json_t **ret_out, char *ret_ver, size_t ver_len,
	       struct call_log *cl, struct cni_err *err)
{
	struct ipam_freed freed = { 0 };
	struct netconf c;
	int r;

	*ret_out = NULL;
	ret_ver[0] = '\0';
	if (env->cmd == CNI_CMD_VERSION)
		return plugin_version(buf, len, ret_out, err);
	r = netconf_parse(buf, len, env->args, &c, err);
	call_log_config(cl, &c);
	if (r < 0) {
		/* Only a failed parse needs a second look for the version. */
		netconf_peek_version(buf, len, ret_ver, ver_len);
		return r;
	}
	snprintf(ret_ver, ver_len, "%s", c.cni_version);
	r = plugin_cmd(env, &c, ret_out, &freed, err);
	if (r == 0 && env->cmd == CNI_CMD_ADD)
		call_log_result(cl, *ret_out);
	call_log_freed(cl, &freed);
	netconf_free(&c);
	return r;
}
