// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "brisk/cleanup.h"
#include "brisk/fsopen.h"
#include "brisk/netns.h"
#include "brisk/sysctl.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static bool same_inode(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int netns_open(const char *path, int *ret_fd, struct cni_err *err)
{
	_cleanup_close_ int fd = -1;
	struct statfs sfs;
	mode_t mode = 0;

	/* A FIFO here would hang a plain open() for good. */
	fd = fsopen_typed(AT_FDCWD, path, O_RDONLY, S_IFREG, &mode);
	if (fd == -ENOENT)
		return -ENOENT;
	if (fd == -EMEDIUMTYPE)
		return cni_err_set(
			err, CNI_ERR_ENV, EINVAL,
			"CNI_NETNS: %.200s is %s, not a network namespace",
			path, fsopen_kind(mode));
	if (fd < 0)
		return cni_err_set(err, CNI_ERR_ENV, -fd,
				   "CNI_NETNS: cannot open %.200s", path);
	if (fstatfs(fd, &sfs) < 0 || ((unsigned long)sfs.f_type != NSFS_MAGIC &&
				      (unsigned long)sfs.f_type != PROC_SUPER_MAGIC))
		return cni_err_set(err, CNI_ERR_ENV, EINVAL,
				   "CNI_NETNS: %.200s is not a network namespace",
				   path);
	/* nsfs holds every kind of namespace: ask the kernel which this is. */
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return cni_err_set(err, CNI_ERR_ENV, EINVAL,
				   "CNI_NETNS: %.200s is not a network namespace",
				   path);
	if (same_inode(fd, "/proc/self/ns/net"))
		return cni_err_set(err, CNI_ERR_ENV, EPERM,
				   "CNI_NETNS: %.200s is the plugin's own namespace",
				   path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Enter @nsfd; *@ret_self is the plugin's own namespace to come back to. */
static int netns_enter(int nsfd, int *ret_self, struct cni_err *err)
{
	*ret_self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*ret_self < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, errno,
				   "cannot open own network namespace");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, errno,
				   "cannot enter the container namespace");
	return 0;
}

static int netns_leave(int self, struct cni_err *err)
{
	if (setns(self, CLONE_NEWNET) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, errno,
				   "cannot return to the host namespace");
	return 0;
}

int netns_netlink_open(int nsfd, struct netlink *ret, struct cni_err *err)
{
	_cleanup_close_ int self = -1;
	int r, rl;

	r = netns_enter(nsfd, &self, err);
	if (r < 0)
		return r;
	/* A socket stays bound to the namespace it was created in. */
	r = netlink_open(ret, err);
	rl = netns_leave(self, err);
	if (rl < 0) {
		/* Carrying on in the wrong namespace would be worse than dying. */
		netlink_close(ret);
		return rl;
	}
	return r;
}

int netns_sysctl_apply(int nsfd, const struct sysctl_set *s, size_t n,
		       struct cni_err *err)
{
	_cleanup_close_ int self = -1;
	int r, rl;

	/* /proc/sys/net shows the namespace of whoever looks it up. */
	r = netns_enter(nsfd, &self, err);
	if (r < 0)
		return r;
	r = sysctl_apply(s, n, err);
	rl = netns_leave(self, err);
	return rl < 0 ? rl : r;
}
