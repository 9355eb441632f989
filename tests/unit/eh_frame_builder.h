/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hand-built .eh_frame and .eh_frame_hdr sections for tests, written
 * field by field from the LSB's description of the format, so that a test
 * knows every address and rule in them.
 */
#ifndef PYBPF_TEST_EH_FRAME_BUILDER_H
#define PYBPF_TEST_EH_FRAME_BUILDER_H

#include <criterion/criterion.h>
#include <string.h>
#include "base/bytes.h"
#include "native/dwarf_read.h"

/* Call frame instructions and expression operations the tests write. */
#define CFA_advance_loc(d)	(0x40 | (d))
#define CFA_offset(r)		(0x80 | (r))
#define CFA_restore(r)		(0xc0 | (r))
#define CFA_nop			0x00
#define CFA_advance_loc1	0x02
#define CFA_advance_loc2	0x03
#define CFA_advance_loc4	0x04
#define CFA_undefined		0x07
#define CFA_same_value		0x08
#define CFA_register		0x09
#define CFA_remember_state	0x0a
#define CFA_restore_state	0x0b
#define CFA_def_cfa		0x0c
#define CFA_def_cfa_register	0x0d
#define CFA_def_cfa_offset	0x0e
#define CFA_def_cfa_expression	0x0f
#define CFA_val_offset		0x14
#define CFA_GNU_args_size	0x2e

#define OP_lit(n)	(0x30 + (n))
#define OP_breg(r)	(0x70 + (r))
#define OP_and		0x1a
#define OP_ge		0x2a
#define OP_shl		0x24
#define OP_plus		0x22
#define OP_deref	0x06

/* DWARF register numbers, x86_64. */
#define R_RBX 3
#define R_RBP 6
#define R_RSP 7
#define R_R10 10
#define R_RA 16

/*
 * The CFA of an x86_64 PLT entry, as binutils writes it: rsp + 8, plus 8
 * from the entry's 11th byte on (after its push).
 */
static const uint8_t plt_cfa_expr[] = {
	OP_breg(R_RSP), 8, OP_breg(R_RA), 0, OP_lit(15), OP_and, OP_lit(11), OP_ge,
	OP_lit(3), OP_shl, OP_plus,
};

static inline void ehb_sleb(struct byte_buf *b, int64_t v)
{
	for (;;) {
		uint8_t byte = v & 0x7f;
		bool done;

		v >>= 7;
		done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
		if (!done)
			byte |= 0x80;
		byte_buf_append(b, &byte, 1);
		if (done)
			return;
	}
}

static inline void ehb_u8(struct byte_buf *b, uint8_t v)
{
	byte_buf_append(b, &v, 1);
}

static inline void ehb_u64(struct byte_buf *b, uint64_t v)
{
	byte_buf_u32le(b, (uint32_t)v);
	byte_buf_u32le(b, (uint32_t)(v >> 32));
}

static inline void ehb_patch_u32(struct byte_buf *b, size_t at, uint32_t v)
{
	uint8_t le[4] = { v, v >> 8, v >> 16, v >> 24 };

	memcpy(b->data + at, le, 4);
}

/* A record's length field, patched by ehb_end. */
static inline size_t ehb_begin(struct byte_buf *b)
{
	size_t at = b->len;

	byte_buf_u32le(b, 0);
	return at;
}

/* Pad with DW_CFA_nop to 8 bytes, as linkers do, and set the length. */
static inline void ehb_end(struct byte_buf *b, size_t at)
{
	while ((b->len - at) % 8)
		ehb_u8(b, CFA_nop);
	cr_assert(!b->failed);
	ehb_patch_u32(b, at, b->len - at - 4);
}

/*
 * A version 1 CIE, data alignment -8, code alignment 1, return address in
 * column 16.  Augmentation "zR" with FDE addresses in FDE_ENC, or "" with
 * FDE_ENC absptr (the only encoding without augmentation).  Returns its
 * offset.
 */
static inline size_t ehb_cie(struct byte_buf *b, const char *aug, uint8_t fde_enc,
			     const uint8_t *insns, size_t len)
{
	size_t at = ehb_begin(b);

	cr_assert_eq(!strcmp(aug, "zR"), fde_enc != DW_EH_PE_absptr,
		     "the builder writes \"zR\" with an encoding, or \"\" with absptr");

	byte_buf_u32le(b, 0);		/* CIE id */
	ehb_u8(b, 1);			/* version */
	byte_buf_append(b, aug, strlen(aug) + 1);
	byte_buf_varint(b, 1);		/* code alignment */
	ehb_sleb(b, -8);		/* data alignment */
	ehb_u8(b, R_RA);
	if (!strcmp(aug, "zR")) {
		byte_buf_varint(b, 1);
		ehb_u8(b, fde_enc);
	}
	byte_buf_append(b, insns, len);
	ehb_end(b, at);
	return at;
}

/* The usual CIE: CFA = rsp + 8, return address at CFA - 8. */
static inline size_t ehb_default_cie(struct byte_buf *b, uint8_t fde_enc)
{
	static const uint8_t insns[] = { CFA_def_cfa, R_RSP, 8, CFA_offset(R_RA), 1 };

	return ehb_cie(b, "zR", fde_enc, insns, sizeof(insns));
}

/* A pointer in ENC: absptr, udata4, sdata4, or pcrel|sdata4 from SECTION_VADDR. */
static inline void ehb_pointer(struct byte_buf *b, uint8_t enc, uint64_t section_vaddr,
			       uint64_t v)
{
	switch (enc) {
	case DW_EH_PE_absptr:
		ehb_u64(b, v);
		break;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		byte_buf_u32le(b, (uint32_t)v);
		break;
	case DW_EH_PE_pcrel | DW_EH_PE_sdata4:
		byte_buf_u32le(b, (uint32_t)(v - (section_vaddr + b->len)));
		break;
	default:
		cr_assert_fail("no builder for encoding %#x", enc);
	}
}

/*
 * An FDE for [PC, PC + RANGE) of the CIE at CIE_AT, whose augmentation is
 * "zR" with addresses in ENC, or "" (ENC absptr).
 */
static inline size_t ehb_fde(struct byte_buf *b, size_t cie_at, uint8_t enc,
			     uint64_t section_vaddr, uint64_t pc, uint64_t range,
			     const uint8_t *insns, size_t len)
{
	size_t at = ehb_begin(b);

	byte_buf_u32le(b, b->len - cie_at);	/* back to the CIE */
	ehb_pointer(b, enc, section_vaddr, pc);
	ehb_pointer(b, enc & 0x0f, 0, range);
	if (enc != DW_EH_PE_absptr)
		byte_buf_varint(b, 0);		/* "zR": no augmentation data */
	byte_buf_append(b, insns, len);
	ehb_end(b, at);
	return at;
}

struct ehb_hdr_entry {
	uint64_t pc, fde_vaddr;
};

/*
 * .eh_frame_hdr as GNU ld writes it: .eh_frame's address pc-relative,
 * the count as udata4, the table datarel|sdata4 from the header's start.
 */
static inline void ehb_hdr(struct byte_buf *h, uint64_t hdr_vaddr, uint64_t eh_frame_vaddr,
			   const struct ehb_hdr_entry *e, size_t n)
{
	ehb_u8(h, 1);
	ehb_u8(h, DW_EH_PE_pcrel | DW_EH_PE_sdata4);
	ehb_u8(h, DW_EH_PE_udata4);
	ehb_u8(h, DW_EH_PE_datarel | DW_EH_PE_sdata4);
	ehb_pointer(h, DW_EH_PE_pcrel | DW_EH_PE_sdata4, hdr_vaddr, eh_frame_vaddr);
	byte_buf_u32le(h, n);
	for (size_t i = 0; i < n; i++) {
		byte_buf_u32le(h, (uint32_t)(e[i].pc - hdr_vaddr));
		byte_buf_u32le(h, (uint32_t)(e[i].fde_vaddr - hdr_vaddr));
	}
	cr_assert(!h->failed);
}

#endif
