// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "brisk/fsopen.h"

struct dir {
	char path[64];
	char buf[256];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	strcpy(d->path, "/tmp/brisk-fsopen.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

static const char *at(struct dir *d, const char *name)
{
	snprintf(d->buf, sizeof(d->buf), "%s/%s", d->path, name);
	return d->buf;
}

static void test_regular(void **state)
{
	struct dir *d = *state;
	char buf[8] = { 0 };
	mode_t mode = 0;
	int fd;

	fd = open(at(d, "f"), O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	fd = fsopen_typed(AT_FDCWD, at(d, "f"), O_RDONLY, S_IFREG, &mode);
	assert_true(fd >= 0);
	assert_true(S_ISREG(mode));
	assert_int_equal(read(fd, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

/* A FIFO with no writer: a plain open(O_RDONLY) would never return. */
static void test_fifo(void **state)
{
	struct dir *d = *state;
	mode_t mode = 0;

	assert_int_equal(mkfifo(at(d, "p"), 0600), 0);
	assert_int_equal(fsopen_typed(AT_FDCWD, at(d, "p"), O_RDONLY, S_IFREG,
				      &mode),
			 -EMEDIUMTYPE);
	assert_true(S_ISFIFO(mode));
	assert_string_equal(fsopen_kind(mode), "a FIFO");
	assert_int_equal(fsopen_typed(AT_FDCWD, at(d, "p"), O_WRONLY, S_IFREG,
				      NULL),
			 -EMEDIUMTYPE);
}

static void test_socket(void **state)
{
	struct dir *d = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t mode = 0;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", at(d, "s"));
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	assert_int_equal(fsopen_typed(AT_FDCWD, at(d, "s"), O_RDONLY, S_IFREG,
				      &mode),
			 -EMEDIUMTYPE);
	assert_string_equal(fsopen_kind(mode), "a socket");
}

static void test_dir_and_device(void **state)
{
	struct dir *d = *state;
	mode_t mode = 0;
	int fd;

	assert_int_equal(fsopen_typed(AT_FDCWD, d->path, O_RDONLY, S_IFREG,
				      &mode),
			 -EMEDIUMTYPE);
	assert_string_equal(fsopen_kind(mode), "a directory");
	fd = fsopen_typed(AT_FDCWD, d->path, O_RDONLY, S_IFDIR, NULL);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fsopen_typed(AT_FDCWD, "/dev/null", O_RDONLY, S_IFREG,
				      &mode),
			 -EMEDIUMTYPE);
	assert_string_equal(fsopen_kind(mode), "a character device");
}

static void test_missing_and_symlink(void **state)
{
	struct dir *d = *state;
	char target[256];
	int fd;

	assert_int_equal(fsopen_typed(AT_FDCWD, at(d, "none"), O_RDONLY,
				      S_IFREG, NULL),
			 -ENOENT);
	snprintf(target, sizeof(target), "%s", at(d, "t"));
	fd = open(target, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(target, at(d, "l")), 0);
	/* Followed unless O_NOFOLLOW says otherwise, as with open(). */
	fd = fsopen_typed(AT_FDCWD, at(d, "l"), O_RDONLY, S_IFREG, NULL);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fsopen_typed(AT_FDCWD, at(d, "l"),
				      O_RDONLY | O_NOFOLLOW, S_IFREG, NULL),
			 -ELOOP);
}

/* The store's openers: under a directory fd, never a symlink or a FIFO. */
static void test_store_openers(void **state)
{
	struct dir *d = *state;
	struct stat st;
	int dfd, fd, r;

	assert_int_equal(fsopen_dir(AT_FDCWD, at(d, "sub"), 0), -ENOENT);
	dfd = fsopen_dir(AT_FDCWD, at(d, "sub"), 0700);
	assert_true(dfd >= 0);
	assert_int_equal(fstat(dfd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(symlink(d->path, at(d, "sub/up")), 0);
	/* O_DIRECTORY makes a symlink -ENOTDIR rather than -ELOOP. */
	r = fsopen_dir(dfd, "up", 0700);
	assert_true(r == -ENOTDIR || r == -ELOOP);
	assert_int_equal(fsopen_file(dfd, "f", O_RDWR, NULL), -ENOENT);
	fd = fsopen_file(dfd, "f", O_RDWR | O_CREAT, NULL);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(symlinkat("f", dfd, "l"), 0);
	assert_int_equal(fsopen_file(dfd, "l", O_RDONLY, NULL), -ELOOP);
	assert_int_equal(mkfifoat(dfd, "p", 0600), 0);
	assert_int_equal(fsopen_file(dfd, "p", O_RDONLY, &st), -EMEDIUMTYPE);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(fsopen_file(dfd, "up", O_RDONLY, NULL), -ELOOP);
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_and_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_symlink, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_openers, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
