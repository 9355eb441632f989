// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/python/debug_offsets.c: _Py_DebugOffsets, as read from the start of a
 * target's _PyRuntime, through the parser python_target.c picks for the
 * minor the runtime claims (3.13, 3.14, 3.15, or the newest for 3.16+).
 * A layout it accepts is then used the way symbolizer.c uses it: on a
 * str object's bytes, which pystr.c must read within their bounds whatever
 * offsets the layout holds.
 *
 * Input: the minor (1 byte, 13 + value modulo 4), then _Py_DebugOffsets,
 * then the str object.
 */
#include <stdlib.h>
#include <string.h>
#include "python/debug_offsets.h"
#include "str_object.h"

/* Whether the u64 (or smaller) field at AT is inside the SIZE bytes read, or absent. */
static bool within(uint16_t at, uint16_t size)
{
	return at == PYPERF_OFF_NONE || at + 8 <= size;
}

/*
 * A layout the parser accepted fits the buffers the sampler, py_walk.c and
 * symbolizer.c read frames and code objects into, and their fields are
 * inside what they read.
 */
static void check_layout(const struct py_layout *L)
{
	const struct pyperf_offsets *o = &L->bpf;

	if (o->frame_read_size > PYPERF_FRAME_READ || o->code_read_size > PYPERF_CODE_READ ||
	    !within(o->frame_previous, o->frame_read_size) ||
	    !within(o->frame_code, o->frame_read_size) ||
	    !within(o->frame_instr, o->frame_read_size) ||
	    !within(o->frame_owner, o->frame_read_size) ||
	    !within(o->frame_tlbc_index, o->frame_read_size) ||
	    !within(L->object_type, o->code_read_size) ||
	    !within(L->object_refcnt, o->code_read_size) ||
	    !within(o->code_name, o->code_read_size) ||
	    !within(o->code_filename, o->code_read_size) ||
	    !within(o->code_linetable, o->code_read_size) ||
	    !within(o->code_firstlineno, o->code_read_size) ||
	    !within(o->code_tlbc, o->code_read_size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct debug_offsets_header hdr;
	int parser_minor = 0;
	struct py_layout L;
	char err[256], str[PYSTR_MAX_CHARS * 4 + 8];	/* symbolizer.c's sizes */
	uint8_t *raw;
	size_t need;

	if (size < 1)
		return 0;
	need = debug_offsets_parser(13 + data[0] % 4, &parser_minor);
	data++;
	size--;
	debug_offsets_header(data, size, &hdr);
	if (size < need)
		return 0;
	/* An exact copy: ASan sees any read past what the parser asked for. */
	raw = malloc(need);
	if (!raw)
		return 0;
	memcpy(raw, data, need);
	if (!debug_offsets_layout(raw, need, parser_minor, &L, err, sizeof(err))) {
		check_layout(&L);
		decode_str_object(&L, data + need, size - need, str, sizeof(str));
	} else if (!memchr(err, '\0', sizeof(err))) {
		abort();
	}
	free(raw);
	return 0;
}
