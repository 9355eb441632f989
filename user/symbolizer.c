// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pystr.h"
#include "symbolizer.h"
#include "target_mem.h"

/* Longest line table read; anything larger is not a real code object. */
#define MAX_LINETABLE (1 << 20)

struct code_info {
	int ok;
	uint32_t name, file;		/* profile string ids */
	int firstlineno;
	uint8_t *linetable;
	size_t linetable_len;
};

struct code_key {
	uint64_t addr;
	uint32_t fingerprint;
	uint32_t pad;
};

struct line_key {
	const struct code_info *code;
	int32_t offset;
	int32_t pad;
};

int symbolizer_init(struct symbolizer *s, const struct python_target *t,
		    struct profile *profile)
{
	memset(s, 0, sizeof(*s));
	s->pid = t->pid;
	s->layout = t->layout;
	s->code_type_addr = t->code_type_addr;
	s->profile = profile;
	s->unknown_frame = profile_frame(profile, "[unknown]", "", 0);
	return s->unknown_frame == UINT32_MAX ? -ENOMEM : 0;
}

void symbolizer_free(struct symbolizer *s)
{
	struct hmap_slot *slot;

	hmap_for_each(&s->codes, slot) {
		struct code_info *ci = (struct code_info *)slot->value;

		if (ci)
			free(ci->linetable);
		free(ci);
	}
	hmap_free(&s->codes);
	hmap_free(&s->lines);
}

static uint64_t field_u64(const uint8_t *buf, uint16_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static int read_bytes_object(struct symbolizer *s, uint64_t addr, struct code_info *ci)
{
	const struct py_layout *L = s->layout;
	int64_t size;
	int err;

	err = target_read(s->pid, addr + L->varobject_size, &size, sizeof(size));
	if (err)
		return err;
	if (size < 0 || size > MAX_LINETABLE)
		return -EINVAL;
	ci->linetable = malloc(size ? size : 1);
	if (!ci->linetable)
		return -ENOMEM;
	ci->linetable_len = size;
	return size ? target_read(s->pid, addr + L->bytes_data, ci->linetable, size) : 0;
}

/*
 * Read the code object at ADDR and check it is the one the kernel
 * fingerprinted.  Any mismatch means the memory now holds something else.
 */
static int load_code(struct symbolizer *s, uint64_t addr, uint32_t fingerprint,
		     struct code_info *ci)
{
	const struct py_layout *L = s->layout;
	const struct pyperf_offsets *o = &L->bpf;
	uint8_t code[PYPERF_CODE_READ];
	char name[PYSTR_MAX_CHARS * 4 + 8], file[PYSTR_MAX_CHARS * 4 + 8];
	uint64_t name_addr, file_addr, table_addr, name_hash;
	int32_t firstlineno;
	int err;

	if (!fingerprint)
		return -EINVAL;		/* the kernel could not read it either */
	err = target_read(s->pid, addr, code, o->code_read_size);
	if (err)
		return err;
	if (s->code_type_addr && field_u64(code, L->object_type) != s->code_type_addr)
		return -EINVAL;
	name_addr = field_u64(code, o->code_name);
	file_addr = field_u64(code, o->code_filename);
	table_addr = field_u64(code, o->code_linetable);
	memcpy(&firstlineno, code + o->code_firstlineno, sizeof(firstlineno));

	err = pystr_read(s->pid, L, name_addr, name, sizeof(name), &name_hash);
	if (err)
		return err;
	if (pyperf_fingerprint(name_addr, file_addr, table_addr, (uint32_t)firstlineno,
			       name_hash) != fingerprint)
		return -ESTALE;
	err = pystr_read(s->pid, L, file_addr, file, sizeof(file), NULL);
	if (err)
		return err;
	err = read_bytes_object(s, table_addr, ci);
	if (err)
		return err;
	ci->name = profile_string(s->profile, name);
	ci->file = profile_string(s->profile, file);
	ci->firstlineno = firstlineno;
	ci->ok = ci->name != UINT32_MAX && ci->file != UINT32_MAX;
	return ci->ok ? 0 : -ENOMEM;
}

static struct code_info *lookup_code(struct symbolizer *s, uint64_t addr, uint32_t fingerprint)
{
	struct code_key key = { addr, fingerprint, 0 };
	bool created;
	uintptr_t *slot = hmap_upsert(&s->codes, &key, sizeof(key), &created);
	struct code_info *ci;

	if (!slot)
		return NULL;
	if (!created)
		return (struct code_info *)*slot;
	ci = calloc(1, sizeof(*ci));
	if (!ci)
		return NULL;
	/* Failures are cached too: that (address, fingerprint) is gone for good. */
	if (load_code(s, addr, fingerprint, ci)) {
		free(ci->linetable);
		ci->linetable = NULL;
		ci->ok = 0;
	}
	*slot = (uintptr_t)ci;
	return ci;
}

uint32_t symbolizer_frame(struct symbolizer *s, const struct pyperf_frame *f)
{
	struct code_info *ci = lookup_code(s, f->code, f->fingerprint);
	struct line_key key;
	uintptr_t *slot;
	bool created;
	int line;

	if (!ci || !ci->ok) {
		s->frames_failed++;
		return s->unknown_frame;
	}
	s->frames_resolved++;
	memset(&key, 0, sizeof(key));
	key.code = ci;
	key.offset = f->instr_offset;
	slot = hmap_upsert(&s->lines, &key, sizeof(key), &created);
	if (!slot)
		return s->unknown_frame;
	if (created) {
		line = f->instr_offset == PYPERF_INSTR_UNKNOWN ? 0 :
		       linetable_line(s->layout->linetable_format, ci->linetable,
				      ci->linetable_len, ci->firstlineno, f->instr_offset);
		*slot = 1 + profile_frame(s->profile, s->profile->strings[ci->name],
					  s->profile->strings[ci->file], line > 0 ? line : 0);
	}
	return (uint32_t)(*slot - 1);
}
