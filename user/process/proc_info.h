/* SPDX-License-Identifier: BSD-3-Clause */
/* What /proc says of a process or thread: names, state, namespace, cgroup, CPU time. */
#ifndef PYBPF_PROCESS_PROC_INFO_H
#define PYBPF_PROCESS_PROC_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read a small /proc file into BUF (NUL-terminated); bytes read or -1. */
ssize_t read_small_file(const char *path, char *buf, size_t size);

/* Command line of PID with NULs turned into spaces; "" if unreadable. */
void proc_cmdline(pid_t pid, char *buf, size_t size);

/* comm of a process or thread (TID == 0: the process). */
void proc_comm(pid_t pid, pid_t tid, char *buf, size_t size);

/* The state letter of /proc/PID/task/TID/stat ('R', 'S', 'D'...), '?' if unreadable. */
char proc_task_state(pid_t pid, pid_t tid);

/* The system call TID is blocked in (/proc/PID/task/TID/syscall), or -1. */
int proc_task_syscall(pid_t pid, pid_t tid);

/* PID as seen inside its own (innermost) pid namespace. */
pid_t proc_ns_pid(pid_t pid);

/*
 * Whether one of the process's cgroup paths (any v1 hierarchy or the v2
 * one, e.g. "/system.slice/docker-ID.scope") contains NEEDLE.
 */
bool proc_in_cgroup(pid_t pid, const char *needle);

/* Whether PID exists and is not a zombie. */
bool proc_alive(pid_t pid);

/* The CPU time (user + system) all of PID's threads have used, in ns. */
bool proc_cpu_ns(pid_t pid, uint64_t *ns);

/*
 * PID's resident anonymous and shared-memory bytes (/proc/PID/status's
 * RssAnon and RssShmem: the kernel's counters that rss_stat reports);
 * false if it cannot be read.
 */
bool proc_resident(pid_t pid, uint64_t *anon, uint64_t *shmem);

/* The file name of the executable PID runs (/proc/PID/exe), "" if unreadable. */
void proc_executable_name(pid_t pid, char *buf, size_t size);

/* A container id is 64 hex digits (Docker, containerd, CRI-O, Podman). */
#define CONTAINER_ID_LEN 64

/*
 * The id of the container PID runs in, from its cgroup paths (BUF: at
 * least CONTAINER_ID_LEN + 1 bytes); false if none names one.
 */
bool proc_container_id(pid_t pid, char *buf, size_t size);

/* The same, from the text of a /proc/PID/cgroup file. */
bool cgroup_container_id(const char *cgroup_text, char *buf, size_t size);

/* When PID started, in clock ticks since boot: with the PID, names one process for good. 0 if gone. */
uint64_t proc_start_ticks(pid_t pid);

#endif
