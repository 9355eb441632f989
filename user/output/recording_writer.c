// SPDX-License-Identifier: BSD-3-Clause
/* Writing the raw recording (recording.h) while the profile fills. */
#include <errno.h>
#include <string.h>
#include <zlib.h>
#include "output/recording.h"

static void write_bytes(struct recording_writer *w, const void *data, size_t len)
{
	if (!len)
		return;		/* zlib's crc32() restarts on a NULL buffer */
	fwrite(data, 1, len, w->out);
	w->crc = crc32(w->crc, data, len);
}

/* Records are built in w->record, then written whole with their framing. */
static struct byte_buf *begin(struct recording_writer *w)
{
	w->record.len = 0;
	return &w->record;
}

/* The record in w->record, whose payload has TRAILER more bytes to come. */
static void emit_with_trailer(struct recording_writer *w, enum recording_type type, size_t trailer)
{
	uint8_t t = type;

	w->framing.len = 0;
	byte_buf_append(&w->framing, &t, 1);
	byte_buf_varint(&w->framing, w->record.len + trailer);
	write_bytes(w, w->framing.data, w->framing.len);
	write_bytes(w, w->record.data, w->record.len);
}

static void emit(struct recording_writer *w, enum recording_type type)
{
	emit_with_trailer(w, type, 0);
}

static void text(struct byte_buf *b, const char *s)
{
	size_t len = strlen(s);

	byte_buf_varint(b, len);
	byte_buf_append(b, s, len);
}

static void start(struct recording_writer *w, const struct profile *p)
{
	struct byte_buf *b;

	if (w->started)
		return;
	w->started = true;
	w->framing.len = 0;
	byte_buf_append(&w->framing, RECORDING_MAGIC, RECORDING_MAGIC_LEN);
	byte_buf_u32le(&w->framing, RECORDING_VERSION);
	write_bytes(w, w->framing.data, w->framing.len);
	b = begin(w);
	byte_buf_varint(b, p->sample_value);
	byte_buf_varint(b, p->start_ns);
	byte_buf_varint(b, p->unit);
	emit(w, REC_META);
}

/* Everything the profile gained since the last record, in its own order. */
static void catch_up(struct recording_writer *w, const struct profile *p)
{
	struct byte_buf *b;

	start(w, p);
	for (; w->strings < p->nstrings; w->strings++) {
		text(begin(w), p->strings[w->strings]);
		emit(w, REC_STRING);
	}
	for (; w->frames < p->nframes; w->frames++) {
		const struct prof_frame *f = &p->frames[w->frames];

		b = begin(w);
		byte_buf_varint(b, f->name);
		byte_buf_varint(b, f->file);
		byte_buf_zigzag(b, f->line);
		byte_buf_zigzag(b, f->first_line);
		/* From 1, so that 0 is none, as in a recording from before columns. */
		byte_buf_varint(b, (uint64_t)prof_frame_column1(f));
		emit(w, REC_FRAME);
	}
	for (; w->processes < p->nprocesses; w->processes++) {
		const struct prof_process *proc = &p->processes[w->processes];

		b = begin(w);
		byte_buf_varint(b, proc->pid);
		byte_buf_varint(b, proc->ns_pid);
		text(b, proc->cmdline);
		text(b, proc->version);
		emit(w, REC_PROCESS);
	}
	for (; w->threads < p->nthreads; w->threads++) {
		const struct prof_thread *t = p->threads[w->threads];

		b = begin(w);
		byte_buf_varint(b, t->process);
		byte_buf_varint(b, t->tid);
		text(b, profile_thread_os_name(t));
		text(b, t->os_name ? t->name : "");
		emit(w, REC_THREAD);
	}
	for (; w->sources < p->sources.n; w->sources++) {
		const struct prof_source *src = &p->sources.list[w->sources];

		b = begin(w);
		byte_buf_varint(b, src->file);
		byte_buf_varint(b, (uint64_t)src->error);
		byte_buf_varint(b, src->len);
		byte_buf_append(b, src->text, src->len);
		emit(w, REC_SOURCE);
	}
}

_Static_assert(SOURCE_MAX_BYTES + 32 <= RECORDING_MAX_RECORD,
	       "a kept source file and its fields fit one record");

static void on_add(void *ctx, const struct profile *p, const struct prof_thread *t,
		   uint32_t stack, bool new_stack, uint64_t count, int64_t time_ns)
{
	struct recording_writer *w = ctx;
	const struct prof_stack *s = &t->stacks[stack];
	struct byte_buf *b;

	catch_up(w, p);
	if (new_stack) {
		b = begin(w);
		byte_buf_varint(b, t->index);
		byte_buf_varint(b, s->depth);
		for (uint32_t d = 0; d < s->depth; d++)
			byte_buf_varint(b, s->frames[d]);
		emit(w, REC_STACK);
	}
	/* A count goes up to UINT32_MAX a record; more takes several at the same time. */
	while (count) {
		uint64_t n = count < UINT32_MAX ? count : UINT32_MAX;

		b = begin(w);
		byte_buf_varint(b, t->index);
		byte_buf_varint(b, stack);
		byte_buf_zigzag(b, time_ns - w->last_time_ns);
		byte_buf_varint(b, n);
		emit(w, REC_SAMPLE);
		w->last_time_ns = time_ns;
		count -= n;
	}
}

void recording_writer_attach(struct recording_writer *w, FILE *out, struct profile *p)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	p->listener.on_add = on_add;
	p->listener.ctx = w;
}

int recording_writer_finish(struct recording_writer *w, struct profile *p, const char *title)
{
	struct byte_buf *b;

	catch_up(w, p);
	b = begin(w);
	byte_buf_varint(b, p->duration_ns);
	text(b, title);
	/* The CRC ends the record and covers everything before it, this record's start too. */
	emit_with_trailer(w, REC_END, sizeof(uint32_t));
	w->framing.len = 0;
	byte_buf_u32le(&w->framing, w->crc);
	write_bytes(w, w->framing.data, w->framing.len);
	p->listener.on_add = NULL;
	if (w->record.failed || w->framing.failed)
		return -ENOMEM;
	return ferror(w->out) ? -EIO : 0;
}

void recording_writer_free(struct recording_writer *w)
{
	byte_buf_free(&w->record);
	byte_buf_free(&w->framing);
}
