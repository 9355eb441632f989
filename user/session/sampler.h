/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The BPF side seen from userspace: load the skeleton, attach the sampler to
 * a CPU-clock perf event on every online CPU, feed it per-process layouts and
 * drain its ring buffer.
 */
#ifndef PYBPF_SAMPLER_H
#define PYBPF_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "pyperf.h"

struct sampler;

/* Called for every sample; SIZE is the record's length in bytes. */
typedef void (*sampler_fn)(void *ctx, const struct pyperf_sample *s, size_t size);
/* Called for every process lifecycle event. */
typedef void (*sampler_proc_fn)(void *ctx, const struct pyperf_proc_event *e);

struct sampler_opts {
	unsigned int rate_hz;
	const char *btf_path;		/* NULL: the running kernel's BTF */
	size_t ringbuf_bytes;
	unsigned int max_processes;	/* capacity of the per-process maps */
	unsigned int max_threads;	/* of the thread map; 0: the program's own */
	bool follow_all;		/* report every exec (-a) */
	bool off_cpu;			/* --mode wall: sample threads leaving the CPU */
	uint64_t memory_period_bytes;	/* --mode memory: a sample per this much growth, no CPU samples; 0: off */
	bool bpf_loop;			/* the kernel has bpf_loop (Linux 5.17+); else bounded loops walk */
	bool switch_prev_state;		/* sched_switch passes prev_state (Linux 5.18+) */
	bool gil;			/* tell whether each sampled thread holds the GIL */
	bool kernel_stacks;		/* --kernel */
	bool user_stacks;		/* --native: user registers and stack copies */
	bool bpf_stats;			/* have the kernel time the BPF program */
	bool stage_times;		/* and time each stage of a sample (PYPERF_STAT_NS_*) */
	sampler_fn on_sample;
	sampler_proc_fn on_proc_event;
	void *ctx;
};

int sampler_open(struct sampler **out, const struct sampler_opts *opts,
		 char *err, size_t errlen);
/*
 * Start sampling PID with this runtime, layout and generation (or update
 * them); -E2BIG when the maps are full.
 */
int sampler_add_process(struct sampler *s, pid_t pid, const struct pyperf_proc *proc);
void sampler_remove_process(struct sampler *s, pid_t pid);
/* Report PID's exec and exit (and, with DESCENDANTS, its children's). */
int sampler_watch(struct sampler *s, pid_t pid, enum pyperf_watch how);
/* Samples of PID lost to a full ring buffer so far; the count is reset. */
uint64_t sampler_take_lost(struct sampler *s, pid_t pid);
/* The brake's state for PID (how much it was held back); it is reset.  0 or -ENOENT. */
int sampler_take_brake(struct sampler *s, pid_t pid, struct pyperf_brake *out);
/*
 * --mode memory: count PID's growth from its resident memory now (bytes of
 * anonymous and shared-memory pages), unless the kernel already does (a
 * fork).  0 or -errno.
 */
int sampler_track_memory(struct sampler *s, pid_t pid, uint64_t anon, uint64_t shmem);
/* PID's memory as counted so far (struct pyperf_memory); it is reset.  0 or -ENOENT. */
int sampler_take_memory(struct sampler *s, pid_t pid, struct pyperf_memory *out);
/* Begin sampling (perf events enabled once every process is registered). */
int sampler_start(struct sampler *s, char *err, size_t errlen);
/* File descriptor that becomes readable when samples are waiting. */
int sampler_fd(struct sampler *s);
/*
 * A timer that fires every SAMPLER_DRAIN_MS: samples do not wake userspace
 * one by one, so callers drain when either descriptor is readable.  Longer
 * would save pybpf ~1 us of CPU per sample at 1000 Hz, but 50 ms left three
 * to four times as many short-lived code objects [unknown] (freed before
 * they were read) in the code_object_churn test.
 */
#define SAMPLER_DRAIN_MS 10
int sampler_timer_fd(struct sampler *s);
/*
 * Deliver the waiting samples, then the lifecycle events; number of samples
 * delivered or -errno.  A drain takes samples for SAMPLER_DRAIN_BUDGET_MS
 * at most (a flood must not hold the caller), the rest stays for the next
 * one; after sampler_stop() it takes all of them.
 */
#define SAMPLER_DRAIN_BUDGET_MS 50
#define SAMPLER_EVENTS_WAIT_MS 100
int sampler_drain(struct sampler *s);
/* Stop sampling and reporting lifecycle events, for a last, complete drain. */
void sampler_stop(struct sampler *s);
/* Totals of the kernel-side counters (enum pyperf_stat). */
void sampler_stats(struct sampler *s, uint64_t totals[PYPERF_STAT_MAX]);
/* How many CPU samples cost [2^K, 2^(K+1)) ns, for each K. */
void sampler_cost_histogram(struct sampler *s, uint64_t buckets[PYPERF_COST_BUCKETS]);
/* What the kernel says of the sampling program. */
struct sampler_prog_info {
	uint64_t run_cnt, run_time_ns;	/* its runs and their total time (with bpf_stats) */
	uint64_t verified_insns;	/* the verifier's work to load it (Linux 5.16+; else 0) */
};
int sampler_prog_info(struct sampler *s, struct sampler_prog_info *out);
void sampler_close(struct sampler *s);

#endif
