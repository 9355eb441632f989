// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include "output/outputs.h"
#include "profile/function_view.h"

enum { OPT_BY_LINE = 0x100 };

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0,
	  "Write to FILE; repeat for several formats at once. The format comes from -f, else the "
	  "extension: .json speedscope, .svg flamegraph, .txt/.folded/.collapsed collapsed, "
	  ".pb.gz/.pprof pprof, .html line heat map, .pybpf raw recording", 0 },
	{ "format", 'f', "FORMAT", 0,
	  "Format of every -o: speedscope, flamegraph, collapsed, pprof, heatmap or raw", 0 },
	{ "by-line", OPT_BY_LINE, NULL, 0,
	  "A frame for each position a function was at (a line, and its column on Python 3.11+), "
	  "instead of one for the function (speedscope, flamegraph, collapsed; pprof has both, a "
	  "raw recording keeps positions for report)", 0 },
	{ 0 },
};

static const struct format *format_of(const struct outputs *o, const char *path)
{
	const struct format *f = o->forced ? o->forced : format_for_path(path);

	return f ? f : &format_speedscope;
}

/* Each output's format, once every option is known; only one raw recording. */
static void resolve(struct outputs *o, struct argp_state *state)
{
	const char *raw = NULL;

	for (size_t i = 0; i < o->n; i++) {
		struct output *out = &o->list[i];

		out->format = format_of(o, out->path);
		if (out->format != &format_raw)
			continue;
		if (raw)
			argp_error(state, "two raw recordings (%s and %s): write one, then copy it",
				   raw, out->path);
		raw = out->path;
	}
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct outputs *o = state->input;

	switch (key) {
	case 'o':
		if (o->n == MAX_OUTPUTS)
			argp_error(state, "too many -o options: at most %d", MAX_OUTPUTS);
		o->list[o->n++].path = arg;
		break;
	case OPT_BY_LINE:
		o->by_line = true;
		break;
	case 'f':
		o->forced = format_by_name(arg);
		if (!o->forced)
			argp_error(state, "unknown format '%s': choose one of %s", arg, format_names());
		break;
	case ARGP_KEY_END:
		resolve(o, state);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp outputs_argp = { options, parse_opt, NULL, NULL, NULL, NULL, NULL };
/* Group 10: after the groups of the command's own options, in --help. */
const struct argp_child outputs_argp_children[] = { { &outputs_argp, 0, "Output:", 10 }, { 0 } };

void outputs_default(struct outputs *o, const char *stem)
{
	const struct format *f = o->forced ? o->forced : &format_speedscope;

	if (o->n)
		return;
	snprintf(o->default_path, sizeof(o->default_path), "%s%s", stem, f->extensions[0]);
	o->list[0].path = o->default_path;
	o->list[0].format = f;
	o->n = 1;
}

bool outputs_want_sources(const struct outputs *o)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->list[i].format->sources)
			return true;
	return false;
}

int outputs_open(struct outputs *o, char *err, size_t errlen)
{
	for (size_t i = 0; i < o->n; i++) {
		int rc = output_file_begin(&o->list[i].file, o->list[i].path, err, errlen);

		if (rc)
			return rc;
	}
	return 0;
}

void outputs_attach(struct outputs *o, struct profile *p)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->list[i].format == &format_raw)
			recording_writer_attach(&o->recording, o->list[i].file.fp, p);
}

static int write_one(struct outputs *o, struct output *out, struct profile *p,
		     const struct profile *by_function, const char *title, char *err, size_t errlen)
{
	int rc;

	errno = 0;
	if (!out->format->write)
		rc = recording_writer_finish(&o->recording, p, title);
	else
		rc = out->format->write(out->file.fp, out->format->by_function && !o->by_line ?
						      by_function : p, title);
	if (rc) {
		/* Writers see a stream error (-EIO); the failed write() said why. */
		int e = rc == -EIO && errno ? errno : -rc;

		snprintf(err, errlen, "writing %s failed: %s (nothing was overwritten)", out->path,
			 strerror(e));
		return -e;
	}
	return output_file_commit(&out->file, err, errlen);
}

int outputs_write(struct outputs *o, struct profile *p, const char *title,
		  char *err, size_t errlen)
{
	struct profile by_function;
	bool wanted = false;
	int rc = 0;

	for (size_t i = 0; i < o->n; i++)
		wanted |= o->list[i].format->by_function && !o->by_line;
	/* The profile is written whatever happens: by line if not by function. */
	if (wanted && profile_function_view(&by_function, p)) {
		fprintf(stderr, "pybpf: warning: out of memory for the profile by function: "
				"writing a frame per line, as with --by-line\n");
		wanted = false;
	}
	for (size_t i = 0; i < o->n && !rc; i++)
		rc = write_one(o, &o->list[i], p, wanted ? &by_function : p, title, err, errlen);
	if (wanted)
		profile_free(&by_function);
	return rc;
}

void outputs_print(const struct outputs *o, const struct profile *p, FILE *out)
{
	size_t threads = 0;

	for (size_t i = 0; i < p->nthreads; i++)
		threads += p->threads[i]->samples > 0;
	for (size_t i = 0; i < o->n; i++)
		fprintf(out, "pybpf: wrote %s (%s, %zu thread%s)\n", o->list[i].path,
			o->list[i].format->name, threads, threads == 1 ? "" : "s");
}

void outputs_close(struct outputs *o)
{
	for (size_t i = 0; i < o->n; i++)
		output_file_abort(&o->list[i].file);
	recording_writer_free(&o->recording);
}
