// SPDX-License-Identifier: BSD-3-Clause
/*
 * `pybpf report -i run.pybpf -o out.svg`: the profile a raw recording
 * holds, in any output format, optionally only some process or thread.
 * The output is byte for byte what `record` would have written.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "output/line_table.h"
#include "output/outputs.h"
#include "output/recording.h"
#include "cli/report.h"

enum { OPT_PID = 0x100, OPT_TID, OPT_LINES };

struct report_opts {
	const char *input;
	struct recording_filter filter;
	bool quiet;
	const char *lines;		/* --lines FUNCTION */
	struct outputs outputs;
};

static const struct argp_option report_options[] = {
	{ "input", 'i', "FILE", 0, "The raw recording to read (from pybpf record -o FILE.pybpf)", 0 },
	{ "pid", OPT_PID, "PID", 0, "Only the samples of process PID", 0 },
	{ "tid", OPT_TID, "TID", 0, "Only the samples of thread TID", 0 },
	{ "lines", OPT_LINES, "FUNCTION", 0,
	  "Print FUNCTION's lines on stdout, each with its samples and shares and its source "
	  "(line_profiler's table); FUNCTION is a qualified name or its last part. Writes no "
	  "file unless -o is given too", 0 },
	{ "quiet", 'q', NULL, 0, "Say nothing unless something is wrong", 0 },
	{ 0 },
};

static error_t parse_report_opt(int key, char *arg, struct argp_state *state)
{
	struct report_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->outputs;
		break;
	case 'i':
		o->input = arg;
		break;
	case OPT_PID:
		o->filter.pid = cli_number(state, arg, "--pid", 1, UINT32_MAX);
		break;
	case OPT_TID:
		o->filter.tid = cli_number(state, arg, "--tid", 1, UINT32_MAX);
		break;
	case 'q':
		o->quiet = true;
		break;
	case OPT_LINES:
		o->lines = arg;
		break;
	case ARGP_KEY_END:
		if (!o->input)
			argp_error(state, "no recording to read: give one with -i FILE.pybpf");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int print_lines(const struct profile *p, const char *function, char *err, size_t errlen)
{
	struct line_heat heat;
	int rc = line_heat_build(&heat, p);

	if (rc) {
		snprintf(err, errlen, "out of memory counting the lines");
		return rc;
	}
	rc = line_table_print(stdout, p, &heat, function, err, errlen);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory printing the lines");
	line_heat_free(&heat);
	return rc;
}

int report_main(int argc, char **argv)
{
	static const struct argp argp = {
		report_options, parse_report_opt, NULL,
		"Write a raw recording (pybpf record -o FILE.pybpf) in any format, as record "
		"would have.\v"
		"Examples:\n"
		"  pybpf report -i run.pybpf -o flame.svg\n"
		"  pybpf report -i run.pybpf -f collapsed -o run.txt --tid 4243\n"
		"  pybpf report -i run.pybpf --lines FileLoader.get_data",
		outputs_argp_children, NULL, NULL,
	};
	struct report_opts o = { 0 };
	struct profile profile;
	char err[1024] = "", stem[PATH_MAX], *title = NULL;
	size_t len;
	int rc = 1;

	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	/* Without -o: the input's name with the format's extension. */
	len = strlen(o.input);
	if (format_for_path(o.input) == &format_raw)
		len -= strlen(format_raw.extensions[0]);
	snprintf(stem, sizeof(stem), "%.*s", (int)len, o.input);
	if (!o.lines)
		outputs_default(&o.outputs, stem);

	profile_init(&profile, 0);
	if (outputs_open(&o.outputs, err, sizeof(err)))
		goto out;
	outputs_attach(&o.outputs, &profile);
	if (recording_read(o.input, &profile, &o.filter, &title, err, sizeof(err)))
		goto out;
	if ((o.filter.pid || o.filter.tid) && !profile_samples(&profile)) {
		snprintf(err, sizeof(err), "%s has no samples of the process or thread asked for "
			 "(--pid, --tid)", o.input);
		goto out;
	}
	if (outputs_write(&o.outputs, &profile, title, err, sizeof(err)))
		goto out;
	if (!o.quiet)
		outputs_print(&o.outputs, &profile, stderr);
	if (o.lines && print_lines(&profile, o.lines, err, sizeof(err)))
		goto out;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "pybpf: error: %s\n", err);
	outputs_close(&o.outputs);
	profile_free(&profile);
	free(title);
	return rc;
}
