/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decoding CPython line tables: instruction byte offset -> source position
 * (line, and where the table has them, 3.11+, the start column).
 */
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
 * No start column: what co_positions() gives as None.  3.8-3.10 tables hold
 * no columns at all; 3.11+ ones leave them out of some entries (and of
 * instructions with no line).  Column 0 is a real column, the first.
 */
#define LINETABLE_NO_COLUMN (-1)

/* An instruction's start in the source, as co_positions() gives it. */
struct linetable_pos {
	int line;	/* -1: no line */
	int column;	/* 0-based, in UTF-8 bytes as CPython counts; LINETABLE_NO_COLUMN */
};

/*
 * Source position of the instruction starting at byte OFFSET of the bytecode.
 * OFFSET < 0 (frame not started yet) gives FIRSTLINENO and no column.  The
 * line is -1 where the table says the instruction has no line, or (3.10+
 * formats) OFFSET is past the table; co_lnotab does not record where the
 * bytecode ends, so there an offset past the end gets the last line.  A
 * position without a line has no column either.
 * Never reads outside TABLE[0..LEN).
 */
struct linetable_pos linetable_position(enum linetable_format fmt, const uint8_t *table,
				       size_t len, int firstlineno, int offset);

/*
 * The same for the first LEN bytes of a longer table (the rest cut off):
 * no line (and no column) also where the answer needs bytes beyond LEN, so
 * a cut table never gives a position the whole one would not.
 */
struct linetable_pos linetable_position_prefix(enum linetable_format fmt, const uint8_t *table,
					       size_t len, int firstlineno, int offset);

/* Only the line of linetable_position(). */
int linetable_line(enum linetable_format fmt, const uint8_t *table, size_t len,
		   int firstlineno, int offset);
/* Only the line of linetable_position_prefix(). */
int linetable_line_prefix(enum linetable_format fmt, const uint8_t *table, size_t len,
			  int firstlineno, int offset);

#endif
