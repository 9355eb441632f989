// SPDX-License-Identifier: BSD-3-Clause
/* user/profile/function_view.h: the profile by function. */
#include <criterion/criterion.h>
#include <string.h>
#include "profile/function_view.h"

static struct profile P, V;

static void setup(void)
{
	profile_init(&P, 1000000);
	memset(&V, 0, sizeof(V));
}

static void teardown(void)
{
	profile_free(&P);
	profile_free(&V);
}

TestSuite(function_view, .init = setup, .fini = teardown);

static const struct prof_frame *frame_of(const struct profile *p, uint32_t id)
{
	return &p->frames[id];
}

Test(function_view, lines_of_a_function_become_one_frame)
{
	size_t proc = profile_process(&P, 7, "python3 app.py", "3.12.1");
	struct prof_thread *t = profile_thread(&P, proc, 7, "main");
	uint32_t main_at_4 = profile_code_frame(&P, "main", "app.py", 1, 4, PROF_NO_COLUMN);
	uint32_t work_at_11 = profile_code_frame(&P, "work", "app.py", 10, 11, PROF_NO_COLUMN);
	uint32_t work_at_12 = profile_code_frame(&P, "work", "app.py", 10, 12, PROF_NO_COLUMN);
	/* Another function of the same name in the same file (a second "def work"). */
	uint32_t other_work = profile_code_frame(&P, "work", "app.py", 30, 31, PROF_NO_COLUMN);
	uint32_t native = profile_frame(&P, "memcpy", "libc.so.6", 0);
	const uint32_t s1[] = { main_at_4, work_at_11 }, s2[] = { main_at_4, work_at_12 },
		       s3[] = { main_at_4, other_work, native };
	const struct prof_thread *vt;

	cr_assert_eq(profile_add(&P, t, s1, 2, 3), 0);
	cr_assert_eq(profile_add(&P, t, s2, 2, 2), 0);
	cr_assert_eq(profile_add(&P, t, s3, 3, 1), 0);
	cr_assert_eq(profile_function_view(&V, &P), 0);

	cr_assert_eq(V.nthreads, 1);
	vt = V.threads[0];
	cr_assert_eq(vt->tid, 7);
	cr_assert_str_eq(vt->name, "main");
	cr_assert_str_eq(V.processes[vt->process].cmdline, "python3 app.py");
	/* s1 and s2 are one stack now: work at its first line, 5 samples. */
	cr_assert_eq(vt->nstacks, 2, "%zu stacks", vt->nstacks);
	cr_assert_eq(vt->stacks[0].count, 5);
	cr_assert_eq(vt->stacks[1].count, 1);
	cr_assert_eq(vt->samples, 6);
	cr_assert_eq(V.processes[0].samples, 6);
	{
		const struct prof_frame *w = frame_of(&V, vt->stacks[0].frames[1]);
		const struct prof_frame *o = frame_of(&V, vt->stacks[1].frames[1]);
		const struct prof_frame *n = frame_of(&V, vt->stacks[1].frames[2]);

		cr_assert_str_eq(V.strings[w->name], "work");
		cr_assert_eq(w->line, 10, "a function is shown at its first line");
		cr_assert_eq(w->first_line, 10);
		/* The same name at another first line is another function. */
		cr_assert_str_eq(V.strings[o->name], "work");
		cr_assert_eq(o->line, 30);
		cr_assert_neq(vt->stacks[0].frames[1], vt->stacks[1].frames[1]);
		cr_assert_str_eq(V.strings[n->name], "memcpy");
		cr_assert_str_eq(V.strings[n->file], "libc.so.6");
		cr_assert_eq(n->line, 0);
	}
	/* Both main frames were main at line 4: one frame, the same in both stacks. */
	cr_assert_eq(vt->stacks[0].frames[0], vt->stacks[1].frames[0]);
	/* The source keeps its lines. */
	cr_assert_eq(P.threads[0]->nstacks, 3);
}

/* The columns of a function's positions go with its lines: one frame, no column. */
Test(function_view, columns_go_with_the_lines)
{
	size_t proc = profile_process(&P, 7, "python3 app.py", "3.12.1");
	struct prof_thread *t = profile_thread(&P, proc, 7, "main");
	uint32_t call_a = profile_code_frame(&P, "main", "app.py", 1, 4, 12);
	uint32_t call_b = profile_code_frame(&P, "main", "app.py", 1, 4, 24);
	const struct prof_frame *f;

	cr_assert_eq(profile_add(&P, t, &call_a, 1, 3), 0);
	cr_assert_eq(profile_add(&P, t, &call_b, 1, 2), 0);
	cr_assert_eq(profile_function_view(&V, &P), 0);
	cr_assert_eq(V.threads[0]->nstacks, 1);
	cr_assert_eq(V.threads[0]->stacks[0].count, 5);
	f = frame_of(&V, V.threads[0]->stacks[0].frames[0]);
	cr_assert_eq(f->line, 1);
	cr_assert_eq(f->column, PROF_NO_COLUMN);
}

Test(function_view, the_order_of_samples_stays)
{
	size_t proc = profile_process(&P, 1, "py", "");
	struct prof_thread *t = profile_thread(&P, proc, 1, "t");
	uint32_t a1 = profile_code_frame(&P, "a", "x.py", 1, 2, PROF_NO_COLUMN);
	uint32_t a2 = profile_code_frame(&P, "a", "x.py", 1, 3, PROF_NO_COLUMN);
	uint32_t b = profile_code_frame(&P, "b", "x.py", 5, 6, PROF_NO_COLUMN);

	/* a@2, a@3, b, a@2: by function a, a, b, a -> runs a x3 (merged), b, a. */
	cr_assert_eq(profile_add(&P, t, &a1, 1, 2), 0);
	cr_assert_eq(profile_add(&P, t, &a2, 1, 1), 0);
	cr_assert_eq(profile_add(&P, t, &b, 1, 4), 0);
	cr_assert_eq(profile_add(&P, t, &a1, 1, 1), 0);
	cr_assert_eq(profile_function_view(&V, &P), 0);
	{
		const struct prof_thread *vt = V.threads[0];

		cr_assert_eq(vt->nruns, 3, "%zu runs", vt->nruns);
		cr_assert_eq(vt->runs[0].count, 3);
		cr_assert_eq(vt->runs[1].count, 4);
		cr_assert_eq(vt->runs[2].count, 1);
		cr_assert_eq(vt->runs[0].stack, vt->runs[2].stack);
		cr_assert_neq(vt->runs[0].stack, vt->runs[1].stack);
	}
}

Test(function_view, an_unknown_first_line_keeps_name_and_file)
{
	size_t proc = profile_process(&P, 1, "py", "");
	struct prof_thread *t = profile_thread(&P, proc, 1, "t");
	/* A recording from before first lines were kept: 0, by line 3 and 4. */
	uint32_t f3 = profile_frame(&P, "f", "old.py", 3), f4 = profile_frame(&P, "f", "old.py", 4);

	cr_assert_eq(profile_add(&P, t, &f3, 1, 1), 0);
	cr_assert_eq(profile_add(&P, t, &f4, 1, 1), 0);
	cr_assert_eq(profile_function_view(&V, &P), 0);
	cr_assert_eq(V.threads[0]->nstacks, 1);
	cr_assert_eq(V.frames[V.threads[0]->stacks[0].frames[0]].line, 0);
	cr_assert_eq(V.threads[0]->stacks[0].count, 2);
}
