// SPDX-License-Identifier: Apache-2.0
/*
 * The firewall lock (see fw_lock): a bound abstract unix socket, under
 * the name it had when it guarded host ports only, so that an older
 * brisk's ADD with host ports still excludes a newer one. Abstract names
 * live in the network namespace, so the lock is per namespace like the
 * tables it guards, and the kernel drops it with the process, however
 * that ends: no file to clean up, no stale lock after a crash.
 */
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "brisk/fw.h"

#define FW_LOCK_NAME "brisk/fw/hostports"
#define FW_LOCK_TIMEOUT_MS 10000

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fw_lock(struct fw *fw, struct cni_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 +
			sizeof(FW_LOCK_NAME) - 1;
	long deadline = now_ms() + FW_LOCK_TIMEOUT_MS;
	long wait_us = 200;
	int fd;

	if (fw->lock_fd >= 0)
		return 0;
	memcpy(sa.sun_path + 1, FW_LOCK_NAME, sizeof(FW_LOCK_NAME) - 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, errno,
				   "firewall lock: cannot make a socket");
	/* A bind cannot wait: retry, backing off, up to the deadline. */
	while (bind(fd, (struct sockaddr *)&sa, len) < 0) {
		int e = errno;

		if (e != EADDRINUSE || now_ms() >= deadline) {
			close(fd);
			if (e == EADDRINUSE)
				return cni_err_set(
					err, CNI_ERR_TRY_AGAIN, e,
					"firewall lock held by another call for %d s",
					FW_LOCK_TIMEOUT_MS / 1000);
			return cni_err_set(err, CNI_ERR_INTERNAL, e,
					   "firewall lock: bind");
		}
		usleep((useconds_t)wait_us);
		if (wait_us < 20000)
			wait_us *= 2;
	}
	fw->lock_fd = fd;
	return 0;
}
