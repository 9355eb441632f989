/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CPython 3.13+ describes its own layout in _Py_DebugOffsets, the first
 * member of _PyRuntime.  Its own layout is stable only within a minor
 * version, so there is one small parser (a table of positions) per minor.
 */
#ifndef PYBPF_DEBUG_OFFSETS_H
#define PYBPF_DEBUG_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "python/py_layout.h"

#define DEBUG_OFFSETS_COOKIE "xdebugpy"
#define DEBUG_OFFSETS_HEADER_SIZE 24
#define DEBUG_OFFSETS_MAX_SIZE 1024
#define DEBUG_OFFSETS_FIRST_MINOR 13	/* the first minor with _Py_DebugOffsets */
#define DEBUG_OFFSETS_MINORS 3		/* 3.13 to 3.15: the columns of the table */

struct debug_offsets_header {
	uint64_t version;		/* PY_VERSION_HEX of the running build */
	bool free_threaded;
};

/* 0 if RAW starts with the cookie; fills *HDR. */
int debug_offsets_header(const uint8_t *raw, size_t len, struct debug_offsets_header *hdr);

/*
 * The parser for MINOR, or for the newest minor pybpf knows when MINOR is
 * newer (then *PARSER_MINOR < MINOR and the result must be validated on the
 * live process).  Returns the bytes that parser reads, 0 if MINOR < 13.
 */
size_t debug_offsets_parser(int minor, int *parser_minor);

/*
 * Where, in 3.MINOR's _Py_DebugOffsets, the value of py_layout MEMBER
 * ("bpf.frame_code") lies; -1 where that minor does not export it.
 */
int debug_offsets_position(int minor, const char *member);

/*
 * Fill OUT from RAW (a whole _Py_DebugOffsets read from the target) with
 * the PARSER_MINOR parser, on top of the built-in entry for that minor.
 * -EINVAL with a message in ERR when an offset is out of range.
 */
int debug_offsets_layout(const uint8_t *raw, size_t len, int parser_minor,
			 struct py_layout *out, char *err, size_t errlen);

#endif
