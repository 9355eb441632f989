/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DWARF expressions as CFI uses them: the CFA of PLT entries
 * (rsp + 8, + 8 more past the push in the entry) and of signal trampolines
 * (loaded from the saved context).  A stack machine over registers and
 * memory, with no branches, so it ends after at most one step per byte.
 */
#ifndef PYBPF_DWARF_EXPR_H
#define PYBPF_DWARF_EXPR_H

#include <stddef.h>
#include <stdint.h>

struct dwarf_expr_env {
	const uint64_t *regs;	/* by DWARF register number */
	unsigned int nregs;
	uint32_t known;		/* bit N: regs[N] is known */
	/* 0 and the 8 bytes at ADDR, or a negative error that the evaluation returns */
	int (*read_u64)(void *ctx, uint64_t addr, uint64_t *val);
	void *ctx;
};

/*
 * Evaluate the LEN bytes at EXPR; PUSH, when not NULL, is on the stack
 * first (the CFA, for register rules).  0 and the top of the stack in
 * *RESULT; -ENOENT when it needs a register that is not known; -ENOTSUP
 * for an operation not handled here (branches, TLS, typed operations...);
 * -EINVAL for a malformed expression (truncated, stack underflow or
 * overflow, division by zero); or what read_u64 returned.
 */
int dwarf_expr_eval(const uint8_t *expr, size_t len, const struct dwarf_expr_env *env,
		    const uint64_t *push, uint64_t *result);

#endif
