// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include "native/dwarf_expr.h"
#include "native/dwarf_read.h"

enum {
	DW_OP_addr = 0x03,
	DW_OP_deref = 0x06,
	DW_OP_const1u = 0x08,	/* ... through const8s = 0x0f */
	DW_OP_const8s = 0x0f,
	DW_OP_constu = 0x10,
	DW_OP_consts = 0x11,
	DW_OP_dup = 0x12,
	DW_OP_drop = 0x13,
	DW_OP_over = 0x14,
	DW_OP_pick = 0x15,
	DW_OP_swap = 0x16,
	DW_OP_rot = 0x17,
	DW_OP_abs = 0x19,
	DW_OP_and = 0x1a,
	DW_OP_div = 0x1b,
	DW_OP_minus = 0x1c,
	DW_OP_mod = 0x1d,
	DW_OP_mul = 0x1e,
	DW_OP_neg = 0x1f,
	DW_OP_not = 0x20,
	DW_OP_or = 0x21,
	DW_OP_plus = 0x22,
	DW_OP_plus_uconst = 0x23,
	DW_OP_shl = 0x24,
	DW_OP_shr = 0x25,
	DW_OP_shra = 0x26,
	DW_OP_xor = 0x27,
	DW_OP_eq = 0x29,
	DW_OP_ge = 0x2a,
	DW_OP_gt = 0x2b,
	DW_OP_le = 0x2c,
	DW_OP_lt = 0x2d,
	DW_OP_ne = 0x2e,
	DW_OP_lit0 = 0x30,	/* ... through lit31 = 0x4f */
	DW_OP_breg0 = 0x70,	/* ... through breg31 = 0x8f */
	DW_OP_bregx = 0x92,
	DW_OP_nop = 0x96,
};

#define DWARF_EXPR_STACK 32

struct expr_vm {
	uint64_t stack[DWARF_EXPR_STACK];
	unsigned int n;
	int err;		/* the first error; later pushes and pops do nothing */
};

static void push(struct expr_vm *vm, uint64_t v)
{
	if (vm->n == DWARF_EXPR_STACK)
		vm->err = vm->err ? vm->err : -EINVAL;
	else
		vm->stack[vm->n++] = v;
}

static uint64_t pop(struct expr_vm *vm)
{
	if (!vm->n) {
		vm->err = vm->err ? vm->err : -EINVAL;
		return 0;
	}
	return vm->stack[--vm->n];
}

/* The entry DEPTH below the top (0: the top). */
static uint64_t peek(struct expr_vm *vm, uint64_t depth)
{
	if (depth >= vm->n) {
		vm->err = vm->err ? vm->err : -EINVAL;
		return 0;
	}
	return vm->stack[vm->n - 1 - depth];
}

static uint64_t shift_left(uint64_t a, uint64_t b)
{
	return b >= 64 ? 0 : a << b;
}

static uint64_t shift_right(uint64_t a, uint64_t b)
{
	return b >= 64 ? 0 : a >> b;
}

static uint64_t shift_right_arith(int64_t a, uint64_t b)
{
	return (uint64_t)(a >> (b >= 64 ? 63 : b));
}

/* A binary operation on the two top entries (A below B). */
static int binary(struct expr_vm *vm, uint8_t op)
{
	uint64_t b = pop(vm), a = pop(vm), v;

	switch (op) {
	case DW_OP_and: v = a & b; break;
	case DW_OP_or: v = a | b; break;
	case DW_OP_xor: v = a ^ b; break;
	case DW_OP_plus: v = a + b; break;
	case DW_OP_minus: v = a - b; break;
	case DW_OP_mul: v = a * b; break;
	case DW_OP_shl: v = shift_left(a, b); break;
	case DW_OP_shr: v = shift_right(a, b); break;
	case DW_OP_shra: v = shift_right_arith((int64_t)a, b); break;
	case DW_OP_eq: v = a == b; break;
	case DW_OP_ne: v = a != b; break;
	case DW_OP_ge: v = (int64_t)a >= (int64_t)b; break;
	case DW_OP_gt: v = (int64_t)a > (int64_t)b; break;
	case DW_OP_le: v = (int64_t)a <= (int64_t)b; break;
	case DW_OP_lt: v = (int64_t)a < (int64_t)b; break;
	case DW_OP_div:
		if (!b || ((int64_t)a == INT64_MIN && (int64_t)b == -1))
			return -EINVAL;
		v = (uint64_t)((int64_t)a / (int64_t)b);
		break;
	case DW_OP_mod:
		if (!b)
			return -EINVAL;
		v = a % b;
		break;
	default:
		return -ENOTSUP;
	}
	push(vm, v);
	return 0;
}

static int push_register(struct expr_vm *vm, const struct dwarf_expr_env *env, uint64_t reg,
			 int64_t offset)
{
	if (reg >= env->nregs || reg >= 32 || !(env->known & (1u << reg)))
		return -ENOENT;
	push(vm, env->regs[reg] + (uint64_t)offset);
	return 0;
}

static int step(struct expr_vm *vm, struct byte_reader *r, const struct dwarf_expr_env *env)
{
	uint8_t op = dwarf_read_uint(r, 1);
	uint64_t a, b, c;
	int err;

	if (op >= DW_OP_lit0 && op < DW_OP_lit0 + 32) {
		push(vm, op - DW_OP_lit0);
		return 0;
	}
	if (op >= DW_OP_breg0 && op < DW_OP_breg0 + 32)
		return push_register(vm, env, op - DW_OP_breg0, dwarf_read_sleb128(r));
	if (op >= DW_OP_const1u && op <= DW_OP_const8s) {
		/* Pairs of unsigned and signed, of 1, 2, 4 and 8 bytes. */
		unsigned int bytes = 1u << ((op - DW_OP_const1u) / 2);
		bool is_signed = (op - DW_OP_const1u) & 1;

		a = dwarf_read_uint(r, bytes);
		if (is_signed && bytes < 8 && (a >> (bytes * 8 - 1)))
			a |= ~(uint64_t)0 << (bytes * 8);
		push(vm, a);
		return 0;
	}
	switch (op) {
	case DW_OP_nop:
		return 0;
	case DW_OP_addr:
		push(vm, dwarf_read_uint(r, 8));
		return 0;
	case DW_OP_constu:
		push(vm, dwarf_read_uleb128(r));
		return 0;
	case DW_OP_consts:
		push(vm, (uint64_t)dwarf_read_sleb128(r));
		return 0;
	case DW_OP_bregx:
		a = dwarf_read_uleb128(r);
		return push_register(vm, env, a, dwarf_read_sleb128(r));
	case DW_OP_deref:
		a = pop(vm);
		if (vm->err)
			return vm->err;
		err = env->read_u64 ? env->read_u64(env->ctx, a, &b) : -ENOTSUP;
		if (err)
			return err;
		push(vm, b);
		return 0;
	case DW_OP_dup:
		push(vm, peek(vm, 0));
		return 0;
	case DW_OP_drop:
		pop(vm);
		return 0;
	case DW_OP_over:
		push(vm, peek(vm, 1));
		return 0;
	case DW_OP_pick:
		push(vm, peek(vm, dwarf_read_uint(r, 1)));
		return 0;
	case DW_OP_swap:
		b = pop(vm);
		a = pop(vm);
		push(vm, b);
		push(vm, a);
		return 0;
	case DW_OP_rot:
		c = pop(vm);
		b = pop(vm);
		a = pop(vm);
		push(vm, c);
		push(vm, a);
		push(vm, b);
		return 0;
	case DW_OP_abs:
		a = pop(vm);
		push(vm, (int64_t)a < 0 ? -a : a);
		return 0;
	case DW_OP_neg:
		push(vm, -pop(vm));
		return 0;
	case DW_OP_not:
		push(vm, ~pop(vm));
		return 0;
	case DW_OP_plus_uconst:
		a = dwarf_read_uleb128(r);
		push(vm, pop(vm) + a);
		return 0;
	default:
		return binary(vm, op);
	}
}

int dwarf_expr_eval(const uint8_t *expr, size_t len, const struct dwarf_expr_env *env,
		    const uint64_t *initial, uint64_t *result)
{
	struct byte_reader r = byte_reader(expr, len);
	struct expr_vm vm = { .n = 0 };

	if (initial)
		push(&vm, *initial);
	while (byte_reader_left(&r)) {
		int err = step(&vm, &r, env);

		if (r.bad)
			return -EINVAL;
		if (err)
			return err;
		if (vm.err)
			return vm.err;
	}
	if (!vm.n)
		return -EINVAL;
	*result = vm.stack[vm.n - 1];
	return 0;
}
