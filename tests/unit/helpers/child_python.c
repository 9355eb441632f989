// SPDX-License-Identifier: BSD-3-Clause
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "child_python.h"

pid_t child_python_start(const char *python, const char *script, FILE **out)
{
	int fds[2];
	pid_t pid;

	if (access(python, X_OK))
		cr_skip_test("%s is not installed", python);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* even if the test crashes */
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(python, python, "-c", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	if (out) {
		*out = fdopen(fds[0], "r");
		cr_assert_not_null(*out);
	} else {
		close(fds[0]);
	}
	return pid;
}

pid_t child_python_spinning(const char *python)
{
	FILE *out;
	pid_t pid = child_python_start(python,
				       "import sys\n"
				       "def spin():\n"
				       "    while True: pass\n"
				       "sys.stdout.write('r'); sys.stdout.flush(); spin()\n", &out);

	cr_assert_eq(fgetc(out), 'r', "%s did not start", python);
	fclose(out);
	return pid;
}

void child_python_stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		*pid = -1;
	}
}
