// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "output/gzip.h"
#include "base/hashmap.h"
#include "output/pprof.h"
#include "output/protobuf.h"
#include "base/utf8.h"

/* Field numbers from profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
};
enum { VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3 };
enum { LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3 };
enum {
	MAPPING_ID = 1, MAPPING_FILENAME = 5, MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9,
};
enum { LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2, LINE_COLUMN = 3 };
enum { FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
       FUNCTION_START_LINE = 5 };

#define MAPPING 1

struct pprof {
	const struct profile *p;
	struct byte_buf out;		/* the Profile message */
	struct byte_buf strings;	/* its string_table fields, appended last */
	struct byte_buf msg, sub;	/* scratch: a message, and one inside it */
	struct byte_buf text;		/* scratch: a string made valid UTF-8 */
	struct hmap string_index;	/* text -> index + 1 */
	uint64_t nstrings;
	struct hmap function_index;	/* (name, file, first line) -> function id */
	uint64_t nfunctions;
	uint64_t *location_of;		/* frame id -> location id, 0: none yet */
	uint64_t nlocations;
	uint64_t *ids;			/* scratch: a sample's location ids */
	bool failed;
};

/* Index of TEXT in the string table, added on first use. */
static uint64_t string_id(struct pprof *w, const char *text)
{
	size_t len = strlen(text);
	bool created;
	uintptr_t *slot = hmap_upsert(&w->string_index, text, len, &created);

	if (!slot) {
		w->failed = true;
		return 0;
	}
	if (created) {
		pb_text(&w->strings, PROFILE_STRING_TABLE, text, &w->text);
		*slot = ++w->nstrings;
	}
	return *slot - 1;
}

static void value_type(struct pprof *w, uint32_t field, const char *type, const char *unit)
{
	w->msg.len = 0;
	pb_uint(&w->msg, VALUE_TYPE_TYPE, string_id(w, type));
	pb_uint(&w->msg, VALUE_TYPE_UNIT, string_id(w, unit));
	pb_message(&w->out, field, &w->msg);
}

static uint64_t function_id(struct pprof *w, const struct prof_frame *f)
{
	/* A function is its name, file and first line: lines are its locations. */
	uint32_t key[3] = { f->name, f->file, (uint32_t)f->first_line };
	bool created;
	uintptr_t *slot = hmap_upsert(&w->function_index, key, sizeof(key), &created);
	const char *name = w->p->strings[f->name];

	if (!slot) {
		w->failed = true;
		return 0;
	}
	if (created) {
		*slot = ++w->nfunctions;
		w->msg.len = 0;
		pb_uint(&w->msg, FUNCTION_ID, *slot);
		pb_uint(&w->msg, FUNCTION_NAME, string_id(w, name));
		pb_uint(&w->msg, FUNCTION_SYSTEM_NAME, string_id(w, name));
		pb_uint(&w->msg, FUNCTION_FILENAME, string_id(w, w->p->strings[f->file]));
		if (f->first_line > 0)
			pb_uint(&w->msg, FUNCTION_START_LINE, (uint64_t)f->first_line);
		pb_message(&w->out, PROFILE_FUNCTION, &w->msg);
	}
	return *slot;
}

void pprof_line(struct byte_buf *line, uint64_t function, const struct prof_frame *f)
{
	pb_uint(line, LINE_FUNCTION_ID, function);
	if (f->line > 0)
		pb_uint(line, LINE_LINE, (uint64_t)f->line);
	/* Line.column counts from 1 (0: unknown), CPython's columns from 0. */
	if (prof_frame_column1(f))
		pb_uint(line, LINE_COLUMN, (uint64_t)prof_frame_column1(f));
}

/* The location of FRAME, written on first use after its function. */
static uint64_t location_id(struct pprof *w, uint32_t frame)
{
	const struct prof_frame *f = &w->p->frames[frame];
	uint64_t function;

	if (w->location_of[frame])
		return w->location_of[frame];
	function = function_id(w, f);
	w->sub.len = 0;
	pprof_line(&w->sub, function, f);
	w->msg.len = 0;
	pb_uint(&w->msg, LOCATION_ID, ++w->nlocations);
	pb_uint(&w->msg, LOCATION_MAPPING_ID, MAPPING);
	pb_message(&w->msg, LOCATION_LINE, &w->sub);
	pb_message(&w->out, PROFILE_LOCATION, &w->msg);
	return w->location_of[frame] = w->nlocations;
}

/* A label with text STR, or else the number NUM. */
static void label(struct pprof *w, const char *key, const char *str, uint64_t num)
{
	if (str && !*str)
		return;		/* string 0, "", would read as no text at all */
	w->sub.len = 0;
	pb_uint(&w->sub, LABEL_KEY, string_id(w, key));
	if (str)
		pb_uint(&w->sub, LABEL_STR, string_id(w, str));
	else
		pb_uint(&w->sub, LABEL_NUM, num);
	pb_message(&w->msg, SAMPLE_LABEL, &w->sub);
}

static void write_thread(struct pprof *w, const struct prof_thread *t)
{
	const struct prof_process *proc = &w->p->processes[t->process];

	for (size_t i = 0; i < t->nstacks; i++) {
		const struct prof_stack *s = &t->stacks[i];
		uint64_t values[2] = { s->count, s->count * w->p->sample_value };

		if (!s->count)
			continue;
		/* Locations first: they are messages of their own. pprof wants the leaf first. */
		for (uint32_t d = 0; d < s->depth; d++)
			w->ids[d] = location_id(w, s->frames[s->depth - 1 - d]);
		w->msg.len = 0;
		pb_packed(&w->msg, SAMPLE_LOCATION_ID, w->ids, s->depth);
		pb_packed(&w->msg, SAMPLE_VALUE, values, 2);
		label(w, "pid", NULL, t->pid);
		if (t->tid != PROFILE_TASKS_TID)
			label(w, "tid", NULL, t->tid);
		label(w, "thread", t->name, 0);
		/* The OS name only where it says more than the name read from the target. */
		if (t->os_name && (!t->name || strcmp(t->os_name, t->name)))
			label(w, "os_thread", t->os_name, 0);
		label(w, "process", proc->cmdline, 0);
		/* The sample is complete in msg: append it before the next location. */
		pb_message(&w->out, PROFILE_SAMPLE, &w->msg);
	}
}

static void write_mapping(struct pprof *w)
{
	w->msg.len = 0;
	pb_uint(&w->msg, MAPPING_ID, MAPPING);
	pb_uint(&w->msg, MAPPING_FILENAME, string_id(w, "python"));
	/* Already symbolized: readers must not look for binaries to do it. */
	pb_uint(&w->msg, MAPPING_HAS_FUNCTIONS, 1);
	pb_uint(&w->msg, MAPPING_HAS_FILENAMES, 1);
	pb_uint(&w->msg, MAPPING_HAS_LINE_NUMBERS, 1);
	pb_message(&w->out, PROFILE_MAPPING, &w->msg);
}

static void write_profile(struct pprof *w, struct prof_thread **threads, size_t n,
			  const char *title)
{
	const struct profile *p = w->p;

	/* Growth of memory is "space" in bytes, as pprof's heap profiles name it. */
	const char *type = p->unit == PROF_UNIT_BYTES ? "space" : "cpu";

	string_id(w, "");	/* the string table starts with "" */
	value_type(w, PROFILE_SAMPLE_TYPE, "samples", "count");
	value_type(w, PROFILE_SAMPLE_TYPE, type, profile_unit_name(p->unit));
	write_mapping(w);
	for (size_t i = 0; i < n; i++)
		write_thread(w, threads[i]);
	pb_uint(&w->out, PROFILE_TIME_NANOS, p->start_ns);
	pb_uint(&w->out, PROFILE_DURATION_NANOS, p->duration_ns);
	value_type(w, PROFILE_PERIOD_TYPE, type, profile_unit_name(p->unit));
	pb_uint(&w->out, PROFILE_PERIOD, p->sample_value);
	pb_uint(&w->out, PROFILE_COMMENT, string_id(w, title));
	pb_uint(&w->out, PROFILE_DEFAULT_SAMPLE_TYPE, string_id(w, type));
	byte_buf_append(&w->out, w->strings.data, w->strings.len);
}

static size_t deepest_stack(struct prof_thread **threads, size_t n)
{
	size_t deepest = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < threads[i]->nstacks; j++)
			if (threads[i]->stacks[j].depth > deepest)
				deepest = threads[i]->stacks[j].depth;
	return deepest;
}

int pprof_write(FILE *out, const struct profile *p, const char *title)
{
	struct pprof w = { .p = p };
	size_t n;
	struct prof_thread **threads = profile_sorted_threads(p, &n);
	int rc = -ENOMEM;

	w.location_of = calloc(p->nframes + 1, sizeof(*w.location_of));
	if (threads)
		w.ids = malloc((deepest_stack(threads, n) + 1) * sizeof(*w.ids));
	if (threads && w.location_of && w.ids) {
		write_profile(&w, threads, n, title);
		if (!w.failed && !w.out.failed && !w.strings.failed && !w.text.failed)
			rc = gzip_write(out, w.out.data, w.out.len);
	}
	free(threads);
	free(w.location_of);
	free(w.ids);
	byte_buf_free(&w.out);
	byte_buf_free(&w.strings);
	byte_buf_free(&w.msg);
	byte_buf_free(&w.sub);
	byte_buf_free(&w.text);
	hmap_free(&w.string_index);
	hmap_free(&w.function_index);
	return rc ? rc : ferror(out) ? -EIO : 0;
}
