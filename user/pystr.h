/* SPDX-License-Identifier: BSD-3-Clause */
/* Decoding CPython str objects (PEP 393 compact strings) read from a target. */
#ifndef PYBPF_PYSTR_H
#define PYBPF_PYSTR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "py_layout.h"

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

/*
 * Read the str object at ADDR in PID into OUT as UTF-8, and its cached hash
 * into *HASH (may be NULL).  0, or -errno (-EINVAL: not a sane compact str).
 */
int pystr_read(pid_t pid, const struct py_layout *L, uint64_t addr, char *out,
	       size_t size, uint64_t *hash);

#endif
