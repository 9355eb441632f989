// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "session/sample_stack.h"
#include "session/stack_marks.h"

int sample_stack_init(struct sample_stack *b, struct profile *profile,
		      struct native_stack *native)
{
	memset(b, 0, sizeof(*b));
	b->profile = profile;
	b->native = native;
	return 0;
}

bool sample_stack_wanted(const struct pyperf_sample *s)
{
	return s->hdr.nframes || stack_incomplete(s->hdr.flags);
}

void sample_stack_push(struct sample_stack *b, uint32_t frame)
{
	if (b->depth < SAMPLE_STACK_MAX)
		b->frames[b->depth++] = frame;
}

/* The "[N frames truncated]" frame standing for N frames left out. */
static uint32_t gap_frame(struct sample_stack *b, uint64_t n)
{
	char name[64];

	snprintf(name, sizeof(name), "[%llu frames truncated]", (unsigned long long)n);
	return profile_frame(b->profile, name, "", 0);
}

/* A frame of pybpf's own (a task's, a mark) at b->python[*k]. */
static void push_mark(struct sample_stack *b, size_t *k, uint32_t frame)
{
	b->kind[*k] = PY_FRAME_MARK;
	b->python[(*k)++] = frame;
}

/*
 * The frames of --async after the running task's coroutine frame,
 * innermost first: each task's "[task NAME]", and between two of them the
 * awaiting task's own frames (RECORDS[t], outermost first in the record;
 * NULL: none), a mark where they stop short; then the mark of awaiters
 * not read.  Not on the thread's stack: marks to the native merge.
 */
static void task_frames(struct sample_stack *b, size_t *k, struct symbolizer *sym,
			const struct pyperf_sample *s, const struct sample_tasks *tasks,
			const struct pyperf_task *records)
{
	for (size_t t = 0; t < tasks->n && t < PYPERF_MAX_TASKS; t++) {
		const struct pyperf_task *own = records && t ? &records[t] : NULL;
		/* No more than the record has room for, whatever its count says. */
		size_t nframes = !own ? 0 : own->nframes < PYPERF_TASK_FRAMES ? own->nframes : PYPERF_TASK_FRAMES;

		if (own && own->frames_cut)
			push_mark(b, k, profile_frame(b->profile, STACK_AWAIT_FRAMES_CUT, "", 0));
		for (size_t i = nframes; i-- > 0;) {
			struct pyperf_frame f = own->frames[i];

			push_mark(b, k, symbolizer_frame(sym, &f));
			b->unresolved += b->python[*k - 1] == sym->unknown_frame;
		}
		push_mark(b, k, stack_task_frame(b->profile, tasks->names[t]));
	}
	if (s->hdr.flags & PYPERF_SAMPLE_AWAITERS_CUT)
		push_mark(b, k, profile_frame(b->profile, STACK_AWAITERS_CUT, "", 0));
}

/*
 * Symbolize the Python frames into b->python (innermost first), with the
 * gap frame where frames were left out, the task frames of --async after
 * the frame TASK_AT (none: SIZE_MAX), and the root marker of a walk that
 * ended early (or, for a sample with no frame at all, STACK_NO_PYTHON), and each one's kind (b->kind: which begin a call of the
 * eval loop; up to 3.10 every frame has its own).  Returns the count.
 */
static size_t python_frames(struct sample_stack *b, struct symbolizer *sym,
			    const struct pyperf_sample *s, size_t n, size_t task_at,
			    const struct sample_tasks *tasks, const struct pyperf_task *records)
{
	bool every_frame_entry = sym->layout->eval_call_per_frame;
	uint32_t mark;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct pyperf_frame f = s->frames[i];

		/* Between the innermost frames kept and the outermost ones. */
		if (i == PYPERF_KEEP_INNER && s->hdr.depth > n)
			push_mark(b, &k, gap_frame(b, s->hdr.depth - n));
		b->kind[k] = every_frame_entry || (f.code & PYPERF_FRAME_ENTRY) ?
			     PY_FRAME_CALL_START : PY_FRAME_IN_CALL;
		f.code &= ~PYPERF_FRAME_ENTRY;
		b->python[k] = symbolizer_frame(sym, &f);
		b->unresolved += b->python[k++] == sym->unknown_frame;
		if (i == task_at)
			task_frames(b, &k, sym, s, tasks, records);
	}
	/* At the root, what the stack is missing: never shown as whole. */
	mark = stack_mark_frame(b->profile, s->hdr.flags);
	if (mark == UINT32_MAX && !k)
		mark = profile_frame(b->profile, STACK_NO_PYTHON, "", 0);
	if (mark != UINT32_MAX)
		push_mark(b, &k, mark);
	return k;
}

int sample_stack_build(struct sample_stack *b, struct symbolizer *sym,
		       const struct pyperf_sample *s, size_t size, const struct sample_tasks *tasks)
{
	const struct pyperf_task *task = tasks && tasks->n ? pyperf_sample_tasks(s, size) : NULL;
	size_t n = s->hdr.nframes, k, task_at = SIZE_MAX;

	b->depth = 0;
	b->unresolved = 0;
	if (n > PYPERF_MAX_FRAMES || size < sizeof(s->hdr) + n * sizeof(struct pyperf_frame))
		return -EINVAL;
	if (task && s->hdr.ntasks && task->frame_index < n && task->frame_index < PYPERF_KEEP_INNER)
		task_at = task->frame_index;
	/* A record holds a task for each name (the names were decoded from it). */
	k = python_frames(b, sym, s, n, task_at, tasks, task && s->hdr.ntasks >= tasks->n ? task : NULL);
	if (b->native) {
		struct python_frames python = { b->python, b->kind, k };

		native_stack_merge(b->native, s, size, &python, b->frames, &b->depth, SAMPLE_STACK_MAX);
		return 0;
	}
	for (size_t i = k; i-- > 0;)
		sample_stack_push(b, b->python[i]);
	return 0;
}
