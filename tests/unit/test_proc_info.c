// SPDX-License-Identifier: BSD-3-Clause
/* /proc readers used to name and filter processes. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util.h"

Test(proc_info, ns_pid_of_a_process_in_the_host_namespace_is_its_pid)
{
	cr_assert_eq(proc_ns_pid(getpid()), getpid());
}

Test(proc_info, ns_pid_inside_a_new_pid_namespace)
{
	/* unshare --fork: the child is pid 1 in its namespace. */
	FILE *p = popen("unshare --pid --fork --kill-child sleep 5 2>/dev/null & U=$!; sleep 0.3; "
			"cat /proc/$U/task/$U/children; wait", "r");
	int child = 0;

	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%d", &child), 1, "no child of unshare");
	cr_assert_eq(proc_ns_pid(child), 1);
	kill(child, SIGKILL);
	pclose(p);
}

Test(proc_info, cgroup_paths_match_any_hierarchy)
{
	char path[64], text[8192], *colon;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", getpid());
	cr_assert_gt(read_small_file(path, text, sizeof(text)), 0);
	/* Our own first path, whatever the hierarchy, must match itself. */
	colon = strchr(strchr(text, ':') + 1, ':') + 1;
	colon[strcspn(colon, "\n")] = '\0';
	cr_assert(proc_in_cgroup(getpid(), colon), "path %s", colon);
	cr_assert_not(proc_in_cgroup(getpid(), "no-such-cgroup-anywhere-42"));
	cr_assert_not(proc_in_cgroup(0x7ffffff0, "/"), "a missing process is in no cgroup");
}

Test(proc_info, alive_and_zombies)
{
	pid_t child = fork();

	if (child == 0)
		_exit(0);
	usleep(200 * 1000);
	cr_assert_not(proc_alive(child), "a zombie is not alive");
	waitpid(child, NULL, 0);
	cr_assert_not(proc_alive(child));
	cr_assert(proc_alive(getpid()));
}
