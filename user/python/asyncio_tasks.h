/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every asyncio task of a process, read from its memory while it runs
 * (the C Task of Modules/_asynciomodule.c, CPython 3.8-3.15): its name, its
 * event loop, its state, the coroutine chain it is suspended in, and the
 * tasks it awaits (`await task`, gather(), a TaskGroup's children).  Found
 * through asyncio.tasks' registries and (3.14+) the runtime's task lists;
 * layouts are struct py_asyncio_layout.
 * What cannot be read is counted, never guessed.
 */
#ifndef PYBPF_ASYNCIO_TASKS_H
#define PYBPF_ASYNCIO_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "python/py_walk.h"

struct python_target;

/* Tasks read at most: past this the snapshot is cut (and says so). */
#define ASYNCIO_MAX_TASKS 65536
/* Coroutines followed down one task's await chain. */
#define ASYNCIO_MAX_CHAIN 128
/* Children of one gather() read at most (more: awaits_cut). */
#define ASYNCIO_MAX_CHILDREN ASYNCIO_MAX_TASKS
/* Callbacks of one task looked at for a TaskGroup. */
#define ASYNCIO_MAX_CALLBACKS 64
#define ASYNCIO_NAME_MAX 128
/* The CPythons whose task layout pybpf knows, for messages. */
#define ASYNCIO_VERSIONS "CPython 3.8-3.15 (free-threaded: 3.13t)"

enum asyncio_state {
	ASYNCIO_PENDING,
	ASYNCIO_CANCELLED,
	ASYNCIO_DONE,
	ASYNCIO_STATE_UNKNOWN,
};

/* What a suspended task waits on (its fut_waiter). */
enum asyncio_wait {
	ASYNCIO_WAITS_NOTHING,		/* running, done, or ready to run */
	ASYNCIO_WAITS_TASK,		/* await task */
	ASYNCIO_WAITS_GATHER,		/* await gather(...) */
	ASYNCIO_WAITS_FUTURE,		/* any other future (sleep, I/O, a TaskGroup's end...) */
};

struct asyncio_task {
	uint64_t addr;
	uint64_t loop;
	char name[ASYNCIO_NAME_MAX];
	enum asyncio_state state;
	enum asyncio_wait waits;
	bool running;			/* the task its loop runs right now */
	bool vanished;			/* freed or cleared while read (left out) */
	bool chain_cut;			/* the coroutine chain was not all read */
	bool awaits_cut;		/* a gather() with more children than read */
	uint64_t coro_frame;		/* its coroutine's frame (on the thread's stack when running) */
	struct py_frame_info *chain;	/* the suspended coroutines' frames, outermost first */
	size_t nchain;
	uint64_t *awaits;		/* tasks it awaits */
	size_t nawaits, awaits_cap;
	uint64_t *awaited_by;		/* tasks awaiting it (the awaits turned round) */
	size_t nawaited_by;
};

/* An event loop some task belongs to. */
struct asyncio_loop {
	uint64_t addr;
	uint64_t thread;		/* the ident of the thread running it (its _thread_id), 0: none */
	size_t ntasks;
};

struct asyncio_snapshot {
	struct asyncio_task *tasks;	/* sorted by address */
	size_t ntasks, cap;
	struct asyncio_loop *loops;	/* in the order of their first task */
	size_t nloops, loops_cap;
	bool cut;			/* more than ASYNCIO_MAX_TASKS: the rest not read */
	bool incomplete;		/* a registry kept changing while read: some tasks missed */
	size_t unreadable;		/* registered objects that did not read as tasks */
	size_t vanished;		/* tasks freed or cleared while read: left out */
};

/*
 * Read every task of every interpreter of T.  0 (also when asyncio holds
 * no task), or -errno: -ENOTSUP no asyncio layout for T's version, -ENOENT
 * asyncio not imported (or the runtime's interpreter list unreadable: its
 * -errno), -ENOMEM.  A registry that kept changing while read (three
 * times) leaves the snapshot incomplete, and says so.
 */
int asyncio_read(const struct python_target *t, struct asyncio_snapshot *out);

/* asyncio_read() with the asyncio layout LAYOUT (3.14+: completed from .AsyncioDebug). */
struct py_asyncio_layout;
int asyncio_read_layout(const struct python_target *t, const struct py_asyncio_layout *layout,
			struct asyncio_snapshot *out);

/* The task at ADDR in S, or NULL. */
struct asyncio_task *asyncio_find(const struct asyncio_snapshot *s, uint64_t addr);

void asyncio_snapshot_free(struct asyncio_snapshot *s);

const char *asyncio_state_name(enum asyncio_state state);

#endif
