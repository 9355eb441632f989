// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/native/elf_symbols.c: every lookup pybpf makes in the executables and
 * libraries a target maps, and the walk over their functions (--native).  Those files are the target's own, so any bytes
 * must give an answer or an error, never a crash.
 *
 * Input: the ELF file.
 */
#include <stdlib.h>
#include <string.h>
#include "python/debug_offsets.h"
#include "native/elf_symbols.h"

/* native_symbols.c's walk over the function symbols: names must be C strings. */
static int visit_function(void *ctx, const struct elf_function *fn)
{
	size_t *bytes = ctx;

	*bytes += strlen(fn->name);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libelf wants a writable image; an exact copy lets ASan see overreads. */
	void *image = malloc(size ? size : 1);
	uint8_t header[DEBUG_OFFSETS_HEADER_SIZE];
	uint64_t value, length, vaddr;
	char version[32];
	const char *soname;
	size_t name_bytes = 0;
	struct elf_file *ef;

	if (!image)
		return 0;
	memcpy(image, data, size);
	ef = elf_file_open_memory(image, size);
	if (ef) {
		/* What python_target.c asks, in its order. */
		elf_file_symbol(ef, "_PyRuntime", &value, &length);
		elf_file_section(ef, ".PyRuntime", &value, &length);
		elf_file_section_bytes(ef, ".PyRuntime", header, sizeof(header));
		for (uint64_t offset = 0; offset <= size; offset += 0x1000)
			elf_file_vaddr_of_offset(ef, offset, &vaddr);
		elf_file_symbol(ef, "Py_Version", &value, NULL);
		elf_file_symbol(ef, "PyCode_Type", &value, NULL);
		soname = elf_file_soname(ef);
		if (soname && strlen(soname) > size)
			abort();
		elf_file_find_version_string(ef, "3.11.", version, sizeof(version));
		elf_file_find_version_string(ef, "3.", version, sizeof(version));
		elf_file_needs(ef, "libpython");
		elf_file_for_each_function(ef, visit_function, &name_bytes);
		elf_file_close(ef);
	}
	free(image);
	return 0;
}
