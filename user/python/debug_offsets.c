// SPDX-License-Identifier: BSD-3-Clause
/*
 * Positions of the members pybpf uses inside _Py_DebugOffsets, per minor
 * (Include/internal/pycore_runtime.h in 3.13, pycore_debug_offsets.h from
 * 3.14).  Every member is a u64 offset within the struct its section names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "python/debug_offsets.h"
#include "base/array.h"

#define ABSENT 0			/* no member sits at the cookie's place */

struct field {
	uint16_t dest;			/* offsetof(struct py_layout, member), a uint16_t */
	bool free_threaded_only;	/* 0 means "absent" in default builds */
	const char *name;
	uint16_t at[DEBUG_OFFSETS_MINORS];	/* position inside _Py_DebugOffsets, per minor */
};

#define F(member, ...) { offsetof(struct py_layout, member), false, #member, { __VA_ARGS__ } }
#define FT(member, ...) { offsetof(struct py_layout, member), true, #member, { __VA_ARGS__ } }

/*
 * One row a member pybpf takes from _Py_DebugOffsets, one column a minor
 * (DEBUG_OFFSETS_FIRST_MINOR, then each next one): its position there, or
 * ABSENT where that minor does not export it.  tests/layout checks the
 * column of every minor whose headers are on the machine against
 * offsetof(_Py_DebugOffsets, ...).
 */
static const struct field fields[] = {
	/* member                          3.13    3.14    3.15 */
	F(bpf.runtime_interp_head,           40,     40,     40),
	F(bpf.interp_next,                   64,     64,     64),
	F(bpf.interp_threads_head,           72,     72,     72),
	F(objects.interp_modules,            88,     96,     96), /* imports_modules */
	F(bpf.interp_gil,                   112,    120,    120),
	F(interp_gil_embedded,              120,    128,    128),
	F(bpf.gil_locked,                   136,    144,    144), /* within PyInterpreterState until adjusted */
	F(bpf.gil_holder,                   144,    152,    152),
	F(bpf.tstate_next,                  168,    192,    192),
	F(bpf.tstate_interp,                176,    200,    200),
	F(bpf.tstate_frame,                 184,    208,    208), /* current_frame */
	F(bpf.tstate_base_frame,         ABSENT, ABSENT,    216),
	F(bpf.tstate_thread_id,             192,    216,    240),
	F(bpf.tstate_native_thread_id,      200,    224,    248),
	F(bpf.tstate_datastack_chunk,       208,    232,    256),
	F(bpf.tstate_status,             ABSENT,    240,    264), /* _status */
	F(bpf.frame_previous,               232,    256,    320),
	F(bpf.frame_code,                   240,    264,    328), /* f_executable */
	F(bpf.frame_instr,                  248,    272,    336), /* instr_ptr */
	F(bpf.frame_owner,                  264,    288,    352),
	FT(bpf.frame_tlbc_index,         ABSENT,    304,    368),
	F(bpf.code_filename,                280,    320,    384),
	F(bpf.code_name,                    296,    336,    400), /* co_qualname */
	F(bpf.code_linetable,               304,    344,    408),
	F(bpf.code_firstlineno,             312,    352,    416),
	F(bpf.code_adaptive,                344,    384,    448),
	FT(bpf.code_tlbc,                ABSENT,    392,    456),
	F(object_type,                      360,    408,    472),
	F(bpf.varobject_size,               520,    600,    696), /* bytes_object.ob_size */
	F(bpf.bytes_data,                   528,    608,    704),
	F(bpf.str_state,                    544,    624,    720),
	F(bpf.str_length,                   552,    632,    728),
	F(bpf.str_ascii_data,               560,    640,    736),
	F(bpf.str_compact_data,          ABSENT, ABSENT,    744), /* exported from 3.15 */
};

/* sizeof(_Py_DebugOffsets) in each minor, from DEBUG_OFFSETS_FIRST_MINOR. */
static const uint16_t struct_sizes[DEBUG_OFFSETS_MINORS] = { 584, 760, 888 };

int debug_offsets_header(const uint8_t *raw, size_t len, struct debug_offsets_header *hdr)
{
	uint64_t ft;

	if (len < DEBUG_OFFSETS_HEADER_SIZE || memcmp(raw, DEBUG_OFFSETS_COOKIE, 8))
		return -ENOENT;
	memcpy(&hdr->version, raw + 8, 8);
	memcpy(&ft, raw + 16, 8);
	hdr->free_threaded = ft != 0;
	return 0;
}

size_t debug_offsets_parser(int minor, int *parser_minor)
{
	if (minor < DEBUG_OFFSETS_FIRST_MINOR)
		return 0;
	if (minor >= DEBUG_OFFSETS_FIRST_MINOR + DEBUG_OFFSETS_MINORS)
		minor = DEBUG_OFFSETS_FIRST_MINOR + DEBUG_OFFSETS_MINORS - 1;
	*parser_minor = minor;
	return struct_sizes[minor - DEBUG_OFFSETS_FIRST_MINOR];
}

int debug_offsets_position(int minor, const char *member)
{
	if (minor < DEBUG_OFFSETS_FIRST_MINOR || minor >= DEBUG_OFFSETS_FIRST_MINOR + DEBUG_OFFSETS_MINORS)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (!strcmp(fields[i].name, member))
			return fields[i].at[minor - DEBUG_OFFSETS_FIRST_MINOR] == ABSENT ?
			       -1 : fields[i].at[minor - DEBUG_OFFSETS_FIRST_MINOR];
	return -1;
}

static uint16_t *member(struct py_layout *L, uint16_t dest)
{
	return (uint16_t *)((char *)L + dest);
}

/* Saturated: a field near 64 KiB must not wrap the read size to a small one. */
static uint16_t max_end(uint16_t a, uint16_t b)
{
	if (b == PYPERF_OFF_NONE || b + 8 <= a)
		return a;
	return b + 8 > UINT16_MAX ? UINT16_MAX : b + 8;
}

/* Bytes from a struct's start that cover each of its N u64 FIELDS (NONE: absent). */
static uint16_t read_size(const uint16_t *fields, size_t n)
{
	uint16_t size = 0;

	for (size_t i = 0; i < n; i++)
		size = max_end(size, fields[i]);
	return size;
}

int debug_offsets_layout(const uint8_t *raw, size_t len, int parser_minor,
			 struct py_layout *out, char *err, size_t errlen)
{
	int column = parser_minor - DEBUG_OFFSETS_FIRST_MINOR;
	struct debug_offsets_header hdr;
	const struct py_layout *base;
	struct pyperf_offsets *o = &out->bpf;

	if (column < 0 || column >= DEBUG_OFFSETS_MINORS || len < struct_sizes[column] ||
	    debug_offsets_header(raw, len, &hdr)) {
		snprintf(err, errlen, "no valid _Py_DebugOffsets (cookie \"%s\") at the start of _PyRuntime",
			 DEBUG_OFFSETS_COOKIE);
		return -EINVAL;
	}
	base = py_layout_static(3, parser_minor, hdr.free_threaded);
	if (!base) {
		snprintf(err, errlen, "no built-in facts for Python 3.%d%s", parser_minor,
			 hdr.free_threaded ? "t" : "");
		return -EINVAL;
	}
	*out = *base;
	out->bpf.str_compact_data = PYPERF_OFF_NONE;
	out->bpf.tstate_base_frame = PYPERF_OFF_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct field *f = &fields[i];
		uint64_t v;

		if (f->at[column] == ABSENT || (f->free_threaded_only && !hdr.free_threaded))
			continue;
		memcpy(&v, raw + f->at[column], sizeof(v));
		if (v >= PYPERF_OFF_NONE) {
			snprintf(err, errlen, "_Py_DebugOffsets look corrupt: %s = %llu", f->name,
				 (unsigned long long)v);
			return -EINVAL;
		}
		*member(out, f->dest) = (uint16_t)v;
	}
	/*
	 * The GIL fields are exported as offsets within PyInterpreterState of
	 * the embedded GIL; pybpf follows the ceval.gil pointer instead (a
	 * sub-interpreter may share the main one's), so make them relative.
	 */
	if (out->bpf.gil_holder < out->interp_gil_embedded || out->bpf.gil_locked < out->interp_gil_embedded) {
		snprintf(err, errlen, "_Py_DebugOffsets look corrupt: GIL fields outside the GIL");
		return -EINVAL;
	}
	out->bpf.gil_holder -= out->interp_gil_embedded;
	out->bpf.gil_locked -= out->interp_gil_embedded;

	/* Before 3.15: PyCompactUnicodeObject is PyASCIIObject + utf8_length + utf8. */
	if (out->bpf.str_compact_data == PYPERF_OFF_NONE)
		out->bpf.str_compact_data = out->bpf.str_ascii_data + 16;

	/* datastack_chunk is followed by datastack_top and datastack_limit. */
	o->frame_read_size = read_size((uint16_t[]){ o->frame_previous, o->frame_code, o->frame_instr,
						     o->frame_owner, o->frame_tlbc_index }, 5);
	o->code_read_size = read_size((uint16_t[]){ out->object_type, out->object_refcnt, o->code_name,
						    o->code_filename, o->code_linetable,
						    o->code_firstlineno, o->code_tlbc, o->code_framesize,
						    o->code_framesize_plus, o->code_version }, 10);
	o->tstate_read_size = read_size((uint16_t[]){ o->tstate_next, o->tstate_interp, o->tstate_frame,
						      o->tstate_base_frame, o->tstate_thread_id,
						      o->tstate_native_thread_id, o->tstate_status,
						      o->tstate_datastack_chunk == PYPERF_OFF_NONE ?
						      PYPERF_OFF_NONE : o->tstate_datastack_chunk + 16 }, 8);
	if (o->frame_read_size > PYPERF_FRAME_READ || o->code_read_size > PYPERF_CODE_READ ||
	    o->tstate_read_size > PYPERF_TSTATE_READ ||
	    out->bpf.str_compact_data > PYPERF_STR_HEAD || o->str_hash + 8 > out->bpf.str_compact_data) {
		snprintf(err, errlen, "_Py_DebugOffsets describe thread states, frames, code objects or strings larger than pybpf reads (thread state %u, frame %u, code %u, str %u bytes)",
			 o->tstate_read_size, o->frame_read_size, o->code_read_size,
			 out->bpf.str_compact_data);
		return -EINVAL;
	}
	out->major = (hdr.version >> 24) & 0xff;
	out->minor = (hdr.version >> 16) & 0xff;
	return 0;
}
