/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An ELF file's .eh_frame, indexed for lookups by pc: the CIEs and FDEs
 * that say, at each instruction, how to find the caller's frame.  The
 * index comes from .eh_frame_hdr's binary search table, or from a scan of
 * .eh_frame when there is no usable header.  Every byte is checked: the
 * input is a profiled program's file, so it may be hostile.  Addresses are
 * the file's own (link-time) virtual addresses.
 */
#ifndef PYBPF_EH_FRAME_H
#define PYBPF_EH_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "native/cfi.h"

struct eh_frame_table;
struct elf_file;

/*
 * Index the LEN bytes of an .eh_frame section loaded at EH_FRAME_VADDR
 * (copied: the caller keeps its buffers), with the HDR_LEN bytes of its
 * .eh_frame_hdr at HDR_VADDR, or HDR NULL.  Any bytes make a table, possibly
 * without a single FDE; NULL (errno ENOMEM, or EFBIG past 4 GiB) only when
 * it cannot be built.  A pure function of its arguments, for fuzzing.
 */
struct eh_frame_table *eh_frame_table_parse(const uint8_t *eh_frame, size_t len,
					    uint64_t eh_frame_vaddr, const uint8_t *hdr,
					    size_t hdr_len, uint64_t hdr_vaddr);

/*
 * The table of an ELF file opened with elf_symbols.h (from a path, an fd,
 * or memory, as for the vDSO); the caller still owns and closes EF.  NULL
 * with errno ENOENT when it has no .eh_frame (or only an SHT_NOBITS one).
 */
struct eh_frame_table *eh_frame_table_from_elf(struct elf_file *ef);

/*
 * The same for the file at PATH (e.g. /proc/PID/map_files/..., or a path
 * under /proc/PID/root/); also ENOEXEC when it is not a 64-bit ELF file,
 * or open's errors.
 */
struct eh_frame_table *eh_frame_table_load(const char *path);

void eh_frame_table_free(struct eh_frame_table *t);

/*
 * The CFI row at PC: CIE's initial instructions, then the FDE's up to PC.
 * The row's expressions point into T, valid while T is.  0; -ENOENT when
 * no FDE covers PC; -EINVAL for a malformed CIE, FDE or program; -ENOTSUP
 * for an augmentation, opcode or register not handled, or a program over
 * 64 KiB.
 */
int eh_frame_table_find(const struct eh_frame_table *t, uint64_t pc, struct cfi_row *row);

/* How many FDEs the index holds, and whether it came from .eh_frame_hdr. */
size_t eh_frame_table_fdes(const struct eh_frame_table *t);
bool eh_frame_table_from_hdr(const struct eh_frame_table *t);

#endif
