// SPDX-License-Identifier: BSD-3-Clause
/*
 * Built-in CPython layouts, one entry per minor version (and per
 * free-threaded build where it differs).  For 3.8-3.12 the entries hold every
 * offset, computed with offsetof() against each version's own headers and
 * re-checked by tests/layout/check_layout.c (tools/check-layouts.sh) against
 * every CPython header set installed on the machine.  From 3.13 on, struct
 * offsets come from the target's _Py_DebugOffsets at run time, so a patch
 * release that moves a field needs no new pybpf; the entries here keep only
 * what the runtime does not export (tag bits, owner values, string state
 * bits, line-table format).
 *
 * Sources: Include/cpython/pystate.h, Include/internal/pycore_{runtime,
 * interp,frame,interpframe_structs,stackref}.h, Include/cpython/{code,
 * unicodeobject}.h, Include/object.h.
 */
#include <stddef.h>
#include <stdio.h>
#include "python/py_layout.h"
#include "base/array.h"

#define NONE PYPERF_OFF_NONE

/* Fields that most entries do not have. */
#define NO_TLBC .frame_tlbc_index = NONE, .code_tlbc = NONE, .code_tlbc_entries = NONE

/* PyObject / PyVarObject / PyBytesObject in a default (GIL) build. */
#define OBJECT_DEFAULT .object_refcnt = 0, .object_type = 8
#define BYTES_DEFAULT .varobject_size = 16, .bytes_data = 32

/* PEP 393 string state bits: default builds and 3.13t. */
#define STR_STATE_DEFAULT \
	.str_kind_mask = 0x1c, .str_kind_shift = 2, \
	.str_compact_mask = 0x20, .str_ascii_mask = 0x40

/* 3.14t+ widened `interned` to a byte, moving the other bits up. */
#define STR_STATE_FT314 \
	.str_kind_mask = 0x700, .str_kind_shift = 8, \
	.str_compact_mask = 0x800, .str_ascii_mask = 0x1000

/* PyASCIIObject up to 3.11 still has the wstr pointer. */
#define STR_WITH_WSTR \
	.str_length = 16, .str_state = 32, .str_ascii_data = 48, .str_compact_data = 72

/*
 * Frames on no data stack (PyFrameObjects up to 3.10): no chunk, no frame
 * sizes to check, and a chain is whole wherever f_back is NULL.
 */
#define NO_DATA_STACK \
	.tstate_datastack_chunk = NONE, .tstate_base_frame = NONE, .cframe_previous = NONE, \
	.base_kind = PYPERF_BASE_NULL, .owner_thread = 0xff, \
	.code_framesize = NONE, .code_framesize_plus = NONE, .framesize_words = 0, \
	.chunk_first_frame = 0

/*
 * 3.11+ data stacks: frames owned by the thread (owner 0) sit on mmap'd
 * chunks, the first frame of a chunk its 24-byte header in (32 in the
 * first chunk, which skips a slot).
 */
#define DATA_STACK .owner_thread = 0, .chunk_first_frame = 32

/*
 * 3.8-3.10 walk PyFrameObjects from tstate->frame through f_back and store
 * the position as the int f_lasti, in bytes (3.8/3.9) or code units (3.10).
 */
#define FRAME_OBJECT_WALK(lasti_at, unit) \
	.tstate_frame = 24, .cframe_current_frame = NONE, \
	.frame_previous = 24, .frame_code = 32, .frame_instr = lasti_at, \
	.frame_owner = NONE, .frame_read_size = (lasti_at) + 8, \
	.instr_kind = PYPERF_INSTR_LASTI, .lasti_unit = unit, \
	.owner_skip_from = 255, .code_tag_mask = 0, NO_TLBC, \
	.code_adaptive = NONE, NO_DATA_STACK

/* PyCodeObject 3.8-3.10: no co_qualname, so frames show co_name. */
#define CODE_38 \
	.code_firstlineno = 40, .code_name = 112, .code_filename = 104, \
	.code_linetable = 120, .code_version = NONE, .code_read_size = 128, .str_hash = 24

/* Up to 3.11 a thread state has no _status: each counts as active. */
#define NO_TSTATE_STATUS .tstate_status = NONE, .tstate_active_mask = 0

/* _status.active: bit 4 of the bit-field in 3.12-3.15 (initialized, bound, unbound, bound_gilstate, active). */
#define TSTATE_ACTIVE_BIT 0x10

#define RUNTIME_38 \
	.runtime_interp_head = 32, .interp_next = 0, .interp_threads_head = 8, \
	.tstate_next = 8, .tstate_thread_id = 176, .tstate_native_thread_id = NONE, \
	.tstate_read_size = 184, NO_TSTATE_STATUS

/*
 * The GIL struct (_gil_runtime_state: last_holder at 8, locked at 16 in every
 * version) is embedded in _PyRuntime.ceval up to 3.11; from 3.12 each
 * interpreter points to the one it uses from ceval.gil.
 */
#define GIL_FIELDS .gil_holder = 8, .gil_locked = 16, .gil_span = 208
#define GIL_IN_RUNTIME(at) \
	.runtime_ceval_gil = at, .interp_gil = NONE, GIL_FIELDS

#define LAYOUT_38_310(min, lasti_at, unit, format, gil_at) { \
	.major = 3, .minor = min, .interp_gil_embedded = NONE, \
	.bpf = { RUNTIME_38, FRAME_OBJECT_WALK(lasti_at, unit), CODE_38, \
		 GIL_IN_RUNTIME(gil_at), .tstate_interp = 16, .frame_is_entry = NONE, \
		 BYTES_DEFAULT, STR_WITH_WSTR, STR_STATE_DEFAULT }, \
	OBJECT_DEFAULT, \
	.code_code = 48, .linetable_format = format, .eval_call_per_frame = true, \
}

/*
 * 3.13+ default and free-threaded builds: only what _Py_DebugOffsets does
 * not say.  Owner values >= 3 are the interpreter's entry/shim frames (and
 * 3.15's base-frame sentinel); from 3.14 f_executable is a tagged
 * _PyStackRef whose low bits must be cleared.  A whole chain ends at a shim
 * (3.13, 3.14) or at the thread state's own base frame (3.15, whose
 * tstate->base_frame the runtime exports).  co_framesize is not exported.
 */
#define DEBUG_OFFSETS_BASE(min, tag, ft, str_hash_at, refcnt_at, str_state, base, framesize_at) { \
	.major = 3, .minor = min, .free_threaded = ft, .needs_debug_offsets = true, \
	.bpf = { .cframe_current_frame = NONE, .cframe_previous = NONE, \
		 .instr_kind = PYPERF_INSTR_PTR, \
		 .lasti_unit = 2, .owner_skip_from = 3, .code_tag_mask = tag, \
		 .frame_tlbc_index = NONE, .code_tlbc = NONE, \
		 .code_tlbc_entries = 8,	/* _PyCodeArray: { Py_ssize_t size; char *entries[]; } */ \
		 .str_hash = str_hash_at, .runtime_ceval_gil = NONE, \
		 .frame_is_entry = NONE, str_state, .base_kind = base, DATA_STACK, \
		 /* _status follows eval_breaker; exported from 3.14 */ \
		 .tstate_status = 32, .tstate_active_mask = TSTATE_ACTIVE_BIT, \
		 .code_framesize = framesize_at, .code_framesize_plus = NONE, \
		 .framesize_words = 0, \
		 /* co_nlocals, co_ncellvars, co_nfreevars, then co_version */ \
		 .code_version = (framesize_at) + 16, \
		 /* _Py_DebugOffsets has the GIL's fields, not its size */ \
		 .gil_span = (ft) ? 0 : 208 }, \
	.object_refcnt = refcnt_at, .code_code = NONE, \
	.linetable_format = LINETABLE_LOCATIONS, \
}

static const struct py_layout layouts[] = {
	LAYOUT_38_310(8, 104, 1, LINETABLE_LNOTAB, 1152),
	LAYOUT_38_310(9, 104, 1, LINETABLE_LNOTAB, 352),
	LAYOUT_38_310(10, 96, 2, LINETABLE_310, 352),
	{
		.major = 3, .minor = 11,
		.interp_gil_embedded = NONE,
		.bpf = {
			GIL_IN_RUNTIME(360),
			.tstate_interp = 16,
			.frame_is_entry = 68,		/* marks a C-level eval call's first frame */
			.runtime_interp_head = 40,
			.interp_next = 0,
			.interp_threads_head = 16,
			.tstate_next = 8,
			.tstate_thread_id = 152,
			.tstate_native_thread_id = 160,
			.tstate_frame = 56,		/* tstate->cframe */
			.tstate_datastack_chunk = 296,
			.tstate_base_frame = NONE,
			.tstate_read_size = 320,
			NO_TSTATE_STATUS,
			.cframe_current_frame = 8,
			.cframe_previous = 16,
			.frame_previous = 48,
			.frame_code = 32,
			.frame_instr = 56,		/* prev_instr */
			.frame_owner = 69,
			.frame_read_size = 72,
			.instr_kind = PYPERF_INSTR_PTR,
			.lasti_unit = 2,
			.owner_skip_from = 255,		/* 3.11 has no shim frames */
			.code_tag_mask = 0,
			.base_kind = PYPERF_BASE_ENTRY,
			DATA_STACK,
			NO_TLBC,
			.code_adaptive = 184,
			.code_firstlineno = 72,
			.code_name = 128,		/* co_qualname */
			.code_filename = 112,
			.code_linetable = 136,
			.code_version = NONE,
			/* No co_framesize yet: co_nlocalsplus + co_stacksize + FRAME_SPECIALS_SIZE */
			.code_framesize = 76,
			.code_framesize_plus = 68,
			.framesize_words = 9,
			.code_read_size = 144,
			.str_hash = 24,
			BYTES_DEFAULT,
			STR_WITH_WSTR,
			STR_STATE_DEFAULT,
		},
		OBJECT_DEFAULT,
		.code_code = NONE,
		.linetable_format = LINETABLE_LOCATIONS,
	},
	{
		.major = 3, .minor = 12,
		.interp_gil_embedded = 1040,
		.bpf = {
			/* Each interpreter may own a GIL: follow ceval.gil. */
			.runtime_ceval_gil = NONE, .interp_gil = 384, GIL_FIELDS,
			.tstate_interp = 16,
			.frame_is_entry = NONE,		/* shim frames mark eval calls */
			.runtime_interp_head = 40,
			.interp_next = 0,
			.interp_threads_head = 72,
			.tstate_next = 8,
			.tstate_thread_id = 136,
			.tstate_native_thread_id = 144,
			.tstate_frame = 56,		/* tstate->cframe */
			.tstate_datastack_chunk = 232,
			.tstate_base_frame = NONE,
			.tstate_read_size = 256,
			.tstate_status = 24, .tstate_active_mask = TSTATE_ACTIVE_BIT,
			.cframe_current_frame = 0,
			.cframe_previous = 8,
			.frame_previous = 8,
			.frame_code = 0,
			.frame_instr = 56,		/* prev_instr */
			.frame_owner = 70,
			.frame_read_size = 72,
			.instr_kind = PYPERF_INSTR_PTR,
			.lasti_unit = 2,
			.owner_skip_from = 3,		/* FRAME_OWNED_BY_CSTACK */
			.code_tag_mask = 0,
			.base_kind = PYPERF_BASE_SHIM,
			DATA_STACK,
			NO_TLBC,
			.code_adaptive = 192,
			.code_firstlineno = 68,
			.code_name = 128,		/* co_qualname */
			.code_filename = 112,
			.code_linetable = 136,
			.code_version = 92,
			.code_framesize = 76,
			.code_framesize_plus = NONE,
			.framesize_words = 0,
			.code_read_size = 144,
			.str_hash = 24,
			BYTES_DEFAULT,
			.str_length = 16, .str_state = 32, .str_ascii_data = 40, .str_compact_data = 56,
			STR_STATE_DEFAULT,
		},
		OBJECT_DEFAULT,
		.code_code = NONE,
		.linetable_format = LINETABLE_LOCATIONS,
	},
	DEBUG_OFFSETS_BASE(13, 0, false, 24, 0, STR_STATE_DEFAULT, PYPERF_BASE_SHIM, 76),
	DEBUG_OFFSETS_BASE(14, 3, false, 24, 0, STR_STATE_DEFAULT, PYPERF_BASE_SHIM, 76),
	DEBUG_OFFSETS_BASE(15, 3, false, 24, 0, STR_STATE_DEFAULT, PYPERF_BASE_SENTINEL, 76),
	/*
	 * Free-threaded builds: a 32-byte object header (hash at 40, every
	 * code object field 16 bytes on) whose first word is the owning
	 * thread, not a reference count, so the liveness test is off.
	 * Untested: no such interpreter is available to this project's
	 * machines.
	 */
	DEBUG_OFFSETS_BASE(13, 0, true, 40, NONE, STR_STATE_DEFAULT, PYPERF_BASE_SHIM, 92),
	DEBUG_OFFSETS_BASE(14, 3, true, 40, NONE, STR_STATE_FT314, PYPERF_BASE_SHIM, 92),
	DEBUG_OFFSETS_BASE(15, 3, true, 40, NONE, STR_STATE_FT314, PYPERF_BASE_SENTINEL, 92),
};

const struct py_layout *py_layout_static(int major, int minor, bool free_threaded)
{
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		if (layouts[i].major == major && layouts[i].minor == minor &&
		    layouts[i].free_threaded == free_threaded)
			return &layouts[i];
	return NULL;
}

int py_layout_newest_minor(int major)
{
	int newest = -1;

	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		if (layouts[i].major == major && layouts[i].minor > newest)
			newest = layouts[i].minor;
	return newest;
}

const char *py_layout_supported(void)
{
	static char text[32];

	snprintf(text, sizeof(text), "3.%d-3.%d", layouts[0].minor, py_layout_newest_minor(3));
	return text;
}
