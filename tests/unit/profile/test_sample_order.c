// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/profile/profile.h beyond aggregation: each thread's samples in the order
 * taken (runs of one stack), the listener the raw recording hangs on, and
 * the order outputs list threads in.
 */
#include <criterion/criterion.h>
#include "profile/profile.h"

static struct profile P;
static struct prof_thread *T;
static uint32_t A[1], AB[2];

static void setup(void)
{
	profile_init(&P, 1000);
	T = profile_thread(&P, profile_process(&P, 10, "py", "3.11.7"), 10, "main");
	A[0] = AB[0] = profile_frame(&P, "a", "x.py", 1);
	AB[1] = profile_frame(&P, "b", "x.py", 2);
}

static void teardown(void)
{
	profile_free(&P);
}

TestSuite(sample_order, .init = setup, .fini = teardown);

static void assert_runs(const struct prof_thread *t, const struct prof_run *want, size_t n)
{
	cr_assert_eq(t->nruns, n, "%zu runs, expected %zu", t->nruns, n);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(t->runs[i].stack, want[i].stack, "run %zu", i);
		cr_assert_eq(t->runs[i].count, want[i].count, "run %zu", i);
	}
}

Test(sample_order, consecutive_samples_of_a_stack_are_one_run)
{
	cr_assert_eq(profile_add(&P, T, A, 1, 1), 0);
	cr_assert_eq(profile_add(&P, T, A, 1, 2), 0);
	cr_assert_eq(profile_add(&P, T, AB, 2, 1), 0);
	cr_assert_eq(profile_add(&P, T, A, 1, 1), 0);
	cr_assert_eq(profile_add(&P, T, AB, 2, 4), 0);
	cr_assert_eq(profile_add(&P, T, AB, 2, 1), 0);

	const struct prof_run want[] = { { 0, 3 }, { 1, 1 }, { 0, 1 }, { 1, 5 } };

	assert_runs(T, want, 4);
	/* Aggregation is unchanged: two stacks with their totals. */
	cr_assert_eq(T->nstacks, 2);
	cr_assert_eq(T->stacks[0].count, 4);
	cr_assert_eq(T->stacks[1].count, 6);
}

Test(sample_order, a_count_past_32_bits_continues_in_the_next_run)
{
	uint64_t big = (uint64_t)UINT32_MAX * 2 + 5;

	cr_assert_eq(profile_add(&P, T, A, 1, 10), 0);
	cr_assert_eq(profile_add(&P, T, A, 1, big), 0);

	const struct prof_run want[] = { { 0, UINT32_MAX }, { 0, UINT32_MAX }, { 0, 15 } };

	assert_runs(T, want, 3);
	cr_assert_eq(T->stacks[0].count, big + 10);
}

Test(sample_order, count_zero_creates_the_stack_only)
{
	cr_assert_eq(profile_add(&P, T, AB, 2, 0), 0);
	cr_assert_eq(T->nstacks, 1);
	cr_assert_eq(T->nruns, 0);
	cr_assert_eq(T->samples, 0);
	cr_assert_eq(profile_add(&P, T, AB, 2, 3), 0);
	cr_assert_eq(T->nstacks, 1);

	const struct prof_run want[] = { { 0, 3 } };

	assert_runs(T, want, 1);
}

struct call {
	const struct prof_thread *t;
	uint32_t stack;
	bool new_stack;
	uint64_t count;
	int64_t time_ns;
};

static struct call calls[8];
static size_t ncalls;

static void record_call(void *ctx, const struct profile *p, const struct prof_thread *t,
			uint32_t stack, bool new_stack, uint64_t count, int64_t time_ns)
{
	cr_assert_eq(ctx, &calls);
	cr_assert_lt(ncalls, 8);
	calls[ncalls++] = (struct call){ t, stack, new_stack, count, time_ns };
}

Test(sample_order, the_listener_hears_every_add_with_its_time)
{
	struct prof_thread *u = profile_thread(&P, 0, 11, "worker");

	ncalls = 0;
	P.listener.on_add = record_call;
	P.listener.ctx = &calls;
	cr_assert_eq(profile_add_at(&P, T, A, 1, 1, 100), 0);
	cr_assert_eq(profile_add_at(&P, u, A, 1, 2, 200), 0);
	cr_assert_eq(profile_add_at(&P, T, A, 1, 1, 300), 0);
	cr_assert_eq(profile_add_at(&P, T, AB, 2, 0, 300), 0);

	const struct call want[] = {
		{ T, 0, true, 1, 100 }, { u, 0, true, 2, 200 }, { T, 0, false, 1, 300 },
		{ T, 1, true, 0, 300 },
	};

	cr_assert_eq(ncalls, 4);
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(calls[i].t, want[i].t, "call %zu", i);
		cr_assert_eq(calls[i].stack, want[i].stack, "call %zu", i);
		cr_assert_eq(calls[i].new_stack, want[i].new_stack, "call %zu", i);
		cr_assert_eq(calls[i].count, want[i].count, "call %zu", i);
		cr_assert_eq(calls[i].time_ns, want[i].time_ns, "call %zu", i);
	}
	cr_assert_eq(T->index, 0);
	cr_assert_eq(u->index, 1);
}

Test(sample_order, outputs_list_threads_with_samples_by_process_then_tid)
{
	size_t later = profile_process(&P, 5, "py", "3.11.7");
	struct prof_thread *t3 = profile_thread(&P, later, 3, "");
	struct prof_thread *t12 = profile_thread(&P, 0, 12, "");
	struct prof_thread *t2 = profile_thread(&P, 0, 2, "");
	struct prof_thread *idle = profile_thread(&P, 0, 1, "");
	size_t n;

	cr_assert_not_null(idle);
	cr_assert_eq(profile_add(&P, t3, A, 1, 1), 0);
	cr_assert_eq(profile_add(&P, t12, A, 1, 2), 0);
	cr_assert_eq(profile_add(&P, T, A, 1, 4), 0);
	cr_assert_eq(profile_add(&P, t2, A, 1, 8), 0);

	struct prof_thread **order = profile_sorted_threads(&P, &n);

	cr_assert_not_null(order);
	cr_assert_eq(n, 4, "the idle thread is left out");
	cr_assert_eq(order[0], t2);
	cr_assert_eq(order[1], T);
	cr_assert_eq(order[2], t12);
	cr_assert_eq(order[3], t3, "a process found later comes later, whatever its pid");
	cr_assert_eq(profile_samples(&P), 15);
	free(order);
}

Test(sample_order, a_profile_can_do_without_the_order)
{
	P.keep_order = false;
	cr_assert_eq(profile_add(&P, T, A, 1, 2), 0);
	cr_assert_eq(profile_add(&P, T, AB, 2, 1), 0);
	cr_assert_eq(profile_add(&P, T, A, 1, 1), 0);
	cr_assert_eq(T->nruns, 0);
	cr_assert_eq(T->stacks[0].count, 3);
	cr_assert_eq(T->samples, 4);
}
