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

struct field {
	uint16_t at;			/* position inside _Py_DebugOffsets */
	uint16_t dest;			/* offsetof(struct py_layout, member), a uint16_t */
	bool free_threaded_only;	/* 0 means "absent" in default builds */
	const char *name;
};

#define F(at, member) { at, offsetof(struct py_layout, member), false, #member }
#define FT(at, member) { at, offsetof(struct py_layout, member), true, #member }

static const struct field fields_313[] = {
	F(40, bpf.runtime_interp_head),
	F(64, bpf.interp_next),
	F(72, bpf.interp_threads_head),
	F(112, bpf.interp_gil),
	F(120, interp_gil_embedded),
	F(136, bpf.gil_locked),		/* within PyInterpreterState until adjusted */
	F(144, bpf.gil_holder),
	F(168, bpf.tstate_next),
	F(176, bpf.tstate_interp),
	F(184, bpf.tstate_frame),		/* current_frame */
	F(192, bpf.tstate_thread_id),
	F(200, bpf.tstate_native_thread_id),
	F(208, bpf.tstate_datastack_chunk),
	F(232, bpf.frame_previous),
	F(240, bpf.frame_code),			/* f_executable */
	F(248, bpf.frame_instr),		/* instr_ptr */
	F(264, bpf.frame_owner),
	F(280, bpf.code_filename),
	F(296, bpf.code_name),			/* co_qualname */
	F(304, bpf.code_linetable),
	F(312, bpf.code_firstlineno),
	F(344, bpf.code_adaptive),
	F(360, object_type),
	F(520, bpf.varobject_size),			/* bytes_object.ob_size */
	F(528, bpf.bytes_data),
	F(544, bpf.str_state),
	F(552, bpf.str_length),
	F(560, bpf.str_ascii_data),
};

static const struct field fields_314[] = {
	F(40, bpf.runtime_interp_head),
	F(64, bpf.interp_next),
	F(72, bpf.interp_threads_head),
	F(120, bpf.interp_gil),
	F(128, interp_gil_embedded),
	F(144, bpf.gil_locked),
	F(152, bpf.gil_holder),
	F(192, bpf.tstate_next),
	F(200, bpf.tstate_interp),
	F(208, bpf.tstate_frame),
	F(216, bpf.tstate_thread_id),
	F(224, bpf.tstate_native_thread_id),
	F(232, bpf.tstate_datastack_chunk),
	F(256, bpf.frame_previous),
	F(264, bpf.frame_code),
	F(272, bpf.frame_instr),
	F(288, bpf.frame_owner),
	FT(304, bpf.frame_tlbc_index),
	F(320, bpf.code_filename),
	F(336, bpf.code_name),
	F(344, bpf.code_linetable),
	F(352, bpf.code_firstlineno),
	F(384, bpf.code_adaptive),
	FT(392, bpf.code_tlbc),
	F(408, object_type),
	F(600, bpf.varobject_size),
	F(608, bpf.bytes_data),
	F(624, bpf.str_state),
	F(632, bpf.str_length),
	F(640, bpf.str_ascii_data),
};

static const struct field fields_315[] = {
	F(40, bpf.runtime_interp_head),
	F(64, bpf.interp_next),
	F(72, bpf.interp_threads_head),
	F(120, bpf.interp_gil),
	F(128, interp_gil_embedded),
	F(144, bpf.gil_locked),
	F(152, bpf.gil_holder),
	F(192, bpf.tstate_next),
	F(200, bpf.tstate_interp),
	F(208, bpf.tstate_frame),
	F(216, bpf.tstate_base_frame),
	F(240, bpf.tstate_thread_id),
	F(248, bpf.tstate_native_thread_id),
	F(256, bpf.tstate_datastack_chunk),
	F(320, bpf.frame_previous),
	F(328, bpf.frame_code),
	F(336, bpf.frame_instr),
	F(352, bpf.frame_owner),
	FT(368, bpf.frame_tlbc_index),
	F(384, bpf.code_filename),
	F(400, bpf.code_name),
	F(408, bpf.code_linetable),
	F(416, bpf.code_firstlineno),
	F(448, bpf.code_adaptive),
	FT(456, bpf.code_tlbc),
	F(472, object_type),
	F(696, bpf.varobject_size),
	F(704, bpf.bytes_data),
	F(720, bpf.str_state),
	F(728, bpf.str_length),
	F(736, bpf.str_ascii_data),
	F(744, bpf.str_compact_data),		/* exported from 3.15 */
};

struct parser {
	int minor;
	uint16_t size;			/* sizeof(_Py_DebugOffsets) */
	const struct field *fields;
	size_t nfields;
};

static const struct parser parsers[] = {
	{ 13, 584, fields_313, ARRAY_SIZE(fields_313) },
	{ 14, 760, fields_314, ARRAY_SIZE(fields_314) },
	{ 15, 888, fields_315, ARRAY_SIZE(fields_315) },
};

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
	const struct parser *p = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(parsers); i++)
		if (parsers[i].minor <= minor)
			p = &parsers[i];
	if (!p)
		return 0;
	*parser_minor = p->minor;
	return p->size;
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
	const struct parser *p = NULL;
	struct debug_offsets_header hdr;
	const struct py_layout *base;
	struct pyperf_offsets *o = &out->bpf;

	for (size_t i = 0; i < ARRAY_SIZE(parsers); i++)
		if (parsers[i].minor == parser_minor)
			p = &parsers[i];
	if (!p || len < p->size || debug_offsets_header(raw, len, &hdr)) {
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
	for (size_t i = 0; i < p->nfields; i++) {
		const struct field *f = &p->fields[i];
		uint64_t v;

		if (f->free_threaded_only && !hdr.free_threaded)
			continue;
		memcpy(&v, raw + f->at, sizeof(v));
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
						    o->code_framesize_plus }, 9);
	o->tstate_read_size = read_size((uint16_t[]){ o->tstate_next, o->tstate_interp, o->tstate_frame,
						      o->tstate_base_frame, o->tstate_thread_id,
						      o->tstate_native_thread_id,
						      o->tstate_datastack_chunk == PYPERF_OFF_NONE ?
						      PYPERF_OFF_NONE : o->tstate_datastack_chunk + 16 }, 7);
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
