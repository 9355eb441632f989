// SPDX-License-Identifier: BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include "base/array.h"
#include "session/wall_clock.h"

/* One thread's wall time: its wait, or how long it has been running. */
struct off_cpu_wait {
	struct prof_thread *thread;
	uint64_t since_ns;		/* off the CPU since; 0: on a CPU */
	/* On a CPU since its return or its last sample counted; 0: unknown. */
	uint64_t running_ns;
	uint32_t pid;			/* its process, where known (0: not yet) */
	uint32_t *frames;
	size_t depth, cap;
};

void wall_clock_init(struct wall_clock *w, struct profile *profile)
{
	memset(w, 0, sizeof(*w));
	w->profile = profile;
}

void wall_clock_free(struct wall_clock *w)
{
	struct hmap_slot *slot;

	hmap_for_each(&w->waits, slot) {
		struct off_cpu_wait *wait = (struct off_cpu_wait *)slot->value;

		if (wait)
			free(wait->frames);
		free(wait);
	}
	hmap_free(&w->waits);
}

/* x86_64 system calls a Python thread commonly waits in, by what they mean. */
static const char *syscall_state(int32_t nr)
{
	switch (nr) {
	case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_pause:
		return "[sleeping]";
	case SYS_read: case SYS_pread64: case SYS_readv: case SYS_preadv: case SYS_preadv2:
	case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg:
		return "[I/O: read]";
	case SYS_write: case SYS_pwrite64: case SYS_writev: case SYS_pwritev: case SYS_pwritev2:
	case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg: case SYS_fsync: case SYS_fdatasync:
		return "[I/O: write]";
	case SYS_select: case SYS_pselect6: case SYS_poll: case SYS_ppoll:
	case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2:
		return "[I/O: waiting for events]";
	case SYS_accept: case SYS_accept4: case SYS_connect:
		return "[I/O: network]";
	case SYS_wait4: case SYS_waitid:
		return "[waiting for a child process]";
	case SYS_futex: case SYS_futex_waitv:
		return "[waiting for a lock]";
	case SYS_sched_yield:
		return "[yielded the CPU]";
	default:
		return NULL;
	}
}

uint32_t wall_clock_state_frame(struct wall_clock *w, uint8_t task_state, int32_t syscall,
				bool gil_wait)
{
	const char *state;

	if (gil_wait)
		state = "[waiting for the GIL]";
	else if (task_state == 0)
		state = "[runnable: waiting for a CPU]";	/* preempted */
	else if (!(state = syscall_state(syscall)))
		state = syscall >= 0 ? "[off-CPU: in a system call]" : "[off-CPU]";
	return profile_frame(w->profile, state, "", 0);
}

/* Thread TID's entry, made if it has none; NULL: out of memory. */
static struct off_cpu_wait *thread_wait(struct wall_clock *w, uint32_t tid)
{
	bool created;
	uintptr_t *slot = hmap_upsert(&w->waits, &tid, sizeof(tid), &created);

	if (!slot)
		return NULL;
	if (created)
		*slot = (uintptr_t)calloc(1, sizeof(struct off_cpu_wait));
	return (struct off_cpu_wait *)*slot;
}

/* The microseconds WAIT's thread has run since it was last counted, up to NOW_NS. */
static uint64_t take_running(struct off_cpu_wait *wait, uint64_t now_ns)
{
	uint64_t us = 0;

	if (wait->running_ns && now_ns > wait->running_ns)
		us = (now_ns - wait->running_ns + 500) / 1000;
	wait->running_ns = now_ns;
	return us;
}

void wall_clock_leave(struct wall_clock *w, struct prof_thread *th, uint32_t tid,
		      const uint32_t *frames, size_t depth, uint64_t now_ns)
{
	struct off_cpu_wait *wait = thread_wait(w, tid);
	uint64_t ran;

	if (!wait || array_reserve(&wait->frames, &wait->cap, depth, sizeof(*frames))) {
		w->waits_lost++;
		return;
	}
	/* Its run since the last sample, under the code it left the CPU in. */
	ran = take_running(wait, now_ns);
	wait->running_ns = 0;		/* timed again from its return */
	if (ran && depth > 1)
		profile_add_at(w->profile, th, frames, depth - 1, ran, profile_time(w->profile, now_ns));
	memcpy(wait->frames, frames, depth * sizeof(*frames));
	wait->depth = depth;
	wait->thread = th;
	wait->pid = th->pid;
	wait->since_ns = now_ns;
}

static void add_wait(struct wall_clock *w, struct off_cpu_wait *wait, uint64_t now_ns)
{
	uint64_t us;

	if (!wait || !wait->since_ns)
		return;
	us = now_ns > wait->since_ns ? (now_ns - wait->since_ns + 500) / 1000 : 0;
	wait->since_ns = 0;
	/* A wait is a sample of when it ended: a return, an exit, an exec, the end. */
	if (us && !profile_add_at(w->profile, wait->thread, wait->frames, wait->depth, us,
				  profile_time(w->profile, now_ns)))
		w->waits_added++;
}

void wall_clock_return(struct wall_clock *w, uint32_t pid, uint32_t tid, uint64_t now_ns)
{
	struct off_cpu_wait *wait = thread_wait(w, tid);

	if (!wait)
		return;
	add_wait(w, wait, now_ns);
	wait->pid = pid;
	wait->running_ns = now_ns;
}

uint64_t wall_clock_run(struct wall_clock *w, uint32_t pid, uint32_t tid, uint64_t now_ns,
			uint64_t nominal_us)
{
	struct off_cpu_wait *wait = thread_wait(w, tid);

	if (!wait)
		return nominal_us;
	wait->pid = pid;
	if (!wait->running_ns) {
		/* Running since before anything was heard of it: timed from now on. */
		wait->running_ns = now_ns;
		return nominal_us;
	}
	return take_running(wait, now_ns);
}

void wall_clock_end(struct wall_clock *w, uint32_t pid, uint64_t now_ns)
{
	struct hmap_slot *slot;
	uint32_t *gone = NULL;		/* PID's threads, removed after the walk: a removal moves entries */
	size_t ngone = 0, gone_cap = 0;

	hmap_for_each(&w->waits, slot) {
		struct off_cpu_wait *wait = (struct off_cpu_wait *)slot->value;

		if (!wait || (pid && wait->pid != pid))
			continue;
		add_wait(w, wait, now_ns);
		wait->running_ns = 0;	/* if kept, a later thread with its tid starts afresh */
		/*
		 * A process that ended leaves no entries: a host with processes
		 * coming and going must not keep one per thread that ever ran.
		 * Out of memory, they stay.
		 */
		if (!pid || array_reserve(&gone, &gone_cap, ngone + 1, sizeof(*gone)))
			continue;
		gone[ngone++] = *(const uint32_t *)slot->key;
		free(wait->frames);
		free(wait);
		slot->value = 0;
	}
	for (size_t i = 0; i < ngone; i++)
		hmap_remove(&w->waits, &gone[i], sizeof(gone[i]));
	free(gone);
}
