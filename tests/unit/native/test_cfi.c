// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/native/cfi.h and user/native/dwarf_expr.h on hand-written call frame programs:
 * each test's expected rows are worked out from the DWARF meaning of the
 * instructions it writes, for every pc they cover.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include "native/cfi.h"
#include "native/dwarf_expr.h"
#include "eh_frame_builder.h"

#define FDE_START 0x1000

static const struct cfi_params params = { .code_align = 1, .data_align = -8 };

/* The usual CIE's row: CFA = rsp + 8, return address at CFA - 8. */
static struct cfi_row cie_row(const struct cfi_params *p)
{
	static const uint8_t insns[] = { CFA_def_cfa, R_RSP, 8, CFA_offset(R_RA), 1 };
	struct cfi_row row;

	cfi_row_init(&row, R_RA);
	cr_assert_eq(cfi_run(p, insns, sizeof(insns), 0, UINT64_MAX, NULL, &row), 0);
	return row;
}

/* PROG (an FDE's instructions from FDE_START) run up to PC; its result in *ERR. */
static struct cfi_row run_to(const struct cfi_params *p, const uint8_t *prog, size_t len,
			     uint64_t pc, int *err)
{
	struct cfi_row initial = cie_row(p), row = initial;

	*err = cfi_run(p, prog, len, FDE_START, pc, &initial, &row);
	return row;
}

static struct cfi_row row_at(const struct cfi_params *p, const uint8_t *prog, size_t len,
			     uint64_t pc)
{
	int err;
	struct cfi_row row = run_to(p, prog, len, pc, &err);

	cr_assert_eq(err, 0, "pc %#" PRIx64 ": %d", pc, err);
	return row;
}

/* One stretch of pcs with the same rules for the CFA, rbp, rbx and ra. */
struct expected_row {
	uint64_t from, to;	/* [from, to) */
	uint8_t cfa_reg;
	int64_t cfa_offset;
	uint8_t rbp_kind;
	int64_t rbp_offset;
	uint8_t rbx_kind;
	int64_t rbx_offset;
};

static void check_rows(const struct cfi_params *p, const uint8_t *prog, size_t len,
		       const struct expected_row *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (uint64_t pc = e[i].from; pc < e[i].to; pc++) {
			struct cfi_row row = row_at(p, prog, len, pc);

			cr_assert_eq(row.cfa.kind, CFI_RULE_REG_OFFSET, "pc %#" PRIx64, pc);
			cr_assert_eq(row.cfa.reg, e[i].cfa_reg, "pc %#" PRIx64 ": CFA register %u",
				     pc, row.cfa.reg);
			cr_assert_eq(row.cfa.offset, e[i].cfa_offset, "pc %#" PRIx64 ": CFA offset %" PRId64,
				     pc, row.cfa.offset);
			cr_assert_eq(row.regs[R_RBP].kind, e[i].rbp_kind, "pc %#" PRIx64 ": rbp rule", pc);
			if (e[i].rbp_kind == CFI_RULE_OFFSET)
				cr_assert_eq(row.regs[R_RBP].offset, e[i].rbp_offset, "pc %#" PRIx64, pc);
			cr_assert_eq(row.regs[R_RBX].kind, e[i].rbx_kind, "pc %#" PRIx64 ": rbx rule", pc);
			if (e[i].rbx_kind == CFI_RULE_OFFSET)
				cr_assert_eq(row.regs[R_RBX].offset, e[i].rbx_offset, "pc %#" PRIx64, pc);
			cr_assert_eq(row.regs[R_RA].kind, CFI_RULE_OFFSET);
			cr_assert_eq(row.regs[R_RA].offset, -8);
		}
	}
}

#define SAME CFI_RULE_SAME_VALUE
#define AT CFI_RULE_OFFSET

Test(unwind_cfi, advance_loc_def_cfa_and_offsets)
{
	/* A frame-pointer prologue, then a stretch with rbx saved, then rbp restored. */
	static const uint8_t prog[] = {
		CFA_advance_loc(1), CFA_def_cfa_offset, 16, CFA_offset(R_RBP), 2,
		CFA_advance_loc(3), CFA_def_cfa_register, R_RBP,
		CFA_advance_loc1, 0x40, CFA_offset(R_RBX), 3,
		CFA_advance_loc2, 0x00, 0x01, CFA_def_cfa, R_RSP, 8, CFA_restore(R_RBP),
		CFA_advance_loc4, 0x00, 0x00, 0x01, 0x00, CFA_def_cfa_offset, 24,
	};
	static const struct expected_row rows[] = {
		{ 0x1000, 0x1001, R_RSP, 8, SAME, 0, SAME, 0 },
		{ 0x1001, 0x1004, R_RSP, 16, AT, -16, SAME, 0 },
		{ 0x1004, 0x1044, R_RBP, 16, AT, -16, SAME, 0 },
		{ 0x1044, 0x1144, R_RBP, 16, AT, -16, AT, -24 },
		{ 0x1144, 0x1148, R_RSP, 8, SAME, 0, AT, -24 },
		{ 0x11143, 0x11144, R_RSP, 8, SAME, 0, AT, -24 },
		{ 0x11144, 0x11148, R_RSP, 24, SAME, 0, AT, -24 },
	};

	check_rows(&params, prog, sizeof(prog), rows, sizeof(rows) / sizeof(rows[0]));
}

Test(unwind_cfi, code_alignment_scales_advances)
{
	static const struct cfi_params aligned = { .code_align = 4, .data_align = -8 };
	static const uint8_t prog[] = {
		CFA_advance_loc(2), CFA_def_cfa_offset, 16, CFA_advance_loc1, 3, CFA_def_cfa_offset, 32,
	};
	static const struct expected_row rows[] = {
		{ 0x1000, 0x1008, R_RSP, 8, SAME, 0, SAME, 0 },
		{ 0x1008, 0x1014, R_RSP, 16, SAME, 0, SAME, 0 },
		{ 0x1014, 0x1020, R_RSP, 32, SAME, 0, SAME, 0 },
	};

	check_rows(&aligned, prog, sizeof(prog), rows, sizeof(rows) / sizeof(rows[0]));
}

Test(unwind_cfi, remember_and_restore_state)
{
	/* GCC's shape for an early return: the epilogue's rules, then the body's back. */
	static const uint8_t prog[] = {
		CFA_advance_loc(1), CFA_def_cfa_offset, 16, CFA_offset(R_RBX), 2,
		CFA_advance_loc(4), CFA_remember_state, CFA_def_cfa_offset, 8, CFA_restore(R_RBX),
		CFA_advance_loc(1), CFA_restore_state,
		CFA_advance_loc(2), CFA_def_cfa_offset, 8,
	};
	static const struct expected_row rows[] = {
		{ 0x1000, 0x1001, R_RSP, 8, SAME, 0, SAME, 0 },
		{ 0x1001, 0x1005, R_RSP, 16, SAME, 0, AT, -16 },
		{ 0x1005, 0x1006, R_RSP, 8, SAME, 0, SAME, 0 },
		{ 0x1006, 0x1008, R_RSP, 16, SAME, 0, AT, -16 },
		{ 0x1008, 0x1010, R_RSP, 8, SAME, 0, AT, -16 },
	};

	check_rows(&params, prog, sizeof(prog), rows, sizeof(rows) / sizeof(rows[0]));
}

Test(unwind_cfi, other_register_rules)
{
	static const uint8_t prog[] = {
		CFA_nop, CFA_GNU_args_size, 16, CFA_register, R_RBX, R_R10, CFA_undefined, R_RBP,
		CFA_val_offset, 12, 2, CFA_offset(20), 4,	/* xmm3: not tracked, not an error */
		CFA_advance_loc(2), CFA_same_value, R_RBX, CFA_restore(R_RBP), CFA_restore(R_RA),
	};
	struct cfi_row row = row_at(&params, prog, sizeof(prog), 0x1001);

	cr_assert_eq(row.regs[R_RBX].kind, CFI_RULE_REG_OFFSET);
	cr_assert_eq(row.regs[R_RBX].reg, R_R10);
	cr_assert_eq(row.regs[R_RBX].offset, 0);
	cr_assert_eq(row.regs[R_RBP].kind, CFI_RULE_UNDEFINED);
	cr_assert_eq(row.regs[12].kind, CFI_RULE_VAL_OFFSET);
	cr_assert_eq(row.regs[12].offset, -16);
	row = row_at(&params, prog, sizeof(prog), 0x1002);
	cr_assert_eq(row.regs[R_RBX].kind, CFI_RULE_SAME_VALUE);
	cr_assert_eq(row.regs[R_RBP].kind, CFI_RULE_SAME_VALUE, "restored to the CIE's rule");
	cr_assert_eq(row.regs[R_RA].kind, CFI_RULE_OFFSET, "restored to the CIE's rule");
	cr_assert_eq(row.regs[R_RA].offset, -8);
}

Test(unwind_cfi, malformed_and_unknown_instructions_fail)
{
	static const struct {
		uint8_t prog[12];
		size_t len;
		int err;
	} cases[] = {
		{ { 0x2d }, 1, -ENOTSUP },			/* DW_CFA_GNU_window_save: SPARC */
		{ { 0x1c }, 1, -ENOTSUP },			/* DW_CFA_lo_user */
		{ { CFA_def_cfa, R_RSP }, 2, -EINVAL },		/* operand missing */
		{ { CFA_def_cfa_offset, 0x80 }, 2, -EINVAL },	/* LEB128 running off the end */
		{ { CFA_advance_loc2, 1 }, 2, -EINVAL },
		{ { CFA_restore_state }, 1, -EINVAL },		/* nothing remembered */
		{ { CFA_def_cfa, 17, 8 }, 3, -ENOTSUP },	/* CFA in a register not tracked */
		{ { CFA_def_cfa_expression, 5, OP_lit(1) }, 3, -EINVAL },	/* block past the end */
		{ { CFA_def_cfa_expression, 1, OP_lit(1), CFA_def_cfa_offset, 8 }, 5, -EINVAL },
		{ { CFA_remember_state, CFA_remember_state, CFA_remember_state, CFA_remember_state,
		    CFA_remember_state, CFA_remember_state, CFA_remember_state, CFA_remember_state,
		    CFA_remember_state }, 9, -EINVAL },		/* deeper than the state stack */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err;

		run_to(&params, cases[i].prog, cases[i].len, 0x1010, &err);
		cr_assert_eq(err, cases[i].err, "case %zu: %d, not %d", i, err, cases[i].err);
	}
}

Test(unwind_cfi, instructions_past_the_pc_are_not_run)
{
	static const uint8_t prog[] = { CFA_advance_loc(4), 0x2d, CFA_def_cfa, R_RSP };
	int err;
	struct cfi_row row = run_to(&params, prog, sizeof(prog), 0x1003, &err);

	cr_assert_eq(err, 0);
	cr_assert_eq(row.cfa.offset, 8);
	run_to(&params, prog, sizeof(prog), 0x1004, &err);
	cr_assert_eq(err, -ENOTSUP);
}

Test(unwind_cfi, cie_restore_without_initial_row_gives_the_default)
{
	static const uint8_t insns[] = { CFA_offset(R_RBX), 2, CFA_restore(R_RBX) };
	struct cfi_row row;

	cfi_row_init(&row, R_RA);
	cr_assert_eq(cfi_run(&params, insns, sizeof(insns), 0, UINT64_MAX, NULL, &row), 0);
	cr_assert_eq(row.regs[R_RBX].kind, CFI_RULE_SAME_VALUE);
	cr_assert_eq(row.cfa.kind, CFI_RULE_UNDEFINED, "no CFA until one is defined");
}

static int read_from_array(void *ctx, uint64_t addr, uint64_t *val)
{
	const uint64_t *words = ctx;

	if (addr < 0x5000 || addr >= 0x5000 + 4 * 8 || addr % 8)
		return -EFAULT;
	*val = words[(addr - 0x5000) / 8];
	return 0;
}

Test(unwind_cfi, plt_cfa_expression)
{
	uint8_t prog[2 + sizeof(plt_cfa_expr)] = { CFA_def_cfa_expression, sizeof(plt_cfa_expr) };
	uint64_t regs[CFI_NUM_REGS] = { 0 };
	struct dwarf_expr_env env = { regs, CFI_NUM_REGS, 1u << R_RSP | 1u << R_RA, NULL, NULL };
	struct cfi_row row;

	memcpy(prog + 2, plt_cfa_expr, sizeof(plt_cfa_expr));
	row = row_at(&params, prog, sizeof(prog), 0x1000);
	cr_assert_eq(row.cfa.kind, CFI_RULE_VAL_EXPRESSION);
	cr_assert_eq(row.cfa.expr, prog + 2, "the expression is read in place");
	cr_assert_eq(row.cfa.expr_len, sizeof(plt_cfa_expr));
	/* A PLT entry is 16 bytes: push at byte 6, jmp from byte 11 on. */
	for (uint64_t pc = 0x401020; pc < 0x401040; pc++) {
		uint64_t cfa;

		regs[R_RSP] = 0x7ffc0000;
		regs[R_RA] = pc;
		cr_assert_eq(dwarf_expr_eval(row.cfa.expr, row.cfa.expr_len, &env, NULL, &cfa), 0);
		cr_assert_eq(cfa, 0x7ffc0000 + ((pc & 15) >= 11 ? 16 : 8), "pc %#" PRIx64, pc);
	}
}

Test(unwind_cfi, expression_errors_and_memory)
{
	uint64_t regs[CFI_NUM_REGS] = { [R_RSP] = 0x5000 };
	uint64_t words[4] = { 11, 22, 33, 44 }, v, cfa = 0x5010;
	struct dwarf_expr_env env = { regs, CFI_NUM_REGS, 1u << R_RSP, read_from_array, words };
	static const uint8_t deref_rsp_plus_8[] = { OP_breg(R_RSP), 8, OP_deref };
	static const uint8_t pushed_plus_8[] = { OP_lit(8), OP_plus };
	static const uint8_t rbp[] = { OP_breg(R_RBP), 0 };
	static const uint8_t underflow[] = { OP_plus };
	static const uint8_t branch[] = { OP_lit(0), 0x28, 0, 0 };	/* DW_OP_bra */
	static const uint8_t truncated[] = { OP_breg(R_RSP) };
	static const uint8_t wild[] = { OP_lit(1), OP_deref };
	static const uint8_t divide_by_zero[] = { OP_lit(1), OP_lit(0), 0x1b };

	cr_assert_eq(dwarf_expr_eval(deref_rsp_plus_8, sizeof(deref_rsp_plus_8), &env, NULL, &v), 0);
	cr_assert_eq(v, 22);
	cr_assert_eq(dwarf_expr_eval(pushed_plus_8, sizeof(pushed_plus_8), &env, &cfa, &v), 0);
	cr_assert_eq(v, 0x5018);
	cr_assert_eq(dwarf_expr_eval(rbp, sizeof(rbp), &env, NULL, &v), -ENOENT);
	cr_assert_eq(dwarf_expr_eval(underflow, sizeof(underflow), &env, NULL, &v), -EINVAL);
	cr_assert_eq(dwarf_expr_eval(branch, sizeof(branch), &env, NULL, &v), -ENOTSUP);
	cr_assert_eq(dwarf_expr_eval(truncated, sizeof(truncated), &env, NULL, &v), -EINVAL);
	cr_assert_eq(dwarf_expr_eval(wild, sizeof(wild), &env, NULL, &v), -EFAULT);
	cr_assert_eq(dwarf_expr_eval(divide_by_zero, sizeof(divide_by_zero), &env, NULL, &v), -EINVAL);
	cr_assert_eq(dwarf_expr_eval(NULL, 0, &env, NULL, &v), -EINVAL, "an empty stack has no value");
}
