// SPDX-License-Identifier: BSD-3-Clause
/*
 * .AsyncioDebug from the files the target maps (opened as it sees them,
 * see proc_maps_open_file): the interpreter's ELF first, then an _asyncio
 * extension module.  The file's bytes are the section's initial values,
 * which the runtime never changes.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "python/asyncio_debug.h"
#include "native/elf_symbols.h"
#include "process/proc_maps.h"
#include "python/python_target.h"

/* Bounds a sane section stays within (3.15: the interpreter state is 220 KiB). */
#define MAX_TASK_SIZE 4096
#define MAX_INTERP_SIZE (1u << 24)
#define MAX_TSTATE_SIZE 65536
#define NODE_SIZE 16		/* struct llist_node: next, prev */

/* A field of WIDTH bytes at OFFSET lies inside a struct of SIZE bytes. */
static bool inside(uint64_t offset, uint64_t width, uint64_t size)
{
	return offset <= size && width <= size - offset;
}

int asyncio_debug_apply(struct py_asyncio_layout *A, const struct py_asyncio_debug *d)
{
	if (d->task_size > MAX_TASK_SIZE || d->interp_size > MAX_INTERP_SIZE || d->tstate_size > MAX_TSTATE_SIZE)
		return -ENOTSUP;
	if (!inside(d->task_name, 8, d->task_size) || !inside(d->task_coro, 8, d->task_size) ||
	    !inside(d->task_awaited_by, 8, d->task_size) || !inside(d->task_awaited_by_is_set, 1, d->task_size) ||
	    !inside(d->task_node, NODE_SIZE, d->task_size) ||
	    !inside(d->interp_tasks_head, NODE_SIZE, d->interp_size) ||
	    !inside(d->tstate_running_loop, 8, d->tstate_size) ||
	    !inside(d->tstate_running_task, 8, d->tstate_size) ||
	    !inside(d->tstate_tasks_head, NODE_SIZE, d->tstate_size))
		return -ENOTSUP;
	/* fut_waiter and fut_state are placed by the table: its task must be this one. */
	if (d->task_coro != A->task_coro || d->task_name != A->task_name)
		return -ENOTSUP;
	A->debug = *d;
	return 0;
}

/* The section in the file behind mapping M, into OUT: 0 or -errno. */
static int section_of(pid_t pid, const struct map_entry *m, struct py_asyncio_debug *out)
{
	struct elf_file *ef = elf_file_open_fd(proc_maps_open_file(pid, m));
	int rc;

	if (!ef)
		return -ENOENT;
	rc = elf_file_section_bytes(ef, ".AsyncioDebug", out, sizeof(*out));
	elf_file_close(ef);
	return rc;
}

static bool is_asyncio_module(const char *path)
{
	const char *base = strrchr(path, '/');

	return base && !strncmp(base + 1, "_asyncio.", strlen("_asyncio."));
}

int asyncio_layout_of(const struct python_target *t, struct py_asyncio_layout *out)
{
	struct py_asyncio_debug debug;
	struct proc_maps maps = { 0 };
	int rc = -ENOENT;

	*out = t->layout.asyncio;
	if (!out->supported)
		return -ENOTSUP;
	if (!out->needs_debug_section)
		return 0;
	if (proc_maps_read(t->pid, &maps))
		return -ENOENT;
	for (size_t i = 0; i < maps.n && rc == -ENOENT; i++) {
		const struct map_entry *m = &maps.entries[i];

		if (!m->path[0] || proc_maps_first(&maps, m->path) != m ||
		    (strcmp(m->path, t->binary) && !is_asyncio_module(m->path)))
			continue;
		if (!section_of(t->pid, m, &debug))
			rc = asyncio_debug_apply(out, &debug);
	}
	proc_maps_free(&maps);
	return rc;
}
