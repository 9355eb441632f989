// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include "native/dwarf_expr.h"
#include "native/unwind.h"
#include "base/array.h"

/* Registers by DWARF number, and which of them are known. */
struct frame {
	uint64_t regs[CFI_NUM_REGS];
	uint32_t known;
};

static bool is_known(const struct frame *f, unsigned int reg)
{
	return reg < CFI_NUM_REGS && (f->known & (1u << reg));
}

static void set_reg(struct frame *f, unsigned int reg, uint64_t value)
{
	f->regs[reg] = value;
	f->known |= 1u << reg;
}

/* 0 and the 8 bytes at ADDR; -ERANGE below the copy, -EFAULT past its end. */
static int stack_read(void *ctx, uint64_t addr, uint64_t *val)
{
	const struct unwind_stack *s = ctx;
	uint64_t off = addr - s->start;

	if (addr < s->start)
		return -ERANGE;
	if (off > s->len || s->len - off < sizeof(*val))
		return -EFAULT;
	memcpy(val, s->data + off, sizeof(*val));
	return 0;
}

static int eval_expr(const struct cfi_rule *rule, const struct frame *f,
		     const struct unwind_stack *s, const uint64_t *push, uint64_t *val)
{
	struct dwarf_expr_env env = {
		.regs = f->regs, .nregs = CFI_NUM_REGS, .known = f->known,
		.read_u64 = stack_read, .ctx = (void *)s,
	};

	return dwarf_expr_eval(rule->expr, rule->expr_len, &env, push, val);
}

/* The caller's register REG by RULE; -ENOENT when it cannot be known. */
static int rule_value(const struct cfi_rule *rule, unsigned int reg, const struct frame *f,
		      uint64_t cfa, const struct unwind_stack *s, uint64_t *val)
{
	uint64_t addr;
	int err;

	switch (rule->kind) {
	case CFI_RULE_SAME_VALUE:
		if (!is_known(f, reg))
			return -ENOENT;
		*val = f->regs[reg];
		return 0;
	case CFI_RULE_OFFSET:
		return stack_read((void *)s, cfa + (uint64_t)rule->offset, val);
	case CFI_RULE_VAL_OFFSET:
		*val = cfa + (uint64_t)rule->offset;
		return 0;
	case CFI_RULE_REG_OFFSET:
		if (!is_known(f, rule->reg))
			return -ENOENT;
		*val = f->regs[rule->reg] + (uint64_t)rule->offset;
		return 0;
	case CFI_RULE_EXPRESSION:
		err = eval_expr(rule, f, s, &cfa, &addr);
		return err ? err : stack_read((void *)s, addr, val);
	case CFI_RULE_VAL_EXPRESSION:
		return eval_expr(rule, f, s, &cfa, val);
	default:
		return -ENOENT;
	}
}

static int cfa_value(const struct cfi_row *row, const struct frame *f,
		     const struct unwind_stack *s, uint64_t *cfa)
{
	switch (row->cfa.kind) {
	case CFI_RULE_REG_OFFSET:
		return rule_value(&row->cfa, 0, f, 0, s, cfa);
	case CFI_RULE_VAL_EXPRESSION:
		/* Unlike a register's, the CFA's expression starts on an empty stack. */
		return eval_expr(&row->cfa, f, s, NULL, cfa);
	default:
		return -ENOENT;
	}
}

static enum unwind_stop stop_for(int err)
{
	switch (err) {
	case -EFAULT:
		return UNWIND_STOP_TRUNCATED;
	case -ENOENT:
	case -ERANGE:
		return UNWIND_STOP_BAD_RULE;
	default:
		return UNWIND_STOP_BAD_CFI;
	}
}

/* F becomes its caller's registers by ROW: 0, or -1 and why not in *STOP. */
static int step_cfi(struct frame *f, const struct cfi_row *row, const struct unwind_stack *s,
		    enum unwind_stop *stop)
{
	const struct cfi_rule *ra = &row->regs[row->ra_reg];
	struct frame caller = { .known = 0 };
	uint64_t cfa, value;
	int err;

	if (ra->kind == CFI_RULE_UNDEFINED) {
		*stop = UNWIND_STOP_END;
		return -1;
	}
	/* A CIE that never says where the return address is. */
	if (ra->kind == CFI_RULE_SAME_VALUE) {
		*stop = UNWIND_STOP_BAD_RULE;
		return -1;
	}
	err = cfa_value(row, f, s, &cfa);
	if (err) {
		*stop = stop_for(err);
		return -1;
	}
	/* Callers are higher up the stack: anything else would go round forever. */
	if (cfa <= f->regs[CFI_REG_RSP]) {
		*stop = UNWIND_STOP_LOOP;
		return -1;
	}
	err = rule_value(ra, row->ra_reg, f, cfa, s, &value);
	if (err) {
		*stop = stop_for(err);
		return -1;
	}
	/* Other registers only matter if a caller's rules use them: lose them quietly. */
	for (unsigned int reg = 0; reg < CFI_NUM_REGS; reg++) {
		uint64_t v;

		if (reg != CFI_REG_RSP && reg != row->ra_reg &&
		    !rule_value(&row->regs[reg], reg, f, cfa, s, &v))
			set_reg(&caller, reg, v);
	}
	set_reg(&caller, CFI_REG_RSP, cfa);	/* the CFA is the caller's rsp, by definition */
	set_reg(&caller, CFI_REG_RA, value);
	*f = caller;
	return 0;
}

/*
 * The frame pointer convention: rbp points at the saved rbp, the return
 * address above it, the caller's rsp above that.  -ENOENT when rbp does
 * not point into the copy, -ELOOP when it points below rsp.
 */
static int step_frame_pointer(struct frame *f, const struct unwind_stack *s)
{
	uint64_t fp = f->regs[CFI_REG_RBP], saved_fp, ra;
	struct frame caller = { .known = 0 };

	if (!is_known(f, CFI_REG_RBP) || stack_read((void *)s, fp, &saved_fp) ||
	    stack_read((void *)s, fp + 8, &ra))
		return -ENOENT;
	if (fp < f->regs[CFI_REG_RSP])
		return -ELOOP;
	set_reg(&caller, CFI_REG_RSP, fp + 16);
	set_reg(&caller, CFI_REG_RBP, saved_fp);
	set_reg(&caller, CFI_REG_RA, ra);
	*f = caller;
	return 0;
}

/* One frame up: 0, or -1 with res->stop set. */
static int unwind_frame(struct frame *f, bool *exact_pc, const struct unwind_stack *s,
			unwind_find_fn find, void *ctx, struct unwind_result *res)
{
	/* A return address may be just past the function of a noreturn call. */
	uint64_t pc = *exact_pc ? f->regs[CFI_REG_RA] : f->regs[CFI_REG_RA] - 1;
	enum unwind_stop no_cfi = UNWIND_STOP_NO_MODULE;
	struct unwind_module mod;
	struct cfi_row row;
	int err;

	if (!find(ctx, pc, &mod)) {
		no_cfi = UNWIND_STOP_NO_CFI;
		err = mod.table ? eh_frame_table_find(mod.table, pc - mod.bias, &row) : -ENOENT;
		if (!err) {
			/* A signal handler's caller was interrupted, not calling. */
			*exact_pc = row.signal_frame;
			return step_cfi(f, &row, s, &res->stop);
		}
		if (err != -ENOENT) {
			res->stop = UNWIND_STOP_BAD_CFI;
			return -1;
		}
	}
	err = step_frame_pointer(f, s);
	if (err) {
		res->stop = err == -ELOOP ? UNWIND_STOP_LOOP : no_cfi;
		return -1;
	}
	res->flags |= UNWIND_USED_FRAME_POINTER;
	res->fp_frames++;
	*exact_pc = false;
	return 0;
}

size_t unwind_native(const struct unwind_regs *regs, const struct unwind_stack *stack,
		     unwind_find_fn find, void *ctx, uint64_t *pcs, size_t max,
		     struct unwind_result *res)
{
	struct frame f = { .known = 0 };
	bool exact_pc = true;
	size_t n = 0;

	*res = (struct unwind_result){ .stop = UNWIND_STOP_MAX_FRAMES };
	set_reg(&f, CFI_REG_RA, regs->rip);
	set_reg(&f, CFI_REG_RSP, regs->rsp);
	set_reg(&f, CFI_REG_RBP, regs->rbp);
	set_reg(&f, CFI_REG_RBX, regs->rbx);
	if (!max)
		return 0;
	pcs[n++] = regs->rip;
	/* Each round adds a pc or stops: at most MAX rounds. */
	while (!unwind_frame(&f, &exact_pc, stack, find, ctx, res)) {
		if (!f.regs[CFI_REG_RA]) {
			res->stop = UNWIND_STOP_END;
			break;
		}
		if (n == max) {
			res->stop = UNWIND_STOP_MAX_FRAMES;
			break;
		}
		pcs[n++] = f.regs[CFI_REG_RA];
	}
	return n;
}

const char *unwind_stop_str(enum unwind_stop stop)
{
	static const char *const names[] = {
		[UNWIND_STOP_END] = "end",
		[UNWIND_STOP_MAX_FRAMES] = "max frames",
		[UNWIND_STOP_NO_MODULE] = "no module",
		[UNWIND_STOP_NO_CFI] = "no CFI",
		[UNWIND_STOP_TRUNCATED] = "stack copy too short",
		[UNWIND_STOP_BAD_CFI] = "bad CFI",
		[UNWIND_STOP_BAD_RULE] = "bad rule",
		[UNWIND_STOP_LOOP] = "loop",
	};

	return (unsigned int)stop < ARRAY_SIZE(names) ? names[stop] : "?";
}
