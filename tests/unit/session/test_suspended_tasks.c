// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/session/suspended_tasks.h over snapshots the test makes (an injected
 * reader, frame namer and clock): each read gives every suspended task the
 * time since the read before, on its await chain under its awaiters' names
 * and its own; a running, finished or vanished task gets nothing; a read
 * that fails gives nobody its interval; reads are spaced by their cost.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "session/stack_marks.h"
#include "session/suspended_tasks.h"

#define MS 1000000ULL

static struct profile P;
static struct suspended_tasks st;
static size_t process;
static int reads, read_rc;
static bool waiter_cut;		/* the waiter's chain not read whole */
static uint64_t clock_now, read_cost;

/*
 * The tasks (sorted by address, as asyncio_find() wants): "main" awaits
 * "waiter", which awaits "sleepy", asleep in nap() in sleep(); "runner"
 * runs; "finished" is done; "gone" vanished while read.
 */
static void add_task(struct asyncio_snapshot *s, uint64_t addr, const char *name,
		     enum asyncio_state state, uint64_t awaited_by, const uint64_t *codes, size_t ncodes)
{
	struct asyncio_task *t = &s->tasks[s->ntasks++];

	memset(t, 0, sizeof(*t));
	t->addr = addr;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->state = state;
	t->waits = ASYNCIO_WAITS_FUTURE;
	t->awaited_by = calloc(1, sizeof(uint64_t));
	cr_assert(t->awaited_by);
	if (awaited_by)
		t->awaited_by[t->nawaited_by++] = awaited_by;
	t->chain = calloc(ncodes + 1, sizeof(*t->chain));
	cr_assert(t->chain);
	for (size_t i = 0; i < ncodes; i++)
		t->chain[i].code = codes[i];
	t->nchain = ncodes;
}

static int fake_read(void *ctx, struct asyncio_snapshot *out)
{
	static const uint64_t main_code[] = { 0x10 }, waiter_code[] = { 0x20 }, sleepy_code[] = { 0x30, 0x40 };

	reads++;
	clock_now += read_cost;
	memset(out, 0, sizeof(*out));
	if (read_rc)
		return read_rc;
	out->tasks = calloc(8, sizeof(*out->tasks));
	cr_assert(out->tasks);
	add_task(out, 0x1000, "main", ASYNCIO_PENDING, 0, main_code, 1);
	add_task(out, 0x2000, "waiter", ASYNCIO_PENDING, 0x1000, waiter_code, 1);
	out->tasks[1].chain_cut = waiter_cut;
	add_task(out, 0x3000, "sleepy", ASYNCIO_PENDING, 0x2000, sleepy_code, 2);
	add_task(out, 0x4000, "runner", ASYNCIO_PENDING, 0, main_code, 1);
	out->tasks[3].running = true;
	add_task(out, 0x5000, "finished", ASYNCIO_DONE, 0, main_code, 1);
	add_task(out, 0x6000, "gone", ASYNCIO_PENDING, 0, main_code, 1);
	out->tasks[5].vanished = true;
	return 0;
}

static uint32_t fake_frame(void *ctx, const struct py_frame_info *f)
{
	static const char *const names[] = { "main", "waiter", "nap", "sleep" };

	return profile_frame(&P, names[(f->code >> 4) - 1], "app.py", (int)(f->code >> 4));
}

static uint64_t fake_clock(void)
{
	return clock_now;
}

static void setup(void)
{
	struct suspended_tasks_source src = { fake_read, fake_frame, fake_clock, NULL };

	profile_init(&P, 1000);
	process = profile_process(&P, 42, "python3 app.py", "3.11.2");
	reads = 0;
	read_rc = 0;
	waiter_cut = false;
	read_cost = 0;
	clock_now = 100 * MS;
	cr_assert_eq(suspended_tasks_init(&st, &src, &P, process, clock_now, 10 * MS), 0);
}

static void teardown(void)
{
	suspended_tasks_free(&st);
	profile_free(&P);
}

TestSuite(suspended_tasks, .init = setup, .fini = teardown);

/* The frames of stack I of the tasks' thread, as "a;b;c", and its count. */
static uint64_t stack_text(size_t i, char *out, size_t size)
{
	const struct prof_stack *s;
	size_t len = 0;

	cr_assert(st.thread);
	cr_assert_lt(i, st.thread->nstacks);
	s = &st.thread->stacks[i];
	out[0] = '\0';
	for (uint32_t d = 0; d < s->depth; d++)
		len += snprintf(out + len, size - len, "%s%s", d ? ";" : "", P.strings[P.frames[s->frames[d]].name]);
	return s->count;
}

static uint64_t count_of(const char *want)
{
	char text[256];

	for (size_t i = 0; st.thread && i < st.thread->nstacks; i++)
		if (stack_text(i, text, sizeof(text)), !strcmp(text, want))
			return st.thread->stacks[i].count;
	return 0;
}

Test(suspended_tasks, each_suspended_task_gets_the_time_since_the_read_before)
{
	suspended_tasks_tick(&st, 105 * MS, false);
	cr_assert_eq(reads, 0, "not due before the sampling period");
	suspended_tasks_tick(&st, 112 * MS, false);
	cr_assert_eq(reads, 1);
	cr_assert_eq(st.thread->tid, PROFILE_TASKS_TID);
	cr_assert_str_eq(st.thread->name, "asyncio tasks, suspended");
	/*
	 * Outermost awaiter first, each with its own frames (to its await),
	 * the task's own name, its chain outermost first.
	 */
	cr_assert_eq(count_of("[task main];main;[task waiter];waiter;[task sleepy];nap;sleep"), 12000,
		     "12 ms in us");
	cr_assert_eq(count_of("[task main];main;[task waiter];waiter"), 12000);
	cr_assert_eq(count_of("[task main];main"), 12000);
	cr_assert_eq(st.thread->nstacks, 3, "running, done and vanished tasks get nothing");
	suspended_tasks_tick(&st, 130 * MS, true);
	cr_assert_eq(count_of("[task main];main"), 30000, "then the 18 ms since");
}

Test(suspended_tasks, a_failed_read_gives_nobody_its_interval)
{
	read_rc = -ENOENT;
	suspended_tasks_tick(&st, 120 * MS, false);
	cr_assert_eq(reads, 1);
	cr_assert_null(st.thread, "no tasks, no thread");
	read_rc = 0;
	suspended_tasks_tick(&st, 135 * MS, false);
	cr_assert_eq(count_of("[task main];main"), 15000, "only the time since the failed read");
	/* Counted: the reads span 35 ms, 20 of them not read. */
	cr_assert_eq(st.failed_reads, 1);
	cr_assert_eq(st.unread_ns, 20 * MS);
	cr_assert_eq(st.accounted_ns - st.started_ns, 35 * MS);
	suspended_tasks_restart(&st, 200 * MS);
	cr_assert_eq(st.unread_ns, 0, "a recording's count starts with it");
}

Test(suspended_tasks, an_awaiters_frames_not_read_whole_are_marked_where_they_stop)
{
	waiter_cut = true;
	suspended_tasks_tick(&st, 112 * MS, false);
	/* As in a CPU sample (sample_stack.c): the frames read, then the mark. */
	cr_assert_eq(count_of("[task main];main;[task waiter];waiter;" STACK_AWAIT_FRAMES_CUT
			      ";[task sleepy];nap;sleep"), 12000);
	/* The waiter's own stack keeps its own mark. */
	cr_assert_eq(count_of("[task main];main;[task waiter];waiter;[await chain cut: not all of it could be read]"),
		     12000);
}

Test(suspended_tasks, a_version_without_task_layouts_is_not_read_again)
{
	read_rc = -ENOTSUP;
	suspended_tasks_tick(&st, 120 * MS, false);
	suspended_tasks_tick(&st, 10000 * MS, false);
	cr_assert_eq(reads, 1);
}

Test(suspended_tasks, a_costly_read_spaces_the_next)
{
	read_cost = 20 * MS;
	clock_now = 120 * MS;
	suspended_tasks_tick(&st, 120 * MS, false);
	cr_assert_eq(reads, 1);
	/* It ended at 140 ms: the next no sooner than 9 times its cost later. */
	suspended_tasks_tick(&st, 140 * MS + SUSPENDED_READ_SPACING * 20 * MS - 1, false);
	cr_assert_eq(reads, 1);
	suspended_tasks_tick(&st, 140 * MS + SUSPENDED_READ_SPACING * 20 * MS, false);
	cr_assert_eq(reads, 2);
	/* The end of the recording reads whenever it comes. */
	suspended_tasks_tick(&st, 321 * MS, true);
	cr_assert_eq(reads, 3);
}
