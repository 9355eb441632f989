// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/native/unwind.h on hand-built tables and stacks whose every word the test
 * wrote: each stop reason, the PLT's CFA expression, a return address in a
 * register, and the frame pointer fallback where there is no CFI.
 * test_unwind_live.c unwinds real stacks.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "eh_frame_builder.h"
#include "native/unwind.h"

#define MAX_PCS 64

#define BIAS 0x555500000000ull		/* where the hand-built module is loaded */
#define EH_VADDR 0x800
#define STACK 0x7ffd00000000ull		/* the hand-built stack's rsp */
#define PCREL_SDATA4 (DW_EH_PE_pcrel | DW_EH_PE_sdata4)

enum {
	FN_RSP16 = 0x1000,	/* CFA = rsp + 16, rbp saved at CFA - 16 */
	FN_RBP = 0x2000,	/* CFA = rbp + 16, rbp saved at CFA - 16 */
	FN_OUTERMOST = 0x3000,	/* return address undefined */
	FN_NO_GROWTH = 0x4000,	/* CFA = rsp */
	FN_R10 = 0x5000,	/* CFA = r10 + 8: r10 is never known */
	FN_BAD_OPCODE = 0x6000,
	FN_PLT = 0x7000,	/* binutils' PLT expression */
	FN_RA_IN_RBX = 0x8000,	/* the return address still in rbx */
	NO_FDE = 0x9000,	/* inside the module, no FDE */
	MODULE_END = 0xa000,
};

struct fake {
	struct eh_frame_table *table;
	uint64_t words[64];		/* the stack copy, from STACK up */
	struct unwind_stack stack;
	struct unwind_regs regs;
};

static struct eh_frame_table *build_table(void)
{
	static const uint8_t rsp16[] = { CFA_def_cfa_offset, 16, CFA_offset(R_RBP), 2 };
	static const uint8_t rbp[] = { CFA_def_cfa, R_RBP, 16, CFA_offset(R_RBP), 2 };
	static const uint8_t outermost[] = { CFA_undefined, R_RA };
	static const uint8_t no_growth[] = { CFA_def_cfa, R_RSP, 0 };
	static const uint8_t r10[] = { CFA_def_cfa, R_R10, 8 };
	static const uint8_t bad_opcode[] = { 0x2d };
	static const uint8_t ra_in_rbx[] = { CFA_register, R_RA, R_RBX };
	uint8_t plt[2 + sizeof(plt_cfa_expr)] = { CFA_def_cfa_expression, sizeof(plt_cfa_expr) };
	static const struct {
		uint64_t pc;
		const uint8_t *prog;
		size_t len;
	} fns[] = {
		{ FN_RSP16, rsp16, sizeof(rsp16) },
		{ FN_RBP, rbp, sizeof(rbp) },
		{ FN_OUTERMOST, outermost, sizeof(outermost) },
		{ FN_NO_GROWTH, no_growth, sizeof(no_growth) },
		{ FN_R10, r10, sizeof(r10) },
		{ FN_BAD_OPCODE, bad_opcode, sizeof(bad_opcode) },
		{ FN_PLT, NULL, 0 },
		{ FN_RA_IN_RBX, ra_in_rbx, sizeof(ra_in_rbx) },
	};
	struct byte_buf b = { 0 };
	struct eh_frame_table *t;
	size_t cie;

	memcpy(plt + 2, plt_cfa_expr, sizeof(plt_cfa_expr));
	cie = ehb_default_cie(&b, PCREL_SDATA4);
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		ehb_fde(&b, cie, PCREL_SDATA4, EH_VADDR, fns[i].pc, 0x100,
			fns[i].prog ? fns[i].prog : plt, fns[i].prog ? fns[i].len : sizeof(plt));
	t = eh_frame_table_parse(b.data, b.len, EH_VADDR, NULL, 0, 0);
	cr_assert_not_null(t);
	cr_assert_eq(eh_frame_table_fdes(t), sizeof(fns) / sizeof(fns[0]));
	byte_buf_free(&b);
	return t;
}

static int find_fake(void *ctx, uint64_t pc, struct unwind_module *mod)
{
	const struct fake *f = ctx;

	if (pc < BIAS + FN_RSP16 || pc >= BIAS + MODULE_END)
		return -ENOENT;
	mod->table = f->table;
	mod->bias = BIAS;
	return 0;
}

static void fake_init(struct fake *f, uint64_t rip, uint64_t rbp)
{
	memset(f, 0, sizeof(*f));
	f->table = build_table();
	f->stack = (struct unwind_stack){ STACK, (const uint8_t *)f->words, sizeof(f->words) };
	f->regs = (struct unwind_regs){ .rip = BIAS + rip, .rsp = STACK, .rbp = rbp };
}

/* The stack word at STACK + OFFSET. */
static void poke(struct fake *f, uint64_t offset, uint64_t value)
{
	cr_assert(offset % 8 == 0 && offset / 8 < 64);
	f->words[offset / 8] = value;
}

/* Unwind F; the pcs (less BIAS) must be EXPECT[0..N), the stop STOP. */
static struct unwind_result check_walk(struct fake *f, size_t max, const uint64_t *expect,
				       size_t n, enum unwind_stop stop)
{
	uint64_t pcs[MAX_PCS];
	struct unwind_result res;
	size_t got = unwind_native(&f->regs, &f->stack, find_fake, f, pcs, max, &res);

	cr_assert_eq(got, n, "%zu pcs, not %zu (stop: %s)", got, n, unwind_stop_str(res.stop));
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(pcs[i], BIAS + expect[i], "pc %zu: %#" PRIx64 ", not %#" PRIx64, i,
			     pcs[i] - BIAS, expect[i]);
	cr_assert_eq(res.stop, stop, "stopped for %s, not %s", unwind_stop_str(res.stop),
		     unwind_stop_str(stop));
	return res;
}

/* rsp16 -> rbp -> outermost: the three frames of the usual fake stack. */
static void three_frames(struct fake *f)
{
	fake_init(f, FN_RSP16 + 0x10, 0);
	poke(f, 0x00, STACK + 0x40);		/* rsp16 saved its caller's rbp */
	poke(f, 0x08, BIAS + FN_RBP + 0x20);	/* and was called from there */
	poke(f, 0x40, 0);			/* rbp's frame: its caller's rbp */
	poke(f, 0x48, BIAS + FN_OUTERMOST + 0x30);
}

static const uint64_t three_pcs[] = { FN_RSP16 + 0x10, FN_RBP + 0x20, FN_OUTERMOST + 0x30 };

Test(unwind, fake_stack_to_the_outermost_frame)
{
	struct fake f;
	struct unwind_result res;

	three_frames(&f);
	res = check_walk(&f, MAX_PCS, three_pcs, 3, UNWIND_STOP_END);
	cr_assert_eq(res.flags, 0, "no frame pointer was needed");
	eh_frame_table_free(f.table);
}

Test(unwind, max_frames)
{
	struct fake f;

	three_frames(&f);
	check_walk(&f, 2, three_pcs, 2, UNWIND_STOP_MAX_FRAMES);
	check_walk(&f, 3, three_pcs, 3, UNWIND_STOP_END);	/* exactly enough room */
	check_walk(&f, 0, three_pcs, 0, UNWIND_STOP_MAX_FRAMES);
	eh_frame_table_free(f.table);
}

Test(unwind, stack_copy_too_short)
{
	struct fake f;

	three_frames(&f);
	f.stack.len = 0x48;	/* the second return address is just past the end */
	check_walk(&f, MAX_PCS, three_pcs, 2, UNWIND_STOP_TRUNCATED);
	f.stack.len = 0x0f;
	check_walk(&f, MAX_PCS, three_pcs, 1, UNWIND_STOP_TRUNCATED);
	f.stack.len = 0;
	check_walk(&f, MAX_PCS, three_pcs, 1, UNWIND_STOP_TRUNCATED);
	eh_frame_table_free(f.table);
}

Test(unwind, return_address_zero_ends_the_walk)
{
	struct fake f;

	three_frames(&f);
	poke(&f, 0x08, 0);
	check_walk(&f, MAX_PCS, three_pcs, 1, UNWIND_STOP_END);
	eh_frame_table_free(f.table);
}

Test(unwind, cfa_must_grow)
{
	struct fake f;
	const uint64_t pcs[] = { FN_NO_GROWTH };

	fake_init(&f, FN_NO_GROWTH, 0);
	poke(&f, 0x00, BIAS + FN_NO_GROWTH);	/* would find itself again and again */
	check_walk(&f, MAX_PCS, pcs, 1, UNWIND_STOP_LOOP);
	eh_frame_table_free(f.table);
}

Test(unwind, unknown_register_and_unknown_opcode)
{
	struct fake f;
	const uint64_t r10[] = { FN_R10 + 4 }, bad[] = { FN_BAD_OPCODE + 4 };

	fake_init(&f, FN_R10 + 4, 0);
	check_walk(&f, MAX_PCS, r10, 1, UNWIND_STOP_BAD_RULE);
	eh_frame_table_free(f.table);
	fake_init(&f, FN_BAD_OPCODE + 4, STACK + 0x10);	/* no frame pointer fallback for bad CFI */
	check_walk(&f, MAX_PCS, bad, 1, UNWIND_STOP_BAD_CFI);
	eh_frame_table_free(f.table);
}

Test(unwind, plt_entry_before_and_after_its_push)
{
	struct fake f;
	const uint64_t before[] = { FN_PLT + 6, FN_OUTERMOST + 0x30 };
	const uint64_t after[] = { FN_PLT + 11, FN_OUTERMOST + 0x40 };

	fake_init(&f, FN_PLT + 6, 0);
	poke(&f, 0x00, BIAS + FN_OUTERMOST + 0x30);	/* CFA = rsp + 8 */
	poke(&f, 0x08, BIAS + FN_OUTERMOST + 0x40);	/* CFA = rsp + 16 */
	check_walk(&f, MAX_PCS, before, 2, UNWIND_STOP_END);
	f.regs.rip = BIAS + FN_PLT + 11;
	check_walk(&f, MAX_PCS, after, 2, UNWIND_STOP_END);
	eh_frame_table_free(f.table);
}

Test(unwind, return_address_in_a_register)
{
	struct fake f;
	const uint64_t pcs[] = { FN_RA_IN_RBX + 1, FN_OUTERMOST + 0x50 };

	fake_init(&f, FN_RA_IN_RBX + 1, 0);
	f.regs.rbx = BIAS + FN_OUTERMOST + 0x50;
	check_walk(&f, MAX_PCS, pcs, 2, UNWIND_STOP_END);
	eh_frame_table_free(f.table);
}

Test(unwind, frame_pointer_only_without_cfi)
{
	struct fake f;
	struct unwind_result res;
	const uint64_t no_fde[] = { NO_FDE + 0x10, FN_RBP + 0x20, FN_OUTERMOST + 0x30 };
	/* Anonymous code below the module, e.g. a JIT's. */
	const uint64_t no_module[] = { -0xff00ull, FN_RBP + 0x20, FN_OUTERMOST + 0x30 };

	/* rbp -> [saved rbp, return address]; the caller's CFA comes from that rbp. */
	fake_init(&f, NO_FDE + 0x10, STACK + 0x20);
	poke(&f, 0x20, STACK + 0x40);
	poke(&f, 0x28, BIAS + FN_RBP + 0x20);
	poke(&f, 0x48, BIAS + FN_OUTERMOST + 0x30);
	res = check_walk(&f, MAX_PCS, no_fde, 3, UNWIND_STOP_END);
	cr_assert_eq(res.flags, UNWIND_USED_FRAME_POINTER);
	cr_assert_eq(res.fp_frames, 1);
	f.regs.rip = BIAS + no_module[0];
	res = check_walk(&f, MAX_PCS, no_module, 3, UNWIND_STOP_END);
	cr_assert_eq(res.flags, UNWIND_USED_FRAME_POINTER);
	cr_assert_eq(res.fp_frames, 1);

	/* rbp outside the copy: say why there is no caller. */
	f.regs.rbp = STACK + 0x1000;
	check_walk(&f, MAX_PCS, (uint64_t[]){ f.regs.rip - BIAS }, 1, UNWIND_STOP_NO_MODULE);
	f.regs.rip = BIAS + NO_FDE;
	check_walk(&f, MAX_PCS, (uint64_t[]){ NO_FDE }, 1, UNWIND_STOP_NO_CFI);
	/* rbp below rsp: the chain would go back down. */
	f.regs.rbp = STACK + 0x20;
	f.regs.rsp = STACK + 0x30;
	check_walk(&f, MAX_PCS, (uint64_t[]){ NO_FDE }, 1, UNWIND_STOP_LOOP);
	eh_frame_table_free(f.table);
}

static int find_empty(void *ctx, uint64_t pc, struct unwind_module *mod)
{
	mod->table = ctx;
	mod->bias = 0;
	return 0;
}

static int find_nothing(void *ctx, uint64_t pc, struct unwind_module *mod)
{
	return -ENOENT;
}

Test(unwind, empty_or_garbage_tables_and_no_modules)
{
	uint8_t junk[512];
	uint64_t seed = 7, pcs[MAX_PCS], words[8] = { 0 };
	struct unwind_stack stack = { STACK, (const uint8_t *)words, sizeof(words) };
	struct unwind_regs regs = { .rip = 0x401000, .rsp = STACK, .rbp = 0 };
	struct unwind_result res;
	struct eh_frame_table *empty = eh_frame_table_parse(NULL, 0, 0, NULL, 0, 0), *garbage;

	for (size_t i = 0; i < sizeof(junk); i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		junk[i] = seed >> 56;
	}
	garbage = eh_frame_table_parse(junk, sizeof(junk), 0x400000, junk, 64, 0x3ff000);
	cr_assert_not_null(garbage);
	cr_assert_eq(eh_frame_table_fdes(garbage), 0);

	cr_assert_eq(unwind_native(&regs, &stack, find_empty, empty, pcs, MAX_PCS, &res), 1);
	cr_assert_eq(res.stop, UNWIND_STOP_NO_CFI);
	cr_assert_eq(pcs[0], 0x401000);
	cr_assert_eq(unwind_native(&regs, &stack, find_empty, garbage, pcs, MAX_PCS, &res), 1);
	cr_assert_eq(res.stop, UNWIND_STOP_NO_CFI);
	cr_assert_eq(unwind_native(&regs, &stack, find_empty, NULL, pcs, MAX_PCS, &res), 1);
	cr_assert_eq(res.stop, UNWIND_STOP_NO_CFI, "a module without .eh_frame");
	cr_assert_eq(unwind_native(&regs, &stack, find_nothing, NULL, pcs, MAX_PCS, &res), 1);
	cr_assert_eq(res.stop, UNWIND_STOP_NO_MODULE);
	cr_assert_eq(res.flags, 0);
	eh_frame_table_free(empty);
	eh_frame_table_free(garbage);
}
