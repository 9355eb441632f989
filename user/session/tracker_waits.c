// SPDX-License-Identifier: BSD-3-Clause
/*
 * --mode wall: the threads already waiting when profiling starts.  Their
 * waits began before pybpf saw a switch, so each gets its stack read from
 * the live process and its wait open from the start.
 */
#include <stdlib.h>
#include "process/proc_info.h"
#include "python/py_walk.h"
#include "session/tracker.h"

struct waits_ctx {
	struct tracker *t;
	struct tracked *tr;
	uint64_t now_ns;
	uint32_t frames[PYPERF_MAX_FRAMES + 1];
};

static int start_wait(void *arg, uint64_t interp, uint64_t tstate)
{
	struct waits_ctx *c = arg;
	struct tracked *tr = c->tr;
	struct prof_thread *th;
	char state;
	size_t n;
	pid_t tid;

	if (py_thread_tid(&tr->target, tstate, &tid))
		return 0;
	state = proc_task_state(tr->pid, tid);
	if (state != 'S' && state != 'D')
		return 0;	/* running: its samples and switches account for it */
	n = symbolizer_read_stack(&tr->sym, &tr->target, tstate, c->frames, NULL, PYPERF_MAX_FRAMES);
	if (!n || !(th = tracker_thread(c->t, tr, tid)))
		return 0;
	/* Outermost first, then what it waits in. */
	for (size_t i = 0; i < n / 2; i++) {
		uint32_t f = c->frames[i];

		c->frames[i] = c->frames[n - 1 - i];
		c->frames[n - 1 - i] = f;
	}
	c->frames[n++] = wall_clock_state_frame(&c->t->wall, 1, proc_task_syscall(tr->pid, tid),
						false);
	wall_clock_leave(&c->t->wall, th, tid, c->frames, n, c->now_ns);
	return 0;
}

void tracker_start_waits(struct tracker *t, uint64_t now_ns)
{
	struct waits_ctx *c;

	if (!t->modes.wall || !(c = malloc(sizeof(*c))))
		return;
	c->t = t;
	c->now_ns = now_ns;
	for (size_t i = 0; i < t->nall; i++) {
		c->tr = t->all[i];
		if (c->tr->state != TRACKED_PROFILED)
			continue;
		py_for_each_thread(&c->tr->target, start_wait, c);
		/* Its suspended tasks' time is counted from here too. */
		suspended_tasks_restart(&c->tr->suspended, now_ns);
	}
	free(c);
}
