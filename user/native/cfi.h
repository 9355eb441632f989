/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DWARF call frame instructions (the programs of .eh_frame's CIEs and
 * FDEs), executed up to a pc to get the row of the CFI table there: how to
 * compute the CFA (the caller's stack pointer) and where each register of
 * the caller is.  x86_64 only: DWARF registers 0-15 are the general purpose
 * registers, 16 the return address (rip).
 */
#ifndef PYBPF_CFI_H
#define PYBPF_CFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "native/dwarf_read.h"

/* DWARF register numbers of the System V x86_64 ABI. */
enum {
	CFI_REG_RBX = 3,
	CFI_REG_RBP = 6,
	CFI_REG_RSP = 7,
	CFI_REG_RA = 16,	/* the return address column, also rip */
	CFI_NUM_REGS = 17,	/* rules of higher registers (SSE...) are ignored */
};

enum cfi_rule_kind {
	CFI_RULE_SAME_VALUE,	/* the callee left it alone (the default) */
	CFI_RULE_UNDEFINED,	/* lost; for the return address: the outermost frame */
	CFI_RULE_OFFSET,	/* saved at CFA + offset */
	CFI_RULE_VAL_OFFSET,	/* is CFA + offset */
	CFI_RULE_REG_OFFSET,	/* is register reg + offset (DW_CFA_register; the CFA's usual rule) */
	CFI_RULE_EXPRESSION,	/* saved at the address expr computes from the CFA */
	CFI_RULE_VAL_EXPRESSION,/* is what expr computes (from the CFA, except for the CFA's own) */
};

struct cfi_rule {
	uint8_t kind;		/* enum cfi_rule_kind */
	uint8_t reg;
	int64_t offset;
	const uint8_t *expr;	/* a DWARF expression inside the program's bytes */
	size_t expr_len;
};

/* The CFI table's row at one pc. */
struct cfi_row {
	/* CFI_RULE_REG_OFFSET or _VAL_EXPRESSION; CFI_RULE_UNDEFINED until defined */
	struct cfi_rule cfa;
	struct cfi_rule regs[CFI_NUM_REGS];
	uint8_t ra_reg;		/* the column of the return address, from the CIE */
	bool signal_frame;	/* a signal trampoline: the caller's pc is exact */
};

/* What a CIE says about the programs of its FDEs. */
struct cfi_params {
	uint64_t code_align;	/* advance_loc's unit */
	int64_t data_align;	/* the unit of factored offsets */
	uint8_t ptr_enc;	/* DW_CFA_set_loc's operand: the FDEs' pointer encoding */
	const struct dwarf_ptr_base *ptr_base;	/* NULL: only absolute set_loc operands */
};

/* Every register the same value, the CFA undefined: before any instruction. */
void cfi_row_init(struct cfi_row *row, uint8_t ra_reg);

/*
 * Execute the LEN bytes at INSNS on ROW, starting at location LOC, until the
 * location would advance past PC.  INITIAL is the row after the CIE's
 * initial instructions, for DW_CFA_restore; NULL while running those (a
 * restored register then gets the default rule).  0, -EINVAL for a malformed
 * program (operands past the end, restore_state without remember_state, too
 * deep a remember_state stack, a rule that cannot apply), -ENOTSUP for an
 * opcode or register this interpreter does not handle.
 */
int cfi_run(const struct cfi_params *p, const uint8_t *insns, size_t len, uint64_t loc,
	    uint64_t pc, const struct cfi_row *initial, struct cfi_row *row);

#endif
