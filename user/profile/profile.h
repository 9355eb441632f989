/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Aggregated profile: interned strings and frames, and per (process, thread)
 * the distinct stacks with their sample counts, plus the order in which
 * those stacks were sampled.  Output writers read it.
 */
#ifndef PYBPF_PROFILE_H
#define PYBPF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/hashmap.h"
#include "profile/mem_limits.h"
#include "profile/sources.h"

/*
 * A frame without a start column: CPython before 3.11 (its line tables hold
 * none), an instruction the table gives none (co_positions() says None), a
 * frame that is not Python or stands for a whole function.  Column 0 is the
 * first column, a real one.
 */
#define PROF_NO_COLUMN (-1)

struct prof_frame {
	uint32_t name;		/* string id: qualified function name */
	uint32_t file;		/* string id */
	int32_t first_line;	/* the function's first line (co_firstlineno); 0: not Python, or unknown */
	int32_t line;		/* 0: unknown */
	int32_t column;		/* start column at LINE, 0-based in UTF-8 bytes as CPython
				 * counts; PROF_NO_COLUMN, always when LINE is unknown */
};

_Static_assert(sizeof(struct prof_frame) == 5 * sizeof(uint32_t),
	       "no padding in a frame: frames are interned by their bytes");

/*
 * F's start column counted from 1, as speedscope's "col", pprof's
 * Line.column and "file:line:col" labels count (where 0 or nothing means
 * unknown): 0 when F has none.
 */
static inline int32_t prof_frame_column1(const struct prof_frame *f)
{
	return f->column >= 0 ? f->column + 1 : 0;
}

struct prof_stack {
	uint32_t *frames;	/* frame ids, outermost first */
	uint32_t depth;
	uint64_t count;
};

/*
 * COUNT consecutive samples of one stack: a thread's runs, in order, are its
 * samples in the order taken.  A longer run continues in the next one.
 */
struct prof_run {
	uint32_t stack;		/* index into prof_thread.stacks */
	uint32_t count;
};

struct prof_process {
	uint32_t pid;
	uint32_t ns_pid;	/* pid inside its own pid namespace */
	char *cmdline;
	char *version;		/* "3.11.7" */
	char *executable;	/* its executable's file name ("python3.11"); NULL: not known */
	char *container_id;	/* the container it runs in, from its cgroup; NULL: none known */
	uint64_t samples;
};

struct prof_thread {
	uint32_t pid, tid;
	size_t index;		/* position in profile.threads */
	size_t process;		/* index into profile.processes */
	char *name;		/* threading's name where it was read, else the OS thread name */
	char *os_name;		/* the OS thread name when name is threading's, else NULL */
	uint64_t samples;
	struct hmap stack_index;	/* frame-id array -> index + 1 */
	struct prof_stack *stacks;
	size_t nstacks, stacks_cap;
	struct prof_run *runs;	/* one per change of stack: 8 bytes a sample at most */
	size_t nruns, runs_cap;
};

struct profile;

/*
 * Told of every profile_add, in order; the raw recording streams from
 * here.  NEW_STACK: STACK was created by this call; TIME_NS: when the
 * samples were taken, in ns since the recording began.
 */
struct profile_listener {
	void (*on_add)(void *ctx, const struct profile *p, const struct prof_thread *t,
		       uint32_t stack, bool new_stack, uint64_t count, int64_t time_ns);
	void *ctx;
};

/* What a profile's samples measure. */
enum prof_unit {
	PROF_UNIT_NANOSECONDS,	/* time: on a CPU, or all of it (wall) */
	PROF_UNIT_BYTES,	/* growth of resident memory (--mode memory) */
};

/* The unit's name as speedscope and pprof spell it ("nanoseconds", "bytes"). */
const char *profile_unit_name(enum prof_unit unit);

struct profile {
	enum prof_unit unit;
	uint64_t sample_value;	/* what one sample stands for, in UNIT */
	/* Keep each thread's samples in order (prof_run): on by default, for
	 * the outputs; a live view that writes none can save the memory. */
	bool keep_order;
	uint64_t start_ns;	/* CLOCK_REALTIME when recording began; 0: unknown */
	uint64_t origin_ns;	/* CLOCK_MONOTONIC then: what sample times count from */
	uint64_t duration_ns;	/* how long the recording ran */
	struct profile_listener listener;
	struct hmap string_index;	/* text -> id + 1 */
	char **strings;
	size_t nstrings, strings_cap;
	struct hmap frame_index;	/* struct prof_frame -> id + 1 */
	struct prof_frame *frames;
	size_t nframes, frames_cap;
	struct prof_process *processes;
	size_t nprocesses, processes_cap;
	/*
	 * Slots of processes let go of (profile_retire), for later ones to
	 * take: an agent's profile holds the processes still running, not
	 * every one that ran.  Room for all of them is kept, so that letting
	 * go never needs memory.
	 */
	size_t *free_processes;
	size_t nfree_processes, free_processes_cap;
	uint64_t retired_samples;	/* the samples of the processes let go of */
	struct hmap thread_index;	/* (process, tid) -> index + 1 */
	struct prof_thread **threads;
	size_t nthreads, threads_cap;
	/*
	 * Bounds (LIMITS_DEFAULT from profile_init) and what went past them.
	 * Past a bound, names, frames, stacks and threads are counted under a
	 * marker ("[frame table full]", a process's "[other threads]" with tid
	 * 0...), so every sample still counts.
	 */
	struct limits limits;
	struct limit_overflows over;
	uint64_t string_bytes, nstacks, stack_frames;	/* use, against the bounds */
	uint32_t stack_full_frame;	/* "[stack table full]" + 1, 0 until made */
	struct prof_sources sources;	/* the functions' source files (sources.h) */
};

/* An empty profile of time that keeps the order of samples, each standing for SAMPLE_VALUE ns. */
void profile_init(struct profile *p, uint64_t sample_value);
void profile_free(struct profile *p);

/* Ids are stable for the profile's lifetime; UINT32_MAX on out-of-memory. */
uint32_t profile_string(struct profile *p, const char *text);
uint32_t profile_frame(struct profile *p, const char *name, const char *file, int line);
/*
 * A Python frame: its function is (NAME, FILE, FIRST_LINE), it is at LINE
 * (0: unknown), starting at COLUMN (0-based; negative: none, as it is
 * wherever LINE is unknown).  Frames at two columns of a line are two.
 */
uint32_t profile_code_frame(struct profile *p, const char *name, const char *file, int first_line,
			    int line, int column);

/*
 * Register a process; returns its index (an existing pid is a new process),
 * or PROFILE_NO_PROCESS when memory ran out.
 */
#define PROFILE_NO_PROCESS SIZE_MAX
size_t profile_process(struct profile *p, uint32_t pid, const char *cmdline,
		       const char *version);

/* Processes in P that are not let go of: what limits.processes bounds. */
static inline size_t profile_live_processes(const struct profile *p)
{
	return p->nprocesses - p->nfree_processes;
}

/*
 * Let go of each process I with RETIRE[I] (P's nprocesses flags): its
 * threads and stacks are freed and its slot is taken by a later process,
 * its samples counted in retired_samples.  The threads left keep their
 * order; MOVED[I] (the caller's, P's nthreads before) is where thread I is
 * now, or PROFILE_THREAD_GONE.  Needs no memory.  For an agent that has
 * sent what they had (--otlp): nothing may refer to them any more.
 */
#define PROFILE_THREAD_GONE SIZE_MAX
void profile_retire(struct profile *p, const bool *retire, size_t *moved);

/*
 * Undo profile_process(): PROC, just made and with no thread yet, could
 * not be profiled after all.  Its slot is the next process's.
 */
void profile_drop_process(struct profile *p, size_t proc);

/*
 * Where process PROC came from, for a fleet's backend (--otlp): its
 * executable's file name and its container's id, each NULL if not known.
 * 0, or -ENOMEM (the process keeps what it had).
 */
int profile_process_origin(struct profile *p, size_t proc, const char *executable, const char *container_id);

/*
 * The tid of a process's asyncio tasks suspended in an await (--mode wall
 * --async): no thread's (Linux's are below 2^22; 0 is "[other threads]").
 */
#define PROFILE_TASKS_TID UINT32_MAX

/* The thread's table, created on first use with its OS thread name. */
struct prof_thread *profile_thread(struct profile *p, size_t process, uint32_t tid,
				   const char *name);

/*
 * Show T under NAME, the name threading gave it, keeping its OS name in
 * os_name.  0, or -ENOMEM (T keeps its name).
 */
int profile_thread_set_name(struct prof_thread *t, const char *name);

/* The OS thread name of T. */
static inline const char *profile_thread_os_name(const struct prof_thread *t)
{
	return t->os_name ? t->os_name : t->name;
}

/*
 * Count COUNT samples of the stack FRAMES[0..DEPTH) (outermost first),
 * taken after every sample added to T before, at TIME_NS (for the
 * listener).  COUNT 0 only makes sure the stack exists.
 */
int profile_add_at(struct profile *p, struct prof_thread *t, const uint32_t *frames,
		   uint32_t depth, uint64_t count, int64_t time_ns);

/* The same, when nobody listens for the time (TIME_NS 0). */
int profile_add(struct profile *p, struct prof_thread *t, const uint32_t *frames,
		uint32_t depth, uint64_t count);

/* A CLOCK_MONOTONIC time as profile_add_at takes it: ns since origin_ns. */
int64_t profile_time(const struct profile *p, uint64_t monotonic_ns);

/* P's samples measure memory's growth, each standing for BYTES (--mode memory). */
static inline void profile_count_bytes(struct profile *p, uint64_t bytes)
{
	p->unit = PROF_UNIT_BYTES;
	p->sample_value = bytes;
}

/* BYTES for a reader: "200 bytes", "512.0 KiB", "1.5 MiB". */
void profile_format_bytes(double bytes, char *buf, size_t size);

/*
 * COUNT samples in words: "120 samples", or with PROF_UNIT_BYTES what they
 * stand for, "1.5 MiB in 3 samples".
 */
void profile_describe(const struct profile *p, uint64_t count, char *buf, size_t size);

/* Samples in the whole profile. */
uint64_t profile_samples(const struct profile *p);

/*
 * The threads that have samples, by process (in the order found), then
 * thread id: the order every output lists them in.  The caller frees the
 * array; NULL when out of memory.
 */
struct prof_thread **profile_sorted_threads(const struct profile *p, size_t *n);

#endif
