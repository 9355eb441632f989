// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "session/stack_marks.h"
#include "session/suspended_tasks.h"

/*
 * A task's frames: each awaiter's [task NAME], its frames and their mark;
 * its own [task NAME], its chain, one mark.
 */
#define SUSPENDED_STACK_MAX	(SUSPENDED_MAX_AWAITERS * (2 + PYPERF_TASK_FRAMES) + 1 + ASYNCIO_MAX_CHAIN + 1)

int suspended_tasks_init(struct suspended_tasks *st, const struct suspended_tasks_source *src,
			 struct profile *profile, size_t process, uint64_t start_ns,
			 uint64_t min_interval_ns)
{
	memset(st, 0, sizeof(*st));
	st->stack = calloc(SUSPENDED_STACK_MAX, sizeof(*st->stack));
	if (!st->stack)
		return -ENOMEM;
	st->src = *src;
	st->profile = profile;
	st->process = process;
	st->min_interval_ns = min_interval_ns;
	suspended_tasks_restart(st, start_ns);
	return 0;
}

void suspended_tasks_restart(struct suspended_tasks *st, uint64_t now_ns)
{
	st->started_ns = st->accounted_ns = now_ns;
	st->unread_ns = 0;
	st->next_read_ns = now_ns + st->min_interval_ns;
}

void suspended_tasks_free(struct suspended_tasks *st)
{
	free(st->stack);
	st->stack = NULL;
}

/* Whether TASK waits in an await (or for its turn) with no thread running it. */
static bool suspended(const struct asyncio_task *task)
{
	return !task->vanished && !task->running && task->state == ASYNCIO_PENDING;
}

static const char *name_of(const struct asyncio_task *task)
{
	return task->name[0] ? task->name : "?";
}

/* TASK's chain, outermost first, at most MAX frames, at st->stack[DEPTH]: the new depth. */
static uint32_t chain_frames(struct suspended_tasks *st, uint32_t depth, const struct asyncio_task *task,
			     size_t max)
{
	for (size_t i = 0; i < task->nchain && i < max; i++)
		st->stack[depth++] = st->src.frame(st->src.ctx, &task->chain[i]);
	return depth;
}

/*
 * An awaiting task's frames after its name at st->stack[DEPTH]: as a CPU
 * sample's (sample_stack.c), its chain's outermost PYPERF_TASK_FRAMES to
 * its await, and a mark where they stop short.  The new depth.
 */
static uint32_t awaiter_frames(struct suspended_tasks *st, uint32_t depth, const struct asyncio_task *task)
{
	depth = chain_frames(st, depth, task, PYPERF_TASK_FRAMES);
	if (task->chain_cut || task->nchain > PYPERF_TASK_FRAMES)
		st->stack[depth++] = profile_frame(st->profile, STACK_AWAIT_FRAMES_CUT, "", 0);
	return depth;
}

/*
 * TASK's stack, outermost first, into st->stack: the tasks awaiting it
 * (each through the first that awaits the one below: a chain, not the
 * whole graph) with their frames, its own name, its coroutine chain.
 * The depth.
 */
static uint32_t task_stack(struct suspended_tasks *st, const struct asyncio_snapshot *snap,
			   const struct asyncio_task *task)
{
	const struct asyncio_task *awaiters[SUSPENDED_MAX_AWAITERS];
	const struct asyncio_task *up = task;
	size_t nawaiters = 0;
	uint32_t depth = 0;

	while (nawaiters < SUSPENDED_MAX_AWAITERS && up->nawaited_by) {
		up = asyncio_find(snap, up->awaited_by[0]);
		if (!up || up == task)
			break;
		awaiters[nawaiters++] = up;
	}
	while (nawaiters) {
		up = awaiters[--nawaiters];
		st->stack[depth++] = stack_task_frame(st->profile, name_of(up));
		depth = awaiter_frames(st, depth, up);
	}
	st->stack[depth++] = stack_task_frame(st->profile, name_of(task));
	depth = chain_frames(st, depth, task, ASYNCIO_MAX_CHAIN);
	/* Where the chain stops short of the await, or the task waits for its turn: said. */
	if (task->chain_cut)
		st->stack[depth++] = profile_frame(st->profile, "[await chain cut: not all of it could be read]", "", 0);
	else if (task->waits == ASYNCIO_WAITS_NOTHING)
		st->stack[depth++] = profile_frame(st->profile, "[ready: waiting for its loop]", "", 0);
	return depth;
}

void suspended_tasks_tick(struct suspended_tasks *st, uint64_t now_ns, bool final)
{
	struct asyncio_snapshot snap = { 0 };
	uint64_t start, cost, interval_us, spacing;
	int rc;

	if (!st->stack || (!final && now_ns < st->next_read_ns) || now_ns <= st->accounted_ns)
		return;
	start = st->src.clock_ns();
	rc = st->src.read(st->src.ctx, &snap);
	cost = st->src.clock_ns() - start;
	spacing = cost * SUSPENDED_READ_SPACING > st->min_interval_ns ? cost * SUSPENDED_READ_SPACING :
		  st->min_interval_ns;
	/* A version whose tasks pybpf cannot read: no use asking again. */
	st->next_read_ns = rc == -ENOTSUP ? UINT64_MAX : start + cost + spacing;
	/* Each task found stands for the time since the read before (whole microseconds). */
	interval_us = (now_ns - st->accounted_ns) / 1000;
	st->accounted_ns += interval_us * 1000;
	st->reads++;
	if (rc) {
		/* Counted (--stats), never guessed: nobody is given this interval. */
		st->failed_reads++;
		st->unread_ns += interval_us * 1000;
		asyncio_snapshot_free(&snap);
		return;
	}
	for (size_t i = 0; interval_us && i < snap.ntasks; i++) {
		const struct asyncio_task *task = &snap.tasks[i];
		uint32_t depth;

		if (!suspended(task))
			continue;
		if (!st->thread)
			st->thread = profile_thread(st->profile, st->process, PROFILE_TASKS_TID,
						    "asyncio tasks, suspended");
		if (!st->thread)
			break;
		depth = task_stack(st, &snap, task);
		if (!profile_add_at(st->profile, st->thread, st->stack, depth, interval_us,
				    profile_time(st->profile, now_ns)))
			st->tasks_shown++;
	}
	asyncio_snapshot_free(&snap);
}
