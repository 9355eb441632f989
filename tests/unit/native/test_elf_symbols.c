// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/native/elf_symbols.h against real CPython 3.11 builds: Debian's
 * /usr/bin/python3.11 (libpython linked in, ET_EXEC, stripped: .dynsym only)
 * and pyenv's shared libpython3.11.so.1.0 (ET_DYN, with .symtab).
 *
 * Independent truths: program headers read here with <elf.h>, and
 * sys.hexversion from the interpreters themselves.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "native/elf_symbols.h"

#define DEBIAN_PY "/usr/bin/python3.11"
#define PYENV_DIR "/root/.pyenv/versions/3.11.7"
#define PYENV_LIB PYENV_DIR "/lib/libpython3.11.so.1.0"
#define PYENV_PY PYENV_DIR "/bin/python3.11"

static struct elf_file *open_or_skip(const char *path)
{
	struct elf_file *ef;

	if (access(path, R_OK))
		cr_skip_test("%s is not installed", path);
	ef = elf_file_open(path);
	cr_assert_not_null(ef, "elf_file_open(%s): %s", path, strerror(errno));
	return ef;
}

/* sys.hexversion as the interpreter at PYTHON reports it. */
static uint64_t hexversion_of(const char *python)
{
	char cmd[512], line[64];
	FILE *p;
	unsigned long long v = 0;

	snprintf(cmd, sizeof(cmd), "%s -c 'import sys; print(sys.hexversion)'", python);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(line, sizeof(line), p), "no output from %s", python);
	cr_assert_eq(pclose(p), 0);
	cr_assert_eq(sscanf(line, "%llu", &v), 1);
	cr_assert(v >> 16 == 0x030b, "%s is not 3.11: %#llx", python, v);
	return v;
}

/* File offset of virtual address VADDR, from the program headers (no libelf). */
static off_t file_offset_of_vaddr(const char *path, uint64_t vaddr)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t found = -1;

	cr_assert(fd >= 0);
	cr_assert_eq(pread(fd, &eh, sizeof(eh), 0), (ssize_t)sizeof(eh));
	cr_assert_eq(memcmp(eh.e_ident, ELFMAG, SELFMAG), 0);
	cr_assert_eq(eh.e_phentsize, sizeof(Elf64_Phdr));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		cr_assert_eq(pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)),
			     (ssize_t)sizeof(ph));
		if (ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
		    vaddr < ph.p_vaddr + ph.p_filesz) {
			found = ph.p_offset + (vaddr - ph.p_vaddr);
			break;
		}
	}
	close(fd);
	cr_assert(found >= 0, "%#" PRIx64 " is not in a file-backed PT_LOAD of %s", vaddr, path);
	return found;
}

/* The PT_LOAD headers of PATH, in file order; returns how many. */
static int load_segments(const char *path, Elf64_Phdr *loads, int max)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = 0;

	cr_assert(fd >= 0);
	cr_assert_eq(pread(fd, &eh, sizeof(eh), 0), (ssize_t)sizeof(eh));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		cr_assert_eq(pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)),
			     (ssize_t)sizeof(ph));
		if (ph.p_type == PT_LOAD && n < max)
			loads[n++] = ph;
	}
	close(fd);
	cr_assert(n > 0, "%s has no PT_LOAD", path);
	return n;
}

static Elf64_Phdr first_load(const char *path)
{
	Elf64_Phdr loads[16];

	load_segments(path, loads, 16);
	return loads[0];
}

/* Every segment's own bytes map to its addresses, including the data segment,
 * whose p_offset and p_vaddr are not page-aligned. */
static void check_all_segments(struct elf_file *ef, const char *path)
{
	Elf64_Phdr loads[16];
	int n = load_segments(path, loads, 16), unaligned = 0;

	for (int i = 0; i < n; i++) {
		const Elf64_Phdr *ph = &loads[i];
		uint64_t offs[] = {
			ph->p_offset,
			(ph->p_offset | 0xfff) + 1,		/* next page boundary */
			ph->p_offset + ph->p_filesz - 1,	/* last byte */
		};

		unaligned += (ph->p_offset & 0xfff) != 0;
		for (int j = 0; j < 3; j++) {
			uint64_t vaddr = 0, want = ph->p_vaddr + (offs[j] - ph->p_offset);

			if (offs[j] >= ph->p_offset + ph->p_filesz)
				continue;
			cr_assert_eq(elf_file_vaddr_of_offset(ef, offs[j], &vaddr), 0,
				     "segment %d offset %#" PRIx64, i, offs[j]);
			cr_assert_eq(vaddr, want, "segment %d offset %#" PRIx64 ": %#" PRIx64
				     ", want %#" PRIx64, i, offs[j], vaddr, want);
		}
	}
	cr_assert(unaligned > 0, "%s: expected a segment off a page boundary", path);
}

static uint64_t read_u64_at(const char *path, off_t off)
{
	uint64_t v;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert(fd >= 0);
	cr_assert_eq(pread(fd, &v, sizeof(v), off), (ssize_t)sizeof(v));
	close(fd);
	return v;
}

/* The checks both builds must pass. */
static void check_runtime(struct elf_file *ef)
{
	uint64_t sym = 0, sym_size = 0, sec = 0, sec_size = 0;

	cr_assert_eq(elf_file_symbol(ef, "_PyRuntime", &sym, &sym_size), 0);
	cr_assert_eq(elf_file_section(ef, ".PyRuntime", &sec, &sec_size), 0);
	cr_assert_neq(sym, 0);
	cr_assert_eq(sym, sec, "_PyRuntime %#" PRIx64 " but .PyRuntime at %#" PRIx64, sym, sec);
	/* _PyRuntimeState is ~160 KiB in 3.11 and alone in its section. */
	cr_assert(sym_size >= 64 * 1024 && sym_size <= 1024 * 1024,
		  "_PyRuntime size %" PRIu64, sym_size);
	cr_assert_eq(sym_size, sec_size);
	/* SIZE is optional. */
	sym = 0;
	cr_assert_eq(elf_file_symbol(ef, "_PyRuntime", &sym, NULL), 0);
	cr_assert_eq(sym, sec);
	sec = 0;
	cr_assert_eq(elf_file_section(ef, ".PyRuntime", &sec, NULL), 0);
	cr_assert_eq(sym, sec);
}

static void check_py_version(struct elf_file *ef, const char *path, const char *python)
{
	uint64_t addr = 0, size = 0, want = hexversion_of(python);

	cr_assert_eq(elf_file_symbol(ef, "Py_Version", &addr, &size), 0);
	cr_assert_eq(size, 8, "Py_Version is an unsigned long");
	uint64_t got = read_u64_at(path, file_offset_of_vaddr(path, addr));

	cr_assert_eq(got, want, "Py_Version in the file is %#" PRIx64 ", sys.hexversion %#" PRIx64,
		     got, want);
}

static void check_code_type(struct elf_file *ef)
{
	uint64_t addr = 0, size = 0, data = 0, data_size = 0;

	cr_assert_eq(elf_file_symbol(ef, "PyCode_Type", &addr, &size), 0);
	/* A PyTypeObject: 408 bytes on 64-bit 3.11, in .data. */
	cr_assert_eq(size, 408);
	cr_assert_eq(elf_file_section(ef, ".data", &data, &data_size), 0);
	cr_assert(addr >= data && addr + size <= data + data_size,
		  "PyCode_Type %#" PRIx64 " outside .data", addr);
}

static void check_missing(struct elf_file *ef)
{
	uint64_t v = 0, s = 0;

	cr_assert_eq(elf_file_symbol(ef, "_PyRuntime_NoSuchSymbol", &v, &s), -ENOENT);
	cr_assert_eq(elf_file_symbol(ef, "_PyRuntim", &v, &s), -ENOENT, "no prefix matches");
	cr_assert_eq(elf_file_section(ef, ".NoSuchSection", &v, &s), -ENOENT);
	cr_assert_eq(elf_file_section(ef, ".PyRuntim", &v, &s), -ENOENT);
}

/* ---- Debian /usr/bin/python3.11 ------------------------------------------ */

Test(elf_symbols, debian_exec_runtime)
{
	struct elf_file *ef = open_or_skip(DEBIAN_PY);

	check_runtime(ef);
	elf_file_close(ef);
}

Test(elf_symbols, debian_exec_py_version)
{
	struct elf_file *ef = open_or_skip(DEBIAN_PY);

	check_py_version(ef, DEBIAN_PY, DEBIAN_PY);
	check_code_type(ef);
	elf_file_close(ef);
}

Test(elf_symbols, debian_exec_missing_and_undefined)
{
	struct elf_file *ef = open_or_skip(DEBIAN_PY);
	uint64_t v = 0;

	check_missing(ef);
	/* malloc is in .dynsym as an import (SHN_UNDEF): not a definition. */
	cr_assert_eq(elf_file_symbol(ef, "malloc", &v, NULL), -ENOENT);
	/* Stripped: no .symtab at all, yet exported functions are found. */
	cr_assert_eq(elf_file_section(ef, ".symtab", &v, NULL), -ENOENT);
	cr_assert_eq(elf_file_symbol(ef, "_PyEval_EvalFrameDefault", &v, NULL), 0);
	elf_file_close(ef);
}

Test(elf_symbols, debian_exec_segments_and_soname)
{
	struct elf_file *ef = open_or_skip(DEBIAN_PY);
	Elf64_Phdr load = first_load(DEBIAN_PY);
	uint64_t vaddr = 0, text = 0, text_size = 0;

	cr_assert_eq(load.p_vaddr, 0x400000);
	cr_assert_eq(elf_file_vaddr_of_offset(ef, 0, &vaddr), 0);
	cr_assert_eq(vaddr, 0x400000);
	cr_assert_eq(elf_file_vaddr_of_offset(ef, 0x123, &vaddr), 0);
	cr_assert_eq(vaddr, 0x400123);

	/* The code: .text's file offset maps back to .text's address. */
	cr_assert_eq(elf_file_section(ef, ".text", &text, &text_size), 0);
	off_t text_off = file_offset_of_vaddr(DEBIAN_PY, text);

	cr_assert_eq(elf_file_vaddr_of_offset(ef, text_off, &vaddr), 0);
	cr_assert_eq(vaddr, text, "got %#" PRIx64 ", want %#" PRIx64, vaddr, text);
	/* And a page-aligned mapping offset, as /proc/PID/maps shows them. */
	cr_assert_eq(elf_file_vaddr_of_offset(ef, text_off & ~0xfffL, &vaddr), 0);
	cr_assert_eq(vaddr, text & ~0xfffULL);

	/* Beyond the end of the file. */
	cr_assert_eq(elf_file_vaddr_of_offset(ef, 1ULL << 40, &vaddr), -ENOENT);
	check_all_segments(ef, DEBIAN_PY);

	cr_assert_null(elf_file_soname(ef), "an executable has no DT_SONAME");
	elf_file_close(ef);
}

/* ---- pyenv's shared libpython3.11.so.1.0 ---------------------------------- */

Test(elf_symbols, pyenv_so_runtime)
{
	struct elf_file *ef = open_or_skip(PYENV_LIB);

	check_runtime(ef);
	elf_file_close(ef);
}

Test(elf_symbols, pyenv_so_py_version)
{
	struct elf_file *ef = open_or_skip(PYENV_LIB);

	if (access(PYENV_PY, X_OK))
		cr_skip_test("%s is not installed", PYENV_PY);
	check_py_version(ef, PYENV_LIB, PYENV_PY);
	/* 3.11.7 final, as the directory name says. */
	cr_assert_eq(hexversion_of(PYENV_PY), 0x030b07f0);
	check_code_type(ef);
	elf_file_close(ef);
}

Test(elf_symbols, pyenv_so_missing_and_symtab_fallback)
{
	struct elf_file *ef = open_or_skip(PYENV_LIB);
	uint64_t v = 0, size = 0, text = 0, text_size = 0;

	check_missing(ef);
	/* unicode_dealloc is static: only .symtab has it. */
	cr_assert_eq(elf_file_section(ef, ".symtab", &v, NULL), 0);
	cr_assert_eq(elf_file_section(ef, ".text", &text, &text_size), 0);
	cr_assert_eq(elf_file_symbol(ef, "unicode_dealloc", &v, &size), 0);
	cr_assert(v >= text && v + size <= text + text_size,
		  "unicode_dealloc %#" PRIx64 " outside .text", v);
	cr_assert(size > 0);
	elf_file_close(ef);
}

Test(elf_symbols, pyenv_so_segments_and_soname)
{
	struct elf_file *ef = open_or_skip(PYENV_LIB);
	Elf64_Phdr load = first_load(PYENV_LIB);
	uint64_t vaddr = 1, text = 0;
	const char *soname;

	cr_assert_eq(load.p_vaddr, 0);
	cr_assert_eq(elf_file_vaddr_of_offset(ef, 0, &vaddr), 0);
	cr_assert_eq(vaddr, 0);
	cr_assert_eq(elf_file_section(ef, ".text", &text, NULL), 0);
	cr_assert_eq(elf_file_vaddr_of_offset(ef, file_offset_of_vaddr(PYENV_LIB, text), &vaddr), 0);
	cr_assert_eq(vaddr, text);
	check_all_segments(ef, PYENV_LIB);

	soname = elf_file_soname(ef);
	cr_assert_not_null(soname);
	cr_assert_str_eq(soname, "libpython3.11.so.1.0");
	elf_file_close(ef);
}

/* ---- Not ELF, or not all of it --------------------------------------------- */

Test(elf_symbols, non_elf_and_missing_files)
{
	errno = 0;
	cr_assert_null(elf_file_open("/etc/passwd"));
	cr_assert_neq(errno, 0, "errno is set");
	errno = 0;
	cr_assert_null(elf_file_open("/nonexistent/python3.11"));
	cr_assert_eq(errno, ENOENT);
	errno = 0;
	cr_assert_null(elf_file_open("/"));
	cr_assert_neq(errno, 0);
	elf_file_close(NULL);	/* harmless */
}

/* A copy of the first LEN bytes of SRC in a temporary file. */
static void truncated_copy(const char *src, size_t len, char *tmpl)
{
	char buf[4096];
	int in, out;

	cr_assert(len <= sizeof(buf));
	in = open(src, O_RDONLY | O_CLOEXEC);
	cr_assert(in >= 0);
	cr_assert_eq(read(in, buf, len), (ssize_t)len);
	close(in);
	out = mkstemp(tmpl);
	cr_assert(out >= 0);
	cr_assert_eq(write(out, buf, len), (ssize_t)len);
	close(out);
}

static void check_truncated(const char *src, size_t len)
{
	char path[] = "/tmp/pybpf-test-elf-XXXXXX";
	struct elf_file *ef;
	uint64_t v = 0, s = 0;

	truncated_copy(src, len, path);
	ef = elf_file_open(path);
	if (ef) {
		/* Opening may succeed on the header alone; lookups must then fail. */
		cr_assert(elf_file_symbol(ef, "_PyRuntime", &v, &s) < 0, "len %zu", len);
		cr_assert(elf_file_symbol(ef, "Py_Version", &v, &s) < 0, "len %zu", len);
		cr_assert(elf_file_section(ef, ".PyRuntime", &v, &s) < 0, "len %zu", len);
		cr_assert(elf_file_vaddr_of_offset(ef, 1ULL << 40, &v) < 0, "len %zu", len);
		elf_file_vaddr_of_offset(ef, 0, &v);	/* either way, no crash */
		cr_assert_null(elf_file_soname(ef), "len %zu", len);
		elf_file_close(ef);
	}
	unlink(path);
}

Test(elf_symbols, truncated_elf_fails_cleanly)
{
	if (access(DEBIAN_PY, R_OK))
		cr_skip_test("%s is not installed", DEBIAN_PY);
	check_truncated(DEBIAN_PY, 100);
	for (size_t len = 0; len <= 4096; len += 8)
		check_truncated(DEBIAN_PY, len);
	if (!access(PYENV_LIB, R_OK))
		for (size_t len = 0; len <= 4096; len += 8)
			check_truncated(PYENV_LIB, len);
}
