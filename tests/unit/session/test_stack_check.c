// SPDX-License-Identifier: BSD-3-Clause
/*
 * bpf/stack_check.h: the rules a live frame chain keeps, on made-up chains
 * laid out as CPython 3.11+ lays out its data stack (the BPF program and
 * userspace's walk both run these very functions).
 */
#include <criterion/criterion.h>
#include <string.h>
#include "python/py_layout.h"
#include "stack_check.h"

#define CHUNK	0x7f0000001000ULL	/* a data-stack chunk: page-aligned */
#define FIRST	(CHUNK + 32)		/* the first chunk's first frame */

static struct pyperf_offsets off312(void)
{
	return py_layout_static(3, 12, false)->bpf;
}

/* A 3.12 thread state whose current chunk is [CHUNK, +16 KiB) with TOP. */
static void start(struct stack_check *c, const struct pyperf_offsets *o, uint64_t top)
{
	uint8_t ts[PYPERF_TSTATE_READ];
	uint64_t chunk = CHUNK, limit = CHUNK + 16384;

	memset(ts, 0, sizeof(ts));
	memcpy(ts + o->tstate_datastack_chunk, &chunk, 8);
	memcpy(ts + o->tstate_datastack_chunk + 8, &top, 8);
	memcpy(ts + o->tstate_datastack_chunk + 16, &limit, 8);
	stack_check_init(c, o, ts, sizeof(ts));
}

Test(stack_check, contiguous_chain_ending_at_a_shim_is_whole)
{
	struct pyperf_offsets o = off312();
	struct stack_check c;
	/* Three frames of 10, 20 and 30 words, each pushed where its caller ends. */
	uint64_t a = FIRST, b = a + 10 * 8, d = b + 20 * 8;

	start(&c, &o, d + 30 * 8);
	cr_assert_eq(stack_check_frame(&c, &o, d, 0, 30, 0), PYPERF_TORN_NONE);
	cr_assert_eq(stack_check_frame(&c, &o, b, 0, 20, 1), PYPERF_TORN_NONE);
	cr_assert_eq(stack_check_frame(&c, &o, a, 0, 10, 2), PYPERF_TORN_NONE);
	stack_check_kind(&c, &o, a, 0, 0);
	cr_assert_eq(stack_check_end(&c), PYPERF_TORN_BASE, "ends at a Python frame");
	stack_check_kind(&c, &o, 0x7ffd0000, 1, 0);	/* the eval loop's shim, on the C stack */
	cr_assert_eq(stack_check_end(&c), PYPERF_TORN_NONE);
}

Test(stack_check, stale_caller_is_torn_and_its_callee_dropped)
{
	struct pyperf_offsets o = off312();
	struct stack_check c;
	uint64_t caller = FIRST, callee = caller + 12 * 8, leaf = callee + 40 * 8;

	start(&c, &o, leaf + 16 * 8);
	cr_assert_eq(stack_check_frame(&c, &o, leaf, 0, 16, 0), PYPERF_TORN_NONE);
	cr_assert_eq(stack_check_frame(&c, &o, callee, 0, 40, 1), PYPERF_TORN_NONE);
	/* callee's link points at a frame 8 words (not 12) below it: stale. */
	cr_assert_eq(stack_check_frame(&c, &o, callee - 8 * 8, 0, 8 + 1, 2), PYPERF_TORN_SPACING);
	/* The frame being linked in goes; the leaf it called stays. */
	cr_assert_eq(stack_check_keep(&c, PYPERF_TORN_SPACING), 1);
	cr_assert_eq(stack_check_keep(&c, PYPERF_TORN_BASE), 0);
	(void)caller;
}

Test(stack_check, new_chunk_and_generators_are_not_spacing_errors)
{
	struct pyperf_offsets o = off312();
	struct stack_check c;
	uint64_t caller = FIRST, next_chunk = CHUNK + 0x10000 + 24;

	start(&c, &o, next_chunk + 0x1000);
	/* The callee starts a chunk of its own: its caller is anywhere. */
	c.chunk_start = 0;
	cr_assert_eq(stack_check_frame(&c, &o, next_chunk, 0, 20, 0), PYPERF_TORN_NONE);
	cr_assert_eq(stack_check_frame(&c, &o, caller, 0, 10, 1), PYPERF_TORN_NONE);
	/* A generator's frame lives in its object: not checked, and not the callee. */
	cr_assert_eq(stack_check_frame(&c, &o, 0x5555000, 1, 7, 2), PYPERF_TORN_NONE);
	cr_assert_eq(c.callee, caller);
	/* Size unknown (code object unreadable): nothing to compare the next with. */
	cr_assert_eq(stack_check_frame(&c, &o, caller - 64, 0, 0, 3), PYPERF_TORN_NONE);
	cr_assert_eq(stack_check_frame(&c, &o, caller - 999, 0, 5, 4), PYPERF_TORN_NONE);
}

Test(stack_check, frame_above_the_top_is_dead)
{
	struct pyperf_offsets o = off312();
	struct stack_check c;
	uint64_t live = FIRST, dead = live + 10 * 8;

	start(&c, &o, dead);	/* the top ends where the live frame does */
	cr_assert_eq(stack_check_frame(&c, &o, dead, 0, 10, 0), PYPERF_TORN_ABOVE_TOP);
	start(&c, &o, dead);
	cr_assert_eq(stack_check_frame(&c, &o, live, 0, 10, 0), PYPERF_TORN_NONE);
}

Test(stack_check, base_rules_per_version)
{
	struct stack_check c;
	struct pyperf_offsets o38 = py_layout_static(3, 8, false)->bpf;
	struct pyperf_offsets o311 = py_layout_static(3, 11, false)->bpf;
	struct pyperf_offsets o315 = py_layout_static(3, 15, false)->bpf;

	memset(&c, 0, sizeof(c));
	/* 3.8: frame objects, any frame with a NULL f_back is the base; no spacing. */
	cr_assert_eq(stack_check_frame(&c, &o38, 0x1000, 0, 0, 0), PYPERF_TORN_NONE);
	stack_check_kind(&c, &o38, 0x1000, 0, 0);
	cr_assert_eq(stack_check_end(&c), PYPERF_TORN_NONE);
	/* 3.11: the base is an is_entry frame. */
	stack_check_kind(&c, &o311, 0x1000, 0, 0);
	cr_assert_eq(stack_check_end(&c), PYPERF_TORN_BASE);
	stack_check_kind(&c, &o311, 0x1000, 0, 1);
	cr_assert_eq(stack_check_end(&c), PYPERF_TORN_NONE);
	/* 3.15: the thread state's own base frame, and no other shim. */
	c.base_frame = 0x9000;
	stack_check_kind(&c, &o315, 0x8000, 1, 0);
	cr_assert_eq(stack_check_end(&c), PYPERF_TORN_BASE);
	stack_check_kind(&c, &o315, 0x9000, 1, 0);
	cr_assert_eq(stack_check_end(&c), PYPERF_TORN_NONE);
}

Test(stack_check, framesize_from_one_or_two_fields)
{
	struct pyperf_offsets o311 = py_layout_static(3, 11, false)->bpf;
	struct pyperf_offsets o312 = off312();
	uint8_t code[PYPERF_CODE_READ];
	uint32_t nlocalsplus = 5, stacksize = 7, framesize = 21;

	memset(code, 0, sizeof(code));
	/* 3.11: co_nlocalsplus + co_stacksize + FRAME_SPECIALS_SIZE (9). */
	memcpy(code + o311.code_framesize, &nlocalsplus, 4);
	memcpy(code + o311.code_framesize_plus, &stacksize, 4);
	cr_assert_eq(stack_check_framesize(&o311, code, sizeof(code)), 5 + 7 + 9);
	/* 3.12+: co_framesize. */
	memcpy(code + o312.code_framesize, &framesize, 4);
	cr_assert_eq(stack_check_framesize(&o312, code, sizeof(code)), 21);
	/* A field beyond what was read: unknown. */
	cr_assert_eq(stack_check_framesize(&o312, code, o312.code_framesize), 0);
}

Test(stack_check, cycles_found_within_twice_their_length)
{
	for (uint64_t len = 1; len < 200; len += 7) {
		struct chain_cycle c = { 0 };
		uint64_t steps = 0;

		/* A chain of 5 frames leading into a loop of LEN frames. */
		while (!chain_cycle_seen(&c, steps < 5 ? steps : 5 + (steps - 5) % len))
			steps++;
		cr_assert_leq(steps, 5 + 3 * len + 2, "loop of %llu found after %llu steps",
			      (unsigned long long)len, (unsigned long long)steps);
	}
}

Test(stack_check, a_frame_being_torn_down_may_sit_between)
{
	struct pyperf_offsets o = off312();
	struct stack_check c;
	/* caller (10 words), dying callee (20 words, already popped from the chain), callback above it */
	uint64_t caller = FIRST, dying = caller + 10 * 8, callback = dying + 20 * 8;

	start(&c, &o, callback + 8 * 8);
	cr_assert_eq(stack_check_frame(&c, &o, callback, 0, 8, 0), PYPERF_TORN_NONE);
	cr_assert_eq(stack_check_frame(&c, &o, caller, 0, 10, 1), PYPERF_TORN_SPACING);
	/* The frame at the caller's end links back to the caller: the chain is whole. */
	cr_assert_eq(stack_check_gap(&c, &o, caller, 1, caller, 0), PYPERF_TORN_NONE);
	cr_assert_eq(c.callee, caller);
	/* One that does not (stale memory), or not the thread's: torn. */
	start(&c, &o, callback + 8 * 8);
	stack_check_frame(&c, &o, callback, 0, 8, 0);
	cr_assert_eq(stack_check_frame(&c, &o, caller, 0, 10, 1), PYPERF_TORN_SPACING);
	cr_assert_eq(stack_check_gap(&c, &o, caller, 1, caller + 8, 0), PYPERF_TORN_SPACING);
	cr_assert_eq(stack_check_gap(&c, &o, caller, 1, caller, 1), PYPERF_TORN_SPACING);
	(void)dying;
}
