// SPDX-License-Identifier: BSD-3-Clause
/* /proc readers used to name and filter processes. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "process/proc_info.h"

Test(proc_info, ns_pid_of_a_process_in_the_host_namespace_is_its_pid)
{
	cr_assert_eq(proc_ns_pid(getpid()), getpid());
}

Test(proc_info, ns_pid_inside_a_new_pid_namespace)
{
	/* unshare --fork: the child is pid 1 in its namespace. */
	/* However long the machine takes to fork it: a minute bounds only a failure. */
	FILE *p = popen("unshare --pid --fork --kill-child sleep 60 2>/dev/null & U=$!; "
			"for i in $(seq 600); do C=$(cat /proc/$U/task/$U/children); "
			"[ -n \"$C\" ] && break; sleep 0.1; done; echo $C; wait", "r");
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

	siginfo_t info;

	if (child == 0)
		_exit(0);
	/* Until it has exited, left a zombie (WNOWAIT: not reaped). */
	cr_assert_eq(waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);
	cr_assert_not(proc_alive(child), "a zombie is not alive");
	waitpid(child, NULL, 0);
	cr_assert_not(proc_alive(child));
	cr_assert(proc_alive(getpid()));
}

Test(proc_info, cpu_time_of_a_process)
{
	struct timespec ts;
	uint64_t before, after, start_ns, now_ns;

	cr_assert(proc_cpu_ns(getpid(), &before));
	/* 100 ms of this process's CPU time, however long that takes here. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	start_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	do {
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		now_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	} while (now_ns - start_ns < 100000000ULL);
	cr_assert(proc_cpu_ns(getpid(), &after));
	/* Clock ticks (10 ms at most) each end are the readings' resolution. */
	cr_assert_geq(after - before, 70000000ULL, "%llu ns", (unsigned long long)(after - before));
	cr_assert_leq(after, now_ns + 20000000ULL);
	cr_assert_not(proc_cpu_ns(0x7ffffff0, &after), "a missing process has no CPU time");
}

/* A container's id from the cgroup paths container runtimes make; none on a host's own. */
Test(proc_info, container_ids_from_cgroup_paths)
{
	const char *id = "4f1c2d7e9a0b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5";
	char text[1024], got[CONTAINER_ID_LEN + 1];
	const char *forms[] = {
		"0::/system.slice/docker-%s.scope\n",
		"12:pids:/docker/%s\n0::/docker/%s\n",
		"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-%s.scope\n",
		"0::/machine.slice/libpod-%s.scope/container\n",
		"0::/kubepods/besteffort/pod0e3a-44/%s\n",
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(text, sizeof(text), forms[i], id, id);
		cr_assert(cgroup_container_id(text, got, sizeof(got)), "%s", text);
		cr_assert_str_eq(got, id);
	}
	cr_assert_not(cgroup_container_id("0::/user.slice/user-0.slice/session-3.scope\n", got, sizeof(got)));
	cr_assert_not(cgroup_container_id("0::/\n", got, sizeof(got)));
	/* 63 or 65 hex digits are no id. */
	cr_assert_not(cgroup_container_id("0::/docker/4f1c2d7e9a0b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d\n",
					  got, sizeof(got)));
	cr_assert_not(cgroup_container_id("0::/docker/4f1c2d7e9a0b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e\n",
					  got, sizeof(got)));
}
