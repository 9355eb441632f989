/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --native and --kernel: a sample's native stacks, unwound and symbolized,
 * merged with its Python frames.  Each _PyEval_EvalFrameDefault frame of
 * the native stack is replaced by the Python frames that call of the eval
 * loop ran (the kernel marks the first frame of each call); kernel frames
 * go at the leaf.
 */
#ifndef PYBPF_NATIVE_STACK_H
#define PYBPF_NATIVE_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "native/frame_interleave.h"
#include "profile/profile.h"
#include "pyperf.h"

#define NATIVE_STACK_MAX	256

struct native_stack {
	struct profile *profile;
	struct native_symbols *user;	/* NULL without --native */
	struct kernel_symbols *kernel;	/* NULL without --kernel */
	/* Scratch for one unwind: its pcs, and each one's frame or eval-loop mark. */
	uint64_t pcs[NATIVE_STACK_MAX];
	uint32_t frames[NATIVE_STACK_MAX];
	bool eval[NATIVE_STACK_MAX];
	/* What the unwinds gave: for the summary. */
	uint64_t unwinds, complete, stops[16];
};

int native_stack_init(struct native_stack *n, struct profile *profile, bool user, bool kernel);
void native_stack_free(struct native_stack *n);

/*
 * Append to OUT (outermost first, *DEPTH used of MAX) the stack of sample S
 * (SIZE bytes): its PYTHON frames with the native frames between and
 * around them (frame_interleave.h), then the kernel frames.
 */
void native_stack_merge(struct native_stack *n, const struct pyperf_sample *s, size_t size,
			const struct python_frames *python, uint32_t *out, size_t *depth, size_t max);

/* How far the native unwinds went, one line on OUT. */
void native_stack_print_summary(const struct native_stack *n, FILE *out);

/* A process exited or exec'd: forget its mappings. */
void native_stack_forget(struct native_stack *n, pid_t pid);

#endif
