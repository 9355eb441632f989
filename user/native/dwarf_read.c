// SPDX-License-Identifier: BSD-3-Clause
#include "native/dwarf_read.h"

uint64_t dwarf_read_uint(struct byte_reader *r, size_t size)
{
	const uint8_t *p = byte_reader_take(r, size);
	uint64_t v = 0;

	if (!p)
		return 0;
	for (size_t i = size; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

int64_t dwarf_read_sleb128(struct byte_reader *r)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	const uint8_t *p;

	do {
		p = byte_reader_take(r, 1);
		if (!p)
			return 0;
		/* Redundant high bytes only repeat the sign: ignore them. */
		if (shift < 64)
			v |= (uint64_t)(*p & 0x7f) << shift;
		shift += 7;
	} while (*p & 0x80);
	if (shift < 64 && (*p & 0x40))
		v |= ~(uint64_t)0 << shift;
	return (int64_t)v;
}

size_t dwarf_pointer_size(uint8_t enc)
{
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		return 8;	/* absptr: the target's pointer size, x86_64 only */
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		return 4;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		return 2;
	default:
		return 0;
	}
}

/* The value of ENC's format, sign-extended for the signed ones. */
static uint64_t read_format(struct byte_reader *r, uint8_t enc)
{
	switch (enc & 0x0f) {
	case DW_EH_PE_uleb128:
		return dwarf_read_uleb128(r);
	case DW_EH_PE_sleb128:
		return dwarf_read_sleb128(r);
	case DW_EH_PE_sdata2:
		return (uint64_t)(int16_t)dwarf_read_uint(r, 2);
	case DW_EH_PE_sdata4:
		return (uint64_t)(int32_t)dwarf_read_uint(r, 4);
	default:
		if (!dwarf_pointer_size(enc)) {
			r->bad = true;
			return 0;
		}
		return dwarf_read_uint(r, dwarf_pointer_size(enc));
	}
}

uint64_t dwarf_read_pointer(struct byte_reader *r, uint8_t enc, const struct dwarf_ptr_base *base)
{
	const uint8_t *field = r->pos;
	uint64_t v;

	if (enc == DW_EH_PE_omit || (enc & DW_EH_PE_indirect)) {
		r->bad = true;
		return 0;
	}
	v = read_format(r, enc);
	switch (enc & 0x70) {
	case 0:
		return v;
	case DW_EH_PE_pcrel:
		if (base && field >= base->section)
			return v + base->section_vaddr + (uint64_t)(field - base->section);
		break;
	case DW_EH_PE_datarel:
		if (base && base->has_data)
			return v + base->data;
		break;
	}
	r->bad = true;
	return 0;
}
