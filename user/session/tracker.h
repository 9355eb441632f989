/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The set of processes being profiled: found at start (-p, or a /proc scan
 * for -a), or reported by the BPF fork/exec/exit tracepoints while
 * recording.  Each incarnation of a PID is its own process in the profile;
 * processes that exit stay in it (an --otlp agent lets go of them once
 * their samples are sent: tracker_retire).  Samples are symbolized and aggregated
 * here as they arrive.
 */
#ifndef PYBPF_TRACKER_H
#define PYBPF_TRACKER_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "base/hashmap.h"
#include "profile/profile.h"
#include "python/py_objects.h"
#include "python/python_target.h"
#include "python/thread_names.h"
#include "session/sampler.h"
#include "session/incomplete_counts.h"
#include "session/sample_stack.h"
#include "session/suspended_tasks.h"
#include "python/symbolizer.h"
#include "session/wall_clock.h"

/* How samples are counted (record's --mode and --gil). */
struct tracker_modes {
	bool wall;			/* off-CPU waits too; weights in microseconds */
	bool gil_only;			/* keep on-CPU samples of the GIL holder only */
	bool native, kernel;		/* --native, --kernel */
	uint64_t cpu_weight;		/* what one on-CPU sample adds (1, or its period in us) */
	bool sources;			/* keep the functions' source files (heat map, raw) */
	bool async_tasks;		/* --async: name the asyncio task each sample runs */
	uint64_t memory_period;		/* --mode memory: the bytes of growth a sample stands for; 0: off */
};

struct tracker_filters {
	const pid_t *pids;		/* with -a: only these (none: all) */
	size_t npids;
	const char *comm;		/* only processes with this comm */
	const char *cgroup;		/* only processes whose cgroup path contains this */
};

enum tracked_state {
	TRACKED_PENDING,		/* exec'd, libpython not mapped yet */
	TRACKED_PROFILED,
	TRACKED_ENDED,
};

struct tracked {
	pid_t pid, ns_pid;
	enum tracked_state state;
	bool explicit_target;		/* named with -p */
	bool was_profiled;
	bool replaced_by_exec;		/* ended by an exec, not an exit: the PID lives on */
	unsigned int attempts;
	uint64_t first_seen_ns, retry_at_ns;
	struct python_target target;
	struct symbolizer sym;
	size_t process;			/* index in profile.processes */
	struct hmap threads;		/* tid -> struct prof_thread * */
	struct thread_names thread_names;	/* threading's names, read as threads appear */
	/*
	 * --async: what the kernel needs to name its tasks, once asyncio is
	 * imported and (3.11-3.13) a TaskGroup made (looked for again every
	 * ASYNC_RETRY_NS until then, or until async_complete).
	 */
	struct pyperf_async async;
	bool async_complete;
	struct py_asyncio_layout async_layout;	/* the layout async was made with */
	uint64_t async_retry_at_ns;
	struct py_objects objects;	/* the tasks' names' types */
	/* --mode wall --async: the time of its suspended tasks (suspended_tasks.h). */
	struct suspended_tasks suspended;
	uint32_t generation;		/* the kernel's name for this incarnation and code cache */
	uint64_t flushes_seen;		/* of sym's code cache, told to the kernel */
	uint64_t samples, idle, lost;
	uint64_t frames, unresolved;	/* frames in its samples, and those shown as [unknown] */
	uint64_t read_errors;		/* samples in which a read of its memory failed */
	uint64_t codes_reported;	/* code objects named from the kernel's reports */
	struct incomplete_counts incomplete;
	uint64_t braked;		/* samples the brake did not take */
	uint32_t brake_level;		/* the most it was held back: 1 in 2^level samples */
	/* --mode memory: its resident memory (anonymous and shmem), in bytes. */
	struct {
		bool known;		/* the kernel counted it (start, peak, sampled) */
		uint64_t start, peak, end;
		uint64_t sampled;	/* periods of growth in its samples */
		uint64_t held;		/* ... and held back by the brake at the end: in none */
		int64_t owed;		/* bytes its threads grew short of a period: in none */
	} memory;
	/* The CPU time it used while profiled: what its samples should cover. */
	bool cpu_known;
	uint64_t cpu_at_start_ns, cpu_ns;
};

/*
 * What the tracker asks of the kernel side: the sampler's per-process
 * entries and counts.  An interface, so the unit tests can stand in for it.
 */
struct tracker_kernel_ops {
	int (*add_process)(void *ctx, pid_t pid, const struct pyperf_proc *proc);
	void (*remove_process)(void *ctx, pid_t pid);
	uint64_t (*take_lost)(void *ctx, pid_t pid);
	int (*take_brake)(void *ctx, pid_t pid, struct pyperf_brake *out);
	/* --mode memory: count PID's growth from ANON + SHMEM bytes; its count, taken. */
	int (*track_memory)(void *ctx, pid_t pid, uint64_t anon, uint64_t shmem);
	int (*take_memory)(void *ctx, pid_t pid, struct pyperf_memory *out);
};

struct tracker {
	struct profile *profile;
	const struct tracker_kernel_ops *kernel;	/* NULL until attached */
	void *kernel_ctx;
	struct tracker_filters filters;
	unsigned int max_processes;
	unsigned int profiled;		/* processes in TRACKED_PROFILED */
	bool cap_warned;
	struct hmap by_pid;		/* pid -> current struct tracked * */
	struct tracked **all;		/* every incarnation, in order found */
	size_t nall, all_cap;
	struct tracker_modes modes;
	struct sample_stack *stack;	/* the sample being added */
	struct native_stack native;
	struct wall_clock wall;
	uint32_t generations;		/* handed out so far */
	uint64_t samples, dropped, unresolved, gil_dropped;
	struct incomplete_counts incomplete;	/* every process's */
	uint64_t first_sample_ns;	/* CLOCK_MONOTONIC of the first sample seen */
	/* Processes that ended and were let go of (tracker_retire), their counts folded here. */
	struct {
		uint64_t processes, samples, lost, braked;
	} retired;
	/* Optional: sees every symbolized stack (frame ids, outermost first) and the periods it stands for. */
	void (*on_stack)(void *ctx, const struct tracked *tr, uint32_t tid,
			 const uint32_t *frames, size_t depth, uint64_t count);
	void *on_stack_ctx;
};

/* MODES NULL: on-CPU samples, each counting 1. */
int tracker_init(struct tracker *t, struct profile *profile,
		 const struct tracker_filters *filters, const struct tracker_modes *modes,
		 unsigned int max_processes);
void tracker_free(struct tracker *t);

/*
 * Start profiling PID.  An explicit target (-p) that is not a supported
 * Python process is an error, with a one-line message in ERR; any other
 * process that is not Python is silently skipped.
 */
int tracker_add(struct tracker *t, pid_t pid, bool explicit_target, char *err, size_t errlen);

/*
 * Hand the tracker its sampler, and start sampling the processes added
 * before the sampler existed.  -errno with a message in ERR.
 */
int tracker_set_sampler(struct tracker *t, struct sampler *sampler, char *err, size_t errlen);

/* The same with any kernel side (the unit tests' own). */
int tracker_set_kernel(struct tracker *t, const struct tracker_kernel_ops *ops, void *ctx,
		       char *err, size_t errlen);

/* -a: every process running now. */
void tracker_scan(struct tracker *t);

void tracker_on_sample(struct tracker *t, const struct pyperf_sample *s, size_t size);
void tracker_on_event(struct tracker *t, const struct pyperf_proc_event *e);

/*
 * --mode wall, once sampling runs: threads already off the CPU at NOW_NS
 * (they will not switch out again before they wake) wait from then on,
 * with the stack read from userspace.
 */
void tracker_start_waits(struct tracker *t, uint64_t now_ns);

/*
 * Sampling stops now: each process's CPU time while profiled ends here,
 * not after the samples still in flight are taken in.
 */
void tracker_stop_cpu_clocks(struct tracker *t);

/*
 * The end of the recording at NOW_NS: waits still going on end there, and
 * suspended tasks are read a last time.
 */
void tracker_finish(struct tracker *t, uint64_t now_ns);

/* Periodic work due at NOW_NS (--mode wall --async: the suspended tasks). */
void tracker_tick(struct tracker *t, uint64_t now_ns);

/* Retry processes waiting for libpython; returns the next deadline or 0. */
uint64_t tracker_retry(struct tracker *t, uint64_t now_ns);

/* Profiled processes that were named explicitly and are still running. */
unsigned int tracker_explicit_alive(const struct tracker *t);

/* Move the kernel's per-process counts of lost samples into each process's. */
void tracker_take_lost(struct tracker *t);

/* TID of TR's profile thread, made on first use; NULL when memory runs out. */
struct prof_thread *tracker_thread(struct tracker *t, struct tracked *tr, uint32_t tid);

/*
 * Set PROCESSES[I] (the profile's nprocesses flags) for each process that
 * was profiled and has ended; how many.
 */
size_t tracker_ended(const struct tracker *t, bool *processes);

/*
 * Let go of the incarnations of the processes flagged in PROCESSES, which
 * must have ended: their counts go to t->retired, their records are freed.
 * The profile's side is profile_retire().
 */
void tracker_retire(struct tracker *t, const bool *processes);

/* A warning on OUT for each process whose frames could mostly not be read, or were never there. */
void tracker_warn_unreadable(const struct tracker *t, FILE *out);



/* Per-process table on OUT: pid, Python, samples, lost, command. */
void tracker_print_summary(struct tracker *t, FILE *out);

#endif
