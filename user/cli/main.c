// SPDX-License-Identifier: BSD-3-Clause
/* pybpf: an eBPF sampling profiler for CPython.  Dispatches subcommands. */
#include <argp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cli/dump.h"
#include "base/log.h"
#include "cli/record.h"
#include "cli/report.h"
#include "cli/top.h"
#include "cli/version.h"


static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* pybpf explains failures itself; libbpf's own lines are for -v. */
	if (!log_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void usage(FILE *out)
{
	fputs("Usage: pybpf COMMAND [OPTION...]\n"
	      "An eBPF sampling profiler for Python.\n\n"
	      "Commands:\n"
	      "  record    sample Python processes into a profile\n"
	      "  report    write a raw recording (.pybpf) in any profile format\n"
	      "  top       a live view of the hottest functions\n"
	      "  dump      print every thread's current Python stack, once\n\n"
	      "Run 'pybpf COMMAND --help' for a command's options.\n", out);
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
		printf("pybpf %s\n", PYBPF_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "record")) {
		argv[1] = "pybpf record";
		return record_main(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "report")) {
		argv[1] = "pybpf report";
		return report_main(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "top")) {
		argv[1] = "pybpf top";
		return top_main(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "dump")) {
		argv[1] = "pybpf dump";
		return dump_main(argc - 1, argv + 1);
	}
	fprintf(stderr, "pybpf: error: unknown command '%s' (see 'pybpf --help')\n", argv[1]);
	return 2;
}
