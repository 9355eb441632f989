/* SPDX-License-Identifier: BSD-3-Clause */
/* Decoding CPython line tables: instruction byte offset -> source line. */
#ifndef PYBPF_LINETABLE_H
#define PYBPF_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

enum linetable_format {
	LINETABLE_LNOTAB,	/* 3.8-3.9 co_lnotab: (addr delta, line delta) pairs */
	LINETABLE_310,		/* 3.10 co_linetable: pairs, -128 = no line */
	LINETABLE_LOCATIONS,	/* 3.11+ location table in co_linetable */
};

/*
 * Source line of the instruction starting at byte OFFSET of the bytecode.
 * OFFSET < 0 (frame not started yet) gives FIRSTLINENO.  Returns -1 where the
 * table says the instruction has no line, or (3.10+ formats) OFFSET is past
 * the table; co_lnotab does not record where the bytecode ends, so there an
 * offset past the end gets the last line.
 * Never reads outside TABLE[0..LEN).
 */
int linetable_line(enum linetable_format fmt, const uint8_t *table, size_t len,
		   int firstlineno, int offset);

/*
 * The same for the first LEN bytes of a longer table (the rest cut off):
 * -1 also where the answer needs bytes beyond LEN, so a cut table never
 * gives a line the whole one would not.
 */
int linetable_line_prefix(enum linetable_format fmt, const uint8_t *table, size_t len,
			  int firstlineno, int offset);

#endif
