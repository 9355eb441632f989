// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/session/sample_stack.h: one sample record into one profile stack,
 * over a target's memory the test makes (tests/common/fake_target.h): the
 * frames root first, a marker at the root of a stack that is not whole, a
 * gap frame where a deep stack's middle was left out, and a record too
 * short for what its header says refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "fake_target.h"
#include "process/target_mem.h"
#include "session/sample_stack.h"
#include "session/incomplete_counts.h"
#include "session/stack_marks.h"

#define OUTER FAKE_CODES
#define INNER (FAKE_CODES + FAKE_CODE_SPAN)

static struct profile P;
static struct python_target T;
static struct symbolizer S;
static struct sample_stack B;
static struct pyperf_sample sample;

static void setup(void)
{
	fake_python_target(11, &T);
	cr_assert_eq(T.pid, 4242, "no 3.11 layout to make a runtime with");
	profile_init(&P, 10000000);
	cr_assert_eq(symbolizer_init(&S, &T, &P), 0);
	sample_stack_init(&B, &P, NULL);
	memset(&sample, 0, sizeof(sample));
}

static void teardown(void)
{
	symbolizer_free(&S);
	profile_free(&P);
	target_mem_set_reader(NULL);
}

TestSuite(sample_stack, .init = setup, .fini = teardown);

/* Frame I of the sample (innermost first) is the code object at AT, live now. */
static void put_frame(size_t i, uint64_t at)
{
	sample.frames[i].code = fake_addr(at);
	sample.frames[i].fingerprint = symbolizer_fingerprint(&S, fake_addr(at));
}

static size_t record_size(size_t nframes)
{
	return sizeof(sample.hdr) + nframes * sizeof(struct pyperf_frame);
}

static const char *name_at(size_t depth)
{
	cr_assert_lt(depth, B.depth);
	return P.strings[P.frames[B.frames[depth]].name];
}

Test(sample_stack, frames_come_out_root_first)
{
	put_frame(0, INNER);
	put_frame(1, OUTER);
	sample.hdr.nframes = sample.hdr.depth = 2;
	cr_assert(sample_stack_wanted(&sample));
	cr_assert_eq(sample_stack_build(&B, &S, &sample, record_size(2), NULL), 0);
	cr_assert_eq(B.depth, 2);
	cr_assert_str_eq(name_at(0), "outer");
	cr_assert_str_eq(name_at(1), "inner");
	cr_assert_eq(B.unresolved, 0);
}

Test(sample_stack, a_torn_stack_is_marked_at_its_root)
{
	put_frame(0, INNER);
	sample.hdr.nframes = sample.hdr.depth = 1;
	sample.hdr.flags = PYPERF_SAMPLE_TORN;
	cr_assert_eq(sample_stack_build(&B, &S, &sample, record_size(1), NULL), 0);
	cr_assert_eq(B.depth, 2);
	cr_assert_str_eq(name_at(0), "[incomplete stack: torn read]");
	cr_assert_str_eq(name_at(1), "inner", "below the mark, only the frames known to be there");
}

Test(sample_stack, a_stack_whose_asyncio_task_was_not_read_is_marked)
{
	struct incomplete_counts counts = { 0 };

	put_frame(0, INNER);
	put_frame(1, OUTER);
	sample.hdr.nframes = sample.hdr.depth = 2;
	sample.hdr.flags = PYPERF_SAMPLE_TASK_UNREAD | PYPERF_SAMPLE_READ_ERROR;
	cr_assert_eq(sample_stack_build(&B, &S, &sample, record_size(2), NULL), 0);
	cr_assert_eq(B.depth, 3);
	cr_assert_str_eq(name_at(0), "[incomplete stack: asyncio task not read]",
			 "its frames whole, but not the task it runs: never shown as task-less");
	cr_assert_str_eq(name_at(1), "outer");
	incomplete_count(&counts, sample.hdr.flags, 0);
	cr_assert_eq(counts.task_unread, 1);
}

Test(sample_stack, a_stack_with_no_frame_read_still_counts_marked)
{
	sample.hdr.flags = PYPERF_SAMPLE_UNREADABLE;
	cr_assert(sample_stack_wanted(&sample), "time in Python, even with nothing to show");
	cr_assert_eq(sample_stack_build(&B, &S, &sample, record_size(0), NULL), 0);
	cr_assert_eq(B.depth, 1);
	cr_assert_str_eq(name_at(0), "[incomplete stack: unreadable frame]");
}

Test(sample_stack, a_thread_outside_python_is_not_wanted)
{
	cr_assert_not(sample_stack_wanted(&sample));
}

Test(sample_stack, a_deep_stack_shows_its_gap)
{
	size_t n = PYPERF_KEEP_INNER + 2;

	/* The innermost KEEP_INNER frames, then the two outermost of a deeper stack. */
	for (size_t i = 0; i < n; i++)
		put_frame(i, i + 1 < n ? INNER : OUTER);
	sample.hdr.nframes = n;
	sample.hdr.depth = n + 500;
	cr_assert_eq(sample_stack_build(&B, &S, &sample, record_size(n), NULL), 0);
	cr_assert_eq(B.depth, n + 1);
	cr_assert_str_eq(name_at(0), "outer");
	cr_assert_str_eq(name_at(2), "[500 frames truncated]");
	cr_assert_str_eq(name_at(B.depth - 1), "inner");
}

Test(sample_stack, a_record_shorter_than_its_header_says_is_refused)
{
	put_frame(0, INNER);
	sample.hdr.nframes = 2;
	cr_assert_eq(sample_stack_build(&B, &S, &sample, record_size(1), NULL), -EINVAL);
	sample.hdr.nframes = PYPERF_MAX_FRAMES + 1;
	cr_assert_eq(sample_stack_build(&B, &S, &sample, sizeof(sample), NULL), -EINVAL);
}

/* The record's NTASKS tasks after its NFRAMES frames (as the kernel packs them), at frame AT. */
static size_t put_tasks(size_t nframes, size_t ntasks, uint32_t at)
{
	for (size_t i = 0; i < ntasks; i++) {
		struct pyperf_task task = { .task = 0x1000 + i, .name = 0x2000 + i, .frame_index = at };

		memcpy((uint8_t *)&sample + record_size(nframes) + i * sizeof(task), &task, sizeof(task));
	}
	sample.hdr.ntasks = ntasks;
	return record_size(nframes) + ntasks * sizeof(struct pyperf_task);
}

static const struct sample_tasks alpha = { 1, { "alpha" } };

Test(sample_stack, an_asyncio_task_frame_sits_outside_its_coroutine)
{
	static const struct sample_tasks chain = { 3, { "leaf", "middle", "main" } };

	/* inner (the task's coroutine, frame 0) called from outer (the event loop). */
	put_frame(0, INNER);
	put_frame(1, OUTER);
	sample.hdr.nframes = sample.hdr.depth = 2;
	cr_assert_eq(sample_stack_build(&B, &S, &sample, put_tasks(2, 1, 0), &alpha), 0);
	cr_assert_eq(B.depth, 3);
	cr_assert_str_eq(name_at(0), "outer");
	cr_assert_str_eq(name_at(1), "[task alpha]");
	cr_assert_str_eq(name_at(2), "inner");
	/* The tasks awaiting it outside it, each outside the one it awaits. */
	cr_assert_eq(sample_stack_build(&B, &S, &sample, put_tasks(2, 3, 0), &chain), 0);
	cr_assert_eq(B.depth, 5);
	cr_assert_str_eq(name_at(1), "[task main]");
	cr_assert_str_eq(name_at(2), "[task middle]");
	cr_assert_str_eq(name_at(3), "[task leaf]");
	cr_assert_str_eq(name_at(4), "inner");
	/* Without names (no --async), or where the record has no task: no frame. */
	cr_assert_eq(sample_stack_build(&B, &S, &sample, put_tasks(2, 1, 0), NULL), 0);
	cr_assert_eq(B.depth, 2);
	sample.hdr.ntasks = 0;
	cr_assert_eq(sample_stack_build(&B, &S, &sample, record_size(2), &alpha), 0);
	cr_assert_eq(B.depth, 2);
}

/* Awaiting task T's own frames in the record (outermost first), and whether they stop short. */
static void put_task_frames(size_t nframes, size_t t, const uint64_t *at, size_t n, bool cut)
{
	struct pyperf_task task;
	uint8_t *where = (uint8_t *)&sample + record_size(nframes) + t * sizeof(task);

	memcpy(&task, where, sizeof(task));
	task.nframes = n;
	task.frames_cut = cut;
	for (size_t i = 0; i < n; i++) {
		task.frames[i].code = fake_addr(at[i]);
		task.frames[i].fingerprint = symbolizer_fingerprint(&S, fake_addr(at[i]));
	}
	memcpy(where, &task, sizeof(task));
}

Test(sample_stack, an_awaiting_tasks_frames_sit_between_its_name_and_the_task_it_awaits)
{
	static const struct sample_tasks chain = { 3, { "leaf", "middle", "main" } };
	static const uint64_t middle[] = { OUTER, INNER }, main_task[] = { OUTER };

	put_frame(0, INNER);
	put_frame(1, OUTER);
	sample.hdr.nframes = sample.hdr.depth = 2;
	put_tasks(2, 3, 0);
	put_task_frames(2, 1, middle, 2, false);
	/* main's stop short of its await: marked inside what was read. */
	put_task_frames(2, 2, main_task, 1, true);
	cr_assert_eq(sample_stack_build(&B, &S, &sample, record_size(2) + 3 * sizeof(struct pyperf_task), &chain), 0);
	cr_assert_eq(B.depth, 9);
	cr_assert_str_eq(name_at(0), "outer");
	cr_assert_str_eq(name_at(1), "[task main]");
	cr_assert_str_eq(name_at(2), "outer");
	cr_assert_str_eq(name_at(3), STACK_AWAIT_FRAMES_CUT);
	cr_assert_str_eq(name_at(4), "[task middle]");
	cr_assert_str_eq(name_at(5), "outer");
	cr_assert_str_eq(name_at(6), "inner");
	cr_assert_str_eq(name_at(7), "[task leaf]");
	cr_assert_str_eq(name_at(8), "inner");
	cr_assert_eq(B.unresolved, 0);
	/* A count past the record's room is capped at it. */
	((uint8_t *)&sample)[record_size(2) + sizeof(struct pyperf_task) + offsetof(struct pyperf_task, nframes)] = 200;
	cr_assert_eq(sample_stack_build(&B, &S, &sample, record_size(2) + 3 * sizeof(struct pyperf_task), &chain), 0);
	cr_assert_eq(B.depth, 9 + PYPERF_TASK_FRAMES - 2);
}

Test(sample_stack, awaiters_not_read_are_marked_outside_the_last_task_read)
{
	static const struct sample_tasks chain = { 2, { "leaf", "middle" } };

	put_frame(0, INNER);
	put_frame(1, OUTER);
	sample.hdr.nframes = sample.hdr.depth = 2;
	sample.hdr.flags = PYPERF_SAMPLE_AWAITERS_CUT | PYPERF_SAMPLE_READ_ERROR;
	cr_assert_eq(sample_stack_build(&B, &S, &sample, put_tasks(2, 2, 0), &chain), 0);
	cr_assert_eq(B.depth, 5);
	cr_assert_str_eq(name_at(0), "outer");
	cr_assert_str_eq(name_at(1), STACK_AWAITERS_CUT);
	cr_assert_str_eq(name_at(2), "[task middle]");
	cr_assert_str_eq(name_at(3), "[task leaf]");
	cr_assert_str_eq(name_at(4), "inner");
	/* The rest of the stack is whole: no root mark. */
	cr_assert_eq(B.unresolved, 0);
	/* Without a task placed, no mark of its awaiters either. */
	cr_assert_eq(sample_stack_build(&B, &S, &sample, record_size(2), NULL), 0);
	cr_assert_eq(B.depth, 2);
}

Test(sample_stack, a_task_beyond_the_frames_or_the_record_is_not_placed)
{
	put_frame(0, INNER);
	sample.hdr.nframes = sample.hdr.depth = 1;
	/* A frame index past the frames: no place for it. */
	cr_assert_eq(sample_stack_build(&B, &S, &sample, put_tasks(1, 1, 1), &alpha), 0);
	cr_assert_eq(B.depth, 1);
	/* A record too short to hold the tasks its header counts. */
	put_tasks(1, 1, 0);
	cr_assert_eq(sample_stack_build(&B, &S, &sample, record_size(1), &alpha), 0);
	cr_assert_eq(B.depth, 1);
	cr_assert_str_eq(name_at(0), "inner");
}
