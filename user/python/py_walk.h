/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Walking a live interpreter from userspace with the same layout data the
 * BPF program uses: interpreters, their thread states, and each thread's
 * frame chain.  The target keeps running: every walk is bounded and every
 * read may fail.
 */
#ifndef PYBPF_PY_WALK_H
#define PYBPF_PY_WALK_H

#include <stdbool.h>
#include <stdint.h>
#include "python/python_target.h"
#include "stack_check.h"

#define PY_WALK_MAX_THREADS 8192
#define PY_WALK_MAX_FRAMES 4096

struct py_frame_info {
	uint64_t addr;		/* the frame's own address */
	uint64_t previous;
	uint64_t code;		/* 0 for shim/entry frames, to be skipped */
	int32_t instr_offset;	/* bytes into the bytecode */
	uint8_t owner;		/* 0 where frames have no owner byte */
	bool entry;		/* 3.11's is_entry: an eval call's first frame */
};

/* Call FN for every thread state of every interpreter; stops when FN returns non-zero. */
int py_for_each_thread(const struct python_target *t,
		       int (*fn)(void *ctx, uint64_t interp, uint64_t tstate), void *ctx);

/* The same for the thread states of the interpreter INTERP only. */
int py_for_each_thread_of(const struct python_target *t, uint64_t interp,
			  int (*fn)(void *ctx, uint64_t interp, uint64_t tstate), void *ctx);

/* The innermost frame of TSTATE (through 3.11/3.12's CFrame), 0 if none. */
uint64_t py_top_frame(const struct python_target *t, uint64_t tstate);

/* Read the frame at ADDR. 0 or -errno. */
int py_read_frame(const struct python_target *t, uint64_t addr, struct py_frame_info *out);

/*
 * The code unit (opcode, oparg) at byte OFFSET of CODE's bytecode (its
 * co_code up to 3.10, else the shared adaptive copy): 0 or -errno.
 */
int py_read_code_unit(const struct python_target *t, uint64_t code, int32_t offset, uint8_t unit[2]);

/*
 * The Python frames of TSTATE's chain, innermost first, into OUT (at most
 * MAX): read now, while the thread runs, and checked by the rules the
 * sampler checks (bpf/stack_check.h).  *FLAGS gets PYPERF_SAMPLE_TORN,
 * _UNREADABLE or _TRUNCATED when the chain is not all there; then only the
 * frames known to be the thread's are kept.  Returns their count.
 */
size_t py_read_stack(const struct python_target *t, uint64_t tstate, struct py_frame_info *out,
		     size_t max, uint16_t *flags);

/* Linux thread id of TSTATE (native_thread_id, or via glibc's struct pthread before 3.11). */
int py_thread_tid(const struct python_target *t, uint64_t tstate, pid_t *tid);

/* 1 if TSTATE holds the GIL, 0 if not, -1 if the version does not tell. */
int py_holds_gil(const struct python_target *t, uint64_t interp, uint64_t tstate);

#endif
