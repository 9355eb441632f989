/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The options record, top and dump share, as argp children: what to look
 * at (-p, -a, -v) for all three, and how to sample (-r, --btf,
 * --max-processes) for the two that sample.  The command's own parser
 * puts its struct session_opts into both children's inputs.
 */
#ifndef PYBPF_CLI_SESSION_OPTS_H
#define PYBPF_CLI_SESSION_OPTS_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>
#include "cli/cli.h"

#define SESSION_DEFAULT_RATE_HZ 100
#define SESSION_MAX_RATE_HZ 100000
#define SESSION_DEFAULT_MAX_PROCESSES 256

struct session_opts {
	struct pid_list pids;		/* -p; with -a: only these */
	bool all;			/* -a */
	unsigned int rate_hz;		/* -r */
	const char *btf_path;		/* --btf */
	unsigned int max_processes;	/* --max-processes */
	bool async_tasks;		/* --async */
	bool memory;			/* --mode memory (the command's own --mode sets it) */
	uint64_t memory_period;		/* --memory-period, bytes */
};

/* --mode memory's default: one sample per 512 KiB of growth. */
#define SESSION_DEFAULT_MEMORY_PERIOD	(512u << 10)

/* The defaults above. */
void session_opts_init(struct session_opts *o);

/*
 * At ARGP_KEY_END: a usage error for --memory-period without --mode
 * memory, or --async with it; the default period.
 */
void session_opts_check_mode(struct argp_state *state, struct session_opts *o);

/* At ARGP_KEY_END: a usage error unless -p or -a says what to VERB. */
void session_opts_require_target(struct argp_state *state, const struct session_opts *o,
				 const char *verb);

extern const struct argp session_targets_argp;	/* -p, -a, -v */
extern const struct argp session_sampling_argp;	/* -r, --btf, --max-processes, --async, --memory-period */

#endif
