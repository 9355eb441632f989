// SPDX-License-Identifier: BSD-3-Clause
/*
 * Everything pybpf reads of a target's memory, over memory the fuzzer
 * makes: the runtime's interpreter and thread lists (py_walk.c), the live
 * validation (python_target.c), each thread's frame chain with the checks
 * the sampler makes (py_read_stack), the symbolizer's reads of code
 * objects, their strings and line tables, and the kernel's code reports
 * (symbolizer_add_code), and the objects dump reads: threading's thread
 * names and asyncio's tasks (dicts, sets, instances, coroutine chains;
 * and 3.14+'s task lists, placed where the memory's first bytes, read as
 * an .AsyncioDebug section, say when they pass asyncio_debug_apply()).
 * A target's memory is the target's to shape: any
 * bytes must give an answer or an error, never a crash, a hang or an
 * unbounded allocation.
 *
 * Input: layout (1 byte: 3.8-3.12 by position), then the target's memory,
 * mapped at FAKE_BASE; reads outside it fail, as reads of unmapped memory
 * do.  _PyRuntime is at FAKE_BASE.  The same bytes double as a code report.
 *
 * target_read() is this file's: it stands in for user/process/target_mem.c's, so the
 * parsers run unchanged on the fuzzer's memory (the reader is injected at
 * link time).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "python/asyncio_debug.h"
#include "python/asyncio_tasks.h"
#include "python/py_walk.h"
#include "python/python_target.h"
#include "python/symbolizer.h"
#include "python/thread_names.h"
#include "process/target_mem.h"

#define FAKE_BASE 0x10000000ULL
#define MAX_FRAMES 64

static const uint8_t *memory;
static size_t memory_len;

int target_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	if (addr < FAKE_BASE || addr - FAKE_BASE > memory_len || len > memory_len - (addr - FAKE_BASE))
		return -EFAULT;
	memcpy(buf, memory + (addr - FAKE_BASE), len);
	return 0;
}

struct walk_ctx {
	struct python_target *t;
	struct symbolizer *sym;
	int threads;
};

static int visit_thread(void *arg, uint64_t interp, uint64_t tstate)
{
	struct walk_ctx *c = arg;
	struct py_frame_info frames[MAX_FRAMES];
	uint32_t ids[MAX_FRAMES];
	uint16_t flags;
	size_t n;

	n = py_read_stack(c->t, tstate, frames, MAX_FRAMES, &flags);
	if (n > MAX_FRAMES)
		abort();
	n = symbolizer_read_stack(c->sym, c->t, tstate, ids, NULL, MAX_FRAMES);
	if (n > MAX_FRAMES)
		abort();
	py_holds_gil(c->t, interp, tstate);
	return ++c->threads >= 16;
}

/* asyncio's tasks with layout A: any answer, never a chain past its bound. */
static void read_tasks(const struct python_target *t, const struct py_asyncio_layout *A)
{
	struct asyncio_snapshot tasks;

	if (asyncio_read_layout(t, A, &tasks))
		return;
	for (size_t i = 0; i < tasks.ntasks; i++)
		if (tasks.tasks[i].nchain > ASYNCIO_MAX_CHAIN)
			abort();
	asyncio_snapshot_free(&tasks);
}

/* 3.14+'s lists: the table's layout completed from the memory's first bytes, if sane. */
static void read_task_lists(const struct python_target *t)
{
	struct py_asyncio_layout lists = t->layout.asyncio;
	struct py_asyncio_debug debug;

	if (memory_len < sizeof(debug) || !lists.supported)
		return;
	memcpy(&debug, memory, sizeof(debug));
	/* The table's task: the section must agree with it to be taken. */
	debug.task_coro = lists.task_coro;
	debug.task_name = lists.task_name;
	lists.needs_debug_section = true;
	if (!asyncio_debug_apply(&lists, &debug))
		read_tasks(t, &lists);
}

static void ignore_name(void *ctx, pid_t tid, const char *name)
{
	(void)ctx, (void)tid, (void)name;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct python_target t;
	const struct py_layout *L;
	struct symbolizer sym;
	struct profile profile;
	struct walk_ctx c = { &t, &sym, 0 };
	struct pyperf_code_info *info;
	char why[256];

	if (size < 1)
		return 0;
	L = py_layout_static(3, 8 + data[0] % 5, false);
	if (!L)
		return 0;
	memory = data + 1;
	memory_len = size - 1;
	memset(&t, 0, sizeof(t));
	t.pid = 1;		/* never read: target_read() is the fuzzer's */
	t.layout = *L;
	t.runtime_addr = FAKE_BASE;
	t.code_type_addr = FAKE_BASE + 8;
	profile_init(&profile, 1000000);
	if (symbolizer_init(&sym, &t, &profile)) {
		profile_free(&profile);
		return 0;
	}
	py_for_each_thread(&t, visit_thread, &c);
	python_target_validate(&t, why, sizeof(why));
	thread_names_read(&t, ignore_name, NULL);
	read_tasks(&t, &t.layout.asyncio);
	read_task_lists(&t);
	/* The same bytes as a code report from the kernel, any length. */
	info = calloc(1, sizeof(*info));
	if (info) {
		memcpy(info, memory, memory_len < sizeof(*info) ? memory_len : sizeof(*info));
		symbolizer_add_code(&sym, info, memory_len);
		for (int32_t offset = -2; offset < 64; offset += 7) {
			struct pyperf_frame f = { info->code, offset, info->fingerprint };

			symbolizer_frame(&sym, &f);
		}
		free(info);
	}
	symbolizer_free(&sym);
	profile_free(&profile);
	return 0;
}
