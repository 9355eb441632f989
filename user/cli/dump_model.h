/* SPDX-License-Identifier: BSD-3-Clause */
/* What `pybpf dump` reads of one process, for its printers. */
#ifndef PYBPF_DUMP_MODEL_H
#define PYBPF_DUMP_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "profile/profile.h"
#include "python/asyncio_tasks.h"
#include "python/python_target.h"
#include "python/symbolizer.h"
#include "python/thread_names.h"

struct dumped_thread {
	pid_t tid;
	uint64_t ident;		/* threading.get_ident(): the thread state's thread_id */
	char os_name[64];
	char name[THREAD_NAME_MAX];	/* threading's, else the OS name */
	char state;		/* /proc state letter: R running, S sleeping, D disk... */
	int holds_gil;		/* 1, 0, or -1: the version does not tell */
	uint32_t *frames;	/* profile frame ids, innermost first */
	uint64_t *addrs;	/* their frames' addresses (0: a mark) */
	size_t nframes;
};

struct dump_ctx {
	struct python_target *t;
	struct symbolizer *sym;
	struct profile *profile;
	struct thread_names names;
	struct dumped_thread *threads;
	size_t nthreads, cap;
	/* --async */
	bool async;
	struct asyncio_snapshot tasks;
	int tasks_err;		/* asyncio_read()'s answer */
};

/* The asyncio part of `dump --async`: text after the threads, or a JSON member. */
void dump_async_text(struct dump_ctx *c);
void dump_async_json(struct dump_ctx *c);

/* "    function (file:line)" of frame ID, INDENT more spaces in. */
void dump_text_frame(const struct profile *p, uint32_t id, int indent);
/* The JSON objects { function, file, line } of the N frames IDS, comma-separated. */
void dump_json_frames(const struct profile *p, const uint32_t *ids, size_t n);

/* The thread of C whose stack holds the frame at FRAME, or NULL. */
const struct dumped_thread *dump_thread_holding(const struct dump_ctx *c, uint64_t frame,
						size_t *depth);

#endif
