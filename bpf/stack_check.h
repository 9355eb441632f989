/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules every live CPython frame chain keeps, checked frame by frame
 * while a chain is walked innermost first: by the BPF program on every
 * sample, and by userspace's own walk (dump, the start of --mode wall).
 * A chain that breaks one was caught mid-update (the eval loop links a new
 * frame in several stores, and GCC orders them as it likes) or is not a
 * chain at all; the frames from the break on are not the thread's, so the
 * walk stops there and the stack is marked incomplete (enum pyperf_torn).
 *
 * Pure functions of values already read: the callers do the reading, so
 * the logic is the same in both places and unit-tested with made-up chains.
 */
#ifndef PYBPF_STACK_CHECK_H
#define PYBPF_STACK_CHECK_H

#include "pyperf.h"

_Static_assert((PYPERF_PAGE_SIZE & (PYPERF_PAGE_SIZE - 1)) == 0, "page size is a power of two");

/* What the walk knows of the thread's data stack (3.11+), and where it is. */
struct stack_check {
	__u64 chunk_start;		/* current data-stack chunk, 0: unknown */
	__u64 chunk_limit;
	__u64 top;			/* datastack_top: frames end at or below it */
	__u64 callee;			/* the last data-stack frame passed, 0: none */
	__u32 callee_depth;		/* ... its index among the frames kept */
	__u64 base_frame;		/* PYPERF_BASE_SENTINEL: where the chain must end */
	__u8 last_is_base;		/* the last frame passed can end a whole chain */
};

static __inline __u64 stack_check_u64(const __u8 *buf, __u32 off, __u32 size)
{
	__u64 v = 0;

	if (off != PYPERF_OFF_NONE && off + 8u <= size)
		__builtin_memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* Start a walk: TSTATE holds the first SIZE bytes of the thread state. */
static __inline void stack_check_init(struct stack_check *c, const struct pyperf_offsets *off,
				      const __u8 *tstate, __u32 size)
{
	__u32 chunk = off->tstate_datastack_chunk;

	c->chunk_start = chunk == PYPERF_OFF_NONE ? 0 : stack_check_u64(tstate, chunk, size);
	c->top = chunk == PYPERF_OFF_NONE ? 0 : stack_check_u64(tstate, chunk + 8, size);
	c->chunk_limit = chunk == PYPERF_OFF_NONE ? 0 : stack_check_u64(tstate, chunk + 16, size);
	c->base_frame = stack_check_u64(tstate, off->tstate_base_frame, size);
	c->callee = 0;
	c->callee_depth = 0;
	c->last_is_base = 0;
}

/* Size in words of a frame of the code object whose header is CODE. */
static __inline __u32 stack_check_framesize(const struct pyperf_offsets *off, const __u8 *code,
					    __u32 size)
{
	__u32 words = 0, v;

	if (off->code_framesize == PYPERF_OFF_NONE || off->code_framesize + 4u > size)
		return 0;
	__builtin_memcpy(&v, code + off->code_framesize, sizeof(v));
	words = v;
	if (off->code_framesize_plus != PYPERF_OFF_NONE && off->code_framesize_plus + 4u <= size) {
		__builtin_memcpy(&v, code + off->code_framesize_plus, sizeof(v));
		words += v;
	}
	/* A frame is a few hundred words at most; garbage is not. */
	if (words > (1u << 20))
		return 0xffffffff;
	return words + off->framesize_words;
}

/*
 * A Python frame at FRAME, owned by OWNER, of SIZE words (0: unknown), the
 * DEPTH-th frame kept.  On the data stack a frame is pushed where its
 * caller's frame ends (or at the start of a new chunk), and nothing live is
 * above the top; frames owned by generators live in their objects and are
 * not checked.
 */
static __inline int stack_check_frame(struct stack_check *c, const struct pyperf_offsets *off,
				      __u64 frame, __u8 owner, __u32 size, __u32 depth)
{
	__u64 end;

	c->last_is_base = 0;
	if (off->owner_thread == 0xff || owner != off->owner_thread)
		return PYPERF_TORN_NONE;
	if (!size) {
		c->callee = 0;		/* nothing to compare the next one with */
		return PYPERF_TORN_NONE;
	}
	end = frame + (__u64)size * 8;
	if (end < frame)
		return PYPERF_TORN_SPACING;
	if (c->chunk_start && frame >= c->chunk_start && frame < c->chunk_limit && end > c->top)
		return PYPERF_TORN_ABOVE_TOP;
	if (c->callee && c->callee != end &&
	    (c->callee & (PYPERF_PAGE_SIZE - 1)) > off->chunk_first_frame)
		return PYPERF_TORN_SPACING;
	c->callee = frame;
	c->callee_depth = depth;
	return PYPERF_TORN_NONE;
}

/*
 * stack_check_frame() said SPACING for FRAME (SIZE words, the DEPTH-th
 * kept): its callee sits higher than where FRAME ends.  That is also the
 * case while FRAME's callee is being torn down: popping a frame makes its
 * caller current first, and clearing its locals can run Python code (a
 * weakref callback, __del__) whose frame goes above the dying one.  So the
 * gap is fine if a frame of the thread's starts at FRAME's end and links
 * back to FRAME (GAP_PREVIOUS, GAP_OWNER are that frame's).
 */
static __inline int stack_check_gap(struct stack_check *c, const struct pyperf_offsets *off,
				    __u64 frame, __u32 depth, __u64 gap_previous, __u8 gap_owner)
{
	if (gap_owner != off->owner_thread || gap_previous != frame)
		return PYPERF_TORN_SPACING;
	c->callee = frame;
	c->callee_depth = depth;
	return PYPERF_TORN_NONE;
}

/*
 * How many of the frames kept before a break of rule WHY are still the
 * thread's.  A caller that is not where its callee says (SPACING) means
 * the callee was being linked in: it and what follows it go, what it
 * called stays.  Any other break leaves no frame trustworthy (the top
 * frame itself may be a stale pointer).
 */
static __inline __u32 stack_check_keep(const struct stack_check *c, int why)
{
	return why == PYPERF_TORN_SPACING ? c->callee_depth : 0;
}

/* The frame just passed was a shim (SHIM) or an is_entry frame (ENTRY) at FRAME. */
static __inline void stack_check_kind(struct stack_check *c, const struct pyperf_offsets *off,
				      __u64 frame, int shim, int entry)
{
	switch (off->base_kind) {
	case PYPERF_BASE_ENTRY:
		c->last_is_base = entry;
		break;
	case PYPERF_BASE_SHIM:
		c->last_is_base = shim;
		break;
	case PYPERF_BASE_SENTINEL:
		c->last_is_base = c->base_frame && frame == c->base_frame;
		break;
	default:
		c->last_is_base = 1;
		break;
	}
}

/* The chain ended (a NULL link) after the frame last passed: whole or torn. */
static __inline int stack_check_end(const struct stack_check *c)
{
	return c->last_is_base ? PYPERF_TORN_NONE : PYPERF_TORN_BASE;
}

/*
 * Brent's cycle detection over the addresses of a chain: a chain read from
 * a target can loop (a torn update, or memory made to), and a bound of
 * thousands of steps is no bound when every step is a read.  Zeroed to
 * start; true once an address comes round again.
 */
struct chain_cycle {
	__u64 saved;
	__u32 power, steps;
};

static __inline int chain_cycle_seen(struct chain_cycle *c, __u64 addr)
{
	if (c->power && addr == c->saved)
		return 1;
	if (++c->steps >= c->power) {
		c->saved = addr;
		c->power = c->power ? 2 * c->power : 1;
		c->steps = 0;
	}
	return 0;
}

#endif /* PYBPF_STACK_CHECK_H */
