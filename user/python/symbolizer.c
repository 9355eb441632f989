// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "python/pystr.h"
#include "python/py_walk.h"
#include "session/stack_marks.h"
#include "python/symbolizer.h"
#include "process/target_mem.h"
#include "base/bytes.h"

/* Longest line table read; anything larger is not a real code object. */
#define MAX_LINETABLE (1 << 20)

struct code_info {
	int ok;
	bool table_cut;			/* linetable is the start of a longer table */
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

/*
 * Direct-mapped, in front of the maps: a profile's samples repeat the same
 * few frames, and a hit costs one compare instead of two hash lookups.
 */
#define FRAME_MEMO_SLOTS 1024

struct frame_memo {
	uint64_t code;
	int32_t instr_offset;
	uint32_t fingerprint;
	uint32_t frame_plus_1;		/* 0: empty */
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
	s->layout = &t->layout;
	s->code_type_addr = t->code_type_addr;
	s->profile = profile;
	s->unknown_frame = profile_frame(profile, "[unknown]", "", 0);
	s->memo = calloc(FRAME_MEMO_SLOTS, sizeof(*s->memo));
	if (s->unknown_frame == UINT32_MAX || !s->memo) {
		symbolizer_free(s);	/* callers do not free what failed */
		return -ENOMEM;
	}
	return 0;
}

/* Forget every code object and line (the memo's frames go with them). */
static void forget_codes(struct symbolizer *s)
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
	s->table_bytes = 0;
	if (s->memo)
		memset(s->memo, 0, FRAME_MEMO_SLOTS * sizeof(*s->memo));
}

void symbolizer_free(struct symbolizer *s)
{
	forget_codes(s);
	free(s->memo);
	s->memo = NULL;
}

/*
 * The cache is only a cache: when a process has more code objects (or line
 * table bytes, or lines) than the bounds allow, it starts again empty, and
 * what is still alive is read again.  Dead code objects go with it.
 */
static void bound_cache(struct symbolizer *s)
{
	const struct limits *l = &s->profile->limits;

	if (s->codes.len < l->code_objects && s->table_bytes < l->code_bytes &&
	    s->lines.len < 4 * l->code_objects)
		return;
	forget_codes(s);
	s->flushes++;
	s->profile->over.code_cache_flushes++;
}


static int read_bytes_object(struct symbolizer *s, uint64_t addr, struct code_info *ci)
{
	const struct py_layout *L = s->layout;
	int64_t size;
	int err;

	err = target_read(s->pid, addr + L->bpf.varobject_size, &size, sizeof(size));
	if (err)
		return err;
	if (size < 0 || size > MAX_LINETABLE)
		return -EINVAL;
	ci->linetable = malloc(size ? size : 1);
	if (!ci->linetable)
		return -ENOMEM;
	ci->linetable_len = size;
	return size ? target_read(s->pid, addr + L->bpf.bytes_data, ci->linetable, size) : 0;
}

/*
 * A live object has a small positive reference count; CPython's allocators
 * overwrite the first word of a freed block with a free-list pointer (or
 * NULL), which fails this test.  Immortal objects stay below 2^32.  Where
 * the layout has no such word, the before/after comparison of the code
 * object's fields and the fingerprint remain the guards.
 */
static bool object_alive(const struct py_layout *L, const uint8_t *obj)
{
	uint64_t refcnt;

	/* Free-threaded builds keep the owning thread in the first word. */
	if (L->object_refcnt == PYPERF_OFF_NONE)
		return true;
	refcnt = u64_at(obj, L->object_refcnt);
	return refcnt > 0 && refcnt < (1ULL << 40);
}

struct code_fields {
	uint64_t name, file, table;
	int32_t firstlineno;
};

/* Read the code object's header: 0 if it is a live code object. */
static int read_code_fields(struct symbolizer *s, uint64_t addr, struct code_fields *cf)
{
	const struct py_layout *L = s->layout;
	const struct pyperf_offsets *o = &L->bpf;
	uint8_t code[PYPERF_CODE_READ];
	int err;

	memset(cf, 0, sizeof(*cf));	/* padding too: callers memcmp() it */
	err = target_read(s->pid, addr, code, o->code_read_size);
	if (err)
		return err;
	if (!object_alive(L, code) ||
	    (s->code_type_addr && u64_at(code, L->object_type) != s->code_type_addr))
		return -ESTALE;
	cf->name = u64_at(code, o->code_name);
	cf->file = u64_at(code, o->code_filename);
	cf->table = u64_at(code, o->code_linetable);
	memcpy(&cf->firstlineno, code + o->code_firstlineno, sizeof(cf->firstlineno));
	return 0;
}


/*
 * Name CI (NAME, FILE, FIRSTLINENO); with sources wanted, FILE's text is
 * read the first time the profile meets it, while the process is there.
 */
static int name_code(struct symbolizer *s, struct code_info *ci, const char *name,
		     const char *file, int firstlineno)
{
	ci->name = profile_string(s->profile, name);
	ci->file = profile_string(s->profile, file);
	ci->firstlineno = firstlineno;
	ci->ok = ci->name != UINT32_MAX && ci->file != UINT32_MAX;
	if (!ci->ok)
		return -ENOMEM;
	if (s->read_source && !profile_source_known(s->profile, ci->file)) {
		char *text = NULL;
		size_t len = 0;
		int err = s->read_source(s->pid, file, SOURCE_MAX_BYTES, &text, &len);

		profile_source_add(s->profile, ci->file, -err, err ? NULL : text, err ? 0 : len);
		free(text);
	}
	return 0;
}
/*
 * Read the code object at ADDR and check it is the one the kernel
 * fingerprinted.  It must be alive before and after its strings are read:
 * a dead code object's fields may still point at strings whose memory
 * already holds other objects.
 */
static int load_code(struct symbolizer *s, uint64_t addr, uint32_t fingerprint,
		     struct code_info *ci)
{
	const struct py_layout *L = s->layout;
	char name[PYSTR_MAX_CHARS * 4 + 8], file[PYSTR_MAX_CHARS * 4 + 8];
	struct code_fields before, after;
	uint64_t name_hash;
	int err;

	if (!fingerprint)
		return -EINVAL;		/* the kernel could not read it either */
	err = read_code_fields(s, addr, &before);
	if (err)
		return err;
	err = pystr_read(s->pid, L, before.name, name, sizeof(name), &name_hash);
	if (err)
		return err;
	if (pyperf_fingerprint(before.name, before.file, before.table,
			       (uint32_t)before.firstlineno, name_hash) != fingerprint)
		return -ESTALE;
	err = pystr_read(s->pid, L, before.file, file, sizeof(file), NULL);
	if (!err)
		err = read_bytes_object(s, before.table, ci);
	if (!err)
		err = read_code_fields(s, addr, &after);
	if (err)
		return err;
	if (memcmp(&before, &after, sizeof(before)))
		return -ESTALE;
	return name_code(s, ci, name, file, before.firstlineno);
}

uint32_t symbolizer_fingerprint(struct symbolizer *s, uint64_t addr)
{
	struct code_fields cf;
	uint64_t name_hash;

	if (read_code_fields(s, addr, &cf) ||
	    target_read_u64(s->pid, cf.name + s->layout->bpf.str_hash, &name_hash))
		return 0;
	return pyperf_fingerprint(cf.name, cf.file, cf.table, (uint32_t)cf.firstlineno, name_hash);
}

/*
 * The characters (or bytes) of an object the kernel copied: in HEAD where
 * they fit, else the LEN bytes of TAIL (all of them or their start).
 * DATA_AT and BYTES are where they start and how many there are.
 */
static const uint8_t *copied_data(const uint8_t *head, const uint8_t *tail, size_t len,
				  size_t data_at, uint64_t bytes, size_t *got)
{
	if (data_at + bytes <= PYPERF_STR_HEAD) {
		*got = bytes;
		return head + data_at;
	}
	*got = len < bytes ? len : bytes;
	return tail;
}

/* Decode a str the kernel copied into OUT; whether it arrived whole. */
static bool copied_str(const struct py_layout *L, const uint8_t *head, const uint8_t *tail,
		       size_t len, char *out, size_t size)
{
	struct pystr_header h;
	const uint8_t *data;
	size_t got;

	if (pystr_parse_header(L, head, PYPERF_STR_HEAD, &h)) {
		out[0] = '\0';
		return false;
	}
	data = copied_data(head, tail, len, h.data_at, h.length * h.kind, &got);
	pystr_decode(&h, data, got, out, size);
	return got == h.length * h.kind;
}

/* The line table the kernel copied, into CI (the start of it if it was cut). */
static int copied_table(const struct py_layout *L, const struct pyperf_code_info *info,
			struct code_info *ci)
{
	const uint8_t *data;
	int64_t size;
	size_t got;

	memcpy(&size, info->table_head + L->bpf.varobject_size, sizeof(size));
	if (L->bpf.varobject_size + sizeof(size) > PYPERF_STR_HEAD || size < 0 ||
	    size > MAX_LINETABLE || info->table_len > PYPERF_TABLE_BYTES)
		return -EINVAL;
	data = copied_data(info->table_head, info->table, info->table_len, L->bpf.bytes_data,
			   (uint64_t)size, &got);
	ci->linetable = malloc(got ? got : 1);
	if (!ci->linetable)
		return -ENOMEM;
	memcpy(ci->linetable, data, got);
	ci->linetable_len = got;
	ci->table_cut = got < (size_t)size;
	return 0;
}

int symbolizer_add_code(struct symbolizer *s, const struct pyperf_code_info *info, size_t size)
{
	char name[PYSTR_MAX_CHARS * 4 + 8], file[PYSTR_MAX_CHARS * 4 + 8];
	struct code_key key = { info->code, info->fingerprint, 0 };
	struct code_info *ci;
	uintptr_t *slot;
	bool created, whole;

	if (size < offsetof(struct pyperf_code_info, table) + info->table_len || !info->fingerprint)
		return -EINVAL;
	bound_cache(s);
	slot = hmap_upsert(&s->codes, &key, sizeof(key), &created);
	if (!slot)
		return -ENOMEM;
	/* Known already (a second report after the kernel's cache forgot it), or failed for good. */
	if (!created)
		return 0;
	ci = calloc(1, sizeof(*ci));
	if (!ci) {
		hmap_remove(&s->codes, &key, sizeof(key));
		return -ENOMEM;
	}
	*slot = (uintptr_t)ci;
	s->codes_reported++;
	whole = copied_str(s->layout, info->name_head, info->name, info->name_len, name, sizeof(name));
	whole &= copied_str(s->layout, info->file_head, info->file, info->file_len, file, sizeof(file));
	/* A name too long for the report is read whole from the target if it is still there. */
	if (!whole && !load_code(s, info->code, info->fingerprint, ci))
		goto done;
	free(ci->linetable);
	ci->linetable = NULL;
	ci->linetable_len = 0;
	if (!name[0] || copied_table(s->layout, info, ci)) {
		ci->ok = 0;	/* nothing to name it by: [unknown] */
		goto done;
	}
	name_code(s, ci, name, file, info->firstlineno);
done:
	s->table_bytes += ci->linetable_len;
	return 0;
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
		ci->linetable_len = 0;
		ci->ok = 0;
	}
	s->table_bytes += ci->linetable_len;
	*slot = (uintptr_t)ci;
	return ci;
}

/*
 * The source position of F (line -1: unknown).  A line table the kernel cut
 * short answers only for the instructions it covers; for the rest the whole
 * table is read from the target, if that code object is still there.
 */
static struct linetable_pos code_position(struct symbolizer *s, struct code_info *ci,
					  const struct pyperf_frame *f)
{
	enum linetable_format fmt = s->layout->linetable_format;
	struct code_info whole = { 0 };
	struct linetable_pos pos;

	if (!ci->table_cut)
		return linetable_position(fmt, ci->linetable, ci->linetable_len, ci->firstlineno,
					  f->instr_offset);
	pos = linetable_position_prefix(fmt, ci->linetable, ci->linetable_len, ci->firstlineno,
					f->instr_offset);
	if (pos.line >= 0)
		return pos;
	if (load_code(s, f->code, f->fingerprint, &whole)) {
		free(whole.linetable);	/* read before a later step failed */
		return pos;
	}
	s->table_bytes += whole.linetable_len - ci->linetable_len;
	free(ci->linetable);
	ci->linetable = whole.linetable;
	ci->linetable_len = whole.linetable_len;
	ci->table_cut = false;
	return linetable_position(fmt, ci->linetable, ci->linetable_len, ci->firstlineno,
				  f->instr_offset);
}

static uint32_t resolve_frame(struct symbolizer *s, const struct pyperf_frame *f)
{
	struct code_info *ci;
	struct line_key key;
	uintptr_t *slot;
	bool created;

	bound_cache(s);		/* this call adds at most one entry to each map */
	ci = lookup_code(s, f->code, f->fingerprint);
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
		struct linetable_pos pos = { -1, LINETABLE_NO_COLUMN };

		if (f->instr_offset != PYPERF_INSTR_UNKNOWN)
			pos = code_position(s, ci, f);
		*slot = 1 + profile_code_frame(s->profile, s->profile->strings[ci->name],
					       s->profile->strings[ci->file],
					       ci->firstlineno > 0 ? ci->firstlineno : 0,
					       pos.line > 0 ? pos.line : 0, pos.column);
	}
	return (uint32_t)(*slot - 1);
}

uint32_t symbolizer_frame(struct symbolizer *s, const struct pyperf_frame *f)
{
	uint64_t h = (f->code >> 4) * 0x9e3779b97f4a7c15ULL ^ (uint32_t)f->instr_offset * 0xbf58476d1ce4e5b9ULL;
	struct frame_memo *m;
	uint32_t frame;

	m = &s->memo[(h >> 40) & (FRAME_MEMO_SLOTS - 1)];
	if (m->frame_plus_1 && m->code == f->code && m->instr_offset == f->instr_offset &&
	    m->fingerprint == f->fingerprint) {
		if (m->frame_plus_1 - 1 == s->unknown_frame)
			s->frames_failed++;
		else
			s->frames_resolved++;
		return m->frame_plus_1 - 1;
	}
	frame = resolve_frame(s, f);
	/* After resolve_frame: a flush there empties the memo. */
	if (frame != UINT32_MAX) {
		m->code = f->code;
		m->instr_offset = f->instr_offset;
		m->fingerprint = f->fingerprint;
		m->frame_plus_1 = frame + 1;
	}
	return frame;
}

uint32_t symbolizer_read_frame(struct symbolizer *s, const struct py_frame_info *f)
{
	struct pyperf_frame pf = {
		.code = f->code,
		.instr_offset = f->instr_offset,
		.fingerprint = symbolizer_fingerprint(s, f->code),
	};

	return symbolizer_frame(s, &pf);
}

size_t symbolizer_read_stack(struct symbolizer *s, const struct python_target *t,
			     uint64_t tstate, uint32_t *frames, uint64_t *addrs, size_t max)
{
	struct py_frame_info *read;
	uint16_t flags;
	uint32_t mark;
	size_t n;

	if (!max || !(read = malloc(max * sizeof(*read))))
		return 0;
	/* Room for the mark at the root. */
	n = py_read_stack(t, tstate, read, max - 1, &flags);
	for (size_t i = 0; i < n; i++) {
		frames[i] = symbolizer_read_frame(s, &read[i]);
		if (addrs)
			addrs[i] = read[i].addr;
	}
	free(read);
	mark = stack_mark_frame(s->profile, flags);
	if (mark != UINT32_MAX) {
		if (addrs)
			addrs[n] = 0;
		frames[n++] = mark;
	}
	return n;
}
