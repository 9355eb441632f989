// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/profile/mem_limits.h: past each bound the profile keeps counting every
 * sample, under a marker, and says how much did not fit; PYBPF_LIMITS;
 * and the cycle detection that bounds userspace walks of target lists.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "capture.h"
#include "profile/mem_limits.h"
#include "profile/profile.h"
#include "python/py_walk.h"

static struct profile P;

static void setup(void)
{
	profile_init(&P, 1000);
}

static void teardown(void)
{
	profile_free(&P);
}

TestSuite(mem_limits, .init = setup, .fini = teardown);

static const char *frame_name(uint32_t id)
{
	return P.strings[P.frames[id].name];
}

Test(mem_limits, defaults_are_generous)
{
	struct limits d = LIMITS_DEFAULT;

	cr_assert_eq(memcmp(&P.limits, &d, sizeof(d)), 0);
	cr_assert_geq(P.limits.stacks, 1000000);
	cr_assert_geq(P.limits.code_objects, 65536);
}

Test(mem_limits, frames_past_the_bound_share_a_marker)
{
	uint32_t a, b, c, again;

	P.limits.frames = 2;
	a = profile_frame(&P, "f", "a.py", 1);
	b = profile_frame(&P, "g", "a.py", 2);
	c = profile_frame(&P, "h", "a.py", 3);
	again = profile_frame(&P, "i", "a.py", 4);
	cr_assert_neq(a, b);
	cr_assert_str_eq(frame_name(c), "[frame table full]");
	cr_assert_eq(c, again);
	cr_assert_eq(P.over.frames, 2);
	/* What was there before stays itself. */
	cr_assert_eq(profile_frame(&P, "f", "a.py", 1), a);
}

Test(mem_limits, strings_past_the_bound_share_a_marker)
{
	uint32_t fits, too_long;

	P.limits.string_bytes = 8;
	fits = profile_string(&P, "abc");
	too_long = profile_string(&P, "a much longer name");
	cr_assert_str_eq(P.strings[fits], "abc");
	cr_assert_str_eq(P.strings[too_long], "[string table full]");
	cr_assert_eq(P.over.strings, 1);
	cr_assert_lt(P.string_bytes, 8 + sizeof("[string table full]"));
}

Test(mem_limits, stacks_past_the_bound_keep_their_samples)
{
	size_t proc = profile_process(&P, 10, "python3 x.py", "3.11.4");
	struct prof_thread *t = profile_thread(&P, proc, 10, "main");
	uint32_t f[3] = { profile_frame(&P, "a", "x.py", 1), profile_frame(&P, "b", "x.py", 2),
			  profile_frame(&P, "c", "x.py", 3) };

	P.limits.stacks = 2;
	cr_assert_eq(profile_add(&P, t, f, 1, 1), 0);
	cr_assert_eq(profile_add(&P, t, f, 2, 1), 0);
	cr_assert_eq(profile_add(&P, t, f, 3, 5), 0);	/* a third distinct stack */
	cr_assert_eq(profile_add(&P, t, f + 1, 2, 2), 0);	/* and a fourth */
	cr_assert_eq(profile_add(&P, t, f, 2, 1), 0);	/* known: counted as itself */
	cr_assert_eq(t->nstacks, 3);
	cr_assert_eq(t->stacks[2].depth, 1);
	cr_assert_str_eq(frame_name(t->stacks[2].frames[0]), "[stack table full]");
	cr_assert_eq(t->stacks[2].count, 7);
	cr_assert_eq(t->stacks[1].count, 2);
	cr_assert_eq(P.over.stacks, 7);
	cr_assert_eq(t->samples, 10, "every sample still counts");
}

Test(mem_limits, stack_frames_are_bounded_too)
{
	size_t proc = profile_process(&P, 10, "python3 x.py", "3.11.4");
	struct prof_thread *t = profile_thread(&P, proc, 10, "main");
	uint32_t f[4] = { 0 };

	P.limits.stack_frames = 5;
	cr_assert_eq(profile_add(&P, t, f, 4, 1), 0);
	cr_assert_eq(profile_add(&P, t, f, 3, 1), 0);	/* 4 + 3 > 5 */
	cr_assert_eq(P.over.stacks, 1);
	cr_assert_eq(P.stack_frames, 4 + 1);
}

Test(mem_limits, threads_past_the_bound_go_to_other_threads)
{
	size_t p1 = profile_process(&P, 10, "a", "3.11.4"), p2 = profile_process(&P, 20, "b", "3.12.1");
	struct prof_thread *t1, *t2, *t3, *t4;

	P.limits.threads = 1;
	t1 = profile_thread(&P, p1, 10, "main");
	t2 = profile_thread(&P, p1, 11, "worker");
	t3 = profile_thread(&P, p1, 12, "worker");
	t4 = profile_thread(&P, p2, 20, "main");
	cr_assert_eq(t1->tid, 10);
	cr_assert_eq(t2, t3);
	cr_assert_eq(t2->tid, 0);
	cr_assert_str_eq(t2->name, "[other threads]");
	cr_assert_eq(t2->process, p1);
	cr_assert_eq(t4->tid, 0, "one per process");
	cr_assert_eq(t4->process, p2);
	cr_assert_eq(P.over.threads, 3);
}

Test(mem_limits, parse_lowers_and_refuses)
{
	char err[512] = "";

	cr_assert_eq(limits_parse(&P.limits, NULL, err, sizeof(err)), 0);
	cr_assert_eq(limits_parse(&P.limits, "stacks=40,threads=8", err, sizeof(err)), 0);
	cr_assert_eq(P.limits.stacks, 40);
	cr_assert_eq(P.limits.threads, 8);
	cr_assert_eq(limits_parse(&P.limits, "stacks=lots", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "'stacks=lots' is not NAME=N"), "%s", err);
	cr_assert_eq(limits_parse(&P.limits, "stack=1", err, sizeof(err)), -EINVAL);
	cr_assert_eq(limits_parse(&P.limits, "threads=0", err, sizeof(err)), -EINVAL);
	cr_assert_eq(limits_parse(&P.limits, "threads", err, sizeof(err)), -EINVAL);
	cr_assert_eq(P.limits.threads, 8);
}

Test(mem_limits, warning_names_each_overflow)
{
	struct limit_overflows o = { .code_cache_flushes = 1, .stacks = 7, .processes = 2 };
	struct capture c;
	char *text;

	limits_warn(&o, capture_begin(&c));
	text = capture_end(&c, NULL);
	cr_assert_str_eq(text, "pybpf: warning: memory limits reached: code-object cache flushed 1 time, 7 samples under [stack table full], 2 processes not profiled (see \"Limits\" in pybpf's README)\n");
	free(text);
	memset(&o, 0, sizeof(o));
	limits_warn(&o, capture_begin(&c));
	text = capture_end(&c, NULL);
	cr_assert_str_empty(text);
	free(text);
	o.threads = 3;
	limits_json(&o, capture_begin(&c));
	text = capture_end(&c, NULL);
	cr_assert_str_eq(text, "{\"code_cache_flushes\":0,\"strings\":0,\"frames\":0,\"stacks\":0,\"threads\":3,\"processes\":0,\"sources\":0}");
	free(text);
}

/* A chain 0 -> 1 -> ... -> n-1, then back to LOOP_TO (or the end, -1). */
static size_t walk(size_t n, long loop_to)
{
	struct chain_cycle c = { 0 };
	size_t steps = 0;

	for (long at = 0; at >= 0 && !chain_cycle_seen(&c, 0x1000 + 8 * (uint64_t)at); steps++)
		at = at + 1 < (long)n ? at + 1 : loop_to;
	return steps;
}

Test(mem_limits, cycles_in_target_lists_end_the_walk)
{
	cr_assert_eq(walk(100, -1), 100, "a list without a cycle is walked whole");
	cr_assert_leq(walk(1, 0), 2, "a node pointing at itself");
	cr_assert_leq(walk(64, 0), 3 * 64, "a ring");
	cr_assert_leq(walk(1000, 990), 2 * 1000 + 10, "a long tail into a short loop");
	cr_assert_geq(walk(1000, 990), 1000, "every node is visited once");
}
