/* SPDX-License-Identifier: BSD-3-Clause */
/* ELF symbol, section and segment lookups with libelf. */
#ifndef PYBPF_ELF_SYMBOLS_H
#define PYBPF_ELF_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;

/* NULL with errno set when PATH is not a readable ELF file. */
struct elf_file *elf_file_open(const char *path);
void elf_file_close(struct elf_file *ef);

/* Value and size of a symbol, from .dynsym, else .symtab; -ENOENT if absent. */
int elf_file_symbol(struct elf_file *ef, const char *name, uint64_t *value, uint64_t *size);

/* Address and size of a section; -ENOENT if absent. */
int elf_file_section(struct elf_file *ef, const char *name, uint64_t *addr, uint64_t *size);

/* Copy the first LEN bytes of a section's contents; -ENOENT if absent or shorter. */
int elf_file_section_bytes(struct elf_file *ef, const char *name, void *buf, size_t len);

/* Virtual address that file offset OFFSET is loaded at (by PT_LOAD). */
int elf_file_vaddr_of_offset(struct elf_file *ef, uint64_t offset, uint64_t *vaddr);

/*
 * The first NUL-delimited string in .rodata that starts with PREFIX and
 * continues with digits and dots only (e.g. PY_VERSION "3.9.18" for prefix
 * "3.9.").  0 and the string in OUT, or -ENOENT.
 */
int elf_file_find_version_string(struct elf_file *ef, const char *prefix, char *out,
				 size_t outlen);

/* Whether a DT_NEEDED entry starts with PREFIX. */
bool elf_file_needs(struct elf_file *ef, const char *prefix);

/* The DT_SONAME string, or NULL. */
const char *elf_file_soname(struct elf_file *ef);

#endif
