// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include "fake_target.h"
#include "process/target_mem.h"
#include "python/python_target.h"

uint8_t fake_mem[FAKE_SIZE];
const struct py_layout *fake_layout;

uint64_t fake_addr(uint64_t at)
{
	return FAKE_BASE + at;
}

void fake_put64(uint64_t at, uint16_t off, uint64_t v)
{
	if (off != PYPERF_OFF_NONE && at + off + 8 <= FAKE_SIZE)
		memcpy(fake_mem + at + off, &v, 8);
}

void fake_put32(uint64_t at, uint16_t off, uint32_t v)
{
	if (off != PYPERF_OFF_NONE && at + off + 4 <= FAKE_SIZE)
		memcpy(fake_mem + at + off, &v, 4);
}

void fake_str(uint64_t at, const char *text)
{
	const struct py_layout *L = fake_layout;
	const struct pyperf_offsets *o = &L->bpf;
	size_t len = strlen(text);

	fake_put64(at, L->object_refcnt, 1);
	fake_put64(at, o->str_length, len);
	/* The cached hash is part of the fingerprint: it follows the text. */
	fake_put64(at, o->str_hash, 0x1234 + len + (uint8_t)text[0] * 131);
	fake_put32(at, o->str_state, (1u << o->str_kind_shift) | o->str_compact_mask | o->str_ascii_mask);
	if (at + o->str_ascii_data + len <= FAKE_SIZE)
		memcpy(fake_mem + at + o->str_ascii_data, text, len);
}

void fake_code(uint64_t at, const char *name, const char *file)
{
	const struct py_layout *L = fake_layout;
	const struct pyperf_offsets *o = &L->bpf;
	/* Two 3.11+ location entries: line 10, then 11 (a 3.8-3.10 table reads them otherwise). */
	static const uint8_t table[] = { 0x80 | (10 << 3) | 3, 0, 0, 0x80 | (11 << 3) | 3, 0, 0 };

	fake_put64(at, L->object_refcnt, 1);
	fake_put64(at, L->object_type, FAKE_CODE_TYPE);
	fake_put64(at, o->code_name, fake_addr(at + 0x100));
	fake_put64(at, o->code_filename, fake_addr(at + 0x180));
	fake_put64(at, o->code_linetable, fake_addr(at + 0x200));
	fake_put32(at, o->code_firstlineno, 10);
	fake_put32(at, o->code_framesize, 12 - o->framesize_words);
	fake_str(at + 0x100, name);
	fake_str(at + 0x180, file);
	fake_put64(at + 0x200, o->varobject_size, sizeof(table));
	memcpy(fake_mem + at + 0x200 + o->bytes_data, table, sizeof(table));
}

static void fake_frame(uint64_t at, uint64_t code_at, uint64_t previous)
{
	const struct pyperf_offsets *o = &fake_layout->bpf;

	fake_put64(at, o->frame_code, fake_addr(code_at));
	fake_put64(at, o->frame_previous, previous);
	if (o->instr_kind == PYPERF_INSTR_PTR)
		fake_put64(at, o->frame_instr, fake_addr(code_at) + o->code_adaptive + 4);
	else
		fake_put32(at, o->frame_instr, 4);
}

int fake_runtime(int minor)
{
	const uint64_t base = FAKE_FRAMES, top = base + 12 * 8;
	const struct pyperf_offsets *o;

	fake_layout = py_layout_static(3, minor, false);
	if (!fake_layout || fake_layout->needs_debug_offsets)
		return -1;
	o = &fake_layout->bpf;
	memset(fake_mem, 0, sizeof(fake_mem));
	fake_put64(0, o->runtime_interp_head, fake_addr(FAKE_INTERP));
	fake_put64(FAKE_INTERP, o->interp_threads_head, fake_addr(FAKE_TSTATE));
	fake_put64(FAKE_TSTATE, o->tstate_interp, fake_addr(FAKE_INTERP));
	fake_put64(FAKE_TSTATE, o->tstate_thread_id, 0x7f0000001000ULL);
	fake_put64(FAKE_TSTATE, o->tstate_native_thread_id, 1);
	/* Two frames on a data stack, the outer one the chain's base. */
	fake_code(FAKE_CODES, "outer", "seed.py");
	fake_code(FAKE_CODES + FAKE_CODE_SPAN, "inner", "seed.py");
	fake_frame(base, FAKE_CODES, 0);
	fake_frame(top, FAKE_CODES + FAKE_CODE_SPAN, fake_addr(base));
	if (o->frame_is_entry != PYPERF_OFF_NONE)
		fake_mem[base + o->frame_is_entry] = 1;
	if (o->cframe_current_frame != PYPERF_OFF_NONE) {
		fake_put64(FAKE_CFRAME, o->cframe_current_frame, fake_addr(top));
		fake_put64(FAKE_CFRAME, o->cframe_previous, fake_addr(FAKE_ROOT_CFRAME));
		fake_put64(FAKE_TSTATE, o->tstate_frame, fake_addr(FAKE_CFRAME));
	} else {
		fake_put64(FAKE_TSTATE, o->tstate_frame, fake_addr(top));
	}
	if (o->tstate_datastack_chunk != PYPERF_OFF_NONE) {
		fake_put64(FAKE_TSTATE, o->tstate_datastack_chunk, fake_addr(base - 24));
		fake_put64(FAKE_TSTATE, o->tstate_datastack_chunk + 8, fake_addr(top + 12 * 8));
		fake_put64(FAKE_TSTATE, o->tstate_datastack_chunk + 16, fake_addr(FAKE_SIZE));
	}
	return 0;
}

int fake_target_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	if (addr < FAKE_BASE || addr - FAKE_BASE > FAKE_SIZE || len > FAKE_SIZE - (addr - FAKE_BASE))
		return -EFAULT;
	memcpy(buf, fake_mem + (addr - FAKE_BASE), len);
	return 0;
}

void fake_python_target(int minor, struct python_target *t)
{
	memset(t, 0, sizeof(*t));
	if (fake_runtime(minor))
		return;
	target_mem_set_reader(fake_target_read);
	t->pid = 4242;			/* no process: every read is the fake's */
	t->layout = *fake_layout;
	t->runtime_addr = FAKE_BASE;
	t->code_type_addr = FAKE_CODE_TYPE;
}
