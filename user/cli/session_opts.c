// SPDX-License-Identifier: BSD-3-Clause
#include "base/log.h"
#include "cli/session_opts.h"

enum { OPT_BTF = 0x200, OPT_MAX_PROCESSES, OPT_ASYNC };

void session_opts_init(struct session_opts *o)
{
	*o = (struct session_opts){
		.rate_hz = SESSION_DEFAULT_RATE_HZ,
		.max_processes = SESSION_DEFAULT_MAX_PROCESSES,
	};
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
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp session_targets_argp = { target_options, parse_target_opt, NULL, NULL, NULL, NULL, NULL };
const struct argp session_sampling_argp = { sampling_options, parse_sampling_opt, NULL, NULL, NULL, NULL, NULL };
