/* SPDX-License-Identifier: BSD-3-Clause */
/* Argument parsing shared by the subcommands. */
#ifndef PYBPF_CLI_H
#define PYBPF_CLI_H

#include <argp.h>
#include <stddef.h>
#include <sys/types.h>

#define CLI_MAX_PIDS 64

struct pid_list {
	pid_t pids[CLI_MAX_PIDS];
	size_t n;
};

/* -p PID: append ARG to LIST, or stop with a usage error naming the problem. */
void cli_add_pid(struct argp_state *state, const char *arg, struct pid_list *list);

/* A whole number in [MIN, MAX], or a usage error naming WHAT. */
unsigned long cli_number(struct argp_state *state, const char *arg, const char *what,
			 unsigned long min, unsigned long max);

#endif
