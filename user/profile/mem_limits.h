/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounds on the memory a recording may use, whatever its targets hold or
 * claim to hold.  They sit far above what real profiles reach (README,
 * "Limits"), so they only ever stop a hostile or runaway target.  Past one,
 * pybpf keeps recording, counts what it could not keep, and says so.
 *
 * They travel in struct profile, which every stage that fills memory from
 * the targets fills on the profile's behalf.
 */
#ifndef PYBPF_MEM_LIMITS_H
#define PYBPF_MEM_LIMITS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct limits {
	/* Per profiled process: the code-object cache (symbolizer.c). */
	uint64_t code_objects;
	uint64_t code_bytes;		/* the line tables it holds */
	/* The whole profile (profile.c). */
	uint64_t string_bytes;		/* function and file names */
	uint64_t frames;		/* distinct (function, file, line) */
	uint64_t stacks;		/* distinct stacks, all threads together */
	uint64_t stack_frames;		/* frames those stacks hold */
	uint64_t threads;
	uint64_t processes;		/* each exec and fork counts */
	uint64_t source_bytes;		/* source files kept for heat maps (sources.h) */
	/* The kernel's ring buffer of samples: a power of two, >= a page; 0: sized from the rate. */
	uint64_t ring_bytes;
};

#define LIMITS_DEFAULT {				\
	.code_objects = 65536,				\
	.code_bytes = 16ULL << 20,			\
	.string_bytes = 64ULL << 20,			\
	.frames = 1000000,				\
	.stacks = 1000000,				\
	.stack_frames = 32000000,			\
	.threads = 100000,				\
	.processes = 65536,				\
	.source_bytes = 64ULL << 20,			\
	.ring_bytes = 0,				\
}

/* What did not fit. */
struct limit_overflows {
	uint64_t code_cache_flushes;	/* a process's cache dropped, to be read again */
	uint64_t strings;		/* names shown as "[string table full]" */
	uint64_t frames;		/* frames shown as "[frame table full]" */
	uint64_t stacks;		/* samples counted under "[stack table full]" */
	uint64_t threads;		/* threads counted under their process's "[other threads]" */
	uint64_t processes;		/* processes not profiled */
	uint64_t sources;		/* source files not kept (source_bytes) */
};

/*
 * Apply SPEC, "name=N,name=N" with the names of struct limits' fields (the
 * environment variable PYBPF_LIMITS), over L.  NULL or "" changes nothing.
 * -EINVAL with a message in ERR.
 */
int limits_parse(struct limits *l, const char *spec, char *err, size_t errlen);

/* One warning line naming every overflow; nothing when there was none. */
void limits_warn(const struct limit_overflows *o, FILE *out);

/* The overflows as a JSON object, for --stats. */
void limits_json(const struct limit_overflows *o, FILE *out);

#endif
