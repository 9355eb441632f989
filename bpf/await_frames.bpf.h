/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --async: the frames of the tasks awaiting the running one.  Each is
 * suspended, so no thread's stack holds them: an awaiting task's coroutine
 * frame is read, then the coroutine its value stack's top awaits, and so on
 * down to the future (the task below, a gather's, a TaskGroup's) it waits
 * for.  A coroutine suspends only in an await, so no opcode is checked;
 * its frame's state must say "suspended" (or, 3.8 and 3.9, its stack
 * pointer must be set).  Such a task cannot run while a task of its own
 * loop runs on the sampled thread: what is read is what it was at the
 * sample.  Part of pyperf.bpf.c (one BPF program): included once, in order.
 */
#ifndef PYBPF_AWAIT_FRAMES_BPF_H
#define PYBPF_AWAIT_FRAMES_BPF_H

/*
 * The object the coroutine frame FRAME awaits (as _PyGen_yf finds it): the
 * item on top of its value stack, below items_above others.  0 if the
 * frame is not suspended in an await, or a read fails.
 */
static __always_inline __u64 awaited_object(struct scratch *s, struct pyperf_async *a, __u64 frame)
{
	__u64 stack, slot, top;
	__s32 depth;
	__s8 state;

	if (a->frame_state != PYPERF_ASYNC_NO_STATE &&
	    (read_user(s, &state, sizeof(state), frame + (__s64)a->frame_state) || state != a->await_state))
		return 0;
	if (a->stack_top == PYPERF_STACK_TOP_POINTER || a->stack_top == PYPERF_STACK_TOP_TAGGED_POINTER) {
		/* NULL while running (3.8, 3.9); within the frame, after its start. */
		if (read_ptr(s, &stack, frame + a->frame_stack) ||
		    stack <= frame + 8 * (1 + (__u64)a->items_above) ||
		    stack - frame > 8ULL * PYPERF_FRAME_STACK_MAX)
			return 0;
		slot = stack - 8 * (1 + (__u64)a->items_above);
	} else if (a->stack_top == PYPERF_STACK_TOP_DEPTH || a->stack_top == PYPERF_STACK_TOP_INDEX) {
		if (read_user(s, &depth, sizeof(depth), frame + a->frame_stack_depth) ||
		    depth < 1 + (__s32)a->items_above || depth > PYPERF_FRAME_STACK_MAX)
			return 0;
		if (a->stack_top == PYPERF_STACK_TOP_INDEX)
			stack = frame + a->frame_stack;
		else if (read_ptr(s, &stack, frame + a->frame_stack) || !stack)
			return 0;
		slot = stack + 8 * (__u64)(depth - 1 - a->items_above);
	} else {
		return 0;
	}
	if (read_ptr(s, &top, slot))
		return 0;
	/* A _PyStackRef's low bits say how it is counted, the rest is the object. */
	return a->stack_top == PYPERF_STACK_TOP_TAGGED_POINTER ? top & ~(__u64)s->off.code_tag_mask : top;
}

enum await_step {
	AWAIT_STEP_CUT = -1,	/* not read: the chain stops short, marked */
	AWAIT_STEP_END,		/* it awaits no coroutine: the chain is whole */
	AWAIT_STEP_NEXT,	/* it awaits a coroutine, whose frame is next_frame */
};

/*
 * Frame K of awaiting task N's chain (at next_frame) into its slot, and
 * what follows it.  A global function: the verifier checks it once (see
 * resolve_frame_at()); hence scalars only.
 */
__noinline int await_frame(__u32 n, __u32 k)
{
	struct scratch *s = get_scratch();
	struct pyperf_task *task;
	struct pyperf_async *a;
	__u64 frame, code, awaited, type;
	__u8 owner;

	if (!s)
		return AWAIT_STEP_CUT;
	a = &s->async.config;
	task = &s->async.out[n & (PYPERF_TASK_SLOTS - 1)];
	frame = s->async.next_frame;
	if (!frame || read_frame(s, frame, &code, &owner) || !code)
		return AWAIT_STEP_CUT;
	/* Its state and stack first: a frame not suspended in an await is not shown. */
	awaited = awaited_object(s, a, frame);
	if (!awaited)
		return AWAIT_STEP_CUT;
	resolve_frame(s, &task->frames[k & (PYPERF_TASK_FRAMES - 1)], code, 0);
	task->nframes = k + 1;
	if (read_ptr(s, &type, awaited + a->object_type))
		return AWAIT_STEP_CUT;
	if (type != a->coroutine_type)
		return AWAIT_STEP_END;
	s->async.next_frame = coroutine_frame(s, a, awaited);
	return AWAIT_STEP_NEXT;
}

/*
 * Awaiting task N's chain, from its coroutine's frame: at most
 * PYPERF_TASK_FRAMES frames, frames_cut where it stops short.  A failed
 * read on the way is a read error of the sample (the budget spent is not:
 * PYPERF_SAMPLE_BUDGET says so).  A global function, as await_frame().
 */
__noinline int await_frames_of(__u32 n)
{
	struct scratch *s = get_scratch();
	struct pyperf_task *task;
	__u32 failed;
	int step = AWAIT_STEP_NEXT;

	if (!s)
		return 0;
	task = &s->async.out[n & (PYPERF_TASK_SLOTS - 1)];
	failed = s->failed_reads;
	s->async.next_frame = coroutine_frame(s, &s->async.config, s->async.coro[n & (PYPERF_TASK_SLOTS - 1)]);
	/* Unrolled, as async_awaiters(): no back-edge for 5.10's verifier. */
#pragma unroll
	for (__u32 k = 0; k < PYPERF_TASK_FRAMES; k++) {
		step = await_frame(n, k);
		if (step != AWAIT_STEP_NEXT)
			break;
	}
	task->frames_cut = step != AWAIT_STEP_END;
	if (s->failed_reads != failed)
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
	return task->nframes;
}

/* After async_task(): each awaiting task's own frames, when the process's config says how. */
static __always_inline void await_frames(struct scratch *s)
{
	if (!s->async.config.coroutine_type)
		return;
#pragma unroll
	for (__u32 n = 1; n < PYPERF_MAX_TASKS; n++) {
		if (n >= s->sample.hdr.ntasks)
			break;
		await_frames_of(n);
	}
}

#endif
