// SPDX-License-Identifier: BSD-3-Clause
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/array.h"
#include "output/recording.h"
#include "output/stacks_input.h"
#include "profile/function_view.h"
#include "profile/labels.h"

/* Where a ":DIGITS" that LABEL[0..END) ends with starts; END if it ends otherwise. */
static size_t number_suffix(const char *label, size_t end)
{
	size_t i = end;

	while (i > 0 && isdigit((unsigned char)label[i - 1]))
		i--;
	return i < end && i > 0 && label[i - 1] == ':' ? i - 1 : end;
}

void stacks_input_drop_line(char *label)
{
	size_t len = strlen(label), at;

	if (len < 4 || label[len - 1] != ')' || !strstr(label, " ("))
		return;
	/* ":line", or ":line:col" (pybpf --by-line on 3.11+). */
	at = number_suffix(label, len - 1);
	if (at < len - 1)
		at = number_suffix(label, at);
	memmove(label + at, label + len - 1, 2);
}

/* pybpf's thread root: "CMD [pid N, Python V] thread T (NAME)". */
static bool is_thread_label(const char *label)
{
	return strstr(label, " [pid ") && strstr(label, "] thread ");
}

static int read_recording(const char *path, stacks_input_fn fn, void *ctx, int *unit, char *err,
			  size_t errlen)
{
	struct profile recorded, view;
	char *title = NULL, **labels = NULL;
	const char **stack = NULL;
	int rc;

	profile_init(&recorded, 0);
	rc = recording_read(path, &recorded, NULL, &title, err, errlen);
	free(title);
	if (!rc && (rc = profile_function_view(&view, &recorded)))
		snprintf(err, errlen, "out of memory reading %s", path);
	*unit = recorded.unit;
	profile_free(&recorded);
	if (rc)
		return rc;
	labels = calloc(view.nframes + 1, sizeof(*labels));
	rc = labels ? 0 : -ENOMEM;
	for (size_t i = 0; !rc && i < view.nframes; i++) {
		char label[LABEL_MAX];

		frame_label(&view, (uint32_t)i, label, sizeof(label));
		stacks_input_drop_line(label);
		if (!(labels[i] = strdup(label)))
			rc = -ENOMEM;
	}
	for (size_t t = 0; !rc && t < view.nthreads; t++) {
		const struct prof_thread *thread = view.threads[t];

		for (size_t s = 0; !rc && s < thread->nstacks; s++) {
			const struct prof_stack *st = &thread->stacks[s];
			const char **grown = realloc(stack, (st->depth + 1) * sizeof(*stack));

			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			stack = grown;
			for (uint32_t d = 0; d < st->depth; d++)
				stack[d] = labels[st->frames[d]];
			if (st->count)
				rc = fn(ctx, stack, st->depth, st->count);
		}
	}
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory reading %s", path);
	for (size_t i = 0; labels && i < view.nframes; i++)
		free(labels[i]);
	free(labels);
	free(stack);
	profile_free(&view);
	return rc;
}

/* "a;b;c 12": the frames split in place into STACK, the count into *COUNT; false if not so. */
static bool parse_line(char *line, const char ***stack, size_t *cap, size_t *depth, uint64_t *count)
{
	char *space = strrchr(line, ' '), *end, *frame;

	if (!space || space == line || !isdigit((unsigned char)space[1]))
		return false;
	errno = 0;
	*count = strtoull(space + 1, &end, 10);
	if (*end || errno)
		return false;
	*space = '\0';
	*depth = 0;
	for (frame = line;; frame = NULL) {
		char *part = strtok_r(frame, ";", &end);

		if (!part)
			break;
		if (array_reserve(stack, cap, *depth + 1, sizeof(**stack)))
			return false;
		stacks_input_drop_line(part);
		(*stack)[(*depth)++] = part;
	}
	return *depth > 0;
}

static int read_collapsed(FILE *in, const char *path, stacks_input_fn fn, void *ctx, char *err,
			  size_t errlen)
{
	char *line = NULL;
	size_t line_cap = 0, stack_cap = 0, number = 0;
	const char **stack = NULL;
	ssize_t len;
	int rc = 0;

	while (!rc && (len = getline(&line, &line_cap, in)) >= 0) {
		size_t depth;
		uint64_t count;

		number++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		if (!parse_line(line, &stack, &stack_cap, &depth, &count)) {
			snprintf(err, errlen, "%s:%zu: not a collapsed stack (\"frame;frame;... COUNT\"): "
				 "give a raw recording (.pybpf) or collapsed stacks", path, number);
			rc = -EINVAL;
			break;
		}
		/* pybpf's own collapsed stacks start with the thread: not the same in two runs. */
		if (depth > 1 && is_thread_label(stack[0]))
			rc = fn(ctx, stack + 1, depth - 1, count);
		else
			rc = fn(ctx, stack, depth, count);
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory reading %s", path);
	}
	free(line);
	free(stack);
	return rc;
}

int stacks_input_read(const char *path, stacks_input_fn fn, void *ctx, int *unit, char *err,
		      size_t errlen)
{
	char magic[RECORDING_MAGIC_LEN];
	FILE *in = fopen(path, "re");
	size_t got;
	int rc;

	if (!in) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	got = fread(magic, 1, sizeof(magic), in);
	if (got == sizeof(magic) && !memcmp(magic, RECORDING_MAGIC, sizeof(magic))) {
		fclose(in);
		return read_recording(path, fn, ctx, unit, err, errlen);
	}
	*unit = STACKS_UNIT_UNKNOWN;
	rewind(in);
	rc = read_collapsed(in, path, fn, ctx, err, errlen);
	fclose(in);
	return rc;
}
