/* SPDX-License-Identifier: BSD-3-Clause */
/* Decoding CPython str objects (PEP 393 compact strings) read from a target. */
#ifndef PYBPF_PYSTR_H
#define PYBPF_PYSTR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "python/py_layout.h"

/* Longest name or file name decoded, in code points; longer ones end in "...". */
#define PYSTR_MAX_CHARS 1024

/*
 * Encode N code units of width KIND (1 = Latin-1, 2 = UCS-2, 4 = UCS-4) as
 * UTF-8 into OUT (SIZE bytes, NUL-terminated, SIZE >= 8).  U+0000 becomes
 * C0 80 so OUT stays a C string; lone surrogates keep their 3-byte form and
 * invalid code points become U+FFFD.  Stops at a character boundary when OUT
 * is full.  Returns the bytes written, without the NUL.
 */
size_t pystr_to_utf8(int kind, const void *data, size_t n, char *out, size_t size);

/* What the start of a compact str object says about its characters. */
struct pystr_header {
	int kind;		/* bytes per character: 1, 2 or 4 */
	uint64_t length;	/* in characters */
	uint16_t data_at;	/* where the characters start, from the object's start */
	uint64_t hash;		/* the cached hash */
};

/*
 * Parse the first LEN bytes of a str object (L->str_compact_data are
 * enough).  0, or -EINVAL when it is not a sane compact str or L puts a
 * field beyond LEN.
 */
int pystr_parse_header(const struct py_layout *L, const uint8_t *obj, size_t len,
		       struct pystr_header *h);

/*
 * Decode the first LEN bytes of H's characters (at most PYSTR_MAX_CHARS of
 * them) into OUT as pystr_to_utf8 does, with "..." when H says there are
 * more.  Returns the bytes written, without the NUL.
 */
size_t pystr_decode(const struct pystr_header *h, const void *data, size_t len, char *out,
		    size_t size);

/*
 * Read the str object at ADDR in PID into OUT as UTF-8, and its cached hash
 * into *HASH (may be NULL).  0, or -errno (-EINVAL: not a sane compact str).
 */
int pystr_read(pid_t pid, const struct py_layout *L, uint64_t addr, char *out,
	       size_t size, uint64_t *hash);

/*
 * Whether the str object at ADDR in PID is ASCII (at most 64 characters):
 * 1 or 0, or -errno (-EINVAL: not a sane compact str).  Costs one read
 * when the lengths differ.
 */
int pystr_equals(pid_t pid, const struct py_layout *L, uint64_t addr, const char *ascii);

#endif
