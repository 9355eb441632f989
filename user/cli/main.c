// SPDX-License-Identifier: BSD-3-Clause
/* pybpf: an eBPF sampling profiler for CPython.  Dispatches subcommands. */
#include <argp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cli/diff.h"
#include "cli/dump.h"
#include "base/log.h"
#include "cli/record.h"
#include "cli/report.h"
#include "cli/top.h"
#include "cli/version.h"
#include "commit.h"	/* PYBPF_COMMIT, by the Makefile */


static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* pybpf explains failures itself; libbpf's own lines are for -v. */
	if (!log_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* The commands, in the order --help lists them. */
static const struct {
	const char *name, *argv0, *help;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "record", "pybpf record", "sample Python processes into a profile", record_main },
	{ "report", "pybpf report", "write a raw recording (.pybpf) in any profile format", report_main },
	{ "diff", "pybpf diff", "compare two runs: what grew, what shrank, what is gone", diff_main },
	{ "top", "pybpf top", "a live view of the hottest functions", top_main },
	{ "dump", "pybpf dump", "print every thread's current Python stack, once", dump_main },
};

static void usage(FILE *out)
{
	fputs("Usage: pybpf COMMAND [OPTION...]\n"
	      "An eBPF sampling profiler for Python.\n\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
	fputs("\nRun 'pybpf COMMAND --help' for a command's options.\n", out);
}

int main(int argc, char **argv)
{
	argp_err_exit_status = 2;
	libbpf_set_print(libbpf_print);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("pybpf %s (commit %s)\n", PYBPF_VERSION, PYBPF_COMMIT);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name)) {
			/* argp names the command in its messages: "pybpf record: ..." */
			argv[1] = (char *)commands[i].argv0;
			return commands[i].run(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "pybpf: error: unknown command '%s' (see 'pybpf --help')\n", argv[1]);
	return 2;
}
