// SPDX-License-Identifier: BSD-3-Clause
/* unwind_live.h: what test_unwind_live.c's tests stand on. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "native/elf_symbols.h"
#include "unwind_live.h"

void modules_init(struct modules *m, pid_t pid, bool via_map_files)
{
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->via_map_files = via_map_files;
	cr_assert_eq(proc_maps_read(pid, &m->maps), 0);
	m->tables = calloc(m->maps.n, sizeof(*m->tables));
	m->bias = calloc(m->maps.n, sizeof(*m->bias));
	m->loaded = calloc(m->maps.n, sizeof(*m->loaded));
	cr_assert(m->tables && m->bias && m->loaded);
}

void modules_free(struct modules *m)
{
	for (size_t i = 0; i < m->maps.n; i++)
		eh_frame_table_free(m->tables[i]);
	free(m->tables);
	free(m->bias);
	free(m->loaded);
	proc_maps_free(&m->maps);
}

/* The executable file mapping that holds PC, or NULL. */
const struct map_entry *mapping_of(const struct modules *m, uint64_t pc)
{
	for (size_t i = 0; i < m->maps.n; i++) {
		const struct map_entry *e = &m->maps.entries[i];

		if (pc >= e->start && pc < e->end && e->perms[2] == 'x' && e->path[0] == '/')
			return e;
	}
	return NULL;
}

void file_of(const struct modules *m, const struct map_entry *e, char *buf, size_t size)
{
	if (m->via_map_files)
		snprintf(buf, size, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, m->pid, e->start,
			 e->end);
	else
		snprintf(buf, size, "%s", e->path);
}

int find_module(void *ctx, uint64_t pc, struct unwind_module *mod)
{
	struct modules *m = ctx;
	const struct map_entry *e = mapping_of(m, pc);
	struct elf_file *ef;
	char path[256];
	uint64_t vaddr;
	size_t i;

	if (!e)
		return -ENOENT;
	i = e - m->maps.entries;
	if (!m->loaded[i]) {
		file_of(m, e, path, sizeof(path));
		ef = elf_file_open(path);
		if (!ef || elf_file_vaddr_of_offset(ef, e->offset, &vaddr)) {
			elf_file_close(ef);
			return -ENOENT;
		}
		m->bias[i] = e->start - vaddr;
		m->tables[i] = eh_frame_table_from_elf(ef);	/* NULL: no .eh_frame */
		m->loaded[i] = true;
		m->loads++;
		elf_file_close(ef);
	}
	mod->table = m->tables[i];
	mod->bias = m->bias[i];
	return 0;
}

/* Whether PC is inside NAME, by the symbol table of the file mapped there. */
bool in_function(struct modules *m, uint64_t pc, const char *name)
{
	const struct map_entry *e = mapping_of(m, pc);
	struct unwind_module mod;
	uint64_t value, size;
	struct elf_file *ef;
	char path[256];
	bool found;

	if (!e || find_module(m, pc, &mod))
		return false;
	file_of(m, e, path, sizeof(path));
	ef = elf_file_open(path);
	cr_assert_not_null(ef);
	found = !elf_file_symbol(ef, name, &value, &size) && pc - mod.bias >= value &&
		pc - mod.bias < value + size;
	elf_file_close(ef);
	return found;
}

bool in_file(const struct modules *m, uint64_t pc, const char *suffix)
{
	const struct map_entry *e = mapping_of(m, pc);
	size_t n = strlen(suffix), len = e ? strlen(e->path) : 0;

	return e && len >= n && !strcmp(e->path + len - n, suffix);
}

/*
 * Return addresses point after a call: PCS[i] - 1 is in the calling
 * function, for every pc but the first.
 */
uint64_t call_site(const uint64_t *pcs, size_t i)
{
	return i ? pcs[i] - 1 : pcs[0];
}

/* The first i >= FROM whose call site is in NAME; N if none. */
size_t find_frame(struct modules *m, const uint64_t *pcs, size_t n, size_t from,
			 const char *name)
{
	for (size_t i = from; i < n; i++)
		if (in_function(m, call_site(pcs, i), name))
			return i;
	return n;
}

void print_walk(const struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct map_entry *e = mapping_of(w->m, w->pcs[i]);
		struct unwind_module mod = { .bias = 0 };

		find_module(w->m, w->pcs[i], &mod);
		fprintf(stderr, "  #%zu %#" PRIx64 " %s+%#" PRIx64 "\n", i, w->pcs[i],
			e ? e->path : "?", w->pcs[i] - mod.bias);
	}
}

/*
 * Up to CAP bytes of PID's stack from RSP, not past the end of the
 * mapping that holds RSP; 0 on failure.  process_vm_readv, like the BPF
 * program's copy, goes around ASan's view of the stack.  No asserts: a
 * forked child calls it too.
 */
size_t copy_stack(pid_t pid, uint64_t rsp, uint8_t *buf, size_t cap)
{
	struct proc_maps maps;
	size_t n = 0;

	if (proc_maps_read(pid, &maps))
		return 0;
	for (size_t i = 0; i < maps.n; i++)
		if (rsp >= maps.entries[i].start && rsp < maps.entries[i].end)
			n = maps.entries[i].end - rsp < cap ? maps.entries[i].end - rsp : cap;
	proc_maps_free(&maps);
	if (n) {
		struct iovec local = { buf, n }, remote = { (void *)rsp, n };

		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)n)
			n = 0;
	}
	return n;
}

struct unwind_stack stack_of(const struct sample *s)
{
	return (struct unwind_stack){ s->regs.rsp, s->stack, s->len };
}
