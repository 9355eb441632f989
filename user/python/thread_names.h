/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The names the threading module gave a process's threads, read from its
 * memory (CPython 3.8-3.13; 3.14+ give them to the OS themselves): each
 * Thread in threading._active, its _name and its _native_id (the OS thread
 * id).  Threads started without threading are not there and keep their OS
 * name.  A name is read once per thread: one renamed later keeps the first.
 */
#ifndef PYBPF_THREAD_NAMES_H
#define PYBPF_THREAD_NAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/hashmap.h"

struct python_target;

/* Longest name kept, in bytes with the NUL; longer ones end in "...". */
#define THREAD_NAME_MAX 256
/* Threads of threading._active read at most per lookup. */
#define THREAD_NAMES_MAX_THREADS 4096
/*
 * After a read that took T, none for COST_FACTOR * T: reading names takes
 * at most about a tenth of the time, however many threads come and go.
 */
#define THREAD_NAMES_COST_FACTOR 10

/* Told each thread found: its OS id and threading's name for it (UTF-8). */
typedef void (*thread_name_fn)(void *ctx, pid_t tid, const char *name);

/*
 * Read threading._active of the main interpreter of T and tell FN each
 * thread with a readable name and id (every interpreter's, through its
 * sys.modules).  0, or -errno:
 * -ENOTSUP T's version needs no reading (or pybpf has no layout for it),
 * -ENOENT threading not imported, -EFAULT / -EINVAL / -E2BIG a read failed
 * or found no sane objects (then nothing more is told).
 */
int thread_names_read(const struct python_target *t, thread_name_fn fn, void *ctx);

/* Names of one process's threads, read once per thread. */
struct thread_names {
	struct hmap names;		/* tid -> strdup'd name; absent: not read yet */
	struct hmap unnamed;		/* tids looked for and not found */
	bool unsupported;		/* the version needs no reading: never try */
	uint64_t reads;			/* walks of threading._active */
	uint64_t next_read_ns;		/* CLOCK_MONOTONIC: no walk before (the cost bound) */
	uint64_t postponed;		/* threads not looked for then: they keep the OS name */
};

void thread_names_init(struct thread_names *tn);
void thread_names_free(struct thread_names *tn);

/*
 * The name threading gave thread TID of T, or NULL: none (not started by
 * threading, the process's main thread, or unreadable).  A TID not seen
 * before has threading._active read again, once, unless the last read was
 * too recent for the cost bound.
 */
const char *thread_names_get(struct thread_names *tn, const struct python_target *t, pid_t tid);

/* Read threading._active now: every thread at once (dump), whatever the cost bound. */
void thread_names_refresh(struct thread_names *tn, const struct python_target *t);

/* thread_names_get without reading: the name read for TID so far. */
const char *thread_names_known(const struct thread_names *tn, const struct python_target *t,
			       pid_t tid);

#endif
