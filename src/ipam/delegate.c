// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brisk/cleanup.h"
#include "brisk/delegate.h"
#include "brisk/jsonget.h"

extern char **environ;

/* A result is small; anything larger is hostile. */
#define DELEGATE_OUT_MAX (1024 * 1024)

/* First executable <dir>/<type> along CNI_PATH. */
static int delegate_find(const char *path, const char *type, char *ret,
			 size_t n, struct cni_err *err)
{
	const char *p = path;

	if (!*path)
		return cni_err_set(err, CNI_ERR_ENV, EINVAL,
				   "CNI_PATH is required to run ipam plugin %s",
				   type);
	while (*p) {
		size_t len = strcspn(p, ":");

		if (len > 0 &&
		    (size_t)snprintf(ret, n, "%.*s/%s", (int)len, p, type) <
			    n &&
		    access(ret, X_OK) == 0)
			return 0;
		p += len + (p[len] == ':');
	}
	return cni_err_set(err, CNI_ERR_CONFIG, ENOENT,
			   "ipam.type: plugin %s not found in CNI_PATH", type);
}

/* The child's environment: ours with CNI_COMMAND replaced. */
static char **delegate_env(const char *cmd, char *cmdvar, size_t n)
{
	size_t count = 0, j = 0;
	char **env;

	while (environ[count])
		count++;
	env = calloc(count + 2, sizeof(*env));
	if (!env)
		return NULL;
	snprintf(cmdvar, n, "CNI_COMMAND=%s", cmd);
	env[j++] = cmdvar;
	for (size_t i = 0; i < count; i++)
		if (strncmp(environ[i], "CNI_COMMAND=", 12) != 0)
			env[j++] = environ[i];
	return env;
}

static int delegate_spawn(const char *bin, char **env, int in, int out,
			  pid_t *ret_pid, struct cni_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char *argv[] = { (char *)bin, NULL };
	sigset_t none, dfl;
	int r;

	/* The plugin gets a clean signal state, not our blocked mask. */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
	r = posix_spawn(ret_pid, bin, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, r, "cannot run %s",
				   bin);
	return 0;
}

/* The plugin's answer: all of @fd, up to DELEGATE_OUT_MAX bytes. */
static int delegate_read(int fd, char **ret, size_t *ret_len,
			 struct cni_err *err)
{
	_cleanup_free_ char *buf = malloc(DELEGATE_OUT_MAX + 1);
	size_t len = 0;
	ssize_t n = 1;

	if (!buf)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	while (n != 0 && len <= DELEGATE_OUT_MAX) {
		n = read(fd, buf + len, DELEGATE_OUT_MAX + 1 - len);
		if (n < 0 && errno != EINTR)
			return cni_err_set(
				err, CNI_ERR_IO, errno,
				"cannot read the ipam plugin's output");
		len += n > 0 ? (size_t)n : 0;
	}
	if (len > DELEGATE_OUT_MAX)
		return cni_err_set(err, CNI_ERR_DECODE, EFBIG,
				   "ipam plugin output larger than %d bytes",
				   DELEGATE_OUT_MAX);
	buf[len] = '\0';
	*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* The config goes in a memfd, so a plugin that never reads cannot block us. */
static int delegate_stdin(json_t *conf, int *ret_fd, struct cni_err *err)
{
	_cleanup_free_ char *text = json_dumps(conf, JSON_COMPACT);
	_cleanup_close_ int fd = -1;
	size_t len = text ? strlen(text) : 0;

	if (!text)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	/* A memfd takes it in one write, short only when memory is out. */
	fd = memfd_create("cni-config", MFD_CLOEXEC);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, errno,
				   "cannot pass the config to the ipam plugin");
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int delegate_exec(const char *bin, const char *cmd, json_t *conf,
			 char **ret_out, size_t *ret_len, int *ret_status,
			 struct cni_err *err)
{
	_cleanup_close_ int in = -1, rd = -1, wr = -1;
	_cleanup_free_ char **env = NULL;
	char cmdvar[32];
	int p[2], r;
	pid_t pid;

	r = delegate_stdin(conf, &in, err);
	if (r < 0)
		return r;
	if (pipe2(p, O_CLOEXEC) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, errno, "pipe failed");
	rd = p[0];
	wr = p[1];
	env = delegate_env(cmd, cmdvar, sizeof(cmdvar));
	if (!env)
		return cni_err_set(err, CNI_ERR_INTERNAL, ENOMEM,
				   "out of memory");
	r = delegate_spawn(bin, env, in, wr, &pid, err);
	if (r < 0)
		return r;
	close(TAKE_FD(wr));
	r = delegate_read(rd, ret_out, ret_len, err);
	while (waitpid(pid, ret_status, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* A failing plugin's own error object, passed through as it is. */
static int delegate_fail(const char *type, const char *out, size_t len,
			 struct cni_err *err)
{
	_cleanup_json_ json_t *j = json_loadb(out, len, 0, NULL);
	json_t *code = json_object_get(j, "code");
	const char *msg = json_string_value(json_object_get(j, "msg"));
	const char *det = json_string_value(json_object_get(j, "details"));

	if (!json_is_integer(code) || !msg)
		return cni_err_set(err, CNI_ERR_INTERNAL, EIO,
				   "ipam plugin %s failed", type);
	cni_err_set(err, (int)json_integer_value(code), EIO, "%s", msg);
	err->details[0] = '\0';
	if (det)
		cni_err_detail(err, "%s", det);
	return -EIO;
}

int delegate_run(const char *cni_path, const char *cmd, const char *type,
		 json_t *conf, json_t **ret_result, struct cni_err *err)
{
	_cleanup_free_ char *out = NULL;
	char bin[PATH_MAX];
	size_t len = 0;
	int status = 0, r;

	r = delegate_find(cni_path, type, bin, sizeof(bin), err);
	if (r < 0)
		return r;
	r = delegate_exec(bin, cmd, conf, &out, &len, &status, err);
	if (r < 0)
		return r;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return delegate_fail(type, out, len, err);
	if (!ret_result)
		return 0;
	*ret_result = json_loadb(out, len, 0, NULL);
	if (!json_is_object(*ret_result))
		return cni_err_set(
			err, CNI_ERR_DECODE, EINVAL,
			"ipam plugin %s: result is not a JSON object", type);
	return 0;
}
