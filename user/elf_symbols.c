// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf_symbols.h"

struct elf_file {
	int fd;
	Elf *elf;
};

struct elf_file *elf_file_open(const char *path)
{
	struct elf_file *ef;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		return NULL;
	}
	ef = calloc(1, sizeof(*ef));
	if (!ef)
		return NULL;
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0)
		goto fail;
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || gelf_getclass(ef->elf) != ELFCLASS64) {
		errno = ENOEXEC;
		goto fail;
	}
	return ef;
fail:
	{
		int saved = errno;

		elf_file_close(ef);
		errno = saved;
	}
	return NULL;
}

void elf_file_close(struct elf_file *ef)
{
	if (!ef)
		return;
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef);
}

static int find_in_symtab(struct elf_file *ef, Elf64_Word type, const char *name,
			  uint64_t *value, uint64_t *size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		Elf_Data *data;
		size_t count;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != type || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		count = shdr.sh_size / shdr.sh_entsize;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym sym;
			const char *sname;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			sname = elf_strptr(ef->elf, shdr.sh_link, sym.st_name);
			if (sname && !strcmp(sname, name)) {
				*value = sym.st_value;
				if (size)
					*size = sym.st_size;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int elf_file_symbol(struct elf_file *ef, const char *name, uint64_t *value, uint64_t *size)
{
	if (!find_in_symtab(ef, SHT_DYNSYM, name, value, size))
		return 0;
	return find_in_symtab(ef, SHT_SYMTAB, name, value, size);
}

static Elf_Scn *find_section(struct elf_file *ef, const char *name, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(ef->elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(ef->elf, scn))) {
		const char *sname;

		if (!gelf_getshdr(scn, shdr))
			continue;
		sname = elf_strptr(ef->elf, shstrndx, shdr->sh_name);
		if (sname && !strcmp(sname, name))
			return scn;
	}
	return NULL;
}

int elf_file_section(struct elf_file *ef, const char *name, uint64_t *addr, uint64_t *size)
{
	GElf_Shdr shdr;

	if (!find_section(ef, name, &shdr))
		return -ENOENT;
	*addr = shdr.sh_addr;
	if (size)
		*size = shdr.sh_size;
	return 0;
}

int elf_file_section_bytes(struct elf_file *ef, const char *name, void *buf, size_t len)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(ef, name, &shdr);
	Elf_Data *d = scn && shdr.sh_type == SHT_PROGBITS ? elf_getdata(scn, NULL) : NULL;

	if (!d || !d->d_buf || d->d_size < len)
		return -ENOENT;
	memcpy(buf, d->d_buf, len);
	return 0;
}

int elf_file_vaddr_of_offset(struct elf_file *ef, uint64_t offset, uint64_t *vaddr)
{
	size_t n;
	GElf_Phdr ph;

	if (elf_getphdrnum(ef->elf, &n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!gelf_getphdr(ef->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		/* Mappings start page-aligned, possibly before p_offset. */
		uint64_t page_off = ph.p_offset & ~(uint64_t)0xfff;

		if (offset >= page_off && offset < ph.p_offset + ph.p_filesz) {
			*vaddr = (ph.p_vaddr & ~(uint64_t)0xfff) + (offset - page_off);
			return 0;
		}
	}
	return -ENOENT;
}

/* The first dynamic-section string with tag TAG that starts with PREFIX. */
static const char *dynamic_string(struct elf_file *ef, Elf64_Sxword tag, const char *prefix)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *str;

			if (!gelf_getdyn(data, i, &dyn) || dyn.d_tag != tag)
				continue;
			str = elf_strptr(ef->elf, shdr.sh_link, dyn.d_un.d_val);
			if (str && !strncmp(str, prefix, strlen(prefix)))
				return str;
		}
	}
	return NULL;
}

bool elf_file_needs(struct elf_file *ef, const char *prefix)
{
	return dynamic_string(ef, DT_NEEDED, prefix) != NULL;
}

const char *elf_file_soname(struct elf_file *ef)
{
	return dynamic_string(ef, DT_SONAME, "");
}

static int is_version_tail(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '.')
			return 0;
	return n > 0;
}

int elf_file_find_version_string(struct elf_file *ef, const char *prefix, char *out,
				 size_t outlen)
{
	size_t plen = strlen(prefix);
	const char *data, *p, *end;
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(ef, ".rodata", &shdr);
	Elf_Data *d = scn && shdr.sh_type == SHT_PROGBITS ? elf_getdata(scn, NULL) : NULL;

	if (!d || !d->d_buf)
		return -ENOENT;
	data = d->d_buf;
	end = data + d->d_size;
	for (p = data; p + plen < end; p++) {
		const char *nul;

		/*
		 * The linker may merge the literal into the tail of a longer
		 * string ("Python-3.8.18"): accept any non-version byte before it.
		 */
		if ((p > data && ((p[-1] >= '0' && p[-1] <= '9') || p[-1] == '.')) ||
		    memcmp(p, prefix, plen))
			continue;
		nul = memchr(p + plen, '\0', end - p - plen);
		if (!nul || nul - p >= (ptrdiff_t)outlen || !is_version_tail(p + plen, nul - p - plen))
			continue;
		memcpy(out, p, nul - p + 1);
		return 0;
	}
	return -ENOENT;
}
