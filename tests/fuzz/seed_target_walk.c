// SPDX-License-Identifier: BSD-3-Clause
/*
 * Seeds for fuzz_target_walk: for each built-in layout (3.8-3.12), the
 * memory of a small healthy runtime as that fuzzer maps it (at FAKE_BASE):
 * one interpreter, one thread, a chain of two frames laid out as a live one
 * is, their code objects with names, file and line table.  Built against
 * user/python/py_layout.c, so the seeds follow the table pybpf trusts.
 *
 * Usage: seed_target_walk DIR   (writes DIR/layout-3.N)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/py_layout.h"

#define FAKE_BASE 0x10000000ULL
#define SIZE 8192

static uint8_t mem[SIZE];
static const struct py_layout *L;

static void put64(uint64_t at, uint16_t off, uint64_t v)
{
	if (off != PYPERF_OFF_NONE)
		memcpy(mem + at + off, &v, 8);
}

static void put32(uint64_t at, uint16_t off, uint32_t v)
{
	if (off != PYPERF_OFF_NONE)
		memcpy(mem + at + off, &v, 4);
}

static uint64_t addr(uint64_t at)
{
	return FAKE_BASE + at;
}

/* A compact ASCII str at AT. */
static void str(uint64_t at, const char *text)
{
	const struct pyperf_offsets *o = &L->bpf;

	put64(at, L->object_refcnt, 1);
	put64(at, o->str_length, strlen(text));
	put64(at, o->str_hash, 0x1234 + strlen(text));
	put32(at, o->str_state, (1u << o->str_kind_shift) | o->str_compact_mask | o->str_ascii_mask);
	memcpy(mem + at + o->str_ascii_data, text, strlen(text));
}

/* A code object at AT named NAME, its str and bytes objects after it. */
static void code(uint64_t at, const char *name)
{
	const struct pyperf_offsets *o = &L->bpf;
	static const uint8_t table[] = { 0x80 | (10 << 3) | 3, 0, 0, 0x80 | (11 << 3) | 3, 0, 0 };

	put64(at, L->object_refcnt, 1);
	put64(at, L->object_type, FAKE_BASE + 8);	/* the fuzzer's PyCode_Type */
	put64(at, o->code_name, addr(at + 0x100));
	put64(at, o->code_filename, addr(at + 0x180));
	put64(at, o->code_linetable, addr(at + 0x200));
	put32(at, o->code_firstlineno, 10);
	put32(at, o->code_framesize, 12 - o->framesize_words);
	str(at + 0x100, name);
	str(at + 0x180, "seed.py");
	put64(at + 0x200, o->varobject_size, sizeof(table));
	memcpy(mem + at + 0x200 + o->bytes_data, table, sizeof(table));
}

static void frame(uint64_t at, uint64_t code_at, uint64_t previous)
{
	const struct pyperf_offsets *o = &L->bpf;

	put64(at, o->frame_code, addr(code_at));
	put64(at, o->frame_previous, previous);
	if (o->instr_kind == PYPERF_INSTR_PTR)
		put64(at, o->frame_instr, addr(code_at) + o->code_adaptive + 4);
	else
		put32(at, o->frame_instr, 4);
}

int main(int argc, char **argv)
{
	for (int minor = 8; minor <= 12 && argc > 1; minor++) {
		const uint64_t interp = 0x400, tstate = 0x800, cframe = 0xc00, root = 0xc40;
		const uint64_t base = 0x1000, top = base + 12 * 8, codes = 0x1400;
		const struct pyperf_offsets *o;
		char path[4096];
		FILE *f;

		L = py_layout_static(3, minor, false);
		o = &L->bpf;
		memset(mem, 0, sizeof(mem));
		put64(0, o->runtime_interp_head, addr(interp));
		put64(interp, o->interp_threads_head, addr(tstate));
		put64(tstate, o->tstate_interp, addr(interp));
		put64(tstate, o->tstate_thread_id, 0x7f0000001000ULL);
		put64(tstate, o->tstate_native_thread_id, 1);
		/* Two frames on a data stack, the outer one the chain's base. */
		code(codes, "outer");
		code(codes + 0x400, "inner");
		frame(base, codes, 0);
		frame(top, codes + 0x400, addr(base));
		if (o->frame_is_entry != PYPERF_OFF_NONE)
			mem[base + o->frame_is_entry] = 1;
		if (o->cframe_current_frame != PYPERF_OFF_NONE) {
			put64(cframe, o->cframe_current_frame, addr(top));
			put64(cframe, o->cframe_previous, addr(root));
			put64(tstate, o->tstate_frame, addr(cframe));
		} else {
			put64(tstate, o->tstate_frame, addr(top));
		}
		if (o->tstate_datastack_chunk != PYPERF_OFF_NONE) {
			put64(tstate, o->tstate_datastack_chunk, addr(base - 24));
			put64(tstate, o->tstate_datastack_chunk + 8, addr(top + 12 * 8));
			put64(tstate, o->tstate_datastack_chunk + 16, addr(SIZE));
		}
		snprintf(path, sizeof(path), "%s/layout-3.%d", argv[1], minor);
		f = fopen(path, "wb");
		if (!f || fputc(minor - 8, f) == EOF || fwrite(mem, 1, sizeof(mem), f) != sizeof(mem) ||
		    fclose(f)) {
			perror(path);
			return 1;
		}
	}
	return argc > 1 ? 0 : 2;
}
