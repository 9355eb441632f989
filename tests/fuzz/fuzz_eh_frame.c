// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/native/eh_frame.c, user/native/cfi.c, user/native/dwarf_expr.c, user/native/unwind.c: the
 * .eh_frame and .eh_frame_hdr of a file a profiled process maps, indexed,
 * looked up at pcs, and used to unwind a copy of that process's stack, as
 * --native does with each sample.  The sections, the pcs and the stack
 * are all the target's, so any bytes must give rows or errors, and rows
 * must stay within the section's bytes.
 *
 * Input, little-endian: .eh_frame's address (u64), .eh_frame_hdr's address
 * (u64) and length (u32, 0: none), the stack copy's length (u32), rip, rsp
 * (where the copy starts), rbp, rbx (u64 each), how many pcs to look up
 * (u8, modulo 33), those pcs (u64 each), then .eh_frame_hdr, the stack copy and
 * .eh_frame (the rest).  Lengths beyond the input are cut to what is left.
 */
#include <stdlib.h>
#include <string.h>
#include "native/dwarf_read.h"
#include "native/eh_frame.h"
#include "native/unwind.h"

#define MAX_LOOKUPS 32
#define MAX_FRAMES 64

static volatile uint8_t sink;	/* keeps the reads of expressions */

/* Every pc is in the one module, loaded at its link-time addresses. */
static int find_module(void *ctx, uint64_t pc, struct unwind_module *mod)
{
	mod->table = ctx;
	mod->bias = 0;
	return 0;
}

/* A copy of the next LEN bytes (at most what is left), exactly sized for ASan. */
static uint8_t *take_copy(struct byte_reader *r, size_t *len)
{
	uint8_t *copy;

	if (*len > byte_reader_left(r))
		*len = byte_reader_left(r);
	copy = malloc(*len ? *len : 1);
	if (copy)
		memcpy(copy, byte_reader_take(r, *len), *len);
	return copy;
}

/* A rule's expression lies within the table's bytes: reading it must be fine. */
static uint8_t touch_rule(const struct cfi_rule *rule)
{
	uint8_t sum = 0;

	if (rule->kind > CFI_RULE_VAL_EXPRESSION ||
	    (rule->kind == CFI_RULE_REG_OFFSET && rule->reg >= CFI_NUM_REGS))
		abort();
	if (rule->kind == CFI_RULE_EXPRESSION || rule->kind == CFI_RULE_VAL_EXPRESSION)
		for (size_t i = 0; i < rule->expr_len; i++)
			sum += rule->expr[i];
	return sum;
}

static void look_up(const struct eh_frame_table *t, uint64_t pc)
{
	struct cfi_row row;

	if (eh_frame_table_find(t, pc, &row))
		return;
	if (row.ra_reg >= CFI_NUM_REGS)
		abort();
	sink += touch_rule(&row.cfa);
	for (int i = 0; i < CFI_NUM_REGS; i++)
		sink += touch_rule(&row.regs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct byte_reader r = byte_reader(data, size);
	uint64_t eh_vaddr, hdr_vaddr, lookups[MAX_LOOKUPS], pcs[MAX_FRAMES];
	size_t hdr_len, stack_len, npcs, eh_len;
	uint8_t *hdr, *stack, *eh;
	struct unwind_regs regs;
	struct unwind_stack copy;
	struct unwind_result res;
	struct eh_frame_table *t;

	eh_vaddr = dwarf_read_uint(&r, 8);
	hdr_vaddr = dwarf_read_uint(&r, 8);
	hdr_len = dwarf_read_uint(&r, 4);
	stack_len = dwarf_read_uint(&r, 4);
	regs.rip = dwarf_read_uint(&r, 8);
	regs.rsp = dwarf_read_uint(&r, 8);
	regs.rbp = dwarf_read_uint(&r, 8);
	regs.rbx = dwarf_read_uint(&r, 8);
	npcs = dwarf_read_uint(&r, 1) % (MAX_LOOKUPS + 1);
	for (size_t i = 0; i < npcs; i++)
		lookups[i] = dwarf_read_uint(&r, 8);
	if (r.bad)
		return 0;
	hdr = take_copy(&r, &hdr_len);
	stack = take_copy(&r, &stack_len);
	eh_len = byte_reader_left(&r);
	eh = take_copy(&r, &eh_len);
	if (!hdr || !stack || !eh)
		goto out;

	t = eh_frame_table_parse(eh, eh_len, eh_vaddr, hdr_len ? hdr : NULL, hdr_len, hdr_vaddr);
	if (!t)
		goto out;
	/* The table keeps its own copy: the caller's buffer may go. */
	free(eh);
	eh = NULL;
	for (size_t i = 0; i < npcs; i++)
		look_up(t, lookups[i]);
	copy = (struct unwind_stack){ regs.rsp, stack, stack_len };
	if (unwind_native(&regs, &copy, find_module, t, pcs, MAX_FRAMES, &res) > MAX_FRAMES)
		abort();
	eh_frame_table_free(t);
out:
	free(hdr);
	free(stack);
	free(eh);
	return 0;
}
