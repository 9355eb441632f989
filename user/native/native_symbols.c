// SPDX-License-Identifier: BSD-3-Clause
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "native/elf_symbols.h"
#include "base/hashmap.h"
#include "native/native_symbols.h"
#include "native/symbol_table.h"
#include "base/array.h"
#include "base/clock.h"

#define DEFAULT_MAX_FILES	256
#define DEFAULT_MAX_PROCESSES	1024
#define DEFAULT_MIN_REREAD_NS	(10 * 1000 * 1000ULL)
#define DEFAULT_MAX_REREAD_NS	(2000 * 1000 * 1000ULL)
/* Distinct file offsets one module is seen mapped at: one or two in practice. */
#define MAX_LOADS		16

static const char unknown[] = "[unknown]";

/* What identifies a file whatever path it is mapped under. */
struct module_key {
	uint32_t dev_major, dev_minor;
	uint64_t inode;
};

/* Where a file offset that some process maps lands in the ELF's addresses. */
struct offset_vaddr {
	uint64_t offset, vaddr;
};

struct native_module {
	struct module_key key;
	struct symbol_table funcs;
	const char **interned;		/* per funcs.syms[i]: its name once handed out */
	struct offset_vaddr *loads;
	size_t nloads, loads_cap;
	uint64_t last_used;
	struct native_unwind_slot unwind;
};

struct native_map {
	struct map_entry e;		/* e.path is interned, not owned */
	uint64_t bias;
	bool bias_known;
	bool unreadable;		/* not tried again until the maps are re-read */
};

struct native_proc {
	pid_t pid;
	struct native_map *maps;	/* the executable ones, by address */
	size_t n;
	uint64_t last_used;
	uint64_t next_reread_ns, backoff_ns;
};

struct native_symbols {
	struct native_symbols_opts opts;
	struct hmap procs;		/* pid -> struct native_proc * */
	struct hmap modules;		/* struct module_key -> struct native_module * */
	struct hmap strings;		/* text -> its copy, which callers keep */
	uint64_t tick;			/* the LRU clock */
	struct native_symbols_stats stats;
	/* A copy of our own vDSO: a 64-bit target on this kernel maps the same. */
	void *vdso;
	size_t vdso_size;
	bool vdso_probed;
};

static const char *intern(struct native_symbols *ns, const char *s, size_t len)
{
	bool created;
	uintptr_t *slot = hmap_upsert(&ns->strings, s, len, &created);
	char *copy;

	if (!slot)
		return NULL;
	if (!created)
		return (const char *)*slot;
	copy = strndup(s, len);
	if (!copy) {
		hmap_remove(&ns->strings, s, len);
		return NULL;
	}
	*slot = (uintptr_t)copy;
	return copy;
}

/* A file replaced or removed since it was mapped is still the same module. */
static const char *intern_path(struct native_symbols *ns, const char *path)
{
	static const char deleted[] = " (deleted)";
	size_t len = strlen(path), dlen = sizeof(deleted) - 1;

	if (len > dlen && !strcmp(path + len - dlen, deleted))
		len -= dlen;
	return intern(ns, path, len);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The value of M whose last_used (a uint64_t at byte OFFSET) is the oldest. */
static void *least_recently_used(const struct hmap *m, size_t offset)
{
	const struct hmap_slot *s;
	void *lru = NULL;
	uint64_t oldest = UINT64_MAX;

	hmap_for_each(m, s) {
		uint64_t t = *(const uint64_t *)(s->value + offset);

		if (!lru || t < oldest) {
			oldest = t;
			lru = (void *)s->value;
		}
	}
	return lru;
}

/* ---- ELF files ---------------------------------------------------------- */

static bool is_vdso(const struct map_entry *e)
{
	return !e->inode && !strcmp(e->path, "[vdso]");
}

/* Whether E's code comes from an ELF image: a file, or the vDSO. */
static bool has_image(const struct map_entry *e)
{
	return e->inode || is_vdso(e);
}

static void probe_vdso(struct native_symbols *ns)
{
	const struct map_entry *e;
	struct proc_maps m;

	ns->vdso_probed = true;
	if (proc_maps_read(getpid(), &m))
		return;
	e = proc_maps_first(&m, "[vdso]");
	/* A copy: libelf must not be handed memory it cannot write. */
	if (e && (ns->vdso = malloc(e->end - e->start))) {
		ns->vdso_size = e->end - e->start;
		memcpy(ns->vdso, (const void *)(uintptr_t)e->start, ns->vdso_size);
	}
	proc_maps_free(&m);
}

static struct elf_file *open_elf(struct native_symbols *ns, pid_t pid, const struct map_entry *e)
{
	int fd;

	if (is_vdso(e)) {
		if (!ns->vdso_probed)
			probe_vdso(ns);
		/* Another size: another kind of vDSO (a 32-bit process). */
		if (!ns->vdso || e->end - e->start != ns->vdso_size) {
			errno = ENOENT;
			return NULL;
		}
		return elf_file_open_memory(ns->vdso, ns->vdso_size);
	}
	fd = proc_maps_open_file(pid, e);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	return elf_file_open_fd(fd);
}

static void module_free(struct native_module *mod)
{
	if (mod->unwind.free)
		mod->unwind.free(mod->unwind.data);
	symbol_table_free(&mod->funcs);
	free(mod->interned);
	free(mod->loads);
	free(mod);
}

static int add_function(void *ctx, const struct elf_function *fn)
{
	/* Among aliases: global, then weak, then local. */
	uint32_t rank = fn->bind == STB_GLOBAL ? 0 : fn->bind == STB_WEAK ? 1 : 2;

	return symbol_table_add(ctx, fn->name, fn->value, fn->size, rank, 0);
}

/*
 * The ELF address that E's file offset is loaded at.  Every process maps a
 * file at the same offsets, so the answer is kept in MOD and EF (opened
 * from PID's mapping when NULL) is rarely needed.
 */
static int module_vaddr(struct native_symbols *ns, struct native_module *mod,
			struct elf_file *ef, pid_t pid, const struct map_entry *e,
			uint64_t *vaddr)
{
	struct elf_file *opened = NULL;
	int err;

	for (size_t i = 0; i < mod->nloads; i++)
		if (mod->loads[i].offset == e->offset) {
			*vaddr = mod->loads[i].vaddr;
			return 0;
		}
	if (!ef) {
		ef = opened = open_elf(ns, pid, e);
		if (!ef)
			return -errno;
	}
	err = elf_file_vaddr_of_offset(ef, e->offset, vaddr);
	elf_file_close(opened);
	if (err)
		return err;
	if (mod->nloads < MAX_LOADS &&
	    !array_reserve(&mod->loads, &mod->loads_cap, mod->nloads + 1, sizeof(*mod->loads)))
		mod->loads[mod->nloads++] = (struct offset_vaddr){ e->offset, *vaddr };
	return 0;
}

static void evict_module(struct native_symbols *ns)
{
	struct native_module *lru =
		least_recently_used(&ns->modules, offsetof(struct native_module, last_used));

	if (!lru)
		return;
	hmap_remove(&ns->modules, &lru->key, sizeof(lru->key));
	module_free(lru);
	ns->stats.files_evicted++;
}

/* Read the functions of MAP's file into a new module; NULL if it cannot be. */
static struct native_module *load_module(struct native_symbols *ns, pid_t pid,
					 const struct native_map *map,
					 const struct module_key *key)
{
	struct elf_file *ef = open_elf(ns, pid, &map->e);
	struct native_module *mod = NULL;
	uintptr_t *slot;
	uint64_t vaddr;
	int err = -ENOMEM;

	if (!ef)
		goto fail;
	mod = calloc(1, sizeof(*mod));
	if (!mod)
		goto fail;
	mod->key = *key;
	err = elf_file_for_each_function(ef, add_function, &mod->funcs);
	if (!err)
		err = symbol_table_finish(&mod->funcs);
	/* Checks that this mapping is one of the file's segments. */
	if (!err)
		err = module_vaddr(ns, mod, ef, pid, &map->e, &vaddr);
	if (!err) {
		mod->interned = calloc(mod->funcs.n + 1, sizeof(*mod->interned));
		err = mod->interned ? 0 : -ENOMEM;
	}
	if (err)
		goto fail;
	elf_file_close(ef);
	ef = NULL;
	if (ns->modules.len >= ns->opts.max_files)
		evict_module(ns);
	slot = hmap_upsert(&ns->modules, key, sizeof(*key), NULL);
	if (!slot)
		goto fail;
	*slot = (uintptr_t)mod;
	ns->stats.files_loaded++;
	return mod;
fail:
	ns->stats.files_failed++;
	elf_file_close(ef);
	if (mod)
		module_free(mod);
	return NULL;
}

/* The module of MAP, with MAP's bias known; NULL without one. */
static struct native_module *module_of(struct native_symbols *ns, pid_t pid,
				       struct native_map *map)
{
	struct module_key key = { map->e.dev_major, map->e.dev_minor, map->e.inode };
	struct native_module *mod;
	uintptr_t *slot;
	uint64_t vaddr;

	if (map->unreadable || !has_image(&map->e))
		return NULL;
	slot = hmap_find(&ns->modules, &key, sizeof(key));
	mod = slot ? (struct native_module *)*slot : load_module(ns, pid, map, &key);
	if (mod && !map->bias_known && !module_vaddr(ns, mod, NULL, pid, &map->e, &vaddr)) {
		map->bias = map->e.start - vaddr;
		map->bias_known = true;
	}
	if (!mod || !map->bias_known) {
		/* Samples keep coming: do not try to open it on every one. */
		map->unreadable = true;
		return NULL;
	}
	mod->last_used = ++ns->tick;
	return mod;
}

static const char *function_name(struct native_symbols *ns, struct native_module *mod,
				 const struct symbol *sym)
{
	size_t i = sym - mod->funcs.syms;

	if (!mod->interned[i]) {
		const char *name = symbol_name(&mod->funcs, sym);

		mod->interned[i] = intern(ns, name, strlen(name));
	}
	return mod->interned[i];
}

/* ---- processes ---------------------------------------------------------- */

static void proc_free(struct native_proc *p)
{
	free(p->maps);
	free(p);
}

/* Replace P's mappings with the executable ones of its maps now. */
static int read_maps(struct native_symbols *ns, struct native_proc *p)
{
	struct native_map *maps = NULL;
	size_t n = 0, cap = 0;
	struct proc_maps m;
	int err;

	ns->stats.maps_reads++;
	err = proc_maps_read(p->pid, &m);
	if (err)
		return err;	/* gone: what was known still names its last samples */
	for (size_t i = 0; i < m.n && !err; i++) {
		const struct map_entry *e = &m.entries[i];
		const char *path;

		if (e->perms[2] != 'x')
			continue;
		path = intern_path(ns, e->path);
		if (!path || array_reserve(&maps, &cap, n + 1, sizeof(*maps))) {
			err = -ENOMEM;
			break;
		}
		maps[n] = (struct native_map){ .e = *e };
		maps[n++].e.path = (char *)path;
	}
	proc_maps_free(&m);
	if (err) {
		free(maps);
		return err;
	}
	free(p->maps);
	p->maps = maps;
	p->n = n;
	return 0;
}

static struct native_map *find_map(const struct native_proc *p, uint64_t addr)
{
	/* Mappings do not overlap: the last one starting at or before ADDR. */
	size_t below = ARRAY_COUNT_AT_OR_BELOW(p->maps, p->n, e.start, addr);

	if (!below || addr >= p->maps[below - 1].e.end)
		return NULL;
	return &p->maps[below - 1];
}

/*
 * The mapping holding ADDR, re-reading the maps for one mapped since (a
 * dlopen), but after a useless re-read only once the backoff has passed.
 */
static struct native_map *find_map_or_reread(struct native_symbols *ns, struct native_proc *p,
					     uint64_t addr)
{
	struct native_map *map = find_map(p, addr);
	uint64_t now;

	if (map)
		return map;
	now = monotonic_ns();
	if (now < p->next_reread_ns) {
		ns->stats.maps_rereads_skipped++;
		return NULL;
	}
	read_maps(ns, p);
	map = find_map(p, addr);
	if (map)
		p->backoff_ns = ns->opts.min_reread_ns;
	else if (p->backoff_ns < ns->opts.max_reread_ns / 2)
		p->backoff_ns *= 2;
	else
		p->backoff_ns = ns->opts.max_reread_ns;
	p->next_reread_ns = now + p->backoff_ns;
	return map;
}

static struct native_proc *get_proc(struct native_symbols *ns, pid_t pid)
{
	uintptr_t *slot = hmap_find(&ns->procs, &pid, sizeof(pid));
	struct native_proc *p;

	if (slot) {
		p = (struct native_proc *)*slot;
	} else {
		if (ns->procs.len >= ns->opts.max_processes) {
			p = least_recently_used(&ns->procs, offsetof(struct native_proc, last_used));
			native_symbols_forget(ns, p->pid);
			ns->stats.procs_evicted++;
		}
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		p->pid = pid;
		p->backoff_ns = ns->opts.min_reread_ns;
		slot = hmap_upsert(&ns->procs, &pid, sizeof(pid), NULL);
		if (!slot) {
			free(p);
			return NULL;
		}
		*slot = (uintptr_t)p;
		/* Failing, it has no mappings: a miss then tries again. */
		read_maps(ns, p);
	}
	p->last_used = ++ns->tick;
	return p;
}

/* ---- public ------------------------------------------------------------- */

struct native_symbols *native_symbols_new(const struct native_symbols_opts *opts)
{
	struct native_symbols *ns = calloc(1, sizeof(*ns));

	if (!ns)
		return NULL;
	if (opts)
		ns->opts = *opts;
	if (!ns->opts.max_files)
		ns->opts.max_files = DEFAULT_MAX_FILES;
	if (!ns->opts.max_processes)
		ns->opts.max_processes = DEFAULT_MAX_PROCESSES;
	if (!ns->opts.min_reread_ns)
		ns->opts.min_reread_ns = DEFAULT_MIN_REREAD_NS;
	if (!ns->opts.max_reread_ns)
		ns->opts.max_reread_ns = DEFAULT_MAX_REREAD_NS;
	if (ns->opts.max_reread_ns < ns->opts.min_reread_ns)
		ns->opts.max_reread_ns = ns->opts.min_reread_ns;
	return ns;
}

void native_symbols_free(struct native_symbols *ns)
{
	struct hmap_slot *s;

	if (!ns)
		return;
	hmap_for_each(&ns->procs, s)
		proc_free((struct native_proc *)s->value);
	hmap_for_each(&ns->modules, s)
		module_free((struct native_module *)s->value);
	hmap_for_each(&ns->strings, s)
		free((char *)s->value);
	hmap_free(&ns->procs);
	hmap_free(&ns->modules);
	hmap_free(&ns->strings);
	free(ns->vdso);
	free(ns);
}

void native_symbols_forget(struct native_symbols *ns, pid_t pid)
{
	uintptr_t *slot = hmap_find(&ns->procs, &pid, sizeof(pid));

	if (!slot)
		return;
	proc_free((struct native_proc *)*slot);
	hmap_remove(&ns->procs, &pid, sizeof(pid));
}

struct resolved {
	struct native_map *map;		/* NULL: in no known executable mapping */
	struct native_module *mod;	/* NULL: no readable ELF image */
};

static int resolve(struct native_symbols *ns, pid_t pid, uint64_t addr, struct resolved *r)
{
	struct native_proc *p = get_proc(ns, pid);

	if (!p)
		return -ENOMEM;
	r->map = find_map_or_reread(ns, p, addr);
	r->mod = r->map ? module_of(ns, pid, r->map) : NULL;
	return 0;
}

int native_symbols_lookup(struct native_symbols *ns, pid_t pid, uint64_t addr,
			  struct native_symbol *out)
{
	const struct symbol *sym = NULL;
	char name[PATH_MAX + 32];
	struct resolved r;
	int err;

	memset(out, 0, sizeof(*out));
	out->name = unknown;
	ns->stats.lookups++;
	err = resolve(ns, pid, addr, &r);
	if (err)
		return err;
	/* Anonymous code (a JIT's) has no name to give. */
	if (!r.map || !has_image(&r.map->e))
		return -ENOENT;
	out->module = r.map->e.path;
	out->module_name = base_name(out->module);
	if (r.mod) {
		out->module_offset = addr - r.map->bias;
		sym = symbol_table_find(&r.mod->funcs, out->module_offset);
	} else {
		out->module_offset = addr - r.map->e.start + r.map->e.offset;
	}
	if (sym) {
		const char *fn = function_name(ns, r.mod, sym);

		if (!fn)
			return -ENOMEM;
		out->name = fn;
		out->offset = out->module_offset - sym->start;
		return 0;
	}
	snprintf(name, sizeof(name), "%s+0x%" PRIx64, out->module_name, out->module_offset);
	out->name = intern(ns, name, strlen(name));
	if (!out->name) {
		out->name = unknown;
		return -ENOMEM;
	}
	return -ENOENT;
}

int native_symbols_find_module(struct native_symbols *ns, pid_t pid, uint64_t pc,
			       struct native_module_ref *ref)
{
	struct resolved r;
	int err = resolve(ns, pid, pc, &r);

	if (err)
		return err;
	if (!r.mod)
		return -ENOENT;
	ref->pid = pid;
	ref->map = r.map->e;
	ref->bias = r.map->bias;
	ref->unwind = &r.mod->unwind;
	return 0;
}

struct elf_file *native_symbols_open_elf(struct native_symbols *ns,
					 const struct native_module_ref *ref)
{
	return open_elf(ns, ref->pid, &ref->map);
}

void native_symbols_get_stats(const struct native_symbols *ns, struct native_symbols_stats *out)
{
	*out = ns->stats;
	out->files = ns->modules.len;
	out->processes = ns->procs.len;
}
