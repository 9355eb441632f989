/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading the UTF-8 that pystr.c produces as text other programs accept.
 * pystr.c keeps every code point a target had, including U+0000 (as C0 80)
 * and lone surrogates; neither is valid UTF-8, and XML, protobuf and text
 * readers reject them, so here they become U+FFFD like any malformed byte.
 */
#ifndef PYBPF_UTF8_H
#define PYBPF_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define UTF8_REPLACEMENT 0xfffd
#define UTF8_REPLACEMENT_TEXT "\xef\xbf\xbd"	/* U+FFFD in UTF-8 */

/*
 * The code point at *S, advancing *S past it.  A byte that does not start
 * a valid sequence (malformed, overlong, a surrogate) gives UTF8_REPLACEMENT
 * and is skipped alone, so C0 80 (U+0000) becomes two of them.  *S must not
 * point at the terminating NUL.
 */
uint32_t utf8_next(const char **s);

/* CP as UTF-8 into OUT; returns the number of bytes (1-4). */
int utf8_encode(uint32_t cp, char out[4]);

/*
 * How a text format writes a code point: its own text for it (an escape),
 * or NULL for the code point itself.
 */
typedef const char *(*utf8_escape_fn)(uint32_t cp);

/*
 * At most MAX_CHARS code points of S, as valid UTF-8 (utf8_next's
 * replacements), each escaped by ESCAPE.
 */
void utf8_write_escaped(FILE *out, const char *s, size_t max_chars, utf8_escape_fn escape);

/*
 * For text from a target shown on a terminal: "?" for every C0 and C1
 * control character and DEL (nothing in a name may move the cursor or
 * start an escape sequence), the code point itself otherwise.
 */
const char *utf8_terminal_escape(uint32_t cp);

#endif
