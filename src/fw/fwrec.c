// SPDX-License-Identifier: Apache-2.0
/*
 * Firewall records on disk. Text, one item per line, so an operator can
 * read them:
 *
 *   brisk-fw 1
 *   id <containerID>
 *   ifname <ifname>
 *   owner <network>/<containerID>/<ifname>
 *   masq 0|1
 *   addr <ip>                          (each container address)
 *   nomasq <cidr>                      (each destination kept as is)
 *   hpnat <cidr>                       (each source masqueraded to host ports)
 *   port <tcp|udp|sctp> <hostPort> <containerPort> [<hostIP>]
 *   spoof <host ifname> <mac>
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/fault.h"
#include "brisk/fsopen.h"
#include "brisk/fwrec.h"
#include "brisk/log.h"
#include "brisk/mac.h"

#define FWREC_MAGIC "brisk-fw 1"
#define FWREC_MAX_BYTES (64 * 1024)
#define FWREC_NAME_MAX 200
/* A temporary file this old belongs to a writer that was killed. */
#define FWREC_TMP_STALE_S 600

/* ---------------------------------------------------------------- text */

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_UDP ? "udp" : p == IPPROTO_SCTP ? "sctp" : "tcp";
}

static size_t put(char *buf, size_t len, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t put(char *buf, size_t len, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, fmt, ap);
	va_end(ap);
	return n + (k > 0 ? (size_t)k : 0);
}

size_t fwrec_format(const struct fwrec *rec, char *buf, size_t len)
{
	const struct fw_plan *p = &rec->plan;
	char a[IPNET_STRLEN], mac[18];
	size_t n = 0;

	n = put(buf, len, n, "%s\nid %s\nifname %s\nowner %s\nmasq %d\n",
		FWREC_MAGIC, rec->id, rec->ifname, p->owner, p->masq);
	for (size_t i = 0; i < p->n_addrs; i++)
		n = put(buf, len, n, "addr %s\n", ipaddr_fmt(&p->addrs[i], a));
	for (size_t i = 0; i < p->n_nomasq; i++)
		n = put(buf, len, n, "nomasq %s\n",
			ipnet_fmt(&p->nomasq[i], a));
	for (size_t i = 0; i < p->n_hpnat; i++)
		n = put(buf, len, n, "hpnat %s\n", ipnet_fmt(&p->hpnat[i], a));
	for (size_t i = 0; i < p->n_ports; i++) {
		const struct fw_port *pm = &p->ports[i];

		n = put(buf, len, n, "port %s %u %u%s%s\n",
			proto_name(pm->proto), pm->host_port, pm->cont_port,
			pm->host_ip.family ? " " : "",
			pm->host_ip.family ? ipaddr_fmt(&pm->host_ip, a) : "");
	}
	if (p->spoof_ifname[0]) {
		mac_fmt(p->spoof_mac, mac);
		n = put(buf, len, n, "spoof %s %s\n", p->spoof_ifname, mac);
	}
	return n;
}

/* Printable, no spaces: what an id, ifname or owner may hold here. */
static bool word_ok(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	for (const char *c = s; *c; c++)
		if (*c <= ' ' || *c == 0x7f || *c == ':' || *c == '/')
			return false;
	return true;
}

static int parse_u16(const char *s, uint16_t *ret)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

static int parse_port(char *args, struct fw_plan *p)
{
	char *save = NULL, *proto = strtok_r(args, " ", &save);
	char *hp = strtok_r(NULL, " ", &save), *cp = strtok_r(NULL, " ", &save);
	char *ip = strtok_r(NULL, " ", &save);
	struct fw_port *pm = &p->ports[p->n_ports];

	if (!proto || p->n_ports >= FW_MAX_PORTS || strtok_r(NULL, " ", &save))
		return -EINVAL;
	memset(pm, 0, sizeof(*pm));
	if (strcmp(proto, "tcp") == 0)
		pm->proto = IPPROTO_TCP;
	else if (strcmp(proto, "udp") == 0)
		pm->proto = IPPROTO_UDP;
	else if (strcmp(proto, "sctp") == 0)
		pm->proto = IPPROTO_SCTP;
	else
		return -EINVAL;
	if (parse_u16(hp, &pm->host_port) < 0 ||
	    parse_u16(cp, &pm->cont_port) < 0 ||
	    (ip && ipaddr_parse(ip, &pm->host_ip) < 0))
		return -EINVAL;
	p->n_ports++;
	return 0;
}

static int parse_net(const char *s, struct ipnet *v, size_t *n)
{
	if (*n >= FW_MAX_NETS || ipnet_parse(s, &v[*n]) < 0)
		return -EINVAL;
	(*n)++;
	return 0;
}

static int parse_spoof(char *args, struct fw_plan *p)
{
	char *sp = strchr(args, ' ');

	if (!sp)
		return -EINVAL;
	*sp = '\0';
	if (!word_ok(args, IFNAMSIZ - 1) ||
	    mac_parse(sp + 1, p->spoof_mac) < 0)
		return -EINVAL;
	memcpy(p->spoof_ifname, args, strlen(args) + 1);
	return 0;
}

static int parse_line(char *line, struct fwrec *rec)
{
	struct fw_plan *p = &rec->plan;
	char *arg = strchr(line, ' ');

	if (!arg)
		return -EINVAL;
	*arg++ = '\0';
	if (strcmp(line, "id") == 0 && word_ok(arg, FWREC_ID_MAX))
		return (void)memcpy(rec->id, arg, strlen(arg) + 1), 0;
	if (strcmp(line, "ifname") == 0 && word_ok(arg, IFNAMSIZ - 1))
		return (void)memcpy(rec->ifname, arg, strlen(arg) + 1), 0;
	if (strcmp(line, "owner") == 0 && strlen(arg) < FW_OWNER_MAX)
		return (void)memcpy(p->owner, arg, strlen(arg) + 1), 0;
	if (strcmp(line, "masq") == 0 &&
	    (!strcmp(arg, "0") || !strcmp(arg, "1")))
		return (void)(p->masq = arg[0] == '1'), 0;
	if (strcmp(line, "addr") == 0 && p->n_addrs < FW_MAX_ADDRS)
		return ipaddr_parse(arg, &p->addrs[p->n_addrs++]);
	if (strcmp(line, "nomasq") == 0)
		return parse_net(arg, p->nomasq, &p->n_nomasq);
	if (strcmp(line, "hpnat") == 0)
		return parse_net(arg, p->hpnat, &p->n_hpnat);
	if (strcmp(line, "port") == 0)
		return parse_port(arg, p);
	if (strcmp(line, "spoof") == 0)
		return parse_spoof(arg, p);
	return -EINVAL;
}

int fwrec_parse(const char *buf, size_t len, struct fwrec *ret)
{
	_cleanup_free_ char *copy = NULL;
	char *save = NULL, *line;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (len > FWREC_MAX_BYTES || memchr(buf, '\0', len))
		return -EINVAL;
	copy = strndup(buf, len);
	if (!copy)
		return -ENOMEM;
	line = strtok_r(copy, "\n", &save);
	if (!line || strcmp(line, FWREC_MAGIC) != 0)
		return -EINVAL;
	while (r == 0 && (line = strtok_r(NULL, "\n", &save)))
		r = parse_line(line, ret);
	if (r == 0 && (!ret->id[0] || !ret->ifname[0]))
		r = -EINVAL;
	return r;
}

/* ---------------------------------------------------------------- files */

/* The file name of id/ifname's record into @buf (NAME_MAX + 1 bytes). */
static void rec_name(const char *id, const char *ifname, char *buf)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	size_t il = strlen(id), fl = strnlen(ifname, IFNAMSIZ - 1);

	if (il + 1 + fl <= FWREC_NAME_MAX) {
		memcpy(buf, id, il);
		buf[il] = ':';
		memcpy(buf + il + 1, ifname, fl);
		buf[il + 1 + fl] = '\0';
		return;
	}
	/* A container ID starts with an alphanumeric: "~" marks a hash. */
	for (const char *c = id; *c; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
	snprintf(buf, NAME_MAX + 1, "~%016llx:%s", (unsigned long long)h,
		 ifname);
}

int fwrec_dir_open(const char *data_dir, const char *network, bool create,
		   int *ret_fd, struct cni_err *err)
{
	/* As the index makes them: records name containers and namespaces. */
	const char *const names[] = { data_dir, ".brisk", network, "fw" };
	static const mode_t modes[] = { 0755, 0700, 0700, 0700 };
	_cleanup_close_ int fd = AT_FDCWD;

	*ret_fd = -1;
	for (size_t i = 0; i < 4; i++) {
		int sub = fsopen_dir(fd, names[i], create ? modes[i] : 0);

		/*
		 * brisk makes these as directories and never follows a
		 * symlink (not even dataDir, as the lease store refuses it):
		 * anything else there holds no records of ours.
		 */
		if (!create &&
		    (sub == -ENOENT || sub == -ENOTDIR || sub == -ELOOP))
			return 0;
		if (sub < 0)
			return cni_err_set(
				err, CNI_ERR_IO, -sub,
				"firewall records: cannot open %.100s/.brisk/%s/fw",
				data_dir, network);
		if (fd >= 0)
			close(fd);
		fd = sub;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/*
 * A record not there yet (ADD drops a leftover one first): written unnamed,
 * then linked, so that a kill leaves no temporary behind. False when it
 * must be replaced, or O_TMPFILE is not supported: the caller renames.
 */
static bool save_unnamed(int dirfd, const char *name, const char *buf,
			 size_t len)
{
	_cleanup_close_ int fd =
		openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		return false;
	fault_point("fw-record-written");
	return fsopen_link_unnamed(fd, dirfd, name) == 0;
}

int fwrec_save(int dirfd, const struct fwrec *rec, struct cni_err *err)
{
	_cleanup_free_ char *buf = malloc(FWREC_MAX_BYTES);
	char name[NAME_MAX + 1], tmp[64];
	uint32_t rnd = 0;
	size_t len;
	ssize_t w;
	int fd;

	if (!buf)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	len = fwrec_format(rec, buf, FWREC_MAX_BYTES);
	if (len >= FWREC_MAX_BYTES)
		return cni_err_set(err, CNI_ERR_INTERNAL, E2BIG,
				   "firewall record too large");
	rec_name(rec->id, rec->ifname, name);
	if (save_unnamed(dirfd, name, buf, len))
		return 0;
	(void)!getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
	snprintf(tmp, sizeof(tmp), ".tmp-%d-%08x", (int)getpid(), rnd);
	fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cni_err_set(err, CNI_ERR_IO, errno,
				   "firewall record: cannot create %s", tmp);
	w = write(fd, buf, len);
	if (close(fd) < 0 || w != (ssize_t)len ||
	    renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno ? errno : EIO;

		unlinkat(dirfd, tmp, 0);
		return cni_err_set(err, CNI_ERR_IO, e,
				   "firewall record: cannot write %.100s",
				   name);
	}
	return 0;
}

/* Read a regular file of at most FWREC_MAX_BYTES, never blocking. */
static int read_small(int dirfd, const char *name, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	ssize_t n;

	/* Never a FIFO's wait or a device's open, whatever sits there. */
	fd = fsopen_typed(dirfd, name, O_RDONLY | O_NOFOLLOW, S_IFREG, NULL);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size > FWREC_MAX_BYTES)
		return -EINVAL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	n = read(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return -errno;
	*ret_len = (size_t)n;
	*ret = TAKE_PTR(buf);
	return 0;
}

int fwrec_load(int dirfd, const char *id, const char *ifname, struct fwrec *ret,
	       bool *ret_found, struct cni_err *err)
{
	_cleanup_free_ char *buf = NULL;
	char name[NAME_MAX + 1];
	size_t len = 0;
	int r;

	*ret_found = false;
	rec_name(id, ifname, name);
	r = read_small(dirfd, name, &buf, &len);
	/* brisk writes records as files: anything else there is none. */
	if (r == -ENOENT || r == -EMEDIUMTYPE || r == -ELOOP)
		return 0;
	if (r == 0)
		r = fwrec_parse(buf, len, ret);
	if (r == 0 &&
	    (strcmp(ret->id, id) != 0 || strcmp(ret->ifname, ifname) != 0))
		r = -EEXIST;
	if (r < 0)
		return cni_err_set(
			err, CNI_ERR_IO, -r,
			"firewall record %.100s: unreadable or not %s's", name,
			ifname);
	*ret_found = true;
	return 0;
}

int fwrec_remove(int dirfd, const char *id, const char *ifname,
		 struct cni_err *err)
{
	char name[NAME_MAX + 1];

	rec_name(id, ifname, name);
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return cni_err_set(err, CNI_ERR_IO, errno,
				   "firewall record: cannot remove %.100s",
				   name);
	return 0;
}

static void drop_stale_tmp(int dirfd, const char *name)
{
	struct stat st;

	if (strncmp(name, ".tmp-", 5) == 0 &&
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    time(NULL) - st.st_mtime > FWREC_TMP_STALE_S)
		unlinkat(dirfd, name, 0);
}

int fwrec_list(int dirfd, int (*fn)(struct fwrec *rec, void *data), void *data,
	       struct cni_err *err)
{
	_cleanup_free_ struct fwrec *rec = malloc(sizeof(*rec));
	struct dirent *de;
	DIR *d;
	int fd = dup(dirfd), r = 0;

	if (!rec || fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return cni_err_set(err, CNI_ERR_IO, rec ? errno : ENOMEM,
				   "firewall records: cannot list");
	}
	rewinddir(d);
	while (r >= 0 && (de = readdir(d))) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		int rr;

		if (de->d_name[0] == '.') {
			drop_stale_tmp(dirfd, de->d_name);
			continue;
		}
		rr = read_small(dirfd, de->d_name, &buf, &len);
		rr = rr ?: fwrec_parse(buf, len, rec);
		/* Gone since the listing: removed by a DEL, not damaged. */
		if (rr == -ENOENT)
			continue;
		if (rr < 0) {
			log_warn("firewall record %s: unreadable, skipped",
				 de->d_name);
			continue;
		}
		r = fn(rec, data);
	}
	closedir(d);
	return r;
}
