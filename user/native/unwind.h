/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Native stacks of another process, unwound offline from what a sample
 * holds: a few registers and a copy of the top of the user stack, as
 * perf's --call-graph dwarf does it.  Each frame's caller is found with
 * the DWARF CFI of .eh_frame (eh_frame.h), or, for code without CFI, by
 * following the frame pointer.  x86_64 only.
 */
#ifndef PYBPF_UNWIND_H
#define PYBPF_UNWIND_H

#include <stddef.h>
#include <stdint.h>
#include "native/eh_frame.h"

/* The user registers at the sample. */
struct unwind_regs {
	uint64_t rip, rsp, rbp, rbx;
};

/* A copy of the LEN bytes of user stack from address START up. */
struct unwind_stack {
	uint64_t start;		/* usually the rsp of the sample */
	const uint8_t *data;
	size_t len;		/* may end early, where the stack mapping ends */
};

/* The module a pc is in, as the caller of unwind_native() maps them. */
struct unwind_module {
	const struct eh_frame_table *table;	/* NULL: a module without .eh_frame */
	uint64_t bias;		/* run-time address minus the file's vaddr */
};

/*
 * Fill *MOD for the module that holds PC and return 0, or return a negative
 * error (no module maps PC: anonymous or JIT code, a vDSO without tables,
 * a file that cannot be read).  The caller loads and caches the tables.
 */
typedef int (*unwind_find_fn)(void *ctx, uint64_t pc, struct unwind_module *mod);

/* Why a walk stopped. */
enum unwind_stop {
	UNWIND_STOP_END,	/* the outermost frame: its return address is undefined or 0 */
	UNWIND_STOP_MAX_FRAMES,	/* PCS is full and there is more */
	UNWIND_STOP_NO_MODULE,	/* a pc outside every module, and no frame pointer to follow */
	UNWIND_STOP_NO_CFI,	/* a pc without an FDE, and no frame pointer to follow */
	UNWIND_STOP_TRUNCATED,	/* a saved register lies past the end of the stack copy */
	UNWIND_STOP_BAD_CFI,	/* a malformed FDE, or an opcode or expression not handled */
	UNWIND_STOP_BAD_RULE,	/* the rules need a register not known here, or memory below the copy */
	UNWIND_STOP_LOOP,	/* the CFA did not grow: the stack would be walked again */
};

/* struct unwind_result's flags. */
#define UNWIND_USED_FRAME_POINTER (1u << 0)	/* a frame was unwound by its frame pointer */

struct unwind_result {
	enum unwind_stop stop;
	unsigned int flags;
	unsigned int fp_frames;	/* how many frames were unwound by frame pointer */
};

/*
 * Walk the stack from REGS: PCS gets at most MAX pcs, innermost first: the
 * sampled rip, then one return address per caller (a call's next
 * instruction: a symbolizer should look up pc - 1 for those).  Returns how
 * many pcs were written; *RES says why the walk ended and how.  The frame
 * pointer (rbp -> saved rbp, return address) is followed only for a frame
 * whose pc has no CFI (no module, no table, or no FDE) and only when rbp
 * points into the stack copy.  Never reads outside STACK's bytes.
 */
size_t unwind_native(const struct unwind_regs *regs, const struct unwind_stack *stack,
		     unwind_find_fn find, void *ctx, uint64_t *pcs, size_t max,
		     struct unwind_result *res);

/* "end", "max frames", "no module", ... for messages. */
const char *unwind_stop_str(enum unwind_stop stop);

#endif
