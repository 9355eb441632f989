// SPDX-License-Identifier: BSD-3-Clause
#include <stdint.h>
#include "output/json_writer.h"

/* Length of the UTF-8 sequence at S and its code point; 0 if malformed. */
static int utf8_decode(const unsigned char *s, uint32_t *cp)
{
	int len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		*cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		*cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		*cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp > 0x10ffff)
		return 0;
	/* Overlong forms are malformed, except C0 80, our encoding of U+0000. */
	if ((len == 2 && *cp < 0x80 && *cp != 0) || (len == 3 && *cp < 0x800) ||
	    (len == 4 && *cp < 0x10000))
		return 0;
	return len;
}

void json_write_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	int len;

	fputc('"', out);
	while (*s) {
		len = utf8_decode(s, &cp);
		if (!len) {
			fputs("\\ufffd", out);
			s++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", out);
		else if (cp == '\t')
			fputs("\\t", out);
		else if (cp == '\r')
			fputs("\\r", out);
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0xd800 && cp <= 0xdfff))
			fprintf(out, "\\u%04x", (unsigned)cp);
		else
			fwrite(s, 1, len, out);
		s += len;
	}
	fputc('"', out);
}
