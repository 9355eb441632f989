// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include "cli/cli.h"

void cli_add_pid(struct argp_state *state, const char *arg, struct pid_list *list)
{
	char *end;
	long pid;

	if (list->n == CLI_MAX_PIDS)
		argp_error(state, "too many -p options: at most %d", CLI_MAX_PIDS);
	errno = 0;
	pid = strtol(arg, &end, 10);
	if (errno || *end || !*arg || pid <= 0 || pid > 0x7fffffff)
		argp_error(state, "invalid PID '%s': give the numeric id of a running process", arg);
	list->pids[list->n++] = (pid_t)pid;
}

unsigned long cli_number(struct argp_state *state, const char *arg, const char *what,
			 unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || !*arg || v < min || v > max)
		argp_error(state, "invalid %s '%s': give a number from %lu to %lu", what, arg, min, max);
	return v;
}
