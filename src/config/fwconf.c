// SPDX-License-Identifier: Apache-2.0
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "brisk/fwconf.h"
#include "brisk/jsonget.h"
#include "brisk/log.h"

/* The portmap plugin's keys that only make sense with its iptables rules. */
static const char *const iptables_only[] = {
	"markMasqBit",
	"externalSetMarkChain",
	"conditionsV4",
	"conditionsV6",
};

/* JSON null counts as absent, as for every key. */
static bool has_key(json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);

	return v && !json_is_null(v);
}

static int parse_backend(json_t *root, struct fwconf *c, struct cni_err *err)
{
	const char *b = NULL;
	int r = jget_str(root, "", "ipMasqBackend", &b, err);

	if (r < 0 || !b || strcmp(b, "nftables") == 0)
		return r;
	if (strcmp(b, "iptables") == 0) {
		/* Same traffic, same result: brisk's nftables table serves it. */
		log_warn(
			"ipMasqBackend \"iptables\": brisk masquerades with nftables");
		c->backend_iptables = true;
		return 0;
	}
	return cni_err_set(
		err, CNI_ERR_CONFIG, EINVAL,
		"ipMasqBackend: \"%.40s\" is neither \"nftables\" nor \"iptables\"",
		b);
}

static int parse_exclude(json_t *root, struct fwconf *c, struct cni_err *err)
{
	json_t *arr = NULL, *v;
	size_t i;
	int r = jget_arr(root, "", "ipMasqExclude", &arr, err);

	if (r < 0 || !arr)
		return r;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);

		if (i >= FWCONF_MAX_EXCLUDE)
			return cni_err_set(
				err, CNI_ERR_CONFIG, E2BIG,
				"ipMasqExclude: more than %d entries",
				FWCONF_MAX_EXCLUDE);
		if (!s || ipnet_parse(s, &c->exclude[i]) < 0)
			return cni_err_set(
				err, CNI_ERR_CONFIG, EINVAL,
				"ipMasqExclude[%zu]: not a CIDR (\"10.0.0.0/8\")",
				i);
		/* "10.1.2.3/8" means 10.0.0.0/8, as in a route. */
		ipnet_first(&c->exclude[i], &c->exclude[i].addr);
		c->n_exclude++;
	}
	return 0;
}

static int parse_proto(json_t *m, size_t i, uint8_t *ret, struct cni_err *err)
{
	const char *p = NULL;
	char ctx[64];
	int r;

	snprintf(ctx, sizeof(ctx), "runtimeConfig.portMappings[%zu]", i);
	r = jget_str(m, ctx, "protocol", &p, err);
	if (r < 0)
		return r;
	/* As portmap: case does not matter, and "" or absent is tcp. */
	if (!p || !*p || strcasecmp(p, "tcp") == 0)
		*ret = IPPROTO_TCP;
	else if (strcasecmp(p, "udp") == 0)
		*ret = IPPROTO_UDP;
	else if (strcasecmp(p, "sctp") == 0)
		*ret = IPPROTO_SCTP;
	else
		return cni_err_set(
			err, CNI_ERR_CONFIG, EINVAL,
			"%s.protocol: \"%.20s\" is not tcp, udp or sctp", ctx,
			p);
	return 0;
}

static int parse_one_port(json_t *m, size_t i, struct fwconf_port *ret,
			  struct cni_err *err)
{
	char ctx[64], ip[64] = "";
	int hp = 0, cp = 0;
	int r = 0;

	snprintf(ctx, sizeof(ctx), "runtimeConfig.portMappings[%zu]", i);
	if (!json_is_object(m))
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: expected an object", ctx);
	memset(ret, 0, sizeof(*ret));
	r = r ?: jget_int(m, ctx, "hostPort", 1, 65535, &hp, err);
	r = r ?: jget_int(m, ctx, "containerPort", 1, 65535, &cp, err);
	r = r ?: jget_strbuf(m, ctx, "hostIP", ip, sizeof(ip), err);
	r = r ?: parse_proto(m, i, &ret->proto, err);
	if (r < 0)
		return r;
	if (!hp || !cp)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s: %s is required", ctx,
				   hp ? "containerPort" : "hostPort");
	if (ip[0] && ipaddr_parse(ip, &ret->host_ip) < 0)
		return cni_err_set(err, CNI_ERR_CONFIG, EINVAL,
				   "%s.hostIP: \"%s\" is not an IP address",
				   ctx, ip);
	ret->host_port = (uint16_t)hp;
	ret->cont_port = (uint16_t)cp;
	return 0;
}

/* 0.0.0.0 and :: stand for every address of their family, as in portmap. */
static bool ip_is_any(const struct ipaddr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->b, zero, ipaddr_len(a->family)) == 0;
}

/* Same protocol and port, and host IPs that meet (none means all). */
static bool ports_overlap(const struct fwconf_port *a,
			  const struct fwconf_port *b)
{
	const struct ipaddr *x = &a->host_ip, *y = &b->host_ip;

	if (a->proto != b->proto || a->host_port != b->host_port)
		return false;
	if (!x->family || !y->family)
		return true;
	return x->family == y->family &&
	       (ip_is_any(x) || ip_is_any(y) || ipaddr_eq(x, y));
}

/* Add @p unless it repeats an earlier one; an overlap is code 7. */
static int add_port(struct fwconf *c, const struct fwconf_port *p, size_t i,
		    struct cni_err *err)
{
	for (size_t j = 0; j < c->n_ports; j++) {
		const struct fwconf_port *q = &c->ports[j];

		if (!ports_overlap(p, q))
			continue;
		if (q->cont_port == p->cont_port &&
		    ipaddr_eq(&q->host_ip, &p->host_ip))
			return 0; /* the same mapping twice */
		return cni_err_set(
			err, CNI_ERR_CONFIG, EINVAL,
			"runtimeConfig.portMappings[%zu]: host port %u is mapped twice",
			i, p->host_port);
	}
	if (c->n_ports >= FWCONF_MAX_PORTS)
		return cni_err_set(err, CNI_ERR_CONFIG, E2BIG,
				   "runtimeConfig.portMappings: more than %d",
				   FWCONF_MAX_PORTS);
	c->ports[c->n_ports++] = *p;
	return 0;
}

int fwconf_parse_ports(json_t *pm, struct fwconf *c, struct cni_err *err)
{
	struct fwconf_port p;
	json_t *m;
	size_t i;
	int r;

	if (!json_is_array(pm))
		return cni_err_set(
			err, CNI_ERR_CONFIG, EINVAL,
			"runtimeConfig.portMappings: expected an array");
	json_array_foreach(pm, i, m) {
		r = parse_one_port(m, i, &p, err);
		if (r == 0)
			r = add_port(c, &p, i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_portmap_keys(json_t *root, struct fwconf *c,
			      struct cni_err *err)
{
	json_t *rc = NULL, *pm = NULL;
	int r = 0;

	for (size_t i = 0; i < sizeof(iptables_only) / sizeof(*iptables_only);
	     i++)
		if (has_key(root, iptables_only[i]))
			return cni_err_set(
				err, CNI_ERR_UNSUPPORTED_FIELD, ENOTSUP,
				"%s: a key of the portmap plugin's iptables rules, which brisk does not use",
				iptables_only[i]);
	c->snat = true;
	r = r ?: jget_bool(root, "", "snat", &c->snat, err);
	r = r ?: jget_bool(root, "", "masqAll", &c->masq_all, err);
	r = r ?: jget_obj(root, "", "runtimeConfig", &rc, err);
	if (r == 0 && rc)
		r = jget_arr(rc, "runtimeConfig", "portMappings", &pm, err);
	if (r == 0 && pm)
		r = fwconf_parse_ports(pm, c, err);
	return r;
}

int fwconf_parse(json_t *root, const char *type, struct fwconf *ret,
		 struct cni_err *err)
{
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	ret->snat = true;
	if (strcmp(type, "brisk") != 0 && strcmp(type, "bridge") != 0)
		return 0;
	r = r ?: parse_backend(root, ret, err);
	r = r ?: parse_exclude(root, ret, err);
	r = r ?: parse_portmap_keys(root, ret, err);
	return r;
}

static const char *proto_str(uint8_t p)
{
	return p == IPPROTO_UDP ? "udp" : p == IPPROTO_SCTP ? "sctp" : "tcp";
}

static json_t *norm_ports(const struct fwconf *c)
{
	json_t *a = json_array();
	char ip[IPADDR_STRLEN];

	for (size_t i = 0; a && i < c->n_ports; i++) {
		const struct fwconf_port *p = &c->ports[i];
		json_t *m = json_pack("{s:i, s:i, s:s}", "hostPort",
				      p->host_port, "containerPort",
				      p->cont_port, "protocol",
				      proto_str(p->proto));

		if (m && p->host_ip.family)
			json_object_set_new(
				m, "hostIP",
				json_string(ipaddr_fmt(&p->host_ip, ip)));
		if (!m || json_array_append_new(a, m) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int fwconf_normalize(json_t *o, const struct fwconf *c)
{
	json_t *ex = json_array(), *rc = json_object_get(o, "runtimeConfig");
	char buf[IPNET_STRLEN];
	int r = 0;

	for (size_t i = 0; ex && i < c->n_exclude; i++)
		r |= json_array_append_new(
			ex, json_string(ipnet_fmt(&c->exclude[i], buf)));
	r |= json_object_set_new(o, "ipMasqBackend",
				 json_string(c->backend_iptables ? "iptables" :
								   "nftables"));
	r |= json_object_set_new(o, "ipMasqExclude", ex);
	r |= json_object_set_new(o, "snat", json_boolean(c->snat));
	r |= json_object_set_new(o, "masqAll", json_boolean(c->masq_all));
	if (json_is_object(rc) && json_object_get(rc, "portMappings"))
		r |= json_object_set_new(rc, "portMappings", norm_ports(c));
	return r ? -ENOMEM : 0;
}
