/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON string output for text that comes from target processes. */
#ifndef PYBPF_JSON_WRITER_H
#define PYBPF_JSON_WRITER_H

#include <stdio.h>

/*
 * Write S as a quoted JSON string.  S is UTF-8 as produced by pystr.c: a
 * U+0000 is the two bytes C0 80 and a lone surrogate is its 3-byte encoding;
 * both come out as \u escapes, as do control characters.  Bytes that are not
 * valid UTF-8 become U+FFFD, so the output is always valid JSON.
 */
void json_write_string(FILE *out, const char *s);

#endif
