/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A period of a profile as an OTLP profiles export request (the profiles
 * signal of opentelemetry-proto, v1development: an
 * ExportProfilesServiceRequest with one ProfilesDictionary shared by every
 * process's profile).  Each process with samples in the period is a
 * ResourceProfiles whose resource names the host, the process, its
 * executable, command line, container and Python; each sample carries
 * its thread's id and name.  Frames, lines and markers are the profile's
 * own: a marker ("[unknown]", "[incomplete stack: ...]", a wait) is a
 * function with no file.
 *
 * What a period holds is what the profile gained since the last request:
 * the baseline keeps, per thread and stack, the count sent before.
 */
#ifndef PYBPF_EXPORT_OTLP_PROFILES_H
#define PYBPF_EXPORT_OTLP_PROFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/bytes.h"
#include "profile/profile.h"

/* Each thread's stacks' counts already in a request (indexed by prof_thread.index). */
struct otlp_baseline {
	uint64_t **sent;	/* per thread: per stack */
	size_t *nsent;		/* per thread: stacks known */
	uint64_t *thread_sent;	/* per thread: its samples sent (a thread with no more is skipped) */
	size_t nthreads;
};

void otlp_baseline_free(struct otlp_baseline *b);

/* The samples of P no request has taken yet. */
uint64_t otlp_baseline_unsent(const struct profile *p, const struct otlp_baseline *b);

/*
 * Clear PROCESSES[I] (P's nprocesses flags) for each process of P with
 * samples no request has taken yet: those are not to be let go of.
 */
void otlp_baseline_hold_unsent(const struct profile *p, const struct otlp_baseline *b, bool *processes);

/* P's threads moved as profile_retire() told in MOVED[0..N): B's with them. */
void otlp_baseline_threads_moved(struct otlp_baseline *b, const size_t *moved, size_t n);

struct otlp_period {
	uint64_t start_unix_ns;		/* CLOCK_REALTIME when the period began */
	uint64_t duration_ns;
	const char *host_name;
	const char *sample_type;	/* "cpu", "wall" or "space": what the values measure */
	const char *pybpf_version;	/* the instrumentation scope's version */
};

/* What a request holds: for counting what was sent, or lost. */
struct otlp_request_counts {
	uint64_t samples;		/* the profile's samples (ticks, wait periods...) */
	uint32_t processes;		/* ResourceProfiles */
	uint32_t stacks;		/* distinct (thread, stack) with samples */
};

/*
 * Encode what P gained since BASE as an ExportProfilesServiceRequest into
 * OUT (emptied first), and move BASE up to P's counts.  A period with no
 * samples encodes nothing (OUT empty, COUNTS zero).  0, or -ENOMEM (BASE
 * unchanged: the same period can be asked for again).
 */
int otlp_profiles_encode(const struct profile *p, struct otlp_baseline *base, const struct otlp_period *period,
			 struct byte_buf *out, struct otlp_request_counts *counts);

#endif
