// SPDX-License-Identifier: BSD-3-Clause
/* Objects in a unit test's own target memory (fake_objects.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "fake_objects.h"
#include "process/target_mem.h"

#define O (&fo_layout.objects)
#define NONE PYPERF_OFF_NONE

uint8_t fo_mem[FO_MEM_SIZE];
size_t fo_mem_used;
unsigned long fo_reads;
struct py_layout fo_layout;
uint64_t fo_str_type, fo_int_type, fo_none_type;

static int fo_mem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	fo_reads++;
	if (addr < FO_MEM_BASE || addr - FO_MEM_BASE > FO_MEM_SIZE || len > FO_MEM_SIZE - (addr - FO_MEM_BASE))
		return -EFAULT;
	memcpy(buf, fo_mem + (addr - FO_MEM_BASE), len);
	return 0;
}

/* LEN zeroed bytes, 16-aligned, with room for a 32-byte pre-header before them. */
uint64_t fo_alloc(size_t len)
{
	uint64_t at = FO_MEM_BASE + ((fo_mem_used + 32 + 15) & ~(size_t)15);

	fo_mem_used = at - FO_MEM_BASE + len;
	cr_assert(fo_mem_used <= FO_MEM_SIZE, "the fake target is full");
	return at;
}

void fo_put(uint64_t addr, const void *v, size_t len)
{
	cr_assert(addr >= FO_MEM_BASE && addr + len <= FO_MEM_BASE + FO_MEM_SIZE);
	memcpy(fo_mem + (addr - FO_MEM_BASE), v, len);
}

void fo_put64(uint64_t addr, uint64_t v) { fo_put(addr, &v, 8); }
void fo_put8(uint64_t addr, uint8_t v) { fo_put(addr, &v, 1); }

uint64_t fo_type_named(const char *name)
{
	uint64_t type = fo_alloc(1024), text = fo_alloc(strlen(name) + 1);

	fo_put(text, name, strlen(name) + 1);
	fo_put64(type + O->instance.type_name, text);
	return type;
}

uint64_t fo_object(uint64_t type, size_t size)
{
	uint64_t at = fo_alloc(size);

	fo_put64(at + fo_layout.object_type, type);
	if (fo_layout.object_refcnt != PYPERF_OFF_NONE)
		fo_put64(at + fo_layout.object_refcnt, 1);	/* alive */
	return at;
}

uint64_t fo_str(const char *text)
{
	const struct pyperf_offsets *o = &fo_layout.bpf;
	size_t len = strlen(text);
	uint64_t at = fo_alloc(o->str_ascii_data + len + 1);
	uint32_t state = (1u << o->str_kind_shift) | o->str_compact_mask | o->str_ascii_mask;

	fo_put64(at + fo_layout.object_type, fo_str_type);
	fo_put64(at + o->str_length, len);
	fo_put(at + o->str_state, &state, 4);
	fo_put(at + o->str_ascii_data, text, len);
	return at;
}

uint64_t fo_int(uint64_t value)
{
	const struct py_long_layout *I = &O->ints;
	uint64_t at = fo_alloc(I->digits + 8);
	uint64_t ndigits = value >> 30 ? 2 : value ? 1 : 0;
	uint32_t digits[2] = { value & ((1u << 30) - 1), (uint32_t)(value >> 30) };

	fo_put64(at + fo_layout.object_type, fo_int_type);
	fo_put64(at + I->size, I->lv_tag ? (ndigits << 3) | (value ? 0 : 1) : ndigits);
	fo_put(at + I->digits, digits, sizeof(digits));
	return at;
}


/*
 * A keys object of 2^LOG2 slots with N entries KEYS[i] -> VALUES[i] (no
 * values in a split one: those are the object's).  Its indices stay zero:
 * the walk does not use them.
 */
uint64_t fo_keys(unsigned int log2, enum fo_kind kind, size_t n, const uint64_t *keys,
			 const uint64_t *values)
{
	const struct py_dict_layout *D = &O->dict;
	uint64_t size = 1ULL << log2, width = size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
	bool general = kind == FO_GENERAL || !D->log2_size;
	size_t entry = general ? D->general_entry_size : D->unicode_entry_size;
	uint64_t at = fo_alloc(D->keys_indices + size * width + n * entry);
	uint64_t entries = at + D->keys_indices + size * width;

	if (D->log2_size) {
		fo_put8(at + D->keys_size, log2);
		fo_put8(at + D->keys_log2_index_bytes, log2 + (width == 1 ? 0 : width == 2 ? 1 : 2));
		fo_put8(at + D->keys_kind, kind == FO_GENERAL ? D->kind_general : kind == FO_UNICODE ? 1 : 2);
	} else {
		fo_put64(at + D->keys_size, size);
	}
	fo_put64(at + D->keys_nentries, n);
	for (size_t i = 0; i < n; i++) {
		uint64_t e = entries + i * entry;

		fo_put64(e + (general ? 8 : 0), keys[i]);
		if (values)
			fo_put64(e + (general ? 16 : 8), values[i]);
	}
	return at;
}

/* A PyDictValues of N values. */
uint64_t fo_values(size_t n, const uint64_t *values)
{
	uint64_t at = fo_alloc(O->dict.values_array + n * 8);

	for (size_t i = 0; i < n; i++)
		fo_put64(at + O->dict.values_array + i * 8, values[i]);
	return at;
}

uint64_t fo_dict(uint64_t keys, uint64_t values)
{
	uint64_t at = fo_object(fo_type_named("dict"), 48);

	fo_put64(at + O->dict.keys, keys);
	fo_put64(at + O->dict.values, values);
	return at;
}

/* A dict of str keys to VALUES, as its version makes one. */
uint64_t fo_str_dict(size_t n, const char *const *names, const uint64_t *values)
{
	uint64_t keys[16];

	cr_assert(n <= 16);
	for (size_t i = 0; i < n; i++)
		keys[i] = fo_str(names[i]);
	return fo_dict(fo_keys(4, FO_UNICODE, n, keys, values), 0);
}

void fo_use_version(int minor)
{
	const struct py_layout *L = py_layout_static(3, minor, false);

	cr_assert(L && L->objects.supported, "no reader fo_layout for 3.%d", minor);
	fo_layout = *L;
	/* 3.13 has it from _Py_DebugOffsets: what the runtime exports there. */
	if (fo_layout.objects.interp_modules == NONE)
		fo_layout.objects.interp_modules = 7656;
	if (fo_layout.needs_debug_offsets) {
		fo_layout.object_type = 8;
		fo_layout.bpf.str_length = 16;
		fo_layout.bpf.str_state = 32;
		fo_layout.bpf.str_ascii_data = 40;
		fo_layout.bpf.str_compact_data = 56;
		fo_layout.bpf.runtime_interp_head = 40;
		fo_layout.bpf.interp_next = 0;
	}
	memset(fo_mem, 0, sizeof(fo_mem));
	fo_mem_used = 0;
	fo_reads = 0;
	fo_str_type = fo_type_named("str");
	fo_int_type = fo_type_named("int");
	fo_none_type = fo_type_named("NoneType");
	target_mem_set_reader(fo_mem_read);
}

void fo_done(void)
{
	target_mem_set_reader(NULL);
}


struct python_target fo_runtime_of(size_t n, const char *const *modules, const uint64_t *globals)
{
	struct python_target t = { .pid = 4242 };
	uint64_t interp = fo_alloc(8192), mods[FO_MAX_MODULES + 2] = { 0x3, 0x4 };
	const char *names[FO_MAX_MODULES + 2] = { "sys", "builtins" };

	cr_assert(n <= FO_MAX_MODULES);
	for (size_t i = 0; i < n; i++) {
		names[2 + i] = modules[i];
		mods[2 + i] = fo_alloc(64);
		fo_put64(mods[2 + i] + O->module_dict, globals[i]);
	}
	fo_put64(interp + O->interp_modules, fo_str_dict(2 + n, names, mods));
	t.runtime_addr = fo_alloc(1024);
	fo_put64(t.runtime_addr + fo_layout.bpf.runtime_interp_head, interp);
	fo_put64(interp + fo_layout.bpf.interp_next, 0);
	t.layout = fo_layout;
	return t;
}

struct python_target fo_runtime(const char *module, size_t n, const char *const *names,
				const uint64_t *values)
{
	return fo_runtime_of(1, &module, (uint64_t[]){ fo_str_dict(n, names, values) });
}

uint64_t fo_class(const char *name)
{
	const struct py_instance_layout *I = &O->instance;
	uint64_t type = fo_type_named(name);

	fo_put64(type + I->type_flags, I->managed_dict_flag);
	fo_put64(type + I->type_basicsize, 16);
	/* Up to 3.10 the dict follows the 16-byte object. */
	fo_put64(type + I->type_dictoffset, I->managed_dict_flag ? 0 : 16);
	return type;
}

uint64_t fo_instance(uint64_t cls, size_t n, const char *const *names, const uint64_t *values)
{
	const struct py_instance_layout *I = &O->instance;
	uint64_t obj = fo_object(cls, 64);

	fo_put64(obj + (I->managed_dict_flag ? (uint64_t)(int64_t)I->managed_dict : 16),
		 fo_str_dict(n, names, values));
	return obj;
}
