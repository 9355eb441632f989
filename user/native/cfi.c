// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include "native/cfi.h"

/* Call frame instructions; the first three keep an operand in their low 6 bits. */
enum {
	DW_CFA_advance_loc = 0x40,
	DW_CFA_offset = 0x80,
	DW_CFA_restore = 0xc0,
	DW_CFA_nop = 0x00,
	DW_CFA_set_loc = 0x01,
	DW_CFA_advance_loc1 = 0x02,
	DW_CFA_advance_loc2 = 0x03,
	DW_CFA_advance_loc4 = 0x04,
	DW_CFA_offset_extended = 0x05,
	DW_CFA_restore_extended = 0x06,
	DW_CFA_undefined = 0x07,
	DW_CFA_same_value = 0x08,
	DW_CFA_register = 0x09,
	DW_CFA_remember_state = 0x0a,
	DW_CFA_restore_state = 0x0b,
	DW_CFA_def_cfa = 0x0c,
	DW_CFA_def_cfa_register = 0x0d,
	DW_CFA_def_cfa_offset = 0x0e,
	DW_CFA_def_cfa_expression = 0x0f,
	DW_CFA_expression = 0x10,
	DW_CFA_offset_extended_sf = 0x11,
	DW_CFA_def_cfa_sf = 0x12,
	DW_CFA_def_cfa_offset_sf = 0x13,
	DW_CFA_val_offset = 0x14,
	DW_CFA_val_offset_sf = 0x15,
	DW_CFA_val_expression = 0x16,
	DW_CFA_GNU_args_size = 0x2e,
	DW_CFA_GNU_negative_offset_extended = 0x2f,
};

/* Compilers nest remember_state once or twice; deeper is hostile. */
#define CFI_STATE_DEPTH 8

struct cfi_vm {
	const struct cfi_params *p;
	struct byte_reader r;
	uint64_t loc, pc;
	const struct cfi_row *initial;
	struct cfi_row *row;
	struct cfi_row saved[CFI_STATE_DEPTH];
	unsigned int depth;
};

void cfi_row_init(struct cfi_row *row, uint8_t ra_reg)
{
	memset(row, 0, sizeof(*row));
	row->cfa.kind = CFI_RULE_UNDEFINED;
	for (int i = 0; i < CFI_NUM_REGS; i++)
		row->regs[i].kind = CFI_RULE_SAME_VALUE;
	row->ra_reg = ra_reg;
}

/* Rules for registers the unwinder never reads (SSE, ...) are dropped. */
static void set_rule(struct cfi_vm *vm, uint64_t reg, struct cfi_rule rule)
{
	if (reg < CFI_NUM_REGS)
		vm->row->regs[reg] = rule;
}

static void restore_rule(struct cfi_vm *vm, uint64_t reg)
{
	struct cfi_rule same = { .kind = CFI_RULE_SAME_VALUE };

	if (reg < CFI_NUM_REGS)
		vm->row->regs[reg] = vm->initial ? vm->initial->regs[reg] : same;
}

/* A factored offset times the data alignment; false on overflow. */
static bool factored(struct cfi_vm *vm, int64_t n, int64_t *out)
{
	return !__builtin_mul_overflow(n, vm->p->data_align, out);
}

static bool unsigned_factored(struct cfi_vm *vm, uint64_t n, int64_t *out)
{
	return n <= INT64_MAX && factored(vm, (int64_t)n, out);
}

/* Move the location on by DELTA code units; false once it passes the pc. */
static bool advance(struct cfi_vm *vm, uint64_t delta)
{
	uint64_t step, next;

	if (__builtin_mul_overflow(delta, vm->p->code_align, &step) ||
	    __builtin_add_overflow(vm->loc, step, &next) || next > vm->pc)
		return false;
	vm->loc = next;
	return true;
}

static bool set_loc(struct cfi_vm *vm)
{
	uint64_t next = dwarf_read_pointer(&vm->r, vm->p->ptr_enc, vm->p->ptr_base);

	if (vm->r.bad || next > vm->pc)
		return false;
	vm->loc = next;
	return true;
}

static int def_cfa(struct cfi_vm *vm, uint64_t reg, int64_t offset)
{
	/* The CFA must be computable from a register the unwinder tracks. */
	if (reg >= CFI_NUM_REGS)
		return -ENOTSUP;
	vm->row->cfa = (struct cfi_rule){ .kind = CFI_RULE_REG_OFFSET, .reg = reg,
					  .offset = offset };
	return 0;
}

/* def_cfa_register and def_cfa_offset change half of a register+offset rule. */
static int change_cfa(struct cfi_vm *vm, uint64_t reg, int64_t offset)
{
	if (vm->row->cfa.kind != CFI_RULE_REG_OFFSET)
		return -EINVAL;
	return def_cfa(vm, reg, offset);
}

/* A DW_FORM_block operand: a length, then the bytes of an expression. */
static struct cfi_rule expression_rule(struct cfi_vm *vm, uint8_t kind)
{
	uint64_t len = dwarf_read_uleb128(&vm->r);
	const uint8_t *expr = len <= byte_reader_left(&vm->r) ?
			      byte_reader_take(&vm->r, len) : NULL;

	if (!expr)
		vm->r.bad = true;
	return (struct cfi_rule){ .kind = kind, .expr = expr, .expr_len = len };
}

static struct cfi_rule offset_rule(uint8_t kind, int64_t offset)
{
	return (struct cfi_rule){ .kind = kind, .offset = offset };
}

/* One instruction with its operands; 1 when the pc is reached. */
static int step(struct cfi_vm *vm)
{
	struct byte_reader *r = &vm->r;
	uint8_t op = dwarf_read_uint(r, 1);
	uint64_t reg, reg2, u;
	int64_t off;
	struct cfi_rule rule;

	switch (op & 0xc0) {
	case DW_CFA_advance_loc:
		return advance(vm, op & 0x3f) ? 0 : 1;
	case DW_CFA_offset:
		u = dwarf_read_uleb128(r);
		if (!unsigned_factored(vm, u, &off))
			return -EINVAL;
		set_rule(vm, op & 0x3f, offset_rule(CFI_RULE_OFFSET, off));
		return 0;
	case DW_CFA_restore:
		restore_rule(vm, op & 0x3f);
		return 0;
	}

	switch (op) {
	case DW_CFA_nop:
		return 0;
	case DW_CFA_set_loc:
		return set_loc(vm) ? 0 : (r->bad ? -EINVAL : 1);
	case DW_CFA_advance_loc1:
		u = dwarf_read_uint(r, 1);
		return r->bad ? -EINVAL : !advance(vm, u);
	case DW_CFA_advance_loc2:
		u = dwarf_read_uint(r, 2);
		return r->bad ? -EINVAL : !advance(vm, u);
	case DW_CFA_advance_loc4:
		u = dwarf_read_uint(r, 4);
		return r->bad ? -EINVAL : !advance(vm, u);
	case DW_CFA_offset_extended:
	case DW_CFA_val_offset:
		reg = dwarf_read_uleb128(r);
		u = dwarf_read_uleb128(r);
		if (!unsigned_factored(vm, u, &off))
			return -EINVAL;
		set_rule(vm, reg, offset_rule(op == DW_CFA_val_offset ? CFI_RULE_VAL_OFFSET :
					      CFI_RULE_OFFSET, off));
		return 0;
	case DW_CFA_offset_extended_sf:
	case DW_CFA_val_offset_sf:
		reg = dwarf_read_uleb128(r);
		if (!factored(vm, dwarf_read_sleb128(r), &off))
			return -EINVAL;
		set_rule(vm, reg, offset_rule(op == DW_CFA_val_offset_sf ? CFI_RULE_VAL_OFFSET :
					      CFI_RULE_OFFSET, off));
		return 0;
	case DW_CFA_GNU_negative_offset_extended:
		reg = dwarf_read_uleb128(r);
		u = dwarf_read_uleb128(r);
		if (!unsigned_factored(vm, u, &off))
			return -EINVAL;
		set_rule(vm, reg, offset_rule(CFI_RULE_OFFSET, -off));
		return 0;
	case DW_CFA_restore_extended:
		restore_rule(vm, dwarf_read_uleb128(r));
		return 0;
	case DW_CFA_undefined:
	case DW_CFA_same_value:
		reg = dwarf_read_uleb128(r);
		set_rule(vm, reg, offset_rule(op == DW_CFA_undefined ? CFI_RULE_UNDEFINED :
					      CFI_RULE_SAME_VALUE, 0));
		return 0;
	case DW_CFA_register:
		reg = dwarf_read_uleb128(r);
		reg2 = dwarf_read_uleb128(r);
		/* Held in a register the unwinder cannot know: as good as lost. */
		rule = reg2 < CFI_NUM_REGS ?
		       (struct cfi_rule){ .kind = CFI_RULE_REG_OFFSET, .reg = reg2 } :
		       offset_rule(CFI_RULE_UNDEFINED, 0);
		set_rule(vm, reg, rule);
		return 0;
	case DW_CFA_remember_state:
		if (vm->depth == CFI_STATE_DEPTH)
			return -EINVAL;
		vm->saved[vm->depth++] = *vm->row;
		return 0;
	case DW_CFA_restore_state:
		if (!vm->depth)
			return -EINVAL;
		/* GCC's epilogues rely on the CFA rule coming back too. */
		*vm->row = vm->saved[--vm->depth];
		return 0;
	case DW_CFA_def_cfa:
		reg = dwarf_read_uleb128(r);
		u = dwarf_read_uleb128(r);
		if (r->bad || u > INT64_MAX)
			return -EINVAL;
		return def_cfa(vm, reg, (int64_t)u);
	case DW_CFA_def_cfa_sf:
		reg = dwarf_read_uleb128(r);
		if (!factored(vm, dwarf_read_sleb128(r), &off) || r->bad)
			return -EINVAL;
		return def_cfa(vm, reg, off);
	case DW_CFA_def_cfa_register:
		reg = dwarf_read_uleb128(r);
		return r->bad ? -EINVAL : change_cfa(vm, reg, vm->row->cfa.offset);
	case DW_CFA_def_cfa_offset:
		u = dwarf_read_uleb128(r);
		if (r->bad || u > INT64_MAX)
			return -EINVAL;
		return change_cfa(vm, vm->row->cfa.reg, (int64_t)u);
	case DW_CFA_def_cfa_offset_sf:
		if (!factored(vm, dwarf_read_sleb128(r), &off) || r->bad)
			return -EINVAL;
		return change_cfa(vm, vm->row->cfa.reg, off);
	case DW_CFA_def_cfa_expression:
		vm->row->cfa = expression_rule(vm, CFI_RULE_VAL_EXPRESSION);
		return 0;
	case DW_CFA_expression:
	case DW_CFA_val_expression:
		reg = dwarf_read_uleb128(r);
		rule = expression_rule(vm, op == DW_CFA_expression ? CFI_RULE_EXPRESSION :
				       CFI_RULE_VAL_EXPRESSION);
		set_rule(vm, reg, rule);
		return 0;
	case DW_CFA_GNU_args_size:
		/* Only matters to exception handling: the CFA does not depend on it. */
		dwarf_read_uleb128(r);
		return 0;
	default:
		return -ENOTSUP;
	}
}

int cfi_run(const struct cfi_params *p, const uint8_t *insns, size_t len, uint64_t loc,
	    uint64_t pc, const struct cfi_row *initial, struct cfi_row *row)
{
	struct cfi_vm vm = {
		.p = p, .r = byte_reader(insns, len), .loc = loc, .pc = pc,
		.initial = initial, .row = row,
	};

	if (loc > pc)
		return -EINVAL;
	/* Every instruction takes at least a byte: this ends. */
	while (byte_reader_left(&vm.r)) {
		int ret = step(&vm);

		if (vm.r.bad)
			return -EINVAL;
		if (ret < 0)
			return ret;
		if (ret > 0)
			break;
	}
	return 0;
}
