// SPDX-License-Identifier: BSD-3-Clause
/* user/profile/profile.h: interning and per-thread stack aggregation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "profile/profile.h"

static struct profile P;

static void setup(void)
{
	profile_init(&P, 10000000);
}

static void teardown(void)
{
	profile_free(&P);
}

TestSuite(profile, .init = setup, .fini = teardown);

/* The stack of T equal to FRAMES[0..DEPTH), or NULL. */
static const struct prof_stack *find_stack(const struct prof_thread *t, const uint32_t *frames,
					   uint32_t depth)
{
	for (size_t i = 0; i < t->nstacks; i++)
		if (t->stacks[i].depth == depth &&
		    !memcmp(t->stacks[i].frames, frames, depth * sizeof(*frames)))
			return &t->stacks[i];
	return NULL;
}

Test(profile, init_is_empty)
{
	cr_assert_eq(P.sample_value, 10000000);
	cr_assert_eq(P.nstrings, 0);
	cr_assert_eq(P.nframes, 0);
	cr_assert_eq(P.nprocesses, 0);
	cr_assert_eq(P.nthreads, 0);
}

Test(profile, strings_are_interned)
{
	uint32_t a = profile_string(&P, "main");
	uint32_t b = profile_string(&P, "work");
	uint32_t empty = profile_string(&P, "");
	char copy[] = "main";

	cr_assert_neq(a, UINT32_MAX);
	cr_assert_neq(a, b);
	cr_assert_neq(empty, a);
	cr_assert_neq(empty, b);
	/* Equal text, from another buffer, gives the same id. */
	cr_assert_eq(profile_string(&P, copy), a);
	cr_assert_eq(profile_string(&P, "work"), b);
	cr_assert_eq(profile_string(&P, ""), empty);
	/* A prefix or an extension is another string. */
	cr_assert_neq(profile_string(&P, "mai"), a);
	cr_assert_neq(profile_string(&P, "main "), a);
	cr_assert_eq(P.nstrings, 5);
	/* The table holds copies. */
	copy[0] = 'X';
	cr_assert_str_eq(P.strings[a], "main");
	cr_assert_str_eq(P.strings[b], "work");
	cr_assert_str_eq(P.strings[empty], "");
}

Test(profile, frames_are_interned_by_name_file_and_line)
{
	uint32_t f = profile_frame(&P, "main", "app.py", 10);

	cr_assert_neq(f, UINT32_MAX);
	cr_assert_eq(profile_frame(&P, "main", "app.py", 10), f);
	cr_assert_neq(profile_frame(&P, "main", "app.py", 11), f);
	cr_assert_neq(profile_frame(&P, "main", "lib.py", 10), f);
	cr_assert_neq(profile_frame(&P, "main2", "app.py", 10), f);
	cr_assert_neq(profile_frame(&P, "main", "app.py", 0), f);
	/* Swapping name and file is a different frame. */
	uint32_t g = profile_frame(&P, "app.py", "main", 10);

	cr_assert_neq(g, f);
	cr_assert_eq(P.nframes, 6);
	cr_assert_str_eq(P.strings[P.frames[f].name], "main");
	cr_assert_str_eq(P.strings[P.frames[f].file], "app.py");
	cr_assert_eq(P.frames[f].line, 10);
	cr_assert_eq(P.frames[g].name, P.frames[f].file, "the strings are shared");
	cr_assert_eq(P.frames[g].file, P.frames[f].name);
	cr_assert_eq(P.nstrings, 4);	/* main, app.py, lib.py, main2 */
	/* Ids are stable while the tables grow. */
	for (int i = 0; i < 5000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "fn%d", i);
		cr_assert_eq(profile_frame(&P, name, "app.py", i), P.nframes - 1);
	}
	cr_assert_eq(profile_frame(&P, "main", "app.py", 10), f);
	cr_assert_eq(profile_frame(&P, "fn1234", "app.py", 1234), 6 + 1234);
	cr_assert_str_eq(P.strings[P.frames[6 + 4999].name], "fn4999");
}

/* f(g(x)): two calls on one line are two positions, so two frames. */
Test(profile, columns_make_positions)
{
	uint32_t at0 = profile_code_frame(&P, "main", "app.py", 1, 10, 0);
	uint32_t at14 = profile_code_frame(&P, "main", "app.py", 1, 10, 14);
	uint32_t none = profile_code_frame(&P, "main", "app.py", 1, 10, PROF_NO_COLUMN);

	cr_assert(at0 != at14 && at0 != none && at14 != none, "column 0 is not \"none\"");
	cr_assert_eq(profile_code_frame(&P, "main", "app.py", 1, 10, 14), at14);
	cr_assert_eq(P.frames[at0].column, 0);
	cr_assert_eq(P.frames[at14].column, 14);
	cr_assert_eq(P.frames[none].column, PROF_NO_COLUMN);
	cr_assert_eq(prof_frame_column1(&P.frames[at0]), 1, "counted from 1 for the outputs");
	cr_assert_eq(prof_frame_column1(&P.frames[at14]), 15);
	cr_assert_eq(prof_frame_column1(&P.frames[none]), 0);
	/* Any negative column is the one "none"; a column without a line is none. */
	cr_assert_eq(profile_code_frame(&P, "main", "app.py", 1, 10, -7), none);
	cr_assert_eq(P.frames[profile_code_frame(&P, "main", "app.py", 1, 0, 5)].column,
		     PROF_NO_COLUMN);
	cr_assert_eq(P.frames[profile_frame(&P, "memcpy", "libc.so.6", 0)].column, PROF_NO_COLUMN);
}

Test(profile, identical_stacks_aggregate)
{
	size_t proc = profile_process(&P, 100, "python app.py", "3.11.7");
	struct prof_thread *t = profile_thread(&P, proc, 100, "MainThread");
	uint32_t a = profile_frame(&P, "<module>", "app.py", 1);
	uint32_t b = profile_frame(&P, "main", "app.py", 5);
	uint32_t stack[] = { a, b };
	uint32_t again[] = { a, b };	/* another array, same contents */

	cr_assert_not_null(t);
	cr_assert_eq(profile_add(&P, t, stack, 2, 1), 0);
	cr_assert_eq(profile_add(&P, t, again, 2, 3), 0);
	cr_assert_eq(profile_add(&P, t, stack, 2, 6), 0);
	cr_assert_eq(t->nstacks, 1);
	cr_assert_eq(t->stacks[0].count, 10);
	cr_assert_eq(t->stacks[0].depth, 2);
	cr_assert_eq(t->stacks[0].frames[0], a);
	cr_assert_eq(t->stacks[0].frames[1], b);
	cr_assert_eq(t->samples, 10);
	cr_assert_eq(P.processes[proc].samples, 10);
	/* The profile copied the frames. */
	stack[0] = b;
	cr_assert_eq(t->stacks[0].frames[0], a);
}

Test(profile, depth_and_order_make_different_stacks)
{
	size_t proc = profile_process(&P, 100, "python", "3.11.7");
	struct prof_thread *t = profile_thread(&P, proc, 101, "worker");
	uint32_t a = profile_frame(&P, "a", "x.py", 1);
	uint32_t b = profile_frame(&P, "b", "x.py", 2);
	uint32_t c = profile_frame(&P, "c", "x.py", 3);
	const uint32_t ab[] = { a, b }, ba[] = { b, a }, abc[] = { a, b, c }, aa[] = { a, a };

	cr_assert_eq(profile_add(&P, t, ab, 2, 1), 0);
	cr_assert_eq(profile_add(&P, t, ba, 2, 2), 0);
	cr_assert_eq(profile_add(&P, t, abc, 3, 4), 0);
	cr_assert_eq(profile_add(&P, t, abc, 1, 8), 0);		/* just [a] */
	cr_assert_eq(profile_add(&P, t, aa, 2, 16), 0);
	cr_assert_eq(profile_add(&P, t, abc, 0, 32), 0);	/* empty stack */
	cr_assert_eq(profile_add(&P, t, abc, 2, 64), 0);	/* same as ab */
	cr_assert_eq(t->nstacks, 6);

	const struct { const uint32_t *f; uint32_t d; uint64_t count; } want[] = {
		{ ab, 2, 65 }, { ba, 2, 2 }, { abc, 3, 4 }, { abc, 1, 8 }, { aa, 2, 16 },
		{ abc, 0, 32 },
	};
	for (size_t i = 0; i < 6; i++) {
		const struct prof_stack *s = find_stack(t, want[i].f, want[i].d);

		cr_assert_not_null(s, "stack %zu missing", i);
		cr_assert_eq(s->depth, want[i].d);
		cr_assert_eq(s->count, want[i].count, "stack %zu: %ju samples, want %ju", i,
			     (uintmax_t)s->count, (uintmax_t)want[i].count);
	}
	cr_assert_eq(t->samples, 127);
}

Test(profile, totals_per_thread_and_process)
{
	size_t p1 = profile_process(&P, 100, "python a.py", "3.11.7");
	size_t p2 = profile_process(&P, 200, "python b.py", "3.11.2");
	struct prof_thread *t1 = profile_thread(&P, p1, 100, "MainThread");
	struct prof_thread *t2 = profile_thread(&P, p1, 101, "worker");
	struct prof_thread *t3 = profile_thread(&P, p2, 200, "MainThread");
	uint32_t f = profile_frame(&P, "f", "f.py", 1);
	uint32_t g = profile_frame(&P, "g", "g.py", 2);
	const uint32_t fg[] = { f, g };

	cr_assert_eq(p1, 0);
	cr_assert_eq(p2, 1);
	cr_assert_str_eq(P.processes[p1].cmdline, "python a.py");
	cr_assert_str_eq(P.processes[p2].version, "3.11.2");
	cr_assert_eq(profile_add(&P, t1, fg, 2, 5), 0);
	cr_assert_eq(profile_add(&P, t1, fg, 1, 7), 0);
	cr_assert_eq(profile_add(&P, t2, fg, 2, 11), 0);
	cr_assert_eq(profile_add(&P, t3, fg, 2, 13), 0);
	cr_assert_eq(profile_add(&P, t3, fg + 1, 1, 17), 0);

	cr_assert_eq(t1->samples, 12);
	cr_assert_eq(t2->samples, 11);
	cr_assert_eq(t3->samples, 30);
	cr_assert_eq(P.processes[p1].samples, 23);
	cr_assert_eq(P.processes[p2].samples, 30);
	cr_assert_eq(t1->pid, 100);
	cr_assert_eq(t2->pid, 100);
	cr_assert_eq(t3->pid, 200);
	cr_assert_eq(t2->process, p1);
	cr_assert_eq(t3->process, p2);
	cr_assert_str_eq(t2->name, "worker");
	cr_assert_eq(P.nthreads, 3);
}

Test(profile, thread_lookup_is_stable)
{
	size_t p = profile_process(&P, 100, NULL, NULL);
	struct prof_thread *t = profile_thread(&P, p, 7, "first");

	cr_assert_not_null(t);
	cr_assert_str_eq(P.processes[p].cmdline, "");
	cr_assert_str_eq(P.processes[p].version, "");
	/* The name is set on first use only. */
	cr_assert_eq(profile_thread(&P, p, 7, "renamed"), t);
	cr_assert_str_eq(t->name, "first");
	cr_assert_eq(P.nthreads, 1);
	/* Still the same table after many more threads were added. */
	for (uint32_t tid = 1000; tid < 1300; tid++)
		cr_assert_not_null(profile_thread(&P, p, tid, NULL));
	cr_assert_eq(profile_thread(&P, p, 7, NULL), t);
	cr_assert_eq(P.nthreads, 301);
	cr_assert_str_eq(profile_thread(&P, p, 1000, NULL)->name, "");
}

Test(profile, same_tid_in_two_processes_is_two_threads)
{
	/* The same pid registered twice: a restarted process is a new process. */
	size_t p1 = profile_process(&P, 4242, "python old.py", "3.11.7");
	size_t p2 = profile_process(&P, 4242, "python new.py", "3.11.7");
	size_t p3 = profile_process(&P, 5000, "python other.py", "3.11.7");
	uint32_t f = profile_frame(&P, "f", "f.py", 1);

	cr_assert_neq(p1, p2);
	cr_assert_eq(P.nprocesses, 3);

	struct prof_thread *t1 = profile_thread(&P, p1, 4242, "MainThread");
	struct prof_thread *t2 = profile_thread(&P, p2, 4242, "MainThread");
	struct prof_thread *t3 = profile_thread(&P, p3, 4242, "MainThread");

	cr_assert_neq(t1, t2);
	cr_assert_neq(t1, t3);
	cr_assert_neq(t2, t3);
	cr_assert_eq(t1->process, p1);
	cr_assert_eq(t2->process, p2);
	cr_assert_eq(t3->process, p3);
	cr_assert_eq(profile_add(&P, t1, &f, 1, 1), 0);
	cr_assert_eq(profile_add(&P, t2, &f, 1, 2), 0);
	cr_assert_eq(profile_add(&P, t3, &f, 1, 4), 0);
	cr_assert_eq(t1->samples, 1);
	cr_assert_eq(t2->samples, 2);
	cr_assert_eq(t3->samples, 4);
	cr_assert_eq(P.processes[p1].samples, 1);
	cr_assert_eq(P.processes[p2].samples, 2);
	cr_assert_eq(P.processes[p3].samples, 4);
	cr_assert_eq(profile_thread(&P, p2, 4242, NULL), t2);
	cr_assert_eq(P.nthreads, 3);
}

#define NSTACKS 10000

/* Stack I: the 5 base-8 digits of I (8^5 > NSTACKS) as frames, then 0-2 more
 * frames, so stacks differ in depth as well as in content.  Returns depth. */
static uint32_t make_stack(uint32_t i, const uint32_t *frames, uint32_t *stack)
{
	uint32_t depth = 5 + i % 3, v = i;

	for (uint32_t d = 0; d < 5; d++, v /= 8)
		stack[d] = frames[v % 8];
	for (uint32_t d = 5; d < depth; d++)
		stack[d] = frames[d];
	return depth;
}

Test(profile, ten_thousand_distinct_stacks)
{
	size_t p = profile_process(&P, 1, "stress", "3.11.7");
	struct prof_thread *t = profile_thread(&P, p, 1, "MainThread");
	struct prof_thread *u = profile_thread(&P, p, 2, "other");
	uint32_t frames[8];
	uint64_t total = 0;

	for (int i = 0; i < 8; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		frames[i] = profile_frame(&P, name, "stress.py", i + 1);
	}
	/* Three rounds over the same 10000 stacks; each adds i + 1 samples. */
	for (int round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < NSTACKS; i++) {
			uint32_t stack[8], depth = make_stack(i, frames, stack);

			cr_assert_eq(profile_add(&P, t, stack, depth, i + 1), 0);
			total += i + 1;
		}
	}
	cr_assert_eq(t->nstacks, NSTACKS);
	cr_assert_eq(t->samples, total);
	cr_assert_eq(total, 3ULL * NSTACKS * (NSTACKS + 1) / 2);
	uint64_t sum = 0;

	for (size_t i = 0; i < t->nstacks; i++) {
		cr_assert(t->stacks[i].count % 3 == 0);
		sum += t->stacks[i].count;
	}
	cr_assert_eq(sum, total);
	/* Spot checks. */
	for (uint32_t i = 0; i < NSTACKS; i += 1111) {
		uint32_t stack[8], depth = make_stack(i, frames, stack);
		const struct prof_stack *s = find_stack(t, stack, depth);

		cr_assert_not_null(s, "stack %u", i);
		cr_assert_eq(s->count, 3 * (i + 1), "stack %u", i);
	}
	cr_assert_eq(u->samples, 0);
	cr_assert_eq(u->nstacks, 0);
	cr_assert_eq(P.processes[p].samples, total);
	cr_assert_eq(P.nframes, 8);
}

Test(profile, describes_samples_in_their_unit)
{
	struct profile bytes;
	char text[64];

	profile_init(&bytes, 512 << 10);
	profile_describe(&bytes, 3, text, sizeof(text));
	cr_assert_str_eq(text, "3 samples");
	bytes.unit = PROF_UNIT_BYTES;
	profile_describe(&bytes, 3, text, sizeof(text));
	cr_assert_str_eq(text, "1.5 MiB in 3 samples");
	profile_describe(&bytes, 1, text, sizeof(text));
	cr_assert_str_eq(text, "512.0 KiB in 1 sample");
	bytes.sample_value = 100;
	profile_describe(&bytes, 2, text, sizeof(text));
	cr_assert_str_eq(text, "200 bytes in 2 samples");
	cr_assert_str_eq(profile_unit_name(PROF_UNIT_BYTES), "bytes");
	cr_assert_str_eq(profile_unit_name(PROF_UNIT_NANOSECONDS), "nanoseconds");
	profile_free(&bytes);
}

/*
 * An agent lets go of the processes it has sent: their threads and stacks
 * leave the profile (and its bounds' use), the threads left keep their
 * order and are still found, and a later process takes the slot.
 */
Test(profile, a_process_let_go_of_leaves_its_slot_to_a_later_one)
{
	size_t gone = profile_process(&P, 100, "python3 gone.py", "3.11.2");
	size_t kept = profile_process(&P, 200, "python3 kept.py", "3.11.2");
	uint32_t f = profile_frame(&P, "f", "f.py", 1), g = profile_frame(&P, "g", "g.py", 2);
	const uint32_t deep[] = { f, g, f }, shallow[] = { g };
	struct prof_thread *a = profile_thread(&P, gone, 100, "MainThread");
	struct prof_thread *b = profile_thread(&P, kept, 200, "MainThread");
	struct prof_thread *c = profile_thread(&P, gone, 101, "worker");
	struct prof_thread *d = profile_thread(&P, kept, 201, "worker");
	bool retire[2] = { [0] = true };
	size_t moved[4];

	cr_assert_eq(profile_add(&P, a, deep, 3, 5), 0);
	cr_assert_eq(profile_add(&P, c, shallow, 1, 2), 0);
	cr_assert_eq(profile_add(&P, b, shallow, 1, 7), 0);
	cr_assert_eq(profile_add(&P, d, deep, 3, 1), 0);
	cr_assert_eq(P.nstacks, 4);
	cr_assert_eq(P.stack_frames, 8);

	profile_retire(&P, retire, moved);
	cr_assert_eq(moved[0], PROFILE_THREAD_GONE);
	cr_assert_eq(moved[1], 0);
	cr_assert_eq(moved[2], PROFILE_THREAD_GONE);
	cr_assert_eq(moved[3], 1);
	cr_assert_eq(P.nthreads, 2);
	cr_assert_eq(P.threads[0], b);
	cr_assert_eq(P.threads[1], d);
	cr_assert_eq(b->index, 0);
	cr_assert_eq(d->index, 1);
	cr_assert_eq(P.nstacks, 2, "its stacks no longer count against the bound");
	cr_assert_eq(P.stack_frames, 4);
	cr_assert_eq(P.retired_samples, 7);
	cr_assert_eq(profile_samples(&P), 8);
	cr_assert_eq(profile_live_processes(&P), 1);
	/* The threads left are found where they are now. */
	cr_assert_eq(profile_thread(&P, kept, 200, NULL), b);
	cr_assert_eq(profile_thread(&P, kept, 201, NULL), d);

	/* Letting go twice of a free slot does nothing. */
	profile_retire(&P, retire, moved);
	cr_assert_eq(P.nfree_processes, 1);
	cr_assert_eq(P.retired_samples, 7);

	/* The next process takes the slot, with none of the old one's threads. */
	size_t later = profile_process(&P, 300, "python3 later.py", "3.12.1");
	cr_assert_eq(later, gone);
	cr_assert_eq(P.nprocesses, 2);
	cr_assert_eq(profile_live_processes(&P), 2);
	cr_assert_str_eq(P.processes[later].cmdline, "python3 later.py");
	cr_assert_eq(P.processes[later].samples, 0);
	cr_assert_null(P.processes[later].executable);
	struct prof_thread *e = profile_thread(&P, later, 100, "new");
	cr_assert_eq(P.nthreads, 3);
	cr_assert_str_eq(e->name, "new");
	cr_assert_eq(e->samples, 0);
	cr_assert_eq(e->index, 2);
	/* A third process is a new slot. */
	cr_assert_eq(profile_process(&P, 400, NULL, NULL), 2);
}

/* A process that could not be profiled after all gives its slot back, leaving no hole behind. */
Test(profile, a_process_dropped_at_once_leaves_no_slot_behind)
{
	size_t first = profile_process(&P, 100, "python3 a.py", "3.11.2");
	size_t failed = profile_process(&P, 200, "python3 b.py", "3.11.2");

	profile_drop_process(&P, failed);
	cr_assert_eq(P.nprocesses, 1, "the last one: no hole for the outputs");
	cr_assert_eq(P.nfree_processes, 0);
	cr_assert_eq(profile_process(&P, 300, "python3 c.py", "3.11.2"), failed);

	/* A slot taken again from those let go of goes back to them. */
	bool retire[2] = { true, false };
	size_t moved[1];

	profile_retire(&P, retire, moved);
	size_t reused = profile_process(&P, 400, "python3 d.py", "3.11.2");
	cr_assert_eq(reused, first);
	profile_drop_process(&P, reused);
	cr_assert_eq(P.nprocesses, 2);
	cr_assert_eq(P.nfree_processes, 1);
	cr_assert_null(P.processes[first].cmdline);
	cr_assert_eq(profile_live_processes(&P), 1);
}
