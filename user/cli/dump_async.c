// SPDX-License-Identifier: BSD-3-Clause
/*
 * `pybpf dump --async`: every asyncio task of the process, per event loop,
 * as a tree of awaits (a task above the tasks it awaits), each with the
 * frames it is in.  A suspended task's frames are its coroutine chain; a
 * running task's are its thread's, from the task's coroutine up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/dump_model.h"
#include "output/json_writer.h"
#include "python/py_layout.h"

/* Tree depth printed at most: deeper awaits are cut, and say so. */
#define MAX_TREE_DEPTH 64

struct task_frames {
	uint32_t *ids;		/* profile frame ids, innermost first */
	size_t n;
	const struct dumped_thread *thread;	/* running: the thread it runs in */
};

/* TASK's frames, innermost first, into F (IDS has room for PY_WALK_MAX_FRAMES). */
static void task_frames(struct dump_ctx *c, const struct asyncio_task *task, struct task_frames *f)
{
	size_t depth;

	f->n = 0;
	f->thread = task->running ? dump_thread_holding(c, task->coro_frame, &depth) : NULL;
	if (f->thread) {
		memcpy(f->ids, f->thread->frames, (depth + 1) * sizeof(*f->ids));
		f->n = depth + 1;
		return;
	}
	for (size_t i = task->nchain; i-- > 0 && f->n < PY_WALK_MAX_FRAMES;)
		f->ids[f->n++] = symbolizer_read_frame(c->sym, &task->chain[i]);
}

static const struct dumped_thread *loop_thread(const struct dump_ctx *c, const struct asyncio_loop *l)
{
	for (size_t i = 0; l->thread && i < c->nthreads; i++)
		if (c->threads[i].ident == l->thread)
			return &c->threads[i];
	return NULL;
}

static const char *why_unread(int err)
{
	switch (err) {
	case -ENOTSUP:
		return "pybpf reads the asyncio tasks of " ASYNCIO_VERSIONS " only";
	case -ENOMEM:
		return "out of memory";
	default:
		return "its task registries could not be read (the process changed them meanwhile?)";
	}
}

/* ---- text ------------------------------------------------------------------ */

static void print_waits(const struct asyncio_task *task)
{
	switch (task->waits) {
	case ASYNCIO_WAITS_TASK:
		printf(", awaiting a task");
		break;
	case ASYNCIO_WAITS_GATHER:
		printf(", awaiting gather() of %zu tasks", task->nawaits);
		break;
	case ASYNCIO_WAITS_FUTURE:
		printf(", awaiting a future");
		break;
	default:
		break;
	}
}

static void print_task(struct dump_ctx *c, const struct asyncio_task *task, int depth, bool *printed,
		       const uint64_t *path, struct task_frames *f)
{
	int indent = 2 + 2 * depth;
	uint64_t here[MAX_TREE_DEPTH + 1];

	printed[task - c->tasks.tasks] = true;
	task_frames(c, task, f);
	printf("%*sTask \"%s\" (%s", indent, "", task->name,
	       task->running ? "running" : asyncio_state_name(task->state));
	if (f->thread)
		printf(" in thread %d", f->thread->tid);
	print_waits(task);
	printf(")\n");
	/* Outermost first: the tree reads top-down, from a task to what it awaits. */
	for (size_t i = f->n; i-- > 0;)
		dump_text_frame(c->profile, f->ids[i], indent);
	if (task->chain_cut)
		printf("%*s    [await chain cut: not all of it could be read]\n", indent, "");
	if (task->awaits_cut)
		printf("%*s    [the tasks of its gather() could not be read]\n", indent, "");
	if (depth == MAX_TREE_DEPTH) {
		if (task->nawaits)
			printf("%*s  [%zu awaited tasks deeper than %d levels not shown]\n", indent, "",
			       task->nawaits, MAX_TREE_DEPTH);
		return;
	}
	if (depth)
		memcpy(here, path, depth * sizeof(*here));
	here[depth] = task->addr;
	for (size_t a = 0; a < task->nawaits; a++) {
		const struct asyncio_task *child = asyncio_find(&c->tasks, task->awaits[a]);
		bool cycle = false;

		for (int d = 0; d <= depth; d++)
			cycle |= here[d] == task->awaits[a];
		if (child && !cycle)
			print_task(c, child, depth + 1, printed, here, f);
	}
}

void dump_async_text(struct dump_ctx *c)
{
	const struct asyncio_snapshot *s = &c->tasks;
	struct task_frames f = { .ids = malloc(PY_WALK_MAX_FRAMES * sizeof(*f.ids)) };
	bool *printed = calloc(s->ntasks + 1, sizeof(*printed));

	if (c->tasks_err == -ENOENT || (!c->tasks_err && !s->ntasks)) {
		printf("\nNo asyncio tasks\n");
		goto out;
	}
	if (c->tasks_err || !f.ids || !printed) {
		printf("\nAsyncio tasks not read: %s\n", why_unread(c->tasks_err ?: -ENOMEM));
		goto out;
	}
	printf("\nAsyncio: %zu tasks in %zu event loops%s%s\n", s->ntasks, s->nloops,
	       s->cut ? " (more not read: too many)" : "",
	       s->incomplete ? " (some may be missing: the task registry kept changing while read)" : "");
	for (size_t l = 0; l < s->nloops; l++) {
		const struct dumped_thread *th = loop_thread(c, &s->loops[l]);

		printf("\nEvent loop 0x%llx", (unsigned long long)s->loops[l].addr);
		if (th)
			printf(" (thread %d \"%s\")", th->tid, th->name);
		printf(": %zu tasks\n", s->loops[l].ntasks);
		/* Tasks nobody awaits first, each with what it awaits below it; then any left (cycles). */
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < s->ntasks; i++)
				if (s->tasks[i].loop == s->loops[l].addr && !printed[i] &&
				    (pass || !s->tasks[i].nawaited_by))
					print_task(c, &s->tasks[i], 0, printed, NULL, &f);
	}
	if (s->unreadable)
		printf("\n%zu registered tasks were not C tasks pybpf can read\n", s->unreadable);
	if (s->vanished)
		printf("\n%zu tasks ended while they were read: left out\n", s->vanished);
out:
	free(f.ids);
	free(printed);
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_address(uint64_t addr)
{
	printf("\"0x%llx\"", (unsigned long long)addr);
}

static void json_task(struct dump_ctx *c, const struct asyncio_task *task, struct task_frames *f)
{
	static const char *const waits[] = { "nothing", "task", "gather", "future" };

	task_frames(c, task, f);
	printf("{\"address\":");
	json_address(task->addr);
	printf(",\"name\":");
	json_write_string(stdout, task->name);
	printf(",\"state\":\"%s\",\"running\":%s,\"thread\":", asyncio_state_name(task->state),
	       task->running ? "true" : "false");
	if (f->thread)
		printf("%d", f->thread->tid);
	else
		printf("null");
	printf(",\"waiting_for\":\"%s\",\"awaits\":[", waits[task->waits]);
	for (size_t a = 0; a < task->nawaits; a++) {
		printf("%s", a ? "," : "");
		json_address(task->awaits[a]);
	}
	printf("],\"awaited_by\":[");
	for (size_t i = 0; i < task->nawaited_by; i++) {
		printf("%s", i ? "," : "");
		json_address(task->awaited_by[i]);
	}
	printf("],\"awaits_cut\":%s,\"chain_cut\":%s,\"frames\":[", task->awaits_cut ? "true" : "false",
	       task->chain_cut ? "true" : "false");
	dump_json_frames(c->profile, f->ids, f->n);
	printf("]}");
}

void dump_async_json(struct dump_ctx *c)
{
	const struct asyncio_snapshot *s = &c->tasks;
	struct task_frames f = { .ids = malloc(PY_WALK_MAX_FRAMES * sizeof(*f.ids)) };
	int err = c->tasks_err == -ENOENT ? 0 : c->tasks_err ?: f.ids ? 0 : -ENOMEM;

	printf(",\"asyncio\":{\"error\":");
	if (err)
		json_write_string(stdout, why_unread(err));
	else
		printf("null");
	printf(",\"cut\":%s,\"incomplete\":%s,\"not_c_tasks\":%zu,\"vanished\":%zu,\"loops\":[",
	       s->cut ? "true" : "false", s->incomplete ? "true" : "false", s->unreadable, s->vanished);
	for (size_t l = 0; !err && l < s->nloops; l++) {
		const struct dumped_thread *th = loop_thread(c, &s->loops[l]);
		bool first = true;

		printf("%s\n{\"address\":", l ? "," : "");
		json_address(s->loops[l].addr);
		printf(",\"thread\":");
		if (th)
			printf("%d", th->tid);
		else
			printf("null");
		printf(",\"tasks\":[");
		for (size_t i = 0; i < s->ntasks; i++) {
			if (s->tasks[i].loop != s->loops[l].addr)
				continue;
			printf("%s\n", first ? "" : ",");
			json_task(c, &s->tasks[i], &f);
			first = false;
		}
		printf("]}");
	}
	printf("]}");
	free(f.ids);
}
