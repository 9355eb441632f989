// SPDX-License-Identifier: BSD-3-Clause
/*
 * Reading a raw recording (recording.h) back into a profile.  The file is
 * untrusted: every length is bounded before it is read, every reference
 * checked against what came before, and the CRC checked at the end, so a
 * damaged file is an error message, never a crash or a wrong profile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "output/recording.h"
#include "base/array.h"

#define TEXTS_PER_RECORD 2

struct thread_state {
	struct prof_thread *t;
	uint32_t nstacks;
	bool wanted;		/* passes the filter */
};

struct reader {
	FILE *in;
	const char *name;
	struct profile *p;
	const struct recording_filter *filter;
	uint64_t offset;		/* bytes consumed */
	uint32_t crc;
	/* Grown to the longest record, deepest stack and texts met so far. */
	uint8_t *payload;		/* one record's payload */
	size_t payload_cap;
	struct thread_state *threads;
	size_t nthreads, threads_cap;
	uint32_t *frames;		/* one stack */
	size_t frames_cap;
	char *text;			/* a record's texts (take_text) */
	size_t text_used, text_cap;
	bool have_meta;
	int64_t time_ns;
	const char *problem;		/* what is wrong with the record being read */
	char *err;
	size_t errlen;
};

/* The file ended (or could not be read) before what it promised. */
static int short_read(struct reader *r)
{
	if (ferror(r->in)) {
		snprintf(r->err, r->errlen, "cannot read %s: %s", r->name, strerror(errno));
		return -EIO;
	}
	snprintf(r->err, r->errlen, "%s is truncated at byte %llu: the recording does not end "
		 "properly (was it cut short, or pybpf killed while writing it?)",
		 r->name, (unsigned long long)r->offset);
	return -EINVAL;
}

static int corrupt(struct reader *r, uint64_t at, const char *what)
{
	snprintf(r->err, r->errlen, "%s is corrupt at byte %llu: %s", r->name,
		 (unsigned long long)at, what);
	return -EINVAL;
}

/* N bytes, or a truncation error; the CRC covers them unless told not to. */
static int read_exact(struct reader *r, void *buf, size_t n, bool checked)
{
	size_t got = fread(buf, 1, n, r->in);

	r->offset += got;
	if (got != n)
		return short_read(r);
	if (checked)
		r->crc = crc32(r->crc, buf, n);
	return 0;
}

static int read_header(struct reader *r)
{
	uint8_t head[RECORDING_MAGIC_LEN + 4];
	size_t got = fread(head, 1, sizeof(head), r->in);
	uint32_t version;
	struct byte_reader br = byte_reader(head + RECORDING_MAGIC_LEN, 4);

	r->offset = got;
	if (ferror(r->in))
		return short_read(r);	/* says why it cannot be read */
	if (memcmp(head, RECORDING_MAGIC, got < RECORDING_MAGIC_LEN ? got : RECORDING_MAGIC_LEN) ||
	    got == 0) {
		snprintf(r->err, r->errlen, "%s is not a pybpf recording (record one with "
			 "pybpf record -o FILE.pybpf)", r->name);
		return -EINVAL;
	}
	if (got < sizeof(head))
		return short_read(r);
	version = byte_reader_u32le(&br);
	if (version != RECORDING_VERSION) {
		snprintf(r->err, r->errlen, "%s is a version %u recording; this pybpf reads version %d%s",
			 r->name, version, RECORDING_VERSION,
			 version > RECORDING_VERSION ? " (use a newer pybpf)" : "");
		return -EINVAL;
	}
	r->crc = crc32(0, head, sizeof(head));
	return 0;
}

/* The type and payload length of the next record; 1 at the end of the file. */
static int read_framing(struct reader *r, uint8_t *type, uint64_t *len)
{
	int c = fgetc(r->in), rc;
	uint8_t byte;

	if (c == EOF)
		return ferror(r->in) ? short_read(r) : 1;
	r->offset++;
	*type = (uint8_t)c;
	r->crc = crc32(r->crc, type, 1);
	*len = 0;
	/* Five bytes hold 35 bits, far more than any record may have. */
	for (unsigned int shift = 0; shift < 35; shift += 7) {
		rc = read_exact(r, &byte, 1, true);
		if (rc)
			return rc;
		*len |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return 0;
	}
	return corrupt(r, r->offset, "a record length that is not one");
}

/*
 * A text field, NUL-terminated in r->text.  The texts of one record fit:
 * they are no longer than its payload, and a record holds at most
 * TEXTS_PER_RECORD of them.
 */
static const char *take_text(struct reader *r, struct byte_reader *b)
{
	uint64_t len = byte_reader_varint(b);
	const uint8_t *s = len <= byte_reader_left(b) ? byte_reader_take(b, len) : NULL;
	char *copy = r->text + r->text_used;

	if (!s || memchr(s, 0, len)) {
		b->bad = true;
		return "";
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	r->text_used += len + 1;
	return copy;
}

/* Room for a record of LEN bytes, and for its texts. */
static int room_for_record(struct reader *r, uint64_t len)
{
	if (array_reserve(&r->payload, &r->payload_cap, len ? len : 1, 1) ||
	    array_reserve(&r->text, &r->text_cap, len + TEXTS_PER_RECORD, 1))
		return -ENOMEM;
	return 0;
}

static int problem(struct reader *r, const char *what)
{
	r->problem = what;
	return -EINVAL;
}

#define SHORT "a record shorter than its fields (or text with a NUL byte)"

static int read_meta(struct reader *r, struct byte_reader *b)
{
	uint64_t sample_value = byte_reader_varint(b), start_ns = byte_reader_varint(b);
	/* Added within version 1: a recording without it is of time. */
	uint64_t unit = byte_reader_left(b) ? byte_reader_varint(b) : PROF_UNIT_NANOSECONDS;

	if (b->bad)
		return problem(r, SHORT);
	if (r->have_meta)
		return problem(r, "a second META record");
	if (!sample_value)
		return problem(r, "a sampling interval of 0");
	if (unit > PROF_UNIT_BYTES)
		return problem(r, "an unknown unit of samples");
	r->have_meta = true;
	r->p->sample_value = sample_value;
	r->p->unit = unit;
	r->p->start_ns = start_ns;
	return 0;
}

static int read_string(struct reader *r, struct byte_reader *b)
{
	const char *text = take_text(r, b);
	size_t before = r->p->nstrings;

	if (b->bad)
		return problem(r, SHORT);
	if (profile_string(r->p, text) == UINT32_MAX)
		return -ENOMEM;
	return r->p->nstrings == before + 1 ? 0 : problem(r, "a string defined twice");
}

static int read_frame(struct reader *r, struct byte_reader *b)
{
	uint64_t name = byte_reader_varint(b), file = byte_reader_varint(b);
	int64_t line = byte_reader_zigzag(b);
	/* Added within version 1: older recordings end before these fields. */
	int64_t first_line = byte_reader_left(b) ? byte_reader_zigzag(b) : 0;
	uint64_t column1 = byte_reader_left(b) ? byte_reader_varint(b) : 0;
	struct profile *p = r->p;
	size_t before = p->nframes;

	if (b->bad)
		return problem(r, SHORT);
	if (name >= p->nstrings || file >= p->nstrings)
		return problem(r, "a frame names a string not defined before it");
	if (line < INT32_MIN || line > INT32_MAX || first_line < INT32_MIN || first_line > INT32_MAX)
		return problem(r, "a line number out of range");
	if (column1 > INT32_MAX || (column1 && line <= 0))
		return problem(r, "a column out of range, or without a line");
	/* Counted from 1 in the file, 0 for none: PROF_NO_COLUMN. */
	if (profile_code_frame(p, p->strings[name], p->strings[file], (int)first_line,
			       (int)line, (int)column1 - 1) == UINT32_MAX)
		return -ENOMEM;
	return p->nframes == before + 1 ? 0 : problem(r, "a frame defined twice");
}

static int read_process(struct reader *r, struct byte_reader *b)
{
	uint64_t pid = byte_reader_varint(b), ns_pid = byte_reader_varint(b);
	const char *cmdline = take_text(r, b), *version = take_text(r, b);
	size_t process;

	if (b->bad)
		return problem(r, SHORT);
	if (pid > UINT32_MAX || ns_pid > UINT32_MAX)
		return problem(r, "a process id out of range");
	process = profile_process(r->p, (uint32_t)pid, cmdline, version);
	if (process == PROFILE_NO_PROCESS)
		return -ENOMEM;
	r->p->processes[process].ns_pid = (uint32_t)ns_pid;
	return 0;
}

static bool wanted(const struct recording_filter *f, const struct prof_thread *t)
{
	return (!f->pid || f->pid == t->pid) && (!f->tid || f->tid == t->tid);
}

static int read_thread(struct reader *r, struct byte_reader *b)
{
	uint64_t process = byte_reader_varint(b), tid = byte_reader_varint(b);
	const char *name = take_text(r, b);
	/* Added within version 1: older recordings have no threading names. */
	const char *python_name = byte_reader_left(b) ? take_text(r, b) : "";
	size_t before = r->p->nthreads;
	struct thread_state *state;
	struct prof_thread *t;

	if (b->bad)
		return problem(r, SHORT);
	if (process >= r->p->nprocesses)
		return problem(r, "a thread of a process not defined before it");
	if (tid > UINT32_MAX)
		return problem(r, "a thread id out of range");
	if (array_reserve(&r->threads, &r->threads_cap, r->nthreads + 1, sizeof(*r->threads)))
		return -ENOMEM;
	t = profile_thread(r->p, process, (uint32_t)tid, name);
	if (!t)
		return -ENOMEM;
	if (r->p->nthreads != before + 1)
		return problem(r, "a thread defined twice");
	if (python_name[0] && profile_thread_set_name(t, python_name))
		return -ENOMEM;
	state = &r->threads[r->nthreads++];
	state->t = t;
	state->nstacks = 0;
	state->wanted = wanted(r->filter, t);
	return 0;
}

static struct thread_state *thread_of(struct reader *r, struct byte_reader *b)
{
	uint64_t thread = byte_reader_varint(b);

	return !b->bad && thread < r->nthreads ? &r->threads[thread] : NULL;
}

static int read_stack(struct reader *r, struct byte_reader *b)
{
	struct thread_state *state = thread_of(r, b);
	uint64_t depth = byte_reader_varint(b);

	if (b->bad)
		return problem(r, SHORT);
	if (!state)
		return problem(r, "a stack of a thread not defined before it");
	if (depth > RECORDING_MAX_DEPTH)
		return problem(r, "a stack deeper than any pybpf writes");
	if (array_reserve(&r->frames, &r->frames_cap, depth ? depth : 1, sizeof(*r->frames)))
		return -ENOMEM;
	for (uint64_t d = 0; d < depth; d++) {
		uint64_t frame = byte_reader_varint(b);

		if (b->bad)
			return problem(r, SHORT);
		if (frame >= r->p->nframes)
			return problem(r, "a stack names a frame not defined before it");
		r->frames[d] = (uint32_t)frame;
	}
	state->nstacks++;
	if (!state->wanted)
		return 0;
	/* A count of 0 only creates the stack, under the number the file gave it. */
	if (profile_add(r->p, state->t, r->frames, (uint32_t)depth, 0))
		return -ENOMEM;
	return state->t->nstacks == state->nstacks ? 0 : problem(r, "a stack defined twice");
}

static int read_sample(struct reader *r, struct byte_reader *b)
{
	struct thread_state *state = thread_of(r, b);
	uint64_t stack = byte_reader_varint(b);
	int64_t delta_ns = byte_reader_zigzag(b);
	uint64_t count = byte_reader_varint(b);
	const struct prof_stack *s;

	if (b->bad)
		return problem(r, SHORT);
	if (!state)
		return problem(r, "a sample of a thread not defined before it");
	if (stack >= state->nstacks)
		return problem(r, "a sample of a stack not defined before it");
	if (!count || count > UINT32_MAX)
		return problem(r, "a sample count out of range");
	r->time_ns = (int64_t)((uint64_t)r->time_ns + (uint64_t)delta_ns);
	if (!state->wanted)
		return 0;
	s = &state->t->stacks[stack];
	return profile_add_at(r->p, state->t, s->frames, s->depth, count, r->time_ns) ? -ENOMEM : 0;
}

static int read_source(struct reader *r, struct byte_reader *b)
{
	uint64_t file = byte_reader_varint(b), error = byte_reader_varint(b);
	uint64_t len = byte_reader_varint(b);
	const uint8_t *text = len <= byte_reader_left(b) ? byte_reader_take(b, len) : NULL;
	int rc;

	if (b->bad || !text)
		return problem(r, SHORT);
	if (file >= r->p->nstrings)
		return problem(r, "a source names a file not defined before it");
	if (error > 4095 || (error && len))
		return problem(r, "a source with both an error and text");
	rc = profile_source_add(r->p, (uint32_t)file, (int)error, (const char *)text, len);
	return rc == -EEXIST ? problem(r, "a source file given twice") : rc;
}

static int read_record(struct reader *r, uint8_t type, size_t len)
{
	static int (*const readers[])(struct reader *, struct byte_reader *) = {
		[REC_META] = read_meta, [REC_STRING] = read_string, [REC_FRAME] = read_frame,
		[REC_PROCESS] = read_process, [REC_THREAD] = read_thread,
		[REC_STACK] = read_stack, [REC_SAMPLE] = read_sample, [REC_SOURCE] = read_source,
	};
	struct byte_reader b = byte_reader(r->payload, len);

	if (!r->have_meta && type != REC_META)
		return problem(r, "the recording does not start with its META record");
	/* Types a newer pybpf added: skipped, as recording.h promises. */
	if (type >= ARRAY_SIZE(readers) || !readers[type])
		return 0;
	r->text_used = 0;
	return readers[type](r, &b);
}

static int read_end(struct reader *r, uint64_t at, size_t len, char **title)
{
	uint32_t expected, stored;
	uint8_t crc[4];
	struct byte_reader b = byte_reader(crc, sizeof(crc));
	uint64_t duration_ns;
	const char *text;

	int rc;

	if (len < sizeof(crc))
		return corrupt(r, at, "an END record too short for its checksum");
	rc = room_for_record(r, len);
	if (!rc)
		rc = read_exact(r, r->payload, len - sizeof(crc), true);
	expected = r->crc;
	if (!rc)
		rc = read_exact(r, crc, sizeof(crc), false);
	if (rc)
		return rc;
	stored = byte_reader_u32le(&b);
	if (stored != expected)
		return corrupt(r, at, "the checksum does not match: bytes before this point were changed");
	b = byte_reader(r->payload, len - sizeof(crc));
	r->text_used = 0;
	duration_ns = byte_reader_varint(&b);
	text = take_text(r, &b);
	if (b.bad)
		return corrupt(r, at, SHORT);
	if (fgetc(r->in) != EOF)
		return corrupt(r, r->offset, "data after the END record");
	r->p->duration_ns = duration_ns;
	*title = strdup(text);
	return *title ? 0 : -ENOMEM;
}

static int read_records(struct reader *r, char **title)
{
	for (;;) {
		uint64_t at = r->offset, len = 0;
		uint8_t type;
		int rc = read_framing(r, &type, &len);

		if (rc == 1)
			return short_read(r);	/* the file ends before its END record */
		if (rc)
			return rc;
		if (len > RECORDING_MAX_RECORD)
			return corrupt(r, at, "a record longer than any pybpf writes");
		if (type == REC_END)
			return read_end(r, at, len, title);
		rc = room_for_record(r, len);
		if (!rc)
			rc = read_exact(r, r->payload, len, true);
		if (rc)
			return rc;
		rc = read_record(r, type, len);
		if (rc == -EINVAL)
			return corrupt(r, at, r->problem);
		if (rc)
			return rc;
	}
}

int recording_read_stream(FILE *in, const char *name, struct profile *p,
			  const struct recording_filter *filter, char **title,
			  char *err, size_t errlen)
{
	static const struct recording_filter everything = { 0 };
	struct reader r = {
		.in = in, .name = name, .p = p, .filter = filter ? filter : &everything,
		.err = err, .errlen = errlen,
	};
	int rc;

	*title = NULL;
	rc = read_header(&r);
	if (!rc)
		rc = read_records(&r, title);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory reading %s", name);
	free(r.payload);
	free(r.text);
	free(r.frames);
	free(r.threads);
	return rc;
}

int recording_read(const char *path, struct profile *p, const struct recording_filter *filter,
		   char **title, char *err, size_t errlen)
{
	FILE *in = fopen(path, "rbe");
	int rc;

	if (!in) {
		snprintf(err, errlen, "cannot open the recording %s: %s", path, strerror(errno));
		return -errno;
	}
	rc = recording_read_stream(in, path, p, filter, title, err, errlen);
	fclose(in);
	return rc;
}
