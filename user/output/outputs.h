/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The files a run writes (-o FILE, repeatable, and -f FORMAT), shared by
 * `record` and `report` as an argp child: each output gets its format,
 * its temporary file up front (so an unwritable path fails before any
 * work), then its contents when the profile is complete.  A raw
 * recording streams while the profile fills, through its listener.
 */
#ifndef PYBPF_OUTPUTS_H
#define PYBPF_OUTPUTS_H

#include <argp.h>
#include <limits.h>
#include "output/formats.h"
#include "output/output_file.h"
#include "profile/profile.h"
#include "output/recording.h"

#define MAX_OUTPUTS 8

struct output {
	const char *path;
	const struct format *format;
	struct output_file file;
};

struct outputs {
	struct output list[MAX_OUTPUTS];
	size_t n;
	const struct format *forced;		/* -f */
	bool by_line;				/* --by-line: a frame per line, not per function */
	struct recording_writer recording;	/* for the raw output, if any */
	char default_path[PATH_MAX];
};

/*
 * Options -o and -f; the parent sets child_inputs[i] to its struct outputs.
 * Each output's format is -f, else its extension's, else speedscope; a run
 * writes at most one raw recording.
 */
extern const struct argp outputs_argp;
/* The same as the children of a command's argp, under the header "Output:". */
extern const struct argp_child outputs_argp_children[];

/* Without -o: one output, STEM plus the format's extension. */
void outputs_default(struct outputs *o, const char *stem);

/* Whether an output shows or keeps source files (a heat map, a raw recording). */
bool outputs_want_sources(const struct outputs *o);

/* Create every output's temporary file. */
int outputs_open(struct outputs *o, char *err, size_t errlen);

/* From now on, the raw recording (if any) gets every sample added to P. */
void outputs_attach(struct outputs *o, struct profile *p);

/* Write the finished profile in every format and put each file in place. */
int outputs_write(struct outputs *o, struct profile *p, const char *title,
		  char *err, size_t errlen);

/* "pybpf: wrote FILE (FORMAT, N threads)" for each output. */
void outputs_print(const struct outputs *o, const struct profile *p, FILE *out);

/* Free what the outputs hold; temporary files not put in place are removed. */
void outputs_close(struct outputs *o);

#endif
