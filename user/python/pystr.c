// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include "python/pystr.h"
#include "process/target_mem.h"

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

int pystr_parse_header(const struct py_layout *L, const uint8_t *obj, size_t len,
		       struct pystr_header *h)
{
	uint32_t state;
	int64_t length;

	if ((size_t)L->bpf.str_length + sizeof(length) > len ||
	    (size_t)L->bpf.str_state + sizeof(state) > len ||
	    (size_t)L->bpf.str_hash + sizeof(h->hash) > len)
		return -EINVAL;
	memcpy(&length, obj + L->bpf.str_length, sizeof(length));
	memcpy(&state, obj + L->bpf.str_state, sizeof(state));
	memcpy(&h->hash, obj + L->bpf.str_hash, sizeof(h->hash));
	h->kind = (state & L->bpf.str_kind_mask) >> L->bpf.str_kind_shift;
	if (length < 0 || (h->kind != 1 && h->kind != 2 && h->kind != 4) ||
	    !(state & L->bpf.str_compact_mask))
		return -EINVAL;
	if ((state & L->bpf.str_ascii_mask) && h->kind != 1)
		return -EINVAL;
	h->length = (uint64_t)length;
	h->data_at = state & L->bpf.str_ascii_mask ? L->bpf.str_ascii_data : L->bpf.str_compact_data;
	return 0;
}

size_t pystr_decode(const struct pystr_header *h, const void *data, size_t len, char *out,
		    size_t size)
{
	size_t n = len / h->kind;

	if (n > h->length)
		n = h->length;
	if (n > PYSTR_MAX_CHARS)
		n = PYSTR_MAX_CHARS;
	len = pystr_to_utf8(h->kind, data, n, out, size);
	/* Mark names cut short, unless the encoder already did. */
	if (h->length > n && len + 4 <= size && (len < 3 || strcmp(out + len - 3, "..."))) {
		strcpy(out + len, "...");
		len += 3;
	}
	return len;
}

/* The header of the str object at ADDR in PID, parsed into H. */
static int read_header(pid_t pid, const struct py_layout *L, uint64_t addr, struct pystr_header *h)
{
	uint8_t hdr[128];
	int err;

	if (L->bpf.str_compact_data > sizeof(hdr))
		return -EINVAL;
	err = target_read(pid, addr, hdr, L->bpf.str_compact_data);
	return err ? err : pystr_parse_header(L, hdr, L->bpf.str_compact_data, h);
}

int pystr_read(pid_t pid, const struct py_layout *L, uint64_t addr, char *out,
	       size_t size, uint64_t *hash)
{
	uint8_t data[PYSTR_MAX_CHARS * 4];
	struct pystr_header h;
	size_t n;
	int err = read_header(pid, L, addr, &h);

	if (err)
		return err;
	if (hash)
		*hash = h.hash;
	n = h.length < PYSTR_MAX_CHARS ? h.length : PYSTR_MAX_CHARS;
	err = n ? target_read(pid, addr + h.data_at, data, n * h.kind) : 0;
	if (err)
		return err;
	pystr_decode(&h, data, n * h.kind, out, size);
	return 0;
}

int pystr_equals(pid_t pid, const struct py_layout *L, uint64_t addr, const char *ascii)
{
	char data[64];
	size_t len = strlen(ascii);
	struct pystr_header h;
	int err;

	if (len > sizeof(data))
		return -EINVAL;
	err = read_header(pid, L, addr, &h);
	if (err)
		return err;
	/* Most keys differ in length or width: no second read for them. */
	if (h.kind != 1 || h.length != len)
		return 0;
	err = target_read(pid, addr + h.data_at, data, len);
	if (err)
		return err;
	return !memcmp(data, ascii, len);
}
