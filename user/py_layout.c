// SPDX-License-Identifier: BSD-3-Clause
/*
 * Built-in CPython layouts, one entry per minor version.  Offsets were
 * computed with offsetof() against each version's own headers and are
 * re-checked by tests/layout/check_layout.c (tools/check-layouts.sh) against
 * every CPython header set installed on the machine.  Sources: Include/cpython/pystate.h, Include/internal/
 * pycore_{runtime,interp,frame}.h, Include/cpython/{code,unicodeobject}.h.
 */
#include <stddef.h>
#include <stdio.h>
#include "py_layout.h"
#include "util.h"

#define NONE PYPERF_OFF_NONE

/* PEP 393 string state bits shared by every default (GIL) build. */
#define DEFAULT_STR_STATE \
	.str_kind_mask = 0x1c, .str_kind_shift = 2, \
	.str_compact_mask = 0x20, .str_ascii_mask = 0x40

static const struct py_layout layouts[] = {
	{
		.major = 3, .minor = 11,
		.bpf = {
			.runtime_interp_head = 40,
			.interp_next = 0,
			.interp_threads_head = 16,
			.tstate_next = 8,
			.tstate_thread_id = 152,
			.tstate_frame = 56,		/* tstate->cframe */
			.cframe_current_frame = 8,
			.frame_previous = 48,
			.frame_code = 32,
			.frame_instr = 56,		/* prev_instr */
			.frame_owner = 69,
			.frame_read_size = 72,
			.instr_kind = PYPERF_INSTR_PTR,
			.lasti_unit = 2,
			.owner_skip_from = 255,		/* 3.11 has no shim frames */
			.code_tag_mask = 0,
			.code_adaptive = 184,
			.code_firstlineno = 72,
			.code_name = 128,		/* co_qualname */
			.code_filename = 112,
			.code_linetable = 136,
			.code_read_size = 144,
			.str_hash = 24,
		},
		.object_refcnt = 0,
		.object_type = 8,
		.varobject_size = 16,
		.bytes_data = 32,
		.str_length = 16,
		.str_state = 32,
		.str_ascii_data = 48,
		.str_compact_data = 72,
		DEFAULT_STR_STATE,
		.tstate_native_thread_id = 160,
		.code_code = NONE,
		.linetable_format = LINETABLE_LOCATIONS,
	},
};

const struct py_layout *py_layout_static(int major, int minor)
{
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		if (layouts[i].major == major && layouts[i].minor == minor)
			return &layouts[i];
	return NULL;
}

const char *py_layout_supported(void)
{
	static char list[128];
	size_t len = 0;

	if (list[0])
		return list;
	for (size_t i = 0; i < ARRAY_SIZE(layouts) && len + 16 < sizeof(list); i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%d.%d", i ? ", " : "",
				layouts[i].major, layouts[i].minor);
	return list;
}
