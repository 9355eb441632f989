// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/native/frame_interleave.h and native_stack.h: a sample's Python
 * frames put among its native frames (each eval-loop frame replaced by the
 * Python frames its call ran), with an unwind that stopped early, eval
 * calls with no Python frame yet, Python frames missing, and the kernel
 * frames at the leaf without pybpf's own BPF program's.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "native/frame_interleave.h"
#include "native/kernel_symbols.h"
#include "native/native_stack.h"
#include "temp_file.h"

/* Frame ids: Python frames 100+, native 200+, markers 900+. */
enum { INCOMPLETE = 900, UNPLACED = 901, EVAL = 0 };

#define IN PY_FRAME_IN_CALL
#define START PY_FRAME_CALL_START
#define MARK PY_FRAME_MARK

struct merge_case {
	/* Python frames innermost first, with their kinds. */
	uint32_t python[8];
	uint8_t kinds[8];
	size_t npython;
	/* Native frames innermost first; EVAL stands for an eval-loop frame. */
	uint32_t native[8];
	size_t nnative;
	bool unwind_incomplete;
	/* The merged stack, outermost first. */
	uint32_t want[16];
	size_t nwant;
};

static size_t merge(const struct merge_case *c, uint32_t *out, size_t max)
{
	bool eval[8];
	struct python_frames python = { c->python, c->kinds, c->npython };
	struct native_frames native = { c->native, eval, c->nnative,
					c->unwind_incomplete ? INCOMPLETE : FRAME_NONE, UNPLACED };
	size_t depth = 0;

	for (size_t i = 0; i < c->nnative; i++)
		eval[i] = c->native[i] == EVAL;
	interleave_frames(&python, &native, out, &depth, max);
	return depth;
}

static void check(const struct merge_case *c)
{
	uint32_t out[16];
	size_t depth = merge(c, out, 16);

	cr_assert_eq(depth, c->nwant, "%zu frames merged, %zu expected", depth, c->nwant);
	for (size_t i = 0; i < depth; i++)
		cr_assert_eq(out[i], c->want[i], "frame %zu (outermost 0) is %u, %u expected",
			     i, out[i], c->want[i]);
}

/*
 * 3.11+: frames 100,101 ran in the inner eval call (101 its first), 102,103
 * in the outer one.  Native, innermost first: a C function the leaf called
 * (200), eval, PyObject_Call (201), eval, main (202).
 */
Test(native_stack, each_eval_frame_replaced_by_its_calls_frames)
{
	check(&(struct merge_case){
		.python = { 100, 101, 102, 103 }, .kinds = { IN, START, IN, START }, .npython = 4,
		.native = { 200, EVAL, 201, EVAL, 202 }, .nnative = 5,
		.want = { 202, 103, 102, 201, 101, 100, 200 }, .nwant = 7 });
}

/* Up to 3.10 every frame is its own eval call. */
Test(native_stack, one_eval_call_per_frame)
{
	check(&(struct merge_case){
		.python = { 100, 101, 102 }, .kinds = { START, START, START }, .npython = 3,
		.native = { EVAL, 201, EVAL, 202, EVAL, 203 }, .nnative = 6,
		.want = { 203, 102, 202, 101, 201, 100 }, .nwant = 6 });
}

/*
 * The unwind stopped after the inner eval call: the outer call's frames go
 * on top, then the marker, then what the unwind reached, the innermost
 * call's frames paired with the innermost eval frame.
 */
Test(native_stack, unwind_stopped_before_the_outer_calls)
{
	check(&(struct merge_case){
		.python = { 100, 101, 102, 103, 104 }, .kinds = { START, IN, START, IN, START },
		.npython = 5,
		.native = { 200, EVAL, 201 }, .nnative = 3, .unwind_incomplete = true,
		.want = { 104, 103, 102, 101, INCOMPLETE, 201, 100, 200 }, .nwant = 8 });
}

/* Not one eval frame reached: every Python frame above the marker. */
Test(native_stack, unwind_reached_no_eval_call)
{
	check(&(struct merge_case){
		.python = { 100, 101 }, .kinds = { IN, START }, .npython = 2,
		.native = { 200, 201 }, .nnative = 2, .unwind_incomplete = true,
		.want = { 101, 100, INCOMPLETE, 201, 200 }, .nwant = 5 });
}

/*
 * An eval call that has not linked its first frame yet (the sample hit its
 * prologue): the innermost eval frame gets no Python frame, the others
 * keep theirs.
 */
Test(native_stack, eval_call_without_frames_yet)
{
	check(&(struct merge_case){
		.python = { 100, 101 }, .kinds = { IN, START }, .npython = 2,
		.native = { 200, EVAL, 201, EVAL, 202 }, .nnative = 5,
		.want = { 202, 101, 100, 201, 200 }, .nwant = 5 });
}

/*
 * The Python walk ended early (a marker at its root) with more eval calls
 * than segments: which call ran which frame is unknown, so no native frame
 * goes between Python frames and the marker says some were left out.
 */
Test(native_stack, python_frames_missing_places_no_native_frame_between)
{
	check(&(struct merge_case){
		.python = { 100, 101, 950 }, .kinds = { IN, START, MARK }, .npython = 3,
		.native = { 200, EVAL, 201, EVAL, 202, EVAL, 203 }, .nnative = 7,
		.want = { 203, UNPLACED, 950, 101, 100, 200 }, .nwant = 6 });
}

/* A marker at the root alone is not a segment: the pairing stays exact. */
Test(native_stack, root_marker_joins_the_outermost_call)
{
	check(&(struct merge_case){
		.python = { 100, 101, 950 }, .kinds = { START, START, MARK }, .npython = 3,
		.native = { EVAL, 201, EVAL, 202 }, .nnative = 4,
		.want = { 202, 950, 101, 201, 100 }, .nwant = 5 });
}

/* The outermost call cut before its first frame is still a segment. */
Test(native_stack, outermost_call_without_its_first_frame)
{
	uint32_t python[] = { 100, 101, 102 };
	uint8_t kinds[] = { START, IN, IN };
	size_t ends[3];
	struct python_frames frames = { python, kinds, 3 };

	cr_assert_eq(python_segments(&frames, ends), 2);
	cr_assert_eq(ends[0], 1);
	cr_assert_eq(ends[1], 3);
}

/* OUT fills up to MAX and no further; FRAME_NONE is never written. */
Test(native_stack, bounded_by_max_and_skips_none)
{
	struct merge_case c = {
		.python = { 100, FRAME_NONE, 101 }, .kinds = { IN, IN, START }, .npython = 3,
		.native = { 200, EVAL, 201, 202 }, .nnative = 4,
	};
	uint32_t out[16];

	cr_assert_eq(merge(&c, out, 16), 5);
	cr_assert_eq(out[2], 101);
	cr_assert_eq(out[3], 100);
	cr_assert_eq(merge(&c, out, 2), 2);
	cr_assert_eq(out[0], 202);
	cr_assert_eq(out[1], 201);
}

static const char *frame_name(const struct profile *p, uint32_t frame)
{
	return p->strings[p->frames[frame].name];
}

/*
 * Kernel frames go at the leaf, innermost last, named with their module;
 * the innermost ones that are pybpf's own BPF program (it runs in the
 * scheduler tracepoint) are left out.
 */
Test(native_stack, kernel_frames_at_the_leaf_without_the_bpf_program)
{
	char path[] = "/tmp/pybpf-kallsyms-XXXXXX";
	struct {
		struct pyperf_sample_header hdr;
		uint64_t ips[4];
	} record = { .hdr = { .nkernel = 4 } };
	uint32_t python[] = { 7 };
	uint8_t kinds[] = { START };
	struct python_frames frames = { python, kinds, 1 };
	struct native_stack n;
	struct profile p;
	uint32_t out[8];
	size_t depth = 0;

	temp_file_write(path, "ffffffff81000000 T entry_SYSCALL_64\n"
			 "ffffffff81001000 T ksys_read\n"
			 "ffffffff81002000 t bpf_prog_6deef7357e7b4530_on_switch\n"
			 "ffffffffc0000000 t ext4_file_read_iter\t[ext4]\n"
			 "ffffffffc0001000 t module_end\t[ext4]\n");
	profile_init(&p, 1000000);
	python[0] = profile_frame(&p, "leaf", "x.py", 1);
	cr_assert_eq(native_stack_init(&n, &p, false, false), 0);
	n.kernel = kernel_symbols_new(path);
	cr_assert_not_null(n.kernel);
	/* Innermost first: the BPF program, a module function, read, the entry. */
	record.ips[0] = 0xffffffff81002010;
	record.ips[1] = 0xffffffffc0000020;
	record.ips[2] = 0xffffffff81001030;
	record.ips[3] = 0xffffffff81000040;
	native_stack_merge(&n, (const struct pyperf_sample *)&record, sizeof(record), &frames,
			   out, &depth, 8);
	cr_assert_eq(depth, 4);
	cr_assert_str_eq(frame_name(&p, out[0]), "leaf");
	cr_assert_str_eq(frame_name(&p, out[1]), "entry_SYSCALL_64");
	cr_assert_str_eq(frame_name(&p, out[2]), "ksys_read");
	cr_assert_str_eq(frame_name(&p, out[3]), "ext4_file_read_iter [ext4]");
	native_stack_free(&n);
	profile_free(&p);
	unlink(path);
}
