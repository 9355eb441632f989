/* SPDX-License-Identifier: BSD-3-Clause */
/* A str object's bytes decoded the way pystr_read() decodes one read from a target. */
#ifndef PYBPF_FUZZ_STR_OBJECT_H
#define PYBPF_FUZZ_STR_OBJECT_H

#include <string.h>
#include "python/pystr.h"

/*
 * OBJ is the object (LEN bytes, characters included).  The bytes written
 * to OUT, or -1 where pystr_read() would refuse the object.
 */
static inline ssize_t decode_str_object(const struct py_layout *L, const uint8_t *obj,
					size_t len, char *out, size_t size)
{
	struct pystr_header h;
	size_t at;

	if (L->bpf.str_compact_data > len || pystr_parse_header(L, obj, L->bpf.str_compact_data, &h))
		return -1;
	at = h.data_at < len ? h.data_at : len;
	return (ssize_t)pystr_decode(&h, obj + at, len - at, out, size);
}

#endif
