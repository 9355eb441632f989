// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "native/elf_symbols.h"

struct elf_file {
	int fd;
	Elf *elf;
};

/* Take over FD (or -1 for IMAGE, SIZE bytes in memory): a 64-bit ELF file only. */
static struct elf_file *elf_file_begin(int fd, void *image, size_t size)
{
	struct elf_file *ef;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		goto fail;
	}
	ef = calloc(1, sizeof(*ef));
	if (!ef)
		goto fail;
	ef->fd = fd;
	ef->elf = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : elf_memory(image, size);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || gelf_getclass(ef->elf) != ELFCLASS64) {
		elf_file_close(ef);
		errno = ENOEXEC;
		return NULL;
	}
	return ef;
fail:
	if (fd >= 0) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return NULL;
}

struct elf_file *elf_file_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? NULL : elf_file_begin(fd, NULL, 0);
}

struct elf_file *elf_file_open_fd(int fd)
{
	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	return elf_file_begin(fd, NULL, 0);
}

struct elf_file *elf_file_open_memory(void *image, size_t size)
{
	return elf_file_begin(-1, image, size);
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

/*
 * Call CB for each defined symbol of every section of type TYPE (SHT_SYMTAB
 * or SHT_DYNSYM) until it returns non-zero, which is then returned.
 */
static int for_each_symbol(struct elf_file *ef, Elf64_Word type,
			   int (*cb)(void *ctx, const GElf_Sym *sym, const char *name),
			   void *ctx)
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
			int ret;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			sname = elf_strptr(ef->elf, shdr.sh_link, sym.st_name);
			if (sname && (ret = cb(ctx, &sym, sname)))
				return ret;
		}
	}
	return 0;
}

struct symbol_query {
	const char *name;
	uint64_t *value, *size;
};

static int match_name(void *ctx, const GElf_Sym *sym, const char *name)
{
	struct symbol_query *q = ctx;

	if (strcmp(name, q->name))
		return 0;
	*q->value = sym->st_value;
	if (q->size)
		*q->size = sym->st_size;
	return 1;
}

static int find_in_symtab(struct elf_file *ef, Elf64_Word type, const char *name,
			  uint64_t *value, uint64_t *size)
{
	struct symbol_query q = { name, value, size };

	return for_each_symbol(ef, type, match_name, &q) ? 0 : -ENOENT;
}

int elf_file_symbol(struct elf_file *ef, const char *name, uint64_t *value, uint64_t *size)
{
	if (!find_in_symtab(ef, SHT_DYNSYM, name, value, size))
		return 0;
	return find_in_symtab(ef, SHT_SYMTAB, name, value, size);
}

struct function_walk {
	int (*cb)(void *ctx, const struct elf_function *fn);
	void *ctx;
};

static int visit_function(void *ctx, const GElf_Sym *sym, const char *name)
{
	struct function_walk *w = ctx;
	int type = GELF_ST_TYPE(sym->st_info);
	struct elf_function fn;

	if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !sym->st_value || !*name)
		return 0;
	fn.name = name;
	fn.value = sym->st_value;
	fn.size = sym->st_size;
	fn.bind = GELF_ST_BIND(sym->st_info);
	return w->cb(w->ctx, &fn);
}

int elf_file_for_each_function(struct elf_file *ef,
			       int (*cb)(void *ctx, const struct elf_function *fn), void *ctx)
{
	struct function_walk w = { cb, ctx };
	int ret = for_each_symbol(ef, SHT_SYMTAB, visit_function, &w);

	return ret ? ret : for_each_symbol(ef, SHT_DYNSYM, visit_function, &w);
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
