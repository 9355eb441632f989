// SPDX-License-Identifier: BSD-3-Clause
/*
 * `pybpf diff BASE NEW [-o diff.svg]`: two runs (raw recordings, or
 * collapsed stacks from any tool) compared by share of their own samples:
 * the functions that changed most on stdout, and a differential flame graph.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/diff.h"
#include "output/diff_svg.h"
#include "output/diff_table.h"
#include "output/output_file.h"
#include "output/stacks_input.h"

enum { OPT_SHAPE = 0x100 };

struct diff_opts {
	const char *inputs[DIFF_SIDES];
	size_t ninputs;
	const char *output;
	bool new_shape;
	unsigned long rows;
};

static const struct argp_option diff_options[] = {
	{ "output", 'o', "FILE.svg", 0,
	  "Also write the differential flame graph: red grew, blue shrank (full colour: only in one "
	  "run), the tooltip giving both shares", 0 },
	{ "shape", OPT_SHAPE, "both|new", 0,
	  "The flame graph's widths: both runs' shares averaged, so what NEW no longer has still "
	  "shows (both, the default), or NEW's alone (new)", 0 },
	{ "rows", 'n', "N", 0, "Functions in the table (default 20)", 0 },
	{ 0 },
};

static error_t parse_diff_opt(int key, char *arg, struct argp_state *state)
{
	struct diff_opts *o = state->input;

	switch (key) {
	case 'o':
		o->output = arg;
		break;
	case OPT_SHAPE:
		if (strcmp(arg, "both") && strcmp(arg, "new"))
			argp_error(state, "--shape %s: give both or new", arg);
		o->new_shape = !strcmp(arg, "new");
		break;
	case 'n':
		o->rows = cli_number(state, arg, "--rows", 1, 100000);
		break;
	case ARGP_KEY_ARG:
		if (o->ninputs == DIFF_SIDES)
			argp_error(state, "more than two runs: give BASE and NEW");
		o->inputs[o->ninputs++] = arg;
		break;
	case ARGP_KEY_END:
		if (o->ninputs != DIFF_SIDES)
			argp_error(state, "two runs to compare are needed: pybpf diff BASE NEW");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

struct add_ctx {
	struct diff_tree *tree;
	enum diff_side side;
};

static int add_stack(void *ctx, const char *const *labels, size_t depth, uint64_t count)
{
	struct add_ctx *a = ctx;

	return diff_tree_add(a->tree, a->side, labels, depth, count);
}

static int write_svg(const struct diff_opts *o, const struct diff_tree *tree, char *err,
		     size_t errlen)
{
	struct output_file file = { 0 };
	char title[512];
	int rc = output_file_begin(&file, o->output, err, errlen);

	if (rc)
		return rc;
	snprintf(title, sizeof(title), "pybpf diff: %s -> %s", o->inputs[DIFF_BASE], o->inputs[DIFF_NEW]);
	rc = diff_svg_write(file.fp, tree, o->new_shape, title);
	if (rc) {
		snprintf(err, errlen, "writing %s failed: %s (nothing was overwritten)", o->output,
			 strerror(-rc));
		output_file_abort(&file);
		return rc;
	}
	return output_file_commit(&file, err, errlen);
}

int diff_main(int argc, char **argv)
{
	static const struct argp argp = {
		diff_options, parse_diff_opt, "BASE NEW",
		"Compare two runs: the functions whose share of the samples changed most, and with -o "
		"a differential flame graph.  A run is a raw recording (pybpf record -o RUN.pybpf) or "
		"collapsed stacks from any profiler (\"frame;frame;... COUNT\" lines); runs are "
		"compared by function and by share of their own samples.\v"
		"Examples: a test suite before and after a change\n"
		"  sudo pybpf record -o before.pybpf -- python3 -m pytest tests/\n"
		"  (change the code)\n"
		"  sudo pybpf record -o after.pybpf -- python3 -m pytest tests/\n"
		"  pybpf diff before.pybpf after.pybpf -o diff.svg",
		NULL, NULL, NULL,
	};
	struct diff_opts o = { .rows = 20 };
	int units[DIFF_SIDES];
	struct diff_tree tree;
	char err[1024] = "";
	int rc = 1;

	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	if (diff_tree_init(&tree)) {
		fprintf(stderr, "pybpf: error: out of memory\n");
		return 1;
	}
	for (int side = 0; side < DIFF_SIDES; side++) {
		struct add_ctx ctx = { &tree, side };

		if (stacks_input_read(o.inputs[side], add_stack, &ctx, &units[side], err, sizeof(err)))
			goto out;
		if (!tree.total[side]) {
			snprintf(err, sizeof(err), "%s has no samples: nothing to compare it with",
				 o.inputs[side]);
			goto out;
		}
	}
	/* Shares of time against shares of memory's growth say nothing. */
	if (units[DIFF_BASE] != STACKS_UNIT_UNKNOWN && units[DIFF_NEW] != STACKS_UNIT_UNKNOWN &&
	    units[DIFF_BASE] != units[DIFF_NEW]) {
		snprintf(err, sizeof(err), "%s and %s measure different things (one --mode memory's bytes, one time): compare two runs of the same mode",
			 o.inputs[DIFF_BASE], o.inputs[DIFF_NEW]);
		goto out;
	}
	diff_tree_sort(&tree);
	if (diff_table_print(stdout, &tree, o.rows, o.inputs[DIFF_BASE], o.inputs[DIFF_NEW])) {
		snprintf(err, sizeof(err), "cannot write the table: %s", strerror(errno));
		goto out;
	}
	if (o.output) {
		if (write_svg(&o, &tree, err, sizeof(err)))
			goto out;
		fprintf(stderr, "pybpf: wrote %s (differential flame graph)\n", o.output);
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "pybpf: error: %s\n", err);
	diff_tree_free(&tree);
	return rc;
}
