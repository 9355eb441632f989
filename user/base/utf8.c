// SPDX-License-Identifier: BSD-3-Clause
#include "base/utf8.h"

/* Sequence length by lead byte; C0 and C1 only ever start overlong forms. */
static int sequence_length(unsigned char lead)
{
	if (lead < 0x80)
		return 1;
	if (lead < 0xc2)
		return 0;
	if (lead < 0xe0)
		return 2;
	if (lead < 0xf0)
		return 3;
	return lead < 0xf5 ? 4 : 0;
}

uint32_t utf8_next(const char **s)
{
	static const uint32_t smallest[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	const unsigned char *b = (const unsigned char *)*s;
	int len = sequence_length(b[0]);
	uint32_t cp;

	if (len == 1) {
		*s += 1;
		return b[0];
	}
	cp = len ? b[0] & (0x7f >> len) : 0;
	for (int i = 1; i < len; i++) {
		/* A NUL ends the string: it is no continuation byte either. */
		if ((b[i] & 0xc0) != 0x80) {
			len = 0;
			break;
		}
		cp = cp << 6 | (b[i] & 0x3f);
	}
	if (!len || cp < smallest[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		*s += 1;
		return UTF8_REPLACEMENT;
	}
	*s += len;
	return cp;
}

int utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

void utf8_write_escaped(FILE *out, const char *s, size_t max_chars, utf8_escape_fn escape)
{
	char enc[4];

	for (size_t n = 0; *s && n < max_chars; n++) {
		uint32_t cp = utf8_next(&s);
		const char *text = escape(cp);

		if (text)
			fputs(text, out);
		else
			fwrite(enc, 1, utf8_encode(cp, enc), out);
	}
}

const char *utf8_terminal_escape(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ? "?" : NULL;
}
