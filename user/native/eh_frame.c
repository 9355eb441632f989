// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "native/eh_frame.h"
#include "native/elf_symbols.h"
#include "base/array.h"

/*
 * A function's CFI program is a few hundred bytes at most (the largest in
 * libc, libstdc++ or python3.11: under 800); a hostile file should not make
 * a lookup slow.
 */
#define MAX_PROGRAM (64 * 1024)

/* Where an FDE starts, sorted by the first pc it covers. */
struct fde_ref {
	uint64_t pc;
	uint32_t offset;
};

struct eh_frame_table {
	uint8_t *data;
	size_t len;
	uint64_t vaddr;
	struct fde_ref *fdes;
	size_t n;
	bool from_hdr;
};

/* A CIE or FDE: a length, an id (0 for a CIE), the rest. */
struct record {
	size_t id_pos, end;	/* offsets in .eh_frame */
	uint32_t id;
};

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint8_t ra_reg, fde_enc;
	bool has_aug_data, signal_frame;
	const uint8_t *insns;
	size_t insns_len;
};

struct fde {
	uint64_t pc_begin, pc_end;
	const uint8_t *insns;
	size_t insns_len;
};

/* 0; -ENODATA for a zero terminator (the next record at rec->end); -EINVAL. */
static int read_record(const struct eh_frame_table *t, size_t off, struct record *rec)
{
	struct byte_reader r;
	uint64_t len;

	if (off >= t->len)
		return -EINVAL;
	r = byte_reader(t->data + off, t->len - off);
	len = dwarf_read_uint(&r, 4);
	if (len == 0xffffffff)
		len = dwarf_read_uint(&r, 8);	/* the 64-bit DWARF format */
	if (r.bad)
		return -EINVAL;
	rec->id_pos = (size_t)(r.pos - t->data);
	rec->end = rec->id_pos;
	if (!len)
		return -ENODATA;
	if (len < 4 || len > t->len - rec->id_pos)
		return -EINVAL;
	rec->end = rec->id_pos + len;
	/* Always 4 bytes in .eh_frame, unlike .debug_frame's 64-bit format. */
	rec->id = dwarf_read_uint(&r, 4);
	return 0;
}

/* The bytes of a record after its id. */
static struct byte_reader record_body(const struct eh_frame_table *t, const struct record *rec)
{
	return byte_reader(t->data + rec->id_pos + 4, rec->end - rec->id_pos - 4);
}

/* The augmentation data: what the letters after 'z' announce, in order. */
static int parse_augmentation(struct byte_reader *r, const char *aug, struct cie *cie)
{
	uint64_t len = dwarf_read_uleb128(r);
	const uint8_t *data = len <= byte_reader_left(r) ? byte_reader_take(r, len) : NULL;
	struct byte_reader a;
	uint8_t enc;

	if (!data)
		return -EINVAL;
	a = byte_reader(data, len);	/* not before: NULL + 0 is undefined */
	cie->has_aug_data = true;
	for (const char *p = aug + 1; *p; p++) {
		switch (*p) {
		case 'R':	/* the encoding of the FDEs' addresses */
			cie->fde_enc = dwarf_read_uint(&a, 1);
			break;
		case 'L':	/* the LSDA's encoding; only exception handling needs it */
			dwarf_read_uint(&a, 1);
			break;
		case 'P':	/* the personality routine: skipped, by its format */
			enc = dwarf_read_uint(&a, 1);
			dwarf_read_pointer(&a, enc & 0x0f, NULL);
			break;
		case 'S':	/* a signal trampoline */
			cie->signal_frame = true;
			break;
		case 'B':	/* AArch64 BTI, MTE: no data */
		case 'G':
			break;
		default:
			return -ENOTSUP;
		}
	}
	return a.bad ? -EINVAL : 0;
}

static int parse_cie(const struct eh_frame_table *t, size_t off, struct cie *cie)
{
	struct record rec;
	struct byte_reader r;
	const char *aug;
	const uint8_t *nul;
	uint64_t ra_reg;
	uint8_t version;
	int err;

	if (read_record(t, off, &rec) || rec.id)
		return -EINVAL;
	memset(cie, 0, sizeof(*cie));
	cie->fde_enc = DW_EH_PE_absptr;
	r = record_body(t, &rec);
	version = dwarf_read_uint(&r, 1);
	nul = memchr(r.pos, '\0', byte_reader_left(&r));
	if (r.bad || !nul)
		return -EINVAL;
	if (version != 1 && version != 3 && version != 4)
		return -ENOTSUP;
	aug = (const char *)byte_reader_take(&r, nul - r.pos + 1);
	/* Version 4's address and segment selector sizes: 8 and 0 on x86_64. */
	if (version == 4 && (dwarf_read_uint(&r, 1) != 8 || dwarf_read_uint(&r, 1) != 0))
		return r.bad ? -EINVAL : -ENOTSUP;
	cie->code_align = dwarf_read_uleb128(&r);
	cie->data_align = dwarf_read_sleb128(&r);
	ra_reg = version == 1 ? dwarf_read_uint(&r, 1) : dwarf_read_uleb128(&r);
	if (r.bad || !cie->code_align)
		return -EINVAL;
	if (ra_reg >= CFI_NUM_REGS)
		return -ENOTSUP;
	cie->ra_reg = ra_reg;
	if (aug[0] == 'z') {
		err = parse_augmentation(&r, aug, cie);
		if (err)
			return err;
	} else if (aug[0]) {
		return -ENOTSUP;	/* "eh" and other pre-'z' forms */
	}
	cie->insns = r.pos;
	cie->insns_len = byte_reader_left(&r);
	return 0;
}

static int parse_fde(const struct eh_frame_table *t, size_t off, struct fde *fde, struct cie *cie)
{
	struct dwarf_ptr_base base = { t->data, t->vaddr, 0, false };
	struct record rec;
	struct byte_reader r;
	uint64_t range;
	int err;

	if (read_record(t, off, &rec) || !rec.id || rec.id > rec.id_pos)
		return -EINVAL;
	/* The id of an FDE is the distance back to its CIE. */
	err = parse_cie(t, rec.id_pos - rec.id, cie);
	if (err)
		return err;
	r = record_body(t, &rec);
	fde->pc_begin = dwarf_read_pointer(&r, cie->fde_enc, &base);
	range = dwarf_read_pointer(&r, cie->fde_enc & 0x0f, NULL);
	if (cie->has_aug_data) {
		uint64_t len = dwarf_read_uleb128(&r);

		if (len > byte_reader_left(&r))
			return -EINVAL;
		byte_reader_take(&r, len);
	}
	if (r.bad || __builtin_add_overflow(fde->pc_begin, range, &fde->pc_end))
		return -EINVAL;
	fde->insns = r.pos;
	fde->insns_len = byte_reader_left(&r);
	return 0;
}

/* .eh_frame_hdr: version, 3 encodings, .eh_frame's address, count, table. */
static int index_from_hdr(struct eh_frame_table *t, const uint8_t *hdr, size_t hdr_len,
			  uint64_t hdr_vaddr)
{
	struct dwarf_ptr_base base = { hdr, hdr_vaddr, hdr_vaddr, true };
	struct byte_reader r = byte_reader(hdr, hdr_len);
	uint8_t version = dwarf_read_uint(&r, 1);
	uint8_t ptr_enc = dwarf_read_uint(&r, 1);
	uint8_t count_enc = dwarf_read_uint(&r, 1);
	uint8_t table_enc = dwarf_read_uint(&r, 1);
	uint64_t eh_frame_ptr, count;
	size_t entry_size;

	if (r.bad || version != 1)
		return -EINVAL;
	/* A header that describes some other section says nothing about this one. */
	eh_frame_ptr = dwarf_read_pointer(&r, ptr_enc, &base);
	if (r.bad || eh_frame_ptr != t->vaddr)
		return -EINVAL;
	if (count_enc == DW_EH_PE_omit || table_enc == DW_EH_PE_omit)
		return -ENOENT;
	count = dwarf_read_pointer(&r, count_enc, &base);
	entry_size = 2 * dwarf_pointer_size(table_enc);
	if (r.bad || !entry_size || count > byte_reader_left(&r) / entry_size)
		return -EINVAL;
	t->fdes = malloc(count ? count * sizeof(*t->fdes) : 1);
	if (!t->fdes)
		return -ENOMEM;
	for (t->n = 0; t->n < count; t->n++) {
		uint64_t pc = dwarf_read_pointer(&r, table_enc, &base);
		uint64_t fde = dwarf_read_pointer(&r, table_enc, &base);

		if (r.bad || fde < t->vaddr || fde - t->vaddr >= t->len)
			return -EINVAL;
		t->fdes[t->n] = (struct fde_ref){ pc, (uint32_t)(fde - t->vaddr) };
	}
	t->from_hdr = true;
	return 0;
}

/* Without a header: every FDE of .eh_frame, up to the first malformed record. */
static int index_by_scan(struct eh_frame_table *t)
{
	size_t cap = 0;
	struct record rec;

	for (size_t off = 0; off < t->len; off = rec.end) {
		int err = read_record(t, off, &rec);
		struct fde fde;
		struct cie cie;

		if (err == -ENODATA)
			continue;
		if (err)
			break;
		/* Empty ranges are what linkers leave of discarded functions. */
		if (!rec.id || parse_fde(t, off, &fde, &cie) || fde.pc_begin == fde.pc_end)
			continue;
		if (array_reserve(&t->fdes, &cap, t->n + 1, sizeof(*t->fdes)))
			return -ENOMEM;
		t->fdes[t->n++] = (struct fde_ref){ fde.pc_begin, (uint32_t)off };
	}
	return 0;
}

static int compare_fde_refs(const void *a, const void *b)
{
	const struct fde_ref *x = a, *y = b;

	if (x->pc != y->pc)
		return x->pc < y->pc ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The header's table should be sorted already; a hostile one may not be. */
static void sort_index(struct eh_frame_table *t)
{
	for (size_t i = 1; i < t->n; i++) {
		if (t->fdes[i - 1].pc > t->fdes[i].pc) {
			qsort(t->fdes, t->n, sizeof(*t->fdes), compare_fde_refs);
			return;
		}
	}
}

/* A table over DATA, which it takes over (and frees on failure). */
static struct eh_frame_table *table_new(uint8_t *data, size_t len, uint64_t vaddr,
					const uint8_t *hdr, size_t hdr_len, uint64_t hdr_vaddr)
{
	struct eh_frame_table *t = calloc(1, sizeof(*t));
	int err = -ENOMEM;

	if (!t)
		goto fail;
	t->data = data;
	t->len = len;
	t->vaddr = vaddr;
	err = hdr ? index_from_hdr(t, hdr, hdr_len, hdr_vaddr) : -ENOENT;
	if (err && err != -ENOMEM) {
		free(t->fdes);
		t->fdes = NULL;
		t->n = 0;
		t->from_hdr = false;
		err = index_by_scan(t);
	}
	if (err)
		goto fail;
	sort_index(t);
	return t;
fail:
	if (t)
		eh_frame_table_free(t);
	else
		free(data);
	errno = -err;
	return NULL;
}

struct eh_frame_table *eh_frame_table_parse(const uint8_t *eh_frame, size_t len,
					    uint64_t eh_frame_vaddr, const uint8_t *hdr,
					    size_t hdr_len, uint64_t hdr_vaddr)
{
	uint8_t *copy;

	/* FDE offsets are kept in 32 bits. */
	if (len > UINT32_MAX) {
		errno = EFBIG;
		return NULL;
	}
	copy = malloc(len ? len : 1);
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	if (len)
		memcpy(copy, eh_frame, len);
	return table_new(copy, len, eh_frame_vaddr, hdr, hdr_len, hdr_vaddr);
}

/* A copy of section NAME's contents, and its address. */
static int section_copy(struct elf_file *ef, const char *name, uint8_t **data, size_t *len,
			uint64_t *addr)
{
	uint64_t size;
	int err = elf_file_section(ef, name, addr, &size);

	if (err)
		return err;
	if (size > UINT32_MAX)
		return -EFBIG;
	*data = malloc(size ? size : 1);
	if (!*data)
		return -ENOMEM;
	/* -ENOENT as well for SHT_NOBITS (the copy in a separate debug file). */
	err = elf_file_section_bytes(ef, name, *data, size);
	if (err) {
		free(*data);
		*data = NULL;
		return err;
	}
	*len = size;
	return 0;
}

struct eh_frame_table *eh_frame_table_from_elf(struct elf_file *ef)
{
	struct eh_frame_table *t = NULL;
	uint8_t *data = NULL, *hdr = NULL;
	size_t len = 0, hdr_len = 0;
	uint64_t vaddr, hdr_vaddr = 0;
	int err;

	err = section_copy(ef, ".eh_frame", &data, &len, &vaddr);
	if (err) {
		errno = -err;
		return NULL;
	}
	/* Optional: without it, the FDEs are found by a scan. */
	if (section_copy(ef, ".eh_frame_hdr", &hdr, &hdr_len, &hdr_vaddr))
		hdr = NULL;
	t = table_new(data, len, vaddr, hdr, hdr_len, hdr_vaddr);
	free(hdr);
	return t;
}

struct eh_frame_table *eh_frame_table_load(const char *path)
{
	struct elf_file *ef = elf_file_open(path);
	struct eh_frame_table *t;
	int saved;

	if (!ef)
		return NULL;
	t = eh_frame_table_from_elf(ef);
	saved = errno;
	elf_file_close(ef);
	errno = saved;
	return t;
}

void eh_frame_table_free(struct eh_frame_table *t)
{
	if (!t)
		return;
	free(t->fdes);
	free(t->data);
	free(t);
}

int eh_frame_table_find(const struct eh_frame_table *t, uint64_t pc, struct cfi_row *row)
{
	struct dwarf_ptr_base base = { t->data, t->vaddr, 0, false };
	struct cfi_params params;
	struct cfi_row initial;
	size_t below;
	struct fde fde;
	struct cie cie;
	int err;

	/* The last FDE that starts at or before PC. */
	below = ARRAY_COUNT_AT_OR_BELOW(t->fdes, t->n, pc, pc);
	if (!below)
		return -ENOENT;
	err = parse_fde(t, t->fdes[below - 1].offset, &fde, &cie);
	if (err)
		return err;
	if (pc < fde.pc_begin || pc >= fde.pc_end)
		return -ENOENT;
	if (cie.insns_len > MAX_PROGRAM || fde.insns_len > MAX_PROGRAM)
		return -ENOTSUP;
	params = (struct cfi_params){ cie.code_align, cie.data_align, cie.fde_enc, &base };
	cfi_row_init(&initial, cie.ra_reg);
	err = cfi_run(&params, cie.insns, cie.insns_len, fde.pc_begin, UINT64_MAX, NULL, &initial);
	if (err)
		return err;
	*row = initial;
	err = cfi_run(&params, fde.insns, fde.insns_len, fde.pc_begin, pc, &initial, row);
	row->signal_frame = cie.signal_frame;
	return err;
}

size_t eh_frame_table_fdes(const struct eh_frame_table *t)
{
	return t->n;
}

bool eh_frame_table_from_hdr(const struct eh_frame_table *t)
{
	return t->from_hdr;
}
