// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/output/recording.h: a recording read back is the profile that was written,
 * and a damaged one (cut anywhere, any byte changed, well-formed but
 * inconsistent) is refused with a message, never a crash.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "base/bytes.h"
#include "capture.h"
#include "output/recording.h"
#include "output/speedscope.h"

/* A profile of two processes and three threads, recorded as it fills. */
static char *record_sample_profile(struct profile *p, size_t *len)
{
	struct recording_writer w;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	profile_init(p, 1000000);
	p->start_ns = 1700000000123456789ULL;
	recording_writer_attach(&w, f, p);
	size_t a = profile_process(p, 100, "python3 a.py", "3.11.7");
	size_t b = profile_process(p, 200, "python3 b.py \xc3\xa9", "");
	p->processes[b].ns_pid = 7;
	uint32_t mod = profile_frame(p, "<module>", "a.py", 1);
	uint32_t work = profile_code_frame(p, "work", "a.py", 9, 10, 4);
	uint32_t spin = profile_frame(p, "spin", "b.py", -1);
	profile_frame(p, "never sampled", "c.py", 3);
	/* Column 0 of the line work is at: another frame, and a real column. */
	profile_code_frame(p, "work", "a.py", 9, 10, 0);
	/* Sources: any bytes (a NUL too), or why there are none. */
	cr_assert_eq(profile_source_add(p, profile_string(p, "a.py"), 0, "x = 1\n\0y", 8), 0);
	cr_assert_eq(profile_source_add(p, profile_string(p, "b.py"), ENOENT, NULL, 0), 0);
	struct prof_thread *t1 = profile_thread(p, a, 100, "MainThread");
	struct prof_thread *t2 = profile_thread(p, a, 101, "python3");
	cr_assert_eq(profile_thread_set_name(t2, "worker"), 0);	/* threading's name */
	struct prof_thread *t3 = profile_thread(p, b, 200, "main");
	profile_thread(p, b, 201, "idle");
	const uint32_t s1[] = { mod, work }, s2[] = { mod, spin };
	const struct { struct prof_thread *t; const uint32_t *frames; uint32_t depth; uint64_t count;
		       int64_t time; } adds[] = {
		{ t1, s1, 2, 1, 1000 }, { t2, s2, 2, 1, 900 }, { t1, s1, 2, 1, 2000 },
		{ t1, s1, 1, 3, 3000 }, { t3, s2, 2, 1, 3500 }, { t1, s1, 2, 1, 4000 },
		{ t3, s1, 0, 2, 9000000000LL },
	};

	for (size_t i = 0; i < sizeof(adds) / sizeof(adds[0]); i++) {
		cr_assert_eq(profile_add_at(p, adds[i].t, adds[i].frames, adds[i].depth, adds[i].count,
					    adds[i].time), 0);
	}
	p->duration_ns = 9500000000ULL;
	cr_assert_eq(recording_writer_finish(&w, p, "pybpf record -p 100"), 0);
	recording_writer_free(&w);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

static int read_bytes(const void *data, size_t len, struct profile *p,
		      const struct recording_filter *filter, char **title, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)data, len, "r");
	int rc;

	/* fmemopen refuses a size of 0: an empty stream is /dev/null. */
	if (!len)
		f = fopen("/dev/null", "r");
	cr_assert_not_null(f);
	profile_init(p, 0);
	rc = recording_read_stream(f, "run.pybpf", p, filter, title, err, errlen);
	fclose(f);
	return rc;
}

static void assert_same_threads(const struct profile *a, const struct profile *b)
{
	cr_assert_eq(a->nthreads, b->nthreads);
	for (size_t i = 0; i < a->nthreads; i++) {
		const struct prof_thread *x = a->threads[i], *y = b->threads[i];

		cr_assert_eq(x->pid, y->pid);
		cr_assert_eq(x->tid, y->tid);
		cr_assert_str_eq(x->name, y->name);
		cr_assert_str_eq(profile_thread_os_name(x), profile_thread_os_name(y));
		cr_assert_eq(!x->os_name, !y->os_name);
		cr_assert_eq(x->samples, y->samples);
		cr_assert_eq(x->nstacks, y->nstacks);
		for (size_t s = 0; s < x->nstacks; s++) {
			cr_assert_eq(x->stacks[s].depth, y->stacks[s].depth);
			cr_assert_eq(x->stacks[s].count, y->stacks[s].count);
			cr_assert_eq(memcmp(x->stacks[s].frames, y->stacks[s].frames,
					    x->stacks[s].depth * sizeof(uint32_t)), 0);
		}
		cr_assert_eq(x->nruns, y->nruns);
		for (size_t r = 0; r < x->nruns; r++)
			cr_assert(x->runs[r].stack == y->runs[r].stack && x->runs[r].count == y->runs[r].count);
	}
}

Test(recording, reads_back_the_profile_that_was_written)
{
	struct profile written, read;
	size_t len;
	char *data = record_sample_profile(&written, &len), *title, err[256] = "";

	cr_assert_eq(memcmp(data, "PYBPFREC\x01\0\0\0", 12), 0);
	cr_assert_eq(read_bytes(data, len, &read, NULL, &title, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(title, "pybpf record -p 100");
	cr_assert_eq(read.sample_value, written.sample_value);
	cr_assert_eq(read.unit, written.unit);
	cr_assert_eq(read.start_ns, written.start_ns);
	cr_assert_eq(read.duration_ns, written.duration_ns);
	cr_assert_eq(read.nstrings, written.nstrings);
	for (size_t i = 0; i < read.nstrings; i++)
		cr_assert_str_eq(read.strings[i], written.strings[i]);
	cr_assert_eq(read.nframes, written.nframes, "unsampled frames too");
	cr_assert_eq(memcmp(read.frames, written.frames, read.nframes * sizeof(*read.frames)), 0);
	cr_assert_eq(read.nprocesses, 2);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_eq(read.processes[i].pid, written.processes[i].pid);
		cr_assert_eq(read.processes[i].ns_pid, written.processes[i].ns_pid);
		cr_assert_str_eq(read.processes[i].cmdline, written.processes[i].cmdline);
		cr_assert_str_eq(read.processes[i].version, written.processes[i].version);
		cr_assert_eq(read.processes[i].samples, written.processes[i].samples);
	}
	assert_same_threads(&written, &read);
	cr_assert_eq(read.sources.n, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct prof_source *a = &written.sources.list[i], *b = &read.sources.list[i];

		cr_assert_eq(a->file, b->file);
		cr_assert_eq(a->error, b->error);
		cr_assert_eq(a->len, b->len);
		cr_assert_eq(memcmp(a->text ? a->text : "", b->text ? b->text : "", a->len), 0);
	}

	/* So every writer writes the same bytes. */
	char *a = capture(speedscope_write, &written, title, NULL);
	char *b = capture(speedscope_write, &read, title, NULL);

	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	free(title);
	free(data);
	profile_free(&written);
	profile_free(&read);
}

/* The frame of WORK named NAME at COLUMN; UINT32_MAX if there is none. */
static uint32_t frame_at(const struct profile *p, const char *name, int column)
{
	for (uint32_t i = 0; i < p->nframes; i++)
		if (!strcmp(p->strings[p->frames[i].name], name) && p->frames[i].column == column)
			return i;
	return UINT32_MAX;
}

/* Two calls on one line stay two frames, each at its own column; no column stays none. */
Test(recording, columns_come_back)
{
	struct profile written, read;
	size_t len;
	char *data = record_sample_profile(&written, &len), *title, err[256] = "";
	uint32_t at4, at0;

	cr_assert_eq(read_bytes(data, len, &read, NULL, &title, err, sizeof(err)), 0, "%s", err);
	at4 = frame_at(&read, "work", 4);
	at0 = frame_at(&read, "work", 0);
	cr_assert(at4 != UINT32_MAX && at0 != UINT32_MAX && at4 != at0);
	cr_assert_eq(read.frames[at4].line, 10);
	cr_assert_eq(read.frames[at0].line, 10);
	cr_assert_eq(frame_at(&read, "<module>", PROF_NO_COLUMN), frame_at(&written, "<module>",
									 PROF_NO_COLUMN));
	cr_assert_neq(frame_at(&read, "<module>", PROF_NO_COLUMN), UINT32_MAX);
	/* speedscope counts from 1: columns 4 and 0 are 5 and 1, none is no "col". */
	char *doc = capture(speedscope_write, &read, title, NULL);

	cr_assert_not_null(strstr(doc, "{\"name\":\"work\",\"file\":\"a.py\",\"line\":10,\"col\":5}"),
			   "%s", doc);
	cr_assert_not_null(strstr(doc, "{\"name\":\"work\",\"file\":\"a.py\",\"line\":10,\"col\":1}"),
			   "%s", doc);
	cr_assert_not_null(strstr(doc, "{\"name\":\"<module>\",\"file\":\"a.py\",\"line\":1}"),
			   "%s", doc);
	free(doc);
	free(title);
	free(data);
	profile_free(&written);
	profile_free(&read);
}

static int64_t times[8];
static size_t ntimes;

static void keep_time(void *ctx, const struct profile *p, const struct prof_thread *t,
		      uint32_t stack, bool new_stack, uint64_t count, int64_t time_ns)
{
	if (count && ntimes < 8)
		times[ntimes++] = time_ns;
}

/* The times of the samples come back too, as the listener sees them. */
Test(recording, keeps_every_sample_time)
{
	struct profile written, read;
	size_t len;
	char *data = record_sample_profile(&written, &len), *title, err[256];
	const int64_t want[] = { 1000, 900, 2000, 3000, 3500, 4000, 9000000000LL };
	FILE *f = fmemopen(data, len, "r");

	profile_init(&read, 0);
	read.listener.on_add = keep_time;
	ntimes = 0;
	cr_assert_eq(recording_read_stream(f, "x", &read, NULL, &title, err, sizeof(err)), 0, "%s", err);
	fclose(f);
	cr_assert_eq(ntimes, 7);
	for (size_t i = 0; i < ntimes; i++)
		cr_assert_eq(times[i], want[i], "sample %zu at %lld", i, (long long)times[i]);
	free(title);
	free(data);
	profile_free(&written);
	profile_free(&read);
}

Test(recording, filters_by_pid_and_tid)
{
	struct profile written, read;
	size_t len;
	char *data = record_sample_profile(&written, &len), *title, err[256];
	struct recording_filter by_pid = { .pid = 200 }, by_tid = { .tid = 101 }, nobody = { .pid = 1 };

	cr_assert_eq(read_bytes(data, len, &read, &by_pid, &title, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(read.nthreads, 4, "every thread is known");
	cr_assert_eq(read.threads[0]->samples + read.threads[1]->samples, 0);
	cr_assert_eq(read.threads[2]->samples, 3);
	cr_assert_eq(profile_samples(&read), 3);
	free(title);
	profile_free(&read);

	cr_assert_eq(read_bytes(data, len, &read, &by_tid, &title, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(profile_samples(&read), 1);
	cr_assert_eq(read.threads[1]->samples, 1);
	free(title);
	profile_free(&read);

	cr_assert_eq(read_bytes(data, len, &read, &nobody, &title, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(profile_samples(&read), 0);
	free(title);
	profile_free(&read);
	free(data);
	profile_free(&written);
}

static void assert_refused(const void *data, size_t len, const char *want)
{
	struct profile p;
	char *title = (char *)1, err[512] = "";
	int rc = read_bytes(data, len, &p, NULL, &title, err, sizeof(err));

	cr_assert_neq(rc, 0, "a damaged recording (%zu bytes) was accepted", len);
	cr_assert_null(title);
	cr_assert(strstr(err, "run.pybpf ") == err, "the message names the file: %s", err);
	cr_assert_null(strchr(err, '\n'), "one line: %s", err);
	if (want)
		cr_assert_not_null(strstr(err, want), "\"%s\" does not say \"%s\"", err, want);
	profile_free(&p);
}

Test(recording, cut_anywhere_is_truncated)
{
	struct profile written;
	size_t len;
	char *data = record_sample_profile(&written, &len);

	assert_refused(data, 0, "is not a pybpf recording");
	for (size_t cut = 1; cut < len; cut++)
		assert_refused(data, cut, "is truncated at byte");
	free(data);
	profile_free(&written);
}

Test(recording, any_changed_byte_is_refused)
{
	struct profile written;
	size_t len;
	char *data = record_sample_profile(&written, &len);

	for (size_t at = 0; at < len; at++) {
		for (unsigned int bit = 0; bit < 8; bit += 3) {
			data[at] ^= 1 << bit;
			assert_refused(data, len, NULL);
			data[at] ^= 1 << bit;
		}
	}
	assert_refused(data, 4, "is truncated at byte 4");
	data[0] = 'X';
	assert_refused(data, len, "is not a pybpf recording");
	free(data);
	profile_free(&written);
}

/* Hand-made recordings: well-formed, checksummed, but wrong inside. */
struct builder {
	struct byte_buf file, record;
};

static struct builder *start_file(uint32_t version)
{
	struct builder *b = calloc(1, sizeof(*b));

	byte_buf_append(&b->file, "PYBPFREC", 8);
	byte_buf_u32le(&b->file, version);
	return b;
}

static void add_record(struct builder *b, uint8_t type)
{
	byte_buf_append(&b->file, &type, 1);
	byte_buf_varint(&b->file, b->record.len);
	byte_buf_append(&b->file, b->record.data, b->record.len);
	b->record.len = 0;
}

static void add_text(struct builder *b, const char *s, size_t len)
{
	byte_buf_varint(&b->record, len);
	byte_buf_append(&b->record, s, len);
}

static void add_meta(struct builder *b)
{
	byte_buf_varint(&b->record, 1000000);
	byte_buf_varint(&b->record, 0);
	add_record(b, REC_META);
}

/* META, then process 0 (pid 1) and its thread 0 (tid 1). */
static struct builder *start_with_a_thread(void)
{
	struct builder *b = start_file(RECORDING_VERSION);

	add_meta(b);
	byte_buf_varint(&b->record, 1);
	byte_buf_varint(&b->record, 1);
	add_text(b, "cmd", 3);
	add_text(b, "", 0);
	add_record(b, REC_PROCESS);
	byte_buf_varint(&b->record, 0);
	byte_buf_varint(&b->record, 1);
	add_text(b, "t", 1);
	add_record(b, REC_THREAD);
	return b;
}

/* Checksummed END; the caller frees the file. */
static void finish_file(struct builder *b)
{
	byte_buf_varint(&b->record, 1);
	add_text(b, "t", 1);
	uint8_t type = REC_END;

	byte_buf_append(&b->file, &type, 1);
	byte_buf_varint(&b->file, b->record.len + 4);
	byte_buf_append(&b->file, b->record.data, b->record.len);
	byte_buf_u32le(&b->file, crc32(0, b->file.data, b->file.len));
	byte_buf_free(&b->record);
}

static void assert_builder_refused(struct builder *b, const char *want)
{
	finish_file(b);
	assert_refused(b->file.data, b->file.len, want);
	byte_buf_free(&b->file);
	free(b);
}

Test(recording, a_minimal_file_reads)
{
	struct builder *b = start_file(RECORDING_VERSION);
	struct profile p;
	char *title, err[256];

	add_meta(b);
	byte_buf_varint(&b->record, 5);
	add_record(b, 200);	/* a type from the future: skipped */
	add_text(b, "s", 1);
	byte_buf_varint(&b->record, 99);	/* a field from the future: skipped */
	add_record(b, REC_STRING);
	finish_file(b);
	cr_assert_eq(read_bytes(b->file.data, b->file.len, &p, NULL, &title, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(p.nstrings, 1);
	cr_assert_str_eq(title, "t");
	cr_assert_eq(p.duration_ns, 1);
	cr_assert_eq(p.unit, PROF_UNIT_NANOSECONDS, "a META record of before units: time");
	free(title);
	profile_free(&p);
	byte_buf_free(&b->file);
	free(b);
}

/*
 * A FRAME record from before first lines were kept has three fields: first
 * line 0; one from before columns four: no column.  A fifth counts from 1.
 */
Test(recording, an_early_frame_reads_without_a_first_line)
{
	struct builder *b = start_file(RECORDING_VERSION);
	struct profile p;
	char *title, err[256];

	add_meta(b);
	add_text(b, "f", 1);
	add_record(b, REC_STRING);
	add_text(b, "x.py", 4);
	add_record(b, REC_STRING);
	byte_buf_varint(&b->record, 0);
	byte_buf_varint(&b->record, 1);
	byte_buf_zigzag(&b->record, 12);
	add_record(b, REC_FRAME);
	byte_buf_varint(&b->record, 0);
	byte_buf_varint(&b->record, 1);
	byte_buf_zigzag(&b->record, 13);
	byte_buf_zigzag(&b->record, 11);
	add_record(b, REC_FRAME);
	byte_buf_varint(&b->record, 0);
	byte_buf_varint(&b->record, 1);
	byte_buf_zigzag(&b->record, 13);
	byte_buf_zigzag(&b->record, 11);
	byte_buf_varint(&b->record, 1);
	add_record(b, REC_FRAME);
	finish_file(b);
	cr_assert_eq(read_bytes(b->file.data, b->file.len, &p, NULL, &title, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(p.nframes, 3);
	cr_assert_eq(p.frames[0].line, 12);
	cr_assert_eq(p.frames[0].first_line, 0);
	cr_assert_eq(p.frames[0].column, PROF_NO_COLUMN);
	cr_assert_eq(p.frames[1].line, 13);
	cr_assert_eq(p.frames[1].first_line, 11);
	cr_assert_eq(p.frames[1].column, PROF_NO_COLUMN);
	cr_assert_eq(p.frames[2].line, 13);
	cr_assert_eq(p.frames[2].column, 0);
	free(title);
	profile_free(&p);
	byte_buf_free(&b->file);
	free(b);
}

/* A THREAD record from before threading's names has three fields: the OS name only. */
Test(recording, an_early_thread_reads_without_a_threading_name)
{
	struct builder *b = start_with_a_thread();
	struct profile p;
	char *title, err[256];

	/* The same thread's record today: OS name, then threading's. */
	byte_buf_varint(&b->record, 0);
	byte_buf_varint(&b->record, 2);
	add_text(b, "python3", 7);
	add_text(b, "alpha-worker", 12);
	add_record(b, REC_THREAD);
	finish_file(b);
	cr_assert_eq(read_bytes(b->file.data, b->file.len, &p, NULL, &title, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(p.nthreads, 2);
	cr_assert_str_eq(p.threads[0]->name, "t");
	cr_assert_null(p.threads[0]->os_name);
	cr_assert_str_eq(p.threads[1]->name, "alpha-worker");
	cr_assert_str_eq(p.threads[1]->os_name, "python3");
	free(title);
	profile_free(&p);
	byte_buf_free(&b->file);
	free(b);
}

Test(recording, inconsistent_records_are_corrupt)
{
	struct builder *b;

	b = start_file(2);
	assert_builder_refused(b, "is a version 2 recording; this pybpf reads version 1 (use a newer pybpf)");

	b = start_file(RECORDING_VERSION);
	add_text(b, "s", 1);
	add_record(b, REC_STRING);
	assert_builder_refused(b, "corrupt at byte 12: the recording does not start with its META record");

	b = start_file(RECORDING_VERSION);
	add_meta(b);
	add_meta(b);
	assert_builder_refused(b, "a second META record");

	b = start_file(RECORDING_VERSION);
	add_meta(b);
	add_text(b, "s", 1);
	add_record(b, REC_STRING);
	add_text(b, "s", 1);
	add_record(b, REC_STRING);
	assert_builder_refused(b, "a string defined twice");

	b = start_file(RECORDING_VERSION);
	add_meta(b);
	add_text(b, "nul\0inside", 10);
	add_record(b, REC_STRING);
	assert_builder_refused(b, "a record shorter than its fields (or text with a NUL byte)");

	b = start_file(RECORDING_VERSION);
	add_meta(b);
	add_text(b, "s", 1);
	add_record(b, REC_STRING);
	byte_buf_varint(&b->record, 0);
	byte_buf_varint(&b->record, 1);
	byte_buf_zigzag(&b->record, 3);
	add_record(b, REC_FRAME);
	assert_builder_refused(b, "a frame names a string not defined before it");

	b = start_file(RECORDING_VERSION);
	add_meta(b);
	byte_buf_varint(&b->record, 0);
	add_record(b, REC_FRAME);
	assert_builder_refused(b, "a record shorter than its fields");

	/* A column with no line to be on, and one past any int. */
	for (int bad = 0; bad < 2; bad++) {
		b = start_file(RECORDING_VERSION);
		add_meta(b);
		add_text(b, "s", 1);
		add_record(b, REC_STRING);
		byte_buf_varint(&b->record, 0);
		byte_buf_varint(&b->record, 0);
		byte_buf_zigzag(&b->record, bad ? 3 : 0);
		byte_buf_zigzag(&b->record, 1);
		byte_buf_varint(&b->record, bad ? 1ULL << 31 : 5);
		add_record(b, REC_FRAME);
		assert_builder_refused(b, "a column out of range, or without a line");
	}

	b = start_file(RECORDING_VERSION);
	add_meta(b);
	byte_buf_varint(&b->record, 0);
	byte_buf_varint(&b->record, 5);
	add_text(b, "t", 1);
	add_record(b, REC_THREAD);
	assert_builder_refused(b, "a thread of a process not defined before it");

	b = start_with_a_thread();
	byte_buf_varint(&b->record, 0);
	byte_buf_varint(&b->record, 1);
	byte_buf_varint(&b->record, 0);	/* frame 0: there is none */
	add_record(b, REC_STACK);
	assert_builder_refused(b, "a stack names a frame not defined before it");

	b = start_with_a_thread();
	byte_buf_varint(&b->record, 0);
	byte_buf_varint(&b->record, 0);	/* an empty stack is fine */
	add_record(b, REC_STACK);
	byte_buf_varint(&b->record, 0);
	byte_buf_varint(&b->record, 1);	/* stack 1: there is only 0 */
	byte_buf_zigzag(&b->record, 10);
	byte_buf_varint(&b->record, 1);
	add_record(b, REC_SAMPLE);
	assert_builder_refused(b, "a sample of a stack not defined before it");

	b = start_file(RECORDING_VERSION);
	add_meta(b);
	byte_buf_varint(&b->file, 0);	/* type 0, then a length past the limit */
	byte_buf_varint(&b->file, RECORDING_MAX_RECORD + 1);
	assert_builder_refused(b, "a record longer than any pybpf writes");
}

Test(recording, data_after_the_end_is_corrupt)
{
	struct builder *b = start_file(RECORDING_VERSION);

	add_meta(b);
	finish_file(b);
	byte_buf_append(&b->file, "x", 1);
	assert_refused(b->file.data, b->file.len, "data after the END record");
	byte_buf_free(&b->file);
	free(b);
}

Test(recording, a_missing_file_says_so)
{
	struct profile p;
	char *title, err[512];

	profile_init(&p, 0);
	cr_assert_neq(recording_read("/nonexistent/run.pybpf", &p, NULL, &title, err, sizeof(err)), 0);
	cr_assert_str_eq(err, "cannot open the recording /nonexistent/run.pybpf: No such file or directory");
	cr_assert_neq(recording_read("/", &p, NULL, &title, err, sizeof(err)), 0);
	cr_assert_str_eq(err, "cannot read /: Is a directory");
	profile_free(&p);
}

/* --mode memory's recordings: their samples stand for bytes. */
Test(recording, the_unit_comes_back)
{
	struct builder *b = start_file(RECORDING_VERSION);
	struct profile p;
	char *title, err[256];

	byte_buf_varint(&b->record, 512 << 10);
	byte_buf_varint(&b->record, 0);
	byte_buf_varint(&b->record, PROF_UNIT_BYTES);
	add_record(b, REC_META);
	finish_file(b);
	cr_assert_eq(read_bytes(b->file.data, b->file.len, &p, NULL, &title, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(p.unit, PROF_UNIT_BYTES);
	cr_assert_eq(p.sample_value, 512 << 10);
	free(title);
	profile_free(&p);
	byte_buf_free(&b->file);
	free(b);
}
