/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One profiling session, the machinery record and top share: the checks
 * before anything loads, the tracker and the sampler, attaching, the
 * privilege drop, the targets (-p) or the /proc scan (-a), and the event
 * loop with its signals, retry and drain timers and duration.  The
 * command adds its own file descriptors to the loop (a launched command's
 * pidfd, top's refresh timer and keyboard).
 */
#ifndef PYBPF_SESSION_H
#define PYBPF_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "session/tracker.h"

struct session_config {
	const pid_t *pids;		/* -p; with ALL: only these */
	size_t npids;
	bool all;			/* -a: every Python process, now and later */
	const char *comm, *cgroup;	/* with ALL: only these */
	const struct tracker_modes *modes;	/* NULL: on-CPU samples */
	unsigned int rate_hz, max_processes;
	const char *btf_path;
	size_t ringbuf_bytes;		/* 0: session_ring_bytes() */
	bool bpf_stats;			/* have the kernel time the BPF program */
	bool stage_times;		/* and each stage of a sample */
	unsigned int privileges_kept;	/* PRIV_* kept after attaching */
	double duration_s;		/* 0: no end of its own */
	bool stop_when_targets_exit;	/* the -p targets gone, the session ends */
};

/* A file descriptor of the command's in the loop: ON_READY false ends the session. */
struct session_handler {
	int fd;
	bool (*on_ready)(void *ctx);
	void *ctx;
};

#define SESSION_MAX_HANDLERS 4

enum session_stop {
	SESSION_DURATION,		/* the duration ran out */
	SESSION_SIGNAL,			/* SIGINT, SIGTERM or SIGHUP: stop_signal */
	SESSION_TARGETS_EXITED,		/* no -p target is left */
	SESSION_HANDLER,		/* a handler said so */
	SESSION_ERROR,			/* the loop itself failed: stop_errno */
};

struct session {
	struct session_config cfg;
	struct tracker_filters filters;
	struct profile *profile;
	struct tracker tracker;
	struct sampler *sampler;
	int epoll, signal, retry, duration;
	struct session_handler handlers[SESSION_MAX_HANDLERS];
	size_t nhandlers;
	uint64_t started_ns;		/* CLOCK_MONOTONIC once the targets were added */
	uint64_t stopped_ns;		/* ... when sampling stopped (session_finish()) */
	int stop_signal, stop_errno;
};

/*
 * Check the machine, set up the tracker (for PROFILE) and load the
 * sampler, not yet attached.  A -p PID that is not running is an error
 * here, before anything loads.  -errno with one line in ERR.
 */
/*
 * The samples' ring buffer for RATE_HZ on NCPUS: 50 ms of samples of about
 * 1 KiB (a 45-frame stack is 800 bytes) on every CPU, a power of two, at
 * least 512 KiB, or 4 MiB for BIG_SAMPLES (--native's 16 KiB stack copies;
 * wall mode, a sample per context switch rather than per tick).  Small on
 * purpose: each sample is written to the ring's next bytes, and a ring
 * larger than the caches makes each of those writes a miss (measured here:
 * 2.6 us of a 45-frame sample's 8 us with 4 MiB, 0.6 us with 512 KiB).
 */
#define SESSION_RING_MIN	(512u << 10)
#define SESSION_RING_MIN_BIG	(4u << 20)
#define SESSION_RING_MAX	(256u << 20)
size_t session_ring_bytes(unsigned int rate_hz, unsigned int ncpus, bool big_samples);

/*
 * Slots of the BPF thread map (where each sampled thread's PyThreadState was
 * found) for a host running HOST_THREADS threads: twice as many, a power of
 * two, at least 4096 and at most 32768.  The map is preallocated, so every
 * slot is start-up time (32768: 10 ms here); a thread pushed out by the LRU
 * only costs a new search, and samples are marked meanwhile.
 */
#define SESSION_THREADS_MIN	4096u
#define SESSION_THREADS_MAX	32768u
unsigned int session_thread_slots(unsigned long host_threads);

int session_open(struct session *s, struct profile *profile, const struct session_config *cfg,
		 char *err, size_t errlen);

/* A launched command (record -- CMD): its exec and exit, and with HOW its children's. */
int session_watch(struct session *s, pid_t pid, enum pyperf_watch how);

/* Add a handler to the loop (before session_start). */
int session_add_handler(struct session *s, const struct session_handler *h);

/*
 * Attach, drop the privileges not kept, then (only then: what they hold
 * is theirs to forge) read the targets or scan /proc.  The duration
 * starts now.
 */
int session_start(struct session *s, char *err, size_t errlen);

/* Until the session ends: why. */
enum session_stop session_run(struct session *s);

/* Stop sampling, take in what is in flight, and end the waits at now. */
void session_finish(struct session *s);

void session_close(struct session *s);

#endif
