// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "session/launch.h"

/* Under sudo, become the user who ran sudo: the command is theirs, not root's. */
static int drop_to_sudo_user(void)
{
	const char *uid_s = getenv("SUDO_UID"), *gid_s = getenv("SUDO_GID");
	const char *user = getenv("SUDO_USER");
	uid_t uid;
	gid_t gid;

	if (getuid() != 0 || !uid_s || !gid_s)
		return 0;
	uid = (uid_t)strtoul(uid_s, NULL, 10);
	gid = (gid_t)strtoul(gid_s, NULL, 10);
	if ((user ? initgroups(user, gid) : setgroups(0, NULL)) || setgid(gid) || setuid(uid))
		return -errno;
	return 0;
}

int launch_prepare(struct launch *l, char *const argv[], char *err, size_t errlen)
{
	int gate[2], e;
	char go;

	l->pid = -1;
	l->gate = l->pidfd = -1;
	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	l->pid = fork();
	if (l->pid < 0) {
		e = errno;
		close(gate[0]);
		close(gate[1]);
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(e));
		return -e;
	}
	if (l->pid == 0) {
		close(gate[1]);
		/* Wait for the parent to watch this pid; EOF is the go signal. */
		while (read(gate[0], &go, 1) < 0 && errno == EINTR)
			;
		/* pybpf blocks these for its signalfd: the command must not inherit that. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (drop_to_sudo_user()) {
			fprintf(stderr, "pybpf: error: cannot switch to the sudo user: %s\n", strerror(errno));
			_exit(126);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "pybpf: error: cannot run %s: %s (check the command and your PATH)\n",
			argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(gate[0]);
	l->gate = gate[1];
	l->pidfd = syscall(SYS_pidfd_open, l->pid, 0);
	if (l->pidfd < 0) {
		e = errno;
		launch_abort(l);
		snprintf(err, errlen, "cannot watch the command: pidfd_open: %s", strerror(e));
		return -e;
	}
	return 0;
}

void launch_release(struct launch *l)
{
	if (l->gate >= 0)
		close(l->gate);
	l->gate = -1;
}

int launch_wait(struct launch *l)
{
	int status;

	if (l->pid <= 0)
		return 1;
	while (waitpid(l->pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	l->pid = -1;
	if (l->pidfd >= 0)
		close(l->pidfd);
	l->pidfd = -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

void launch_abort(struct launch *l)
{
	if (l->pid > 0) {
		kill(l->pid, SIGKILL);
		launch_release(l);
		launch_wait(l);
	}
	launch_release(l);
}
