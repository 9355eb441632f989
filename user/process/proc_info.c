// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "process/proc_info.h"

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

uint64_t proc_start_ticks(pid_t pid)
{
	char path[64], stat[512], *p;
	unsigned long long start;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small_file(path, stat, sizeof(stat)) <= 0 || !(p = strrchr(stat, ')')))
		return 0;
	/* Field 22; the 19 before it follow comm. */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &start) != 1)
		return 0;
	return start;
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

/* The kB count after "\nKEY:" in a /proc status file, in bytes. */
static bool status_kb(const char *status, const char *key, uint64_t *bytes)
{
	const char *p = strstr(status, key);
	unsigned long long kb;

	if (!p || sscanf(p + strlen(key), " %llu kB", &kb) != 1)
		return false;
	*bytes = kb << 10;
	return true;
}

bool proc_resident(pid_t pid, uint64_t *anon, uint64_t *shmem)
{
	char path[64], status[4096];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_small_file(path, status, sizeof(status)) <= 0)
		return false;
	return status_kb(status, "\nRssAnon:", anon) && status_kb(status, "\nRssShmem:", shmem);
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

void proc_executable_name(pid_t pid, char *buf, size_t size)
{
	char path[64], target[4096], *base;
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	/* A file replaced since it started reads "PATH (deleted)": the name is still PATH's. */
	if (n > 10 && !strcmp(target + n - 10, " (deleted)"))
		target[n - 10] = '\0';
	base = strrchr(target, '/');
	snprintf(buf, size, "%s", base ? base + 1 : target);
}

/* The length of the run of lowercase hex digits at S. */
static size_t hex_run(const char *s)
{
	size_t n = 0;

	while ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))
		n++;
	return n;
}

bool cgroup_container_id(const char *text, char *buf, size_t size)
{
	const char *found = NULL;

	if (size < CONTAINER_ID_LEN + 1)
		return false;
	/*
	 * Runtimes name a container's cgroup by its 64-hex-digit id:
	 * docker-ID.scope, /docker/ID, cri-containerd-ID.scope, crio-ID.scope,
	 * libpod-ID.scope, /kubepods/.../ID.  The last such id is the innermost.
	 */
	for (const char *s = text; *s;) {
		size_t run = hex_run(s);

		if (run == CONTAINER_ID_LEN)
			found = s;
		s += run ? run : 1;
	}
	if (!found)
		return false;
	memcpy(buf, found, CONTAINER_ID_LEN);
	buf[CONTAINER_ID_LEN] = '\0';
	return true;
}

bool proc_container_id(pid_t pid, char *buf, size_t size)
{
	char path[64], text[8192];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	return read_small_file(path, text, sizeof(text)) > 0 && cgroup_container_id(text, buf, size);
}
