// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include "pystr.h"
#include "target_mem.h"

static uint32_t code_unit(int kind, const void *data, size_t i)
{
	uint16_t u16;
	uint32_t u32;

	switch (kind) {
	case 1:
		return ((const uint8_t *)data)[i];
	case 2:
		memcpy(&u16, (const uint8_t *)data + 2 * i, 2);
		return u16;
	default:
		memcpy(&u32, (const uint8_t *)data + 4 * i, 4);
		return u32;
	}
}

static int utf8_encode(uint32_t cp, char *buf)
{
	if (cp == 0) {			/* modified UTF-8: keep C strings intact */
		buf[0] = (char)0xc0;
		buf[1] = (char)0x80;
		return 2;
	}
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp > 0x10ffff)
		return utf8_encode(0xfffd, buf);
	buf[0] = (char)(0xf0 | (cp >> 18));
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t pystr_to_utf8(int kind, const void *data, size_t n, char *out, size_t size)
{
	static const char ellipsis[] = "...";
	size_t len = 0, total = 0, room = size - 1;
	char enc[4];

	for (size_t i = 0; i < n && total <= room; i++)
		total += utf8_encode(code_unit(kind, data, i), enc);
	/* Cut only when the whole string does not fit; keep room for "..." then. */
	if (total > room)
		room = size - sizeof(ellipsis);
	for (size_t i = 0; i < n; i++) {
		int k = utf8_encode(code_unit(kind, data, i), enc);

		if (len + k > room) {
			memcpy(out + len, ellipsis, sizeof(ellipsis));
			return len + sizeof(ellipsis) - 1;
		}
		memcpy(out + len, enc, k);
		len += k;
	}
	out[len] = '\0';
	return len;
}

int pystr_read(pid_t pid, const struct py_layout *L, uint64_t addr, char *out,
	       size_t size, uint64_t *hash)
{
	uint8_t hdr[128], data[PYSTR_MAX_CHARS * 4];
	uint32_t state;
	int64_t length;
	uint64_t data_addr;
	int kind, err;
	size_t n, len;

	if (L->str_compact_data > sizeof(hdr))
		return -EINVAL;
	err = target_read(pid, addr, hdr, L->str_compact_data);
	if (err)
		return err;
	memcpy(&length, hdr + L->str_length, sizeof(length));
	memcpy(&state, hdr + L->str_state, sizeof(state));
	if (hash)
		memcpy(hash, hdr + L->bpf.str_hash, sizeof(*hash));
	kind = (state & L->str_kind_mask) >> L->str_kind_shift;
	if (length < 0 || (kind != 1 && kind != 2 && kind != 4) ||
	    !(state & L->str_compact_mask))
		return -EINVAL;
	if (state & L->str_ascii_mask) {
		if (kind != 1)
			return -EINVAL;
		data_addr = addr + L->str_ascii_data;
	} else {
		data_addr = addr + L->str_compact_data;
	}
	n = (uint64_t)length < PYSTR_MAX_CHARS ? (size_t)length : PYSTR_MAX_CHARS;
	err = n ? target_read(pid, data_addr, data, n * kind) : 0;
	if (err)
		return err;
	len = pystr_to_utf8(kind, data, n, out, size);
	/* Mark names cut at PYSTR_MAX_CHARS, unless the encoder already did. */
	if ((uint64_t)length > n && len + 4 <= size &&
	    (len < 3 || strcmp(out + len - 3, "...")))
		strcpy(out + len, "...");
	return 0;
}
