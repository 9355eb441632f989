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
/* The same over SIZE bytes at IMAGE, which must outlive the elf_file. */
struct elf_file *elf_file_open_memory(void *image, size_t size);
/* The same over FD, which the elf_file takes over (closes) even on failure. */
struct elf_file *elf_file_open_fd(int fd);
void elf_file_close(struct elf_file *ef);

/* Value and size of a symbol, from .dynsym, else .symtab; -ENOENT if absent. */
int elf_file_symbol(struct elf_file *ef, const char *name, uint64_t *value, uint64_t *size);

struct elf_function {
	const char *name;	/* valid while the elf_file is open */
	uint64_t value, size;	/* link-time address; size 0 when unknown */
	int bind;		/* STB_LOCAL, STB_GLOBAL or STB_WEAK */
};

/*
 * Call CB for every defined, named STT_FUNC and STT_GNU_IFUNC symbol of
 * .symtab, then of .dynsym (so a symbol may come twice), until CB returns
 * non-zero, which is then returned; 0 when all were visited.
 */
int elf_file_for_each_function(struct elf_file *ef,
			       int (*cb)(void *ctx, const struct elf_function *fn), void *ctx);

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
