/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DWARF's integer and pointer encodings, read from a bounded byte_reader
 * (bytes.h): fixed-width little-endian integers, LEB128, and the
 * DW_EH_PE_* pointer encodings of .eh_frame and .eh_frame_hdr.  A read
 * past the end, or an encoding that cannot be decoded here, sets r->bad.
 */
#ifndef PYBPF_DWARF_READ_H
#define PYBPF_DWARF_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/bytes.h"

/* The low nibble of a DW_EH_PE_* encoding is the format... */
#define DW_EH_PE_absptr		0x00
#define DW_EH_PE_uleb128	0x01
#define DW_EH_PE_udata2		0x02
#define DW_EH_PE_udata4		0x03
#define DW_EH_PE_udata8		0x04
#define DW_EH_PE_sleb128	0x09
#define DW_EH_PE_sdata2		0x0a
#define DW_EH_PE_sdata4		0x0b
#define DW_EH_PE_sdata8		0x0c
/* ...the next three bits what the value is relative to... */
#define DW_EH_PE_pcrel		0x10
#define DW_EH_PE_datarel	0x30
/* ...and the top bit whether it is the address of the pointer instead. */
#define DW_EH_PE_indirect	0x80
#define DW_EH_PE_omit		0xff

/* An unsigned little-endian integer of SIZE bytes (1, 2, 4 or 8). */
uint64_t dwarf_read_uint(struct byte_reader *r, size_t size);
static inline uint64_t dwarf_read_uleb128(struct byte_reader *r)
{
	return byte_reader_varint(r);
}
int64_t dwarf_read_sleb128(struct byte_reader *r);

/* Where the bytes being read are loaded, for relative pointers. */
struct dwarf_ptr_base {
	const uint8_t *section;	/* the first byte of the section being read */
	uint64_t section_vaddr;	/* its address (DW_EH_PE_pcrel) */
	uint64_t data;		/* DW_EH_PE_datarel's base... */
	bool has_data;		/* ...if there is one (.eh_frame_hdr's own address) */
};

/*
 * A pointer in encoding ENC.  BASE may be NULL when ENC is a bare format
 * (no application bits), as for an FDE's address range.  Indirect pointers
 * and the text-, function- and alignment-relative ones are refused: the
 * unwinder never needs them.
 */
uint64_t dwarf_read_pointer(struct byte_reader *r, uint8_t enc, const struct dwarf_ptr_base *base);

/* The size in bytes of ENC's format; 0 when it is LEB128 or unknown. */
size_t dwarf_pointer_size(uint8_t enc);

#endif
