// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "native/eh_frame.h"
#include "native/elf_symbols.h"
#include "native/kernel_symbols.h"
#include "native/native_stack.h"
#include "native/native_symbols.h"
#include "native/unwind.h"
#include "base/array.h"

int native_stack_init(struct native_stack *n, struct profile *profile, bool user, bool kernel)
{
	memset(n, 0, sizeof(*n));
	n->profile = profile;
	if (user && !(n->user = native_symbols_new(NULL)))
		return -ENOMEM;
	if (kernel && !(n->kernel = kernel_symbols_new(NULL)))
		return -ENOMEM;
	return 0;
}

void native_stack_free(struct native_stack *n)
{
	if (n->user)
		native_symbols_free(n->user);
	if (n->kernel)
		kernel_symbols_free(n->kernel);
	memset(n, 0, sizeof(*n));
}

void native_stack_forget(struct native_stack *n, pid_t pid)
{
	if (n->user)
		native_symbols_forget(n->user, pid);
}

static void free_table(void *table)
{
	eh_frame_table_free(table);
}

struct find_ctx {
	struct native_stack *n;
	pid_t pid;
};

/* The unwinder's module lookup: tables parsed once per file, kept with its symbols. */
static int find_module(void *arg, uint64_t pc, struct unwind_module *mod)
{
	struct find_ctx *c = arg;
	struct native_module_ref ref;
	struct elf_file *ef;
	int rc = native_symbols_find_module(c->n->user, c->pid, pc, &ref);

	if (rc)
		return rc;
	if (!ref.unwind->free) {
		/* Through map_files or the vDSO's image: whatever the mount namespace. */
		ef = native_symbols_open_elf(c->n->user, &ref);
		ref.unwind->data = ef ? eh_frame_table_from_elf(ef) : NULL;
		ref.unwind->free = free_table;	/* also marks "tried", table or not */
		if (ef)
			elf_file_close(ef);
	}
	mod->table = ref.unwind->data;
	mod->bias = ref.bias;
	return 0;
}

/*
 * A native frame: the function and its library.  An address no symbol
 * covers is named after its library alone, so the frames of one stripped
 * function do not split by instruction.
 */
static uint32_t native_frame(struct native_stack *n, const struct native_symbol *sym, int rc)
{
	char name[256];

	if (rc == -ENOENT && sym->module_name) {
		snprintf(name, sizeof(name), "[%s]", sym->module_name);
		return profile_frame(n->profile, name, sym->module, 0);
	}
	return profile_frame(n->profile, sym->name, sym->module ? sym->module : "", 0);
}

static bool is_eval_loop(const char *name)
{
	return !strcmp(name, "_PyEval_EvalFrameDefault");
}

/* The frame saying why the unwind stopped early; FRAME_NONE if it did not. */
static uint32_t incomplete_frame(struct native_stack *n, enum unwind_stop stop)
{
	char why[96];

	if (stop == UNWIND_STOP_END)
		return FRAME_NONE;
	snprintf(why, sizeof(why), "[native stack incomplete: %s]", unwind_stop_str(stop));
	return profile_frame(n->profile, why, "", 0);
}

static void merge_user(struct native_stack *n, const struct pyperf_sample *s, size_t size,
		       const struct python_frames *python, uint32_t *out, size_t *depth, size_t max)
{
	const struct pyperf_user_regs *r = pyperf_sample_regs(s, size);
	struct unwind_regs regs;
	struct unwind_stack stack;
	struct unwind_result res;
	struct find_ctx ctx = { n, (pid_t)s->hdr.pid };
	struct native_frames native = { n->frames, n->eval, 0, FRAME_NONE, FRAME_NONE };
	struct native_symbol sym;

	if (!r) {
		append_python_frames(python, out, depth, max);
		return;
	}
	regs = (struct unwind_regs){ .rip = r->ip, .rsp = r->sp, .rbp = r->bp };
	stack = (struct unwind_stack){ .start = r->sp, .data = pyperf_sample_user_stack(r),
				       .len = s->hdr.stack_len };
	native.count = unwind_native(&regs, &stack, find_module, &ctx, n->pcs, NATIVE_STACK_MAX, &res);
	n->unwinds++;
	n->complete += res.stop == UNWIND_STOP_END;
	n->stops[res.stop & 15]++;

	/*
	 * Symbolize each pc once (a return address less one, to land in the
	 * call): the eval loop's frames stand for Python frames, the others
	 * become profile frames.
	 */
	for (size_t i = 0; i < native.count; i++) {
		int rc = native_symbols_lookup(n->user, ctx.pid, i ? n->pcs[i] - 1 : n->pcs[i], &sym);

		n->eval[i] = is_eval_loop(sym.name);
		if (!n->eval[i])
			n->frames[i] = native_frame(n, &sym, rc);
	}
	native.incomplete = incomplete_frame(n, res.stop);
	native.unplaced = profile_frame(n->profile, "[native frames between Python calls left out]", "", 0);
	interleave_frames(python, &native, out, depth, max);
}

static void push_kernel(struct native_stack *n, const struct pyperf_sample *s, size_t size,
			uint32_t *out, size_t *depth, size_t max)
{
	const uint64_t *ips = (const uint64_t *)pyperf_sample_kernel(s, size);
	struct kernel_symbol ks;
	char name[160];

	if (!ips)
		return;
	size_t first = 0;

	/* In the scheduler tracepoint the innermost frames are pybpf's own BPF program. */
	while (first < s->hdr.nkernel && !kernel_symbols_lookup(n->kernel, ips[first], &ks) &&
	       (!strncmp(ks.name, "bpf_prog_", 9) || !strncmp(ks.name, "bpf_trace_run", 13) ||
		(ks.module && !strcmp(ks.module, "bpf"))))
		first++;
	for (size_t i = s->hdr.nkernel; i-- > first;) {
		kernel_symbols_lookup(n->kernel, ips[i], &ks);
		snprintf(name, sizeof(name), "%s%s%s%s", ks.name, ks.module ? " [" : "",
			 ks.module ? ks.module : "", ks.module ? "]" : "");
		if (*depth < max)
			out[(*depth)++] = profile_frame(n->profile, name, "[kernel]", 0);
	}
}

void native_stack_merge(struct native_stack *n, const struct pyperf_sample *s, size_t size,
			const struct python_frames *python, uint32_t *out, size_t *depth, size_t max)
{
	if (n->user && (s->hdr.flags & PYPERF_SAMPLE_USER_REGS))
		merge_user(n, s, size, python, out, depth, max);
	else
		append_python_frames(python, out, depth, max);
	if (n->kernel && s->hdr.nkernel)
		push_kernel(n, s, size, out, depth, max);
}

void native_stack_print_summary(const struct native_stack *n, FILE *out)
{
	fprintf(out, "pybpf: --native: %llu stacks unwound, %llu to the outermost frame",
		(unsigned long long)n->unwinds, (unsigned long long)n->complete);
	for (int why = 0; why < 16; why++)
		if (why != UNWIND_STOP_END && n->stops[why])
			fprintf(out, ", %llu stopped: %s", (unsigned long long)n->stops[why],
				unwind_stop_str(why));
	fputc('\n', out);
}
