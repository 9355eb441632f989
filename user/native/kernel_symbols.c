// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "native/kernel_symbols.h"
#include "native/symbol_table.h"
#include "base/array.h"

struct kernel_symbols {
	char *path;
	bool loaded;
	int err;			/* -errno once loading failed, with why */
	char why[256];
	struct symbol_table table;	/* tag: 0 for the kernel image, else module index + 1 */
	char **modules;
	size_t nmodules, modules_cap;
};

struct kernel_symbols *kernel_symbols_new(const char *path)
{
	struct kernel_symbols *ks = calloc(1, sizeof(*ks));

	if (!ks)
		return NULL;
	ks->path = strdup(path ? path : "/proc/kallsyms");
	if (!ks->path) {
		free(ks);
		return NULL;
	}
	return ks;
}

void kernel_symbols_free(struct kernel_symbols *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->nmodules; i++)
		free(ks->modules[i]);
	free(ks->modules);
	symbol_table_free(&ks->table);
	free(ks->path);
	free(ks);
}

/* The tag of module NAME (LEN bytes), added if new.  Lines of one module are adjacent. */
static int module_tag(struct kernel_symbols *ks, const char *name, size_t len, uint32_t *tag)
{
	for (size_t i = ks->nmodules; i-- > 0;)
		if (!strncmp(ks->modules[i], name, len) && !ks->modules[i][len]) {
			*tag = i + 1;
			return 0;
		}
	if (array_reserve(&ks->modules, &ks->modules_cap, ks->nmodules + 1, sizeof(char *)))
		return -ENOMEM;
	ks->modules[ks->nmodules] = strndup(name, len);
	if (!ks->modules[ks->nmodules])
		return -ENOMEM;
	*tag = ++ks->nmodules;
	return 0;
}

/*
 * One line: "ADDRESS TYPE NAME", then "\t[MODULE]" for a module's symbol.
 * *ADDR is set for every well-formed line, *ADDED only for a text symbol.
 */
static int parse_line(struct kernel_symbols *ks, char *line, uint64_t *addr, bool *added)
{
	char *p, *name, *module = NULL, type;
	uint32_t tag = 0;
	int err;

	*added = false;
	line[strcspn(line, "\n")] = '\0';
	errno = 0;
	*addr = strtoull(line, &p, 16);
	if (errno || p == line || p[0] != ' ' || !p[1] || p[2] != ' ' || !p[3])
		return -EINVAL;
	type = p[1];
	name = p + 3;
	/* Only code can be on a stack: t (local), T (global), w/W (weak). */
	if (!strchr("tTwW", type))
		return 0;
	p = strchr(name, '\t');
	if (p) {
		*p = '\0';
		module = p + 1;
	}
	if (module && module[0] == '[') {
		size_t len = strcspn(module + 1, "]");

		err = module_tag(ks, module + 1, len, &tag);
		if (err)
			return err;
	}
	/* Kernel symbols have no size; global ones win over local aliases. */
	err = symbol_table_add(&ks->table, name, *addr, 0, type == 'T' || type == 'W' ? 0 : 1, tag);
	if (err)
		return err;
	*added = true;
	return 0;
}

static int load(struct kernel_symbols *ks)
{
	size_t cap = 0, text = 0, nonzero = 0;
	char *line = NULL;
	FILE *f;
	int err = 0;

	f = fopen(ks->path, "re");
	if (!f) {
		err = -errno;
		snprintf(ks->why, sizeof(ks->why), "cannot read %s: %s", ks->path, strerror(errno));
		return err;
	}
	while (getline(&line, &cap, f) > 0) {
		uint64_t addr;
		bool added;

		err = parse_line(ks, line, &addr, &added);
		if (err == -EINVAL) {
			err = 0;	/* a line this reader does not know: skip it */
			continue;
		}
		if (err)
			break;
		text += added;
		nonzero += addr != 0;
	}
	free(line);
	fclose(f);
	if (err) {
		snprintf(ks->why, sizeof(ks->why), "cannot load %s: %s", ks->path, strerror(-err));
		return err;
	}
	if (!nonzero) {
		snprintf(ks->why, sizeof(ks->why),
			 "every address in %s reads 0: kernel addresses are hidden "
			 "(run as root, and set sysctl kernel.kptr_restrict=0 if it is 2)",
			 ks->path);
		return -EPERM;
	}
	if (!text) {
		snprintf(ks->why, sizeof(ks->why), "%s has no text symbols", ks->path);
		return -ENOENT;
	}
	err = symbol_table_finish(&ks->table);
	if (err)
		snprintf(ks->why, sizeof(ks->why), "cannot load %s: %s", ks->path, strerror(-err));
	return err;
}

static int ensure_loaded(struct kernel_symbols *ks)
{
	if (!ks->loaded) {
		ks->loaded = true;
		ks->err = load(ks);
		if (ks->err) {
			/* Keep nothing of a table that cannot be trusted. */
			symbol_table_free(&ks->table);
		}
	}
	return ks->err;
}

int kernel_symbols_lookup(struct kernel_symbols *ks, uint64_t addr, struct kernel_symbol *out)
{
	const struct symbol *s;
	int err = ensure_loaded(ks);

	out->name = "[unknown]";
	out->module = NULL;
	out->offset = 0;
	if (err)
		return -ENODATA;
	s = symbol_table_find(&ks->table, addr);
	if (!s)
		return -ENOENT;
	out->name = symbol_name(&ks->table, s);
	out->module = s->tag ? ks->modules[s->tag - 1] : NULL;
	out->offset = addr - s->start;
	return 0;
}

const char *kernel_symbols_error(struct kernel_symbols *ks)
{
	return ensure_loaded(ks) ? ks->why : NULL;
}
