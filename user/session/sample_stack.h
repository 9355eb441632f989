/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One BPF sample record into one profile stack (frame ids, outermost
 * first): its Python frames symbolized, an explicit frame where frames were
 * left out, and with --native/--kernel the native frames interleaved.
 */
#ifndef PYBPF_SAMPLE_STACK_H
#define PYBPF_SAMPLE_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "native/native_stack.h"
#include "profile/profile.h"
#include "python/symbolizer.h"
#include "session/stack_marks.h"
#include "pyperf.h"

/* The names of a sample's asyncio tasks (--async): the running one, then its awaiters. */
struct sample_tasks {
	size_t n;
	char names[PYPERF_MAX_TASKS][STACK_TASK_NAME_MAX];
};

/* Room for every Python frame, the markers and the native and kernel frames. */
#define SAMPLE_STACK_MAX	(PYPERF_MAX_FRAMES + 512)
/* The frames, a gap, a root mark, awaiters not read; each task's name, frames and their mark. */
#define SAMPLE_STACK_PYTHON	(PYPERF_MAX_FRAMES + 3 + PYPERF_MAX_TASKS * (2 + PYPERF_TASK_FRAMES))

struct sample_stack {
	struct profile *profile;
	struct native_stack *native;		/* NULL: Python frames only */
	uint32_t frames[SAMPLE_STACK_MAX];	/* the result, outermost first */
	size_t depth;
	/*
	 * Scratch: the Python frames innermost first, with pybpf's markers (a
	 * gap, a root mark, the tasks and the mark of awaiters not read).
	 */
	uint32_t python[SAMPLE_STACK_PYTHON];
	uint8_t kind[SAMPLE_STACK_PYTHON];	/* enum python_frame_kind */
	uint64_t unresolved;			/* Python frames of the last build not resolved */
};

/* NATIVE may be NULL (no --native or --kernel). */
int sample_stack_init(struct sample_stack *b, struct profile *profile,
		      struct native_stack *native);

/*
 * Whether S stands for time in Python that the profile must show: it has
 * frames, or it is marked as having some that could not be read.
 */
bool sample_stack_wanted(const struct pyperf_sample *s);

/*
 * Build B->frames from S (SIZE bytes) of the process SYM symbolizes.
 * TASKS: the names of the asyncio tasks S's record holds (--async), or
 * NULL; their "[task NAME]" frames go right outside the running task's
 * coroutine, each awaiting task outside the one it awaits, with its own
 * frames (those the record holds) between its name and the one it awaits.
 * 0, or -EINVAL for a record too short for what its header claims.
 */
int sample_stack_build(struct sample_stack *b, struct symbolizer *sym,
		       const struct pyperf_sample *s, size_t size, const struct sample_tasks *tasks);

/* Append one frame at the leaf. */
void sample_stack_push(struct sample_stack *b, uint32_t frame);

#endif
