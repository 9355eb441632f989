// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

int array_reserve(void *arr, size_t *cap, size_t need, size_t size)
{
	void **p = arr;
	size_t n = *cap ? *cap : 16;
	void *mem;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	mem = realloc(*p, n * size);
	if (!mem)
		return -ENOMEM;
	*p = mem;
	*cap = n;
	return 0;
}

ssize_t read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

void proc_cmdline(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	n = read_small_file(path, buf, size);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
}

void proc_comm(pid_t pid, pid_t tid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	n = read_small_file(path, buf, size);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

pid_t proc_ns_pid(pid_t pid)
{
	char path[64], status[4096], *line, *last;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_small_file(path, status, sizeof(status)) <= 0)
		return pid;
	line = strstr(status, "\nNSpid:");
	if (!line)
		return pid;
	line += strlen("\nNSpid:");
	line[strcspn(line, "\n")] = '\0';
	/* One pid per nested namespace, outermost first. */
	last = strrchr(line, '\t');
	return last ? (pid_t)atoi(last + 1) : pid;
}

bool proc_in_cgroup(pid_t pid, const char *needle)
{
	char path[64], text[8192], *line, *save = NULL, *cg;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (read_small_file(path, text, sizeof(text)) <= 0)
		return false;
	/* Lines are "ID:CONTROLLERS:PATH"; a path may itself contain ':'. */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cg = strchr(line, ':');
		cg = cg ? strchr(cg + 1, ':') : NULL;
		if (cg && strstr(cg + 1, needle))
			return true;
	}
	return false;
}

bool proc_alive(pid_t pid)
{
	char path[64], stat[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small_file(path, stat, sizeof(stat)) <= 0)
		return false;
	/* The state follows the last ')' since comm may contain anything. */
	p = strrchr(stat, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

bool proc_cpu_ns(pid_t pid, uint64_t *ns)
{
	char path[64], stat[512], *p;
	unsigned long long utime, stime;
	long ticks = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ticks <= 0 || read_small_file(path, stat, sizeof(stat)) <= 0)
		return false;
	/* Fields 14 and 15; the 11 before them follow the last ')' of comm. */
	p = strrchr(stat, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &utime, &stime) != 2)
		return false;
	*ns = (utime + stime) * (1000000000ULL / (unsigned long long)ticks);
	return true;
}

uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int stop_signals_fd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

static void (*second_sigint_cleanup)(void);

/* Clean up, then die of the SIGINT as the default action would (exit 130 in a shell). */
static void on_second_sigint(int signo)
{
	if (second_sigint_cleanup)
		second_sigint_cleanup();
	raise(signo);	/* SA_RESETHAND: delivered, with the default action, on return */
}

void unblock_sigint(void (*cleanup)(void))
{
	struct sigaction sa = { .sa_handler = on_second_sigint, .sa_flags = SA_RESETHAND };
	sigset_t mask;

	second_sigint_cleanup = cleanup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

void timerfd_arm_at(int fd, uint64_t deadline_ns)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = deadline_ns / 1000000000ULL;
	its.it_value.tv_nsec = deadline_ns % 1000000000ULL;
	timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}

char proc_task_state(pid_t pid, pid_t tid)
{
	char path[64], stat[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (read_small_file(path, stat, sizeof(stat)) <= 0)
		return '?';
	p = strrchr(stat, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

int proc_task_syscall(pid_t pid, pid_t tid)
{
	char path[64], text[256], *end;
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	if (read_small_file(path, text, sizeof(text)) <= 0)
		return -1;
	nr = strtol(text, &end, 10);
	return end == text ? -1 : (int)nr;
}
