/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A sorted table of named address ranges (the functions of one ELF file, or
 * the kernel's text symbols) with lookup by address.  Filled with
 * symbol_table_add(), then symbol_table_finish() sorts it, keeps one name
 * per address and gives symbols of unknown size an end.
 */
#ifndef PYBPF_SYMBOL_TABLE_H
#define PYBPF_SYMBOL_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct symbol {
	uint64_t start, end;	/* [start, end) */
	uint32_t name;		/* offset of the name in symbol_table.names */
	uint32_t tag;		/* the caller's (the kernel module's index) */
	uint32_t rank;		/* among aliases, the lowest rank wins */
};

struct symbol_table {
	struct symbol *syms;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
};

#define SYMBOL_TABLE_INIT { 0 }

/*
 * Add NAME for [START, START + SIZE).  SIZE 0 means unknown: the symbol then
 * ends where the next one starts (or at the end of its page for the last).
 * Among symbols at one address, finish() keeps the one with a size, then
 * the lowest RANK, then the fewest leading underscores ("memcpy" over
 * "__memcpy"), then the first by name.  0 or -ENOMEM.
 */
int symbol_table_add(struct symbol_table *t, const char *name, uint64_t start,
		     uint64_t size, uint32_t rank, uint32_t tag);

/* Sort and settle the table, once, before any lookup.  0 or -ENOMEM. */
int symbol_table_finish(struct symbol_table *t);

/* The symbol whose range holds ADDR, or NULL. */
const struct symbol *symbol_table_find(const struct symbol_table *t, uint64_t addr);

static inline const char *symbol_name(const struct symbol_table *t, const struct symbol *s)
{
	return t->names + s->name;
}

void symbol_table_free(struct symbol_table *t);

#endif
