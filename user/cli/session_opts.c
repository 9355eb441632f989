// SPDX-License-Identifier: BSD-3-Clause
#include <stdlib.h>
#include "base/log.h"
#include "cli/session_opts.h"

enum { OPT_BTF = 0x200, OPT_MAX_PROCESSES, OPT_ASYNC, OPT_MEMORY_PERIOD };

#define MIN_MEMORY_PERIOD	4096ull
#define MAX_MEMORY_PERIOD	(1ull << 30)

/* --memory-period SIZE ("512K", "2M", "1G" or bytes): a page (finer says nothing more) to 1 GiB. */
static uint64_t memory_period(struct argp_state *state, const char *arg)
{
	char *end;
	unsigned long long n = strtoull(arg, &end, 10);
	int shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;

	end += shift != 0;
	if (*arg == '-' || end == arg || *end || n > (MAX_MEMORY_PERIOD >> shift) ||
	    (n << shift) < MIN_MEMORY_PERIOD)
		argp_error(state, "invalid --memory-period '%s': give 4K to 1G bytes (e.g. 512K, 2M)", arg);
	return (uint64_t)n << shift;
}

void session_opts_init(struct session_opts *o)
{
	*o = (struct session_opts){
		.rate_hz = SESSION_DEFAULT_RATE_HZ,
		.max_processes = SESSION_DEFAULT_MAX_PROCESSES,
	};
}

void session_opts_check_mode(struct argp_state *state, struct session_opts *o)
{
	if (o->memory_period && !o->memory)
		argp_error(state, "--memory-period sets --mode memory's sampling: add --mode memory");
	if (o->memory && o->async_tasks)
		argp_error(state, "--async names the tasks of time samples: use it without --mode memory");
	if (!o->memory_period)
		o->memory_period = SESSION_DEFAULT_MEMORY_PERIOD;
}

void session_opts_require_target(struct argp_state *state, const struct session_opts *o,
				 const char *verb)
{
	if (!o->all && !o->pids.n)
		argp_error(state, "nothing to %s: use -p PID or -a", verb);
}

static const struct argp_option target_options[] = {
	{ "pid", 'p', "PID", 0, "A Python process (repeatable; with -a: only these)", 0 },
	{ "all", 'a', NULL, 0, "Every Python process on the host, including ones started meanwhile", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf's and pybpf's debug messages", 0 },
	{ 0 },
};

static error_t parse_target_opt(int key, char *arg, struct argp_state *state)
{
	struct session_opts *o = state->input;

	switch (key) {
	case 'p':
		cli_add_pid(state, arg, &o->pids);
		break;
	case 'a':
		o->all = true;
		break;
	case 'v':
		log_verbose = true;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option sampling_options[] = {
	{ "rate", 'r', "HZ", 0, "Samples per second per CPU (default 100)", 0 },
	{ "max-processes", OPT_MAX_PROCESSES, "N", 0, "Profile at most N processes at once (default 256)", 0 },
	{ "btf", OPT_BTF, "FILE", 0, "Kernel BTF to use instead of /sys/kernel/btf/vmlinux", 0 },
	{ "async", OPT_ASYNC, NULL, 0, "Name the asyncio task each sample's thread runs (a [task NAME] frame above its coroutines; CPython 3.8-3.15)", 0 },
	{ "memory-period", OPT_MEMORY_PERIOD, "SIZE", 0, "With --mode memory: a sample per SIZE bytes of growth (K, M, G suffixes; default 512K)", 0 },
	{ 0 },
};

static error_t parse_sampling_opt(int key, char *arg, struct argp_state *state)
{
	struct session_opts *o = state->input;

	switch (key) {
	case 'r':
		o->rate_hz = cli_number(state, arg, "rate", 1, SESSION_MAX_RATE_HZ);
		break;
	case OPT_MAX_PROCESSES:
		o->max_processes = cli_number(state, arg, "--max-processes", 1, 65536);
		break;
	case OPT_BTF:
		o->btf_path = arg;
		break;
	case OPT_ASYNC:
		o->async_tasks = true;
		break;
	case OPT_MEMORY_PERIOD:
		o->memory_period = memory_period(state, arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp session_targets_argp = { target_options, parse_target_opt, NULL, NULL, NULL, NULL, NULL };
const struct argp session_sampling_argp = { sampling_options, parse_sampling_opt, NULL, NULL, NULL, NULL, NULL };
