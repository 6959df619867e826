// SPDX-License-Identifier: Apache-2.0
/* Firewall records: the text form, and the files in a mkdtemp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brisk/fwrec.h"
#include "brisk/log.h"

static struct fwrec *rec_new(const char *id)
{
	struct fwrec *r = calloc(1, sizeof(*r));
	struct fw_plan *p = &r->plan;

	assert_non_null(r);
	snprintf(r->id, sizeof(r->id), "%s", id);
	strcpy(r->ifname, "eth0");
	snprintf(p->owner, sizeof(p->owner), "net/%.60s/eth0", id);
	p->masq = true;
	ipaddr_parse("10.0.0.2", &p->addrs[0]);
	ipaddr_parse("fd00::2", &p->addrs[1]);
	p->n_addrs = 2;
	ipnet_parse("10.0.0.0/24", &p->nomasq[0]);
	ipnet_parse("fd00::/64", &p->nomasq[1]);
	p->n_nomasq = 2;
	ipnet_parse("127.0.0.0/8", &p->hpnat[0]);
	p->n_hpnat = 1;
	p->ports[0] = (struct fw_port){ IPPROTO_TCP, 8080, 80, { 0 } };
	p->ports[1] = (struct fw_port){ IPPROTO_SCTP, 9, 99, { 0 } };
	ipaddr_parse("2001:db8::1", &p->ports[1].host_ip);
	p->n_ports = 2;
	strcpy(p->spoof_ifname, "veth0123");
	memcpy(p->spoof_mac, "\x02\x00\x5e\x00\x00\x01", 6);
	return r;
}

static void test_round_trip(void **state)
{
	struct fwrec *a = rec_new("ctr-1"), *b = calloc(1, sizeof(*b));
	char buf[4096], again[4096];
	size_t len = fwrec_format(a, buf, sizeof(buf));

	assert_true(len < sizeof(buf));
	assert_non_null(strstr(buf, "port sctp 9 99 2001:db8::1\n"));
	assert_non_null(strstr(buf, "spoof veth0123 02:00:5e:00:00:01\n"));
	assert_int_equal(fwrec_parse(buf, len, b), 0);
	assert_string_equal(b->id, "ctr-1");
	assert_string_equal(b->ifname, "eth0");
	assert_memory_equal(&a->plan, &b->plan, sizeof(a->plan));
	assert_int_equal(fwrec_format(b, again, sizeof(again)), len);
	assert_memory_equal(buf, again, len);
	free(a);
	free(b);
}

static void parse_fails(const char *text)
{
	struct fwrec *r = calloc(1, sizeof(*r));

	if (fwrec_parse(text, strlen(text), r) == 0)
		fail_msg("accepted: %s", text);
	free(r);
}

#define HEAD "brisk-fw 1\nid c\nifname eth0\n"

static void test_parse_errors(void **state)
{
	parse_fails("");
	parse_fails("brisk-fw 2\nid c\nifname eth0\n");
	parse_fails("brisk-fw 1\nifname eth0\n");
	parse_fails("brisk-fw 1\nid c\n");
	parse_fails(HEAD "bogus 1\n");
	parse_fails(HEAD "masq 2\n");
	parse_fails(HEAD "addr 10.0.0.300\n");
	parse_fails(HEAD "nomasq 10.0.0.0\n");
	parse_fails(HEAD "port tcp 0 80\n");
	parse_fails(HEAD "port tcp 80 65536\n");
	parse_fails(HEAD "port icmp 80 80\n");
	parse_fails(HEAD "port tcp 80 80 10.0.0.1 extra\n");
	parse_fails(HEAD "spoof veth0 02:00:5e:00:00\n");
	parse_fails(HEAD "spoof a/b 02:00:5e:00:00:01\n");
	parse_fails("brisk-fw 1\nid a b\nifname eth0\n");
	parse_fails("brisk-fw 1\nid c\nifname eth0:1\n");
	parse_fails("brisk-fw 1\nid c\nifname abcdefghijklmnop\n");
	/* A NUL byte inside. */
	{
		struct fwrec *r = calloc(1, sizeof(*r));

		assert_int_not_equal(fwrec_parse(HEAD "\0masq 1\n",
						 sizeof(HEAD "\0masq 1\n") - 1,
						 r),
				     0);
		free(r);
	}
	/* One address too many. */
	{
		char buf[1024] = HEAD;

		for (int i = 0; i <= FW_MAX_ADDRS; i++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
				 "addr 10.0.0.%d\n", i + 1);
		parse_fails(buf);
	}
}

static char tmpdir[64];

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/brisk-test-fwrec.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int count_cb(struct fwrec *rec, void *data)
{
	(*(int *)data)++;
	assert_string_equal(rec->ifname, "eth0");
	return 0;
}

/* A dataDir that is a symlink is refused, as the lease store refuses it. */
static void test_symlinked_data_dir(void **state)
{
	struct cni_err err = { 0 };
	char link[256], target[256];
	int dfd = -2;

	(void)state;
	snprintf(target, sizeof(target), "%s/elsewhere", tmpdir);
	snprintf(link, sizeof(link), "%s/link-data", tmpdir);
	assert_int_equal(mkdir(target, 0755), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(fwrec_dir_open(link, "net", false, &dfd, &err), 0);
	assert_int_equal(dfd, -1);
	assert_true(fwrec_dir_open(link, "net", true, &dfd, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_int_equal(dfd, -1);
	assert_int_equal(rmdir(target), 0); /* nothing was made in it */
	assert_int_equal(unlink(link), 0);
}

static void test_files(void **state)
{
	struct cni_err err = { 0 };
	struct fwrec *a = rec_new("ctr-1"), *got = calloc(1, sizeof(*got));
	char longid[301];
	bool found = true;
	int dfd = -2, n = 0;
	struct stat st;
	char path[256];

	/* Nothing there: no directory made, no record. */
	assert_int_equal(fwrec_dir_open(tmpdir, "net", false, &dfd, &err), 0);
	assert_int_equal(dfd, -1);
	assert_int_equal(fwrec_dir_open(tmpdir, "net", true, &dfd, &err), 0);
	assert_true(dfd >= 0);
	/* Every level brisk makes is as closed as the index's. */
	snprintf(path, sizeof(path), "%s/.brisk/net/fw", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/.brisk/net", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/.brisk", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(fwrec_load(dfd, "ctr-1", "eth0", got, &found, &err),
			 0);
	assert_false(found);

	assert_int_equal(fwrec_save(dfd, a, &err), 0);
	snprintf(path, sizeof(path), "%s/.brisk/net/fw/ctr-1:eth0", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fwrec_load(dfd, "ctr-1", "eth0", got, &found, &err),
			 0);
	assert_true(found);
	assert_memory_equal(&a->plan, &got->plan, sizeof(a->plan));

	/* A container ID too long for a file name: a hash stands for it. */
	memset(longid, 'L', 300);
	longid[300] = '\0';
	free(a);
	a = rec_new(longid);
	assert_int_equal(fwrec_save(dfd, a, &err), 0);
	assert_int_equal(fwrec_load(dfd, longid, "eth0", got, &found, &err), 0);
	assert_true(found);
	assert_string_equal(got->id, longid);
	longid[299] = 'M';
	assert_int_equal(fwrec_load(dfd, longid, "eth0", got, &found, &err), 0);
	assert_false(found);

	/* A leftover temporary file is not a record. */
	close(openat(dfd, ".tmp-1-0", O_CREAT | O_WRONLY, 0600));
	assert_int_equal(fwrec_list(dfd, count_cb, &n, &err), 0);
	assert_int_equal(n, 2);

	/* A record whose content is someone else's is refused. */
	assert_int_equal(renameat(dfd, "ctr-1:eth0", dfd, "ctr-2:eth0"), 0);
	assert_true(fwrec_load(dfd, "ctr-2", "eth0", got, &found, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);

	assert_int_equal(fwrec_remove(dfd, "ctr-2", "eth0", &err), 0);
	assert_int_equal(fwrec_remove(dfd, "ctr-2", "eth0", &err), 0);
	close(dfd);
	free(a);
	free(got);
}

/* The names in @dfd, temporaries included. */
static int dir_entries(int dfd)
{
	int fd = dup(dfd), n = 0;
	DIR *d = fdopendir(fd);
	struct dirent *de;

	assert_non_null(d);
	rewinddir(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") != 0 &&
		     strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_save_replace(void **state)
{
	struct cni_err err = { 0 };
	struct fwrec *a = rec_new("ctr-1"), *got = calloc(1, sizeof(*got));
	bool found = false;
	int dfd = -1;

	(void)state;
	assert_int_equal(fwrec_dir_open(tmpdir, "net", true, &dfd, &err), 0);
	assert_int_equal(fwrec_save(dfd, a, &err), 0);
	/* Saved again, changed: replaced whole (the renamed temporary). */
	a->plan.masq = false;
	a->plan.n_ports = 1;
	assert_int_equal(fwrec_save(dfd, a, &err), 0);
	assert_int_equal(fwrec_load(dfd, "ctr-1", "eth0", got, &found, &err),
			 0);
	assert_true(found);
	assert_false(got->plan.masq);
	assert_int_equal(got->plan.n_ports, 1);
	/* Either way no temporary stays: the record is the only name. */
	assert_int_equal(dir_entries(dfd), 1);
	close(dfd);
	free(a);
	free(got);
}

/* Visiting one record, remove the other: as a DEL during a GC's listing. */
static int remove_other_cb(struct fwrec *rec, void *data)
{
	int *dfd = data;

	unlinkat(*dfd,
		 strcmp(rec->id, "ctr-1") == 0 ? "ctr-2:eth0" : "ctr-1:eth0",
		 0);
	return 0;
}

static void test_list_vanished(void **state)
{
	struct cni_err err = { 0 };
	struct fwrec *a = rec_new("ctr-1"), *b = rec_new("ctr-2");
	char path[128], out[256] = "";
	int dfd = -1, saved, fd;

	(void)state;
	assert_int_equal(fwrec_dir_open(tmpdir, "net", true, &dfd, &err), 0);
	assert_int_equal(fwrec_save(dfd, a, &err), 0);
	assert_int_equal(fwrec_save(dfd, b, &err), 0);
	/* What it says on stderr: the vanished record is no damage. */
	snprintf(path, sizeof(path), "%s/stderr", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(2);
	dup2(fd, 2);
	log_set_level(LOG_LVL_WARN);
	assert_int_equal(fwrec_list(dfd, remove_other_cb, &dfd, &err), 0);
	log_set_level(LOG_LVL_ERR);
	dup2(saved, 2);
	close(saved);
	assert_true(pread(fd, out, sizeof(out) - 1, 0) >= 0);
	close(fd);
	assert_string_equal(out, "");
	assert_int_equal(dir_entries(dfd), 1);
	close(dfd);
	free(a);
	free(b);
}

static void test_no_symlinks(void **state)
{
	struct cni_err err = { 0 };
	char path[256], target[256];
	int dfd = -2;

	/* .brisk/<network> as a symlink out of dataDir: refused. */
	snprintf(path, sizeof(path), "%s/.brisk", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/.brisk/evil", tmpdir);
	snprintf(target, sizeof(target), "%s", "/tmp");
	assert_int_equal(symlink(target, path), 0);
	assert_true(fwrec_dir_open(tmpdir, "evil", true, &dfd, &err) < 0);
	assert_int_equal(dfd, -1);
	assert_int_equal(err.code, CNI_ERR_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_replace, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_vanished, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_symlinks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_data_dir, setup,
						teardown),
	};

	log_set_level(LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
