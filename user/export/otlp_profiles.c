// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "base/array.h"
#include "base/hashmap.h"
#include "export/otlp_profiles.h"
#include "output/pprof.h"
#include "output/protobuf.h"

/* Field numbers: opentelemetry/proto/collector/profiles/v1development/profiles_service.proto */
enum { REQUEST_RESOURCE_PROFILES = 1, REQUEST_DICTIONARY = 2 };
/* ... profiles/v1development/profiles.proto */
enum {
	DICT_MAPPING = 1, DICT_LOCATION = 2, DICT_FUNCTION = 3, DICT_LINK = 4, DICT_STRING = 5,
	DICT_ATTRIBUTE = 6, DICT_STACK = 7,
};
enum { RESOURCE_PROFILES_RESOURCE = 1, RESOURCE_PROFILES_SCOPE_PROFILES = 2 };
enum { SCOPE_PROFILES_SCOPE = 1, SCOPE_PROFILES_PROFILES = 2 };
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLES = 2, PROFILE_TIME_UNIX_NANO = 3, PROFILE_DURATION_NANO = 4,
	PROFILE_PERIOD_TYPE = 5, PROFILE_PERIOD = 6, PROFILE_ID = 7,
};
enum { SAMPLE_STACK_INDEX = 1, SAMPLE_ATTRIBUTE_INDICES = 2, SAMPLE_VALUES = 4 };
enum { STACK_LOCATION_INDICES = 1 };
enum { LOCATION_LINES = 3 };
enum { FUNCTION_NAME = 1, FUNCTION_SYSTEM_NAME = 2, FUNCTION_FILENAME = 3, FUNCTION_START_LINE = 4 };
enum { VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2 };
enum { ATTRIBUTE_KEY = 1, ATTRIBUTE_VALUE = 2 };	/* KeyValueAndUnit */
/* ... common/v1/common.proto, resource/v1/resource.proto */
enum { ANY_STRING = 1, ANY_INT = 3 };
enum { KEY_VALUE_KEY = 1, KEY_VALUE_VALUE = 2 };
enum { RESOURCE_ATTRIBUTES = 1 };
enum { SCOPE_NAME = 1, SCOPE_VERSION = 2 };

#define PROFILE_ID_BYTES 16

/* One request's dictionary, each table's entry 0 the zero value the spec asks for. */
struct encoder {
	const struct profile *p;
	struct byte_buf strings, functions, locations, stacks, attributes;	/* the tables' fields */
	struct hmap string_index, function_index, stack_index, attribute_index;	/* -> index */
	uint32_t nstrings, nfunctions, nlocations, nstacks, nattributes;
	uint32_t *location_of;		/* frame id -> location index, 0: none yet */
	uint64_t *ids;			/* scratch: a stack's location indices */
	struct byte_buf msg, sub, text;	/* scratch */
	bool failed;
};

/* The index of KEY in an interned table, or 0 with *CREATED when new (its entry to write). */
static uint32_t intern(struct encoder *e, struct hmap *index, const void *key, size_t len, uint32_t *count,
		       bool *created)
{
	uintptr_t *slot = hmap_upsert(index, key, len, created);

	if (!slot) {
		e->failed = true;
		*created = false;
		return 0;
	}
	if (*created)
		*slot = (*count)++;
	return (uint32_t)*slot;
}

static uint32_t string_index(struct encoder *e, const char *text)
{
	bool created;
	uint32_t at = intern(e, &e->string_index, text, strlen(text), &e->nstrings, &created);

	if (created)
		pb_text(&e->strings, DICT_STRING, text, &e->text);
	return at;
}

static uint32_t function_index(struct encoder *e, const struct prof_frame *f)
{
	/* A function is its name, file and first line: its lines are locations. */
	uint32_t key[3] = { f->name, f->file, (uint32_t)f->first_line }, name;
	bool created;
	uint32_t at = intern(e, &e->function_index, key, sizeof(key), &e->nfunctions, &created);

	if (!created)
		return at;
	name = string_index(e, e->p->strings[f->name]);
	e->sub.len = 0;
	pb_uint(&e->sub, FUNCTION_NAME, name);
	pb_uint(&e->sub, FUNCTION_SYSTEM_NAME, name);
	/* A marker has no file: index 0, "". */
	if (e->p->strings[f->file][0])
		pb_uint(&e->sub, FUNCTION_FILENAME, string_index(e, e->p->strings[f->file]));
	if (f->first_line > 0)
		pb_uint(&e->sub, FUNCTION_START_LINE, (uint64_t)f->first_line);
	pb_message(&e->functions, DICT_FUNCTION, &e->sub);
	return at;
}

/* The location of FRAME: its function at its line and column (from 1; none: unknown). */
static uint32_t location_index(struct encoder *e, uint32_t frame)
{
	const struct prof_frame *f = &e->p->frames[frame];
	uint32_t function;

	if (e->location_of[frame])
		return e->location_of[frame];
	function = function_index(e, f);
	e->sub.len = 0;
	pprof_line(&e->sub, function, f);
	e->msg.len = 0;
	pb_message(&e->msg, LOCATION_LINES, &e->sub);
	pb_message(&e->locations, DICT_LOCATION, &e->msg);
	return e->location_of[frame] = e->nlocations++;
}

/* The stack of S, leaf first as OTLP has it. */
static uint32_t stack_index(struct encoder *e, const struct prof_stack *s)
{
	bool created;
	uint32_t at;

	for (uint32_t d = 0; d < s->depth; d++)
		e->ids[d] = location_index(e, s->frames[s->depth - 1 - d]);
	at = intern(e, &e->stack_index, e->ids, s->depth * sizeof(*e->ids), &e->nstacks, &created);
	if (created) {
		e->msg.len = 0;
		pb_packed(&e->msg, STACK_LOCATION_INDICES, e->ids, s->depth);
		pb_message(&e->stacks, DICT_STACK, &e->msg);
	}
	return at;
}

/* AnyValue: TEXT, or else NUMBER. */
static void any_value(struct byte_buf *b, uint32_t field, const char *text, int64_t number, struct encoder *e)
{
	e->text.len = 0;
	e->sub.len = 0;
	if (text)
		pb_text(&e->sub, ANY_STRING, text, &e->text);
	else
		pb_uint(&e->sub, ANY_INT, (uint64_t)number);
	pb_message(b, field, &e->sub);
}

/* A sample attribute (KEY, TEXT or NUMBER) in the attribute table. */
static uint32_t attribute_index(struct encoder *e, const char *key, const char *text, int64_t number)
{
	uint32_t key_index = string_index(e, key), at;
	struct byte_buf id = { 0 };
	bool created;

	/* Interned by key, kind and value: a name's text, or a number's bytes. */
	byte_buf_append(&id, &key_index, sizeof(key_index));
	byte_buf_append(&id, text ? "s" : "i", 1);
	if (text)
		byte_buf_append(&id, text, strlen(text));
	else
		byte_buf_append(&id, &number, sizeof(number));
	if (id.failed) {
		e->failed = true;
		return 0;
	}
	at = intern(e, &e->attribute_index, id.data, id.len, &e->nattributes, &created);
	byte_buf_free(&id);
	if (created) {
		e->msg.len = 0;
		pb_uint(&e->msg, ATTRIBUTE_KEY, key_index);
		any_value(&e->msg, ATTRIBUTE_VALUE, text, number, e);
		pb_message(&e->attributes, DICT_ATTRIBUTE, &e->msg);
	}
	return at;
}

/* A resource attribute: KeyValue with TEXT (skipped when NULL or empty) or NUMBER. */
static void resource_attribute(struct encoder *e, struct byte_buf *resource, const char *key, const char *text,
			       int64_t number, bool is_text)
{
	struct byte_buf kv = { 0 };

	if (is_text && (!text || !*text))
		return;
	pb_string(&kv, KEY_VALUE_KEY, key);
	any_value(&kv, KEY_VALUE_VALUE, is_text ? text : NULL, number, e);
	pb_message(resource, RESOURCE_ATTRIBUTES, &kv);
	byte_buf_free(&kv);
}

static void value_type(struct encoder *e, struct byte_buf *profile, uint32_t field, const char *type,
		       const char *unit)
{
	struct byte_buf vt = { 0 };

	pb_uint(&vt, VALUE_TYPE_TYPE, string_index(e, type));
	pb_uint(&vt, VALUE_TYPE_UNIT, string_index(e, unit));
	pb_message(profile, field, &vt);
	byte_buf_free(&vt);
}

/* How many of T's samples of stack I the baseline has sent. */
static uint64_t sent_of(const struct otlp_baseline *base, const struct prof_thread *t, size_t i)
{
	return t->index < base->nthreads && i < base->nsent[t->index] ? base->sent[t->index][i] : 0;
}

/* THREAD's samples of the period into PROFILE; their count. */
static uint64_t thread_samples(struct encoder *e, struct byte_buf *profile, const struct prof_thread *t,
			       const struct otlp_baseline *base, struct otlp_request_counts *counts)
{
	uint64_t samples = 0, value;
	uint64_t attrs[2];
	size_t nattrs = 0;

	/* A thread with nothing new since the last request is not in this one. */
	if (t->index < base->nthreads && t->samples == base->thread_sent[t->index])
		return 0;
	for (size_t i = 0; i < t->nstacks; i++) {
		const struct prof_stack *s = &t->stacks[i];
		uint64_t count = s->count - sent_of(base, t, i);
		struct byte_buf sample = { 0 };

		if (!count)
			continue;
		/* Its attributes once it has a sample here: the dictionary holds only what is used. */
		if (!samples) {
			if (t->tid != PROFILE_TASKS_TID && t->tid)
				attrs[nattrs++] = attribute_index(e, "thread.id", NULL, t->tid);
			if (t->name && *t->name)
				attrs[nattrs++] = attribute_index(e, "thread.name", t->name, 0);
		}
		value = count * e->p->sample_value;
		pb_uint(&sample, SAMPLE_STACK_INDEX, stack_index(e, s));
		pb_packed(&sample, SAMPLE_ATTRIBUTE_INDICES, attrs, nattrs);
		pb_packed(&sample, SAMPLE_VALUES, &value, 1);
		pb_message(profile, PROFILE_SAMPLES, &sample);
		byte_buf_free(&sample);
		samples += count;
		counts->stacks++;
	}
	return samples;
}

/*
 * A profile id: 16 bytes, random as a trace id is.  Without the kernel's
 * randomness (early boot, a seccomp filter), still one of a kind: this
 * process, the time and a count, which no other profile shares.
 */
static void profile_id(uint8_t id[PROFILE_ID_BYTES])
{
	static uint64_t made;
	uint64_t words[2];
	struct timespec now;

	if (getrandom(id, PROFILE_ID_BYTES, GRND_NONBLOCK) == PROFILE_ID_BYTES && (u64_at(id, 0) | u64_at(id, 8)))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	words[0] = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	words[1] = (uint64_t)getpid() << 32 | (++made & 0xffffffff);
	memcpy(id, words, sizeof(words));
}

/* The threads THREADS[0..N) of one process, with samples in the period, as a ResourceProfiles. */
static void process_profiles(struct encoder *e, struct byte_buf *request, struct prof_thread **threads, size_t n,
			     const struct otlp_baseline *base, const struct otlp_period *period,
			     struct otlp_request_counts *counts)
{
	const struct prof_process *proc = &e->p->processes[threads[0]->process];
	const char *unit = profile_unit_name(e->p->unit);
	struct byte_buf profile = { 0 }, scope = { 0 }, scope_profiles = { 0 }, resource = { 0 }, out = { 0 };
	uint8_t id[PROFILE_ID_BYTES] = { 0 };
	uint64_t samples = 0;

	value_type(e, &profile, PROFILE_SAMPLE_TYPE, period->sample_type, unit);
	for (size_t i = 0; i < n; i++)
		samples += thread_samples(e, &profile, threads[i], base, counts);
	if (!samples)
		goto done;
	pb_fixed64(&profile, PROFILE_TIME_UNIX_NANO, period->start_unix_ns);
	pb_uint(&profile, PROFILE_DURATION_NANO, period->duration_ns);
	value_type(e, &profile, PROFILE_PERIOD_TYPE, period->sample_type, unit);
	pb_uint(&profile, PROFILE_PERIOD, e->p->sample_value);
	profile_id(id);
	pb_bytes(&profile, PROFILE_ID, id, sizeof(id));

	pb_string(&scope, SCOPE_NAME, "pybpf");
	pb_string(&scope, SCOPE_VERSION, period->pybpf_version);
	pb_message(&scope_profiles, SCOPE_PROFILES_SCOPE, &scope);
	pb_message(&scope_profiles, SCOPE_PROFILES_PROFILES, &profile);

	/* OpenTelemetry's semantic conventions for a host, a process and its runtime. */
	resource_attribute(e, &resource, "host.name", period->host_name, 0, true);
	resource_attribute(e, &resource, "process.pid", NULL, proc->pid, false);
	resource_attribute(e, &resource, "process.executable.name", proc->executable, 0, true);
	resource_attribute(e, &resource, "process.command_line", proc->cmdline, 0, true);
	resource_attribute(e, &resource, "process.runtime.name", "CPython", 0, true);
	resource_attribute(e, &resource, "process.runtime.version", proc->version, 0, true);
	resource_attribute(e, &resource, "container.id", proc->container_id, 0, true);
	pb_message(&out, RESOURCE_PROFILES_RESOURCE, &resource);
	pb_message(&out, RESOURCE_PROFILES_SCOPE_PROFILES, &scope_profiles);
	pb_message(request, REQUEST_RESOURCE_PROFILES, &out);
	counts->samples += samples;
	counts->processes++;
done:
	byte_buf_free(&profile);
	byte_buf_free(&scope);
	byte_buf_free(&scope_profiles);
	byte_buf_free(&resource);
	byte_buf_free(&out);
}

/* The dictionary: each table's zero entry first, then what the profiles used. */
static void dictionary(struct encoder *e, struct byte_buf *request)
{
	struct byte_buf dict = { 0 }, empty = { 0 };

	pb_message(&dict, DICT_MAPPING, &empty);
	byte_buf_append(&dict, e->locations.data, e->locations.len);
	byte_buf_append(&dict, e->functions.data, e->functions.len);
	pb_message(&dict, DICT_LINK, &empty);
	byte_buf_append(&dict, e->strings.data, e->strings.len);
	byte_buf_append(&dict, e->attributes.data, e->attributes.len);
	byte_buf_append(&dict, e->stacks.data, e->stacks.len);
	if (e->locations.failed || e->functions.failed || e->strings.failed || e->attributes.failed ||
	    e->stacks.failed)
		dict.failed = true;
	pb_message(request, REQUEST_DICTIONARY, &dict);
	byte_buf_free(&dict);
}

static void encoder_start(struct encoder *e)
{
	struct byte_buf empty = { 0 };

	/* Entry 0 of each table: "", and empty messages. */
	string_index(e, "");
	pb_message(&e->locations, DICT_LOCATION, &empty);
	pb_message(&e->functions, DICT_FUNCTION, &empty);
	pb_message(&e->attributes, DICT_ATTRIBUTE, &empty);
	pb_message(&e->stacks, DICT_STACK, &empty);
	e->nlocations = e->nfunctions = e->nattributes = e->nstacks = 1;
}

static void encoder_free(struct encoder *e)
{
	struct byte_buf *bufs[] = { &e->strings, &e->functions, &e->locations, &e->stacks, &e->attributes,
				    &e->msg, &e->sub, &e->text };
	struct hmap *maps[] = { &e->string_index, &e->function_index, &e->stack_index, &e->attribute_index };

	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		byte_buf_free(bufs[i]);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		hmap_free(maps[i]);
	free(e->location_of);
	free(e->ids);
}

/* Room in BASE for every thread and stack of P. */
static int baseline_reserve(struct otlp_baseline *base, const struct profile *p)
{
	if (p->nthreads > base->nthreads) {
		uint64_t **sent = realloc(base->sent, p->nthreads * sizeof(*sent)), *thread_sent;
		size_t *nsent;

		if (!sent)
			return -ENOMEM;
		base->sent = sent;
		nsent = realloc(base->nsent, p->nthreads * sizeof(*nsent));
		if (!nsent)
			return -ENOMEM;
		base->nsent = nsent;
		thread_sent = realloc(base->thread_sent, p->nthreads * sizeof(*thread_sent));
		if (!thread_sent)
			return -ENOMEM;
		base->thread_sent = thread_sent;
		for (size_t i = base->nthreads; i < p->nthreads; i++) {
			base->sent[i] = NULL;
			base->nsent[i] = 0;
			base->thread_sent[i] = 0;
		}
		base->nthreads = p->nthreads;
	}
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct prof_thread *t = p->threads[i];
		uint64_t *sent;

		if (t->nstacks <= base->nsent[i])
			continue;
		sent = realloc(base->sent[i], t->nstacks * sizeof(*sent));
		if (!sent)
			return -ENOMEM;
		memset(sent + base->nsent[i], 0, (t->nstacks - base->nsent[i]) * sizeof(*sent));
		base->sent[i] = sent;
		base->nsent[i] = t->nstacks;
	}
	return 0;
}

static size_t deepest(struct prof_thread **threads, size_t n)
{
	size_t depth = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < threads[i]->nstacks; j++)
			if (threads[i]->stacks[j].depth > depth)
				depth = threads[i]->stacks[j].depth;
	return depth;
}

int otlp_profiles_encode(const struct profile *p, struct otlp_baseline *base, const struct otlp_period *period,
			 struct byte_buf *out, struct otlp_request_counts *counts)
{
	struct encoder e = { .p = p };
	struct prof_thread **threads;
	size_t n, first;
	int rc = -ENOMEM;

	out->len = 0;
	out->failed = false;
	memset(counts, 0, sizeof(*counts));
	threads = profile_sorted_threads(p, &n);
	if (!threads)
		return -ENOMEM;
	e.location_of = calloc(p->nframes + 1, sizeof(*e.location_of));
	e.ids = malloc((deepest(threads, n) + 1) * sizeof(*e.ids));
	if (!e.location_of || !e.ids || baseline_reserve(base, p))
		goto out;
	encoder_start(&e);
	/* Threads come by process: each run of one process's threads is its ResourceProfiles. */
	for (size_t i = 0; i < n; i = first) {
		for (first = i + 1; first < n && threads[first]->process == threads[i]->process; first++)
			;
		process_profiles(&e, out, threads + i, first - i, base, period, counts);
	}
	if (counts->samples)
		dictionary(&e, out);
	else
		out->len = 0;
	if (e.failed || out->failed || e.msg.failed || e.sub.failed || e.text.failed) {
		out->len = 0;
		memset(counts, 0, sizeof(*counts));
		goto out;
	}
	/* Sent (or at least taken): the baseline moves up, for the threads that moved. */
	for (size_t i = 0; i < p->nthreads; i++) {
		if (p->threads[i]->samples == base->thread_sent[i])
			continue;
		for (size_t j = 0; j < p->threads[i]->nstacks; j++)
			base->sent[i][j] = p->threads[i]->stacks[j].count;
		base->thread_sent[i] = p->threads[i]->samples;
	}
	rc = 0;
out:
	encoder_free(&e);
	free(threads);
	return rc;
}

/* The samples of P's thread I no request has taken yet. */
static uint64_t thread_unsent(const struct profile *p, const struct otlp_baseline *b, size_t i)
{
	return p->threads[i]->samples - (i < b->nthreads ? b->thread_sent[i] : 0);
}

uint64_t otlp_baseline_unsent(const struct profile *p, const struct otlp_baseline *b)
{
	uint64_t unsent = 0;

	for (size_t i = 0; i < p->nthreads; i++)
		unsent += thread_unsent(p, b, i);
	return unsent;
}

void otlp_baseline_hold_unsent(const struct profile *p, const struct otlp_baseline *b, bool *processes)
{
	for (size_t i = 0; i < p->nthreads; i++)
		if (thread_unsent(p, b, i))
			processes[p->threads[i]->process] = false;
}

void otlp_baseline_threads_moved(struct otlp_baseline *b, const size_t *moved, size_t n)
{
	size_t kept = 0;

	/* Threads keep their order: each moves down, to a place already read. */
	for (size_t i = 0; i < b->nthreads && i < n; i++) {
		if (moved[i] == PROFILE_THREAD_GONE) {
			free(b->sent[i]);
			continue;
		}
		b->sent[kept] = b->sent[i];
		b->nsent[kept] = b->nsent[i];
		b->thread_sent[kept] = b->thread_sent[i];
		kept++;
	}
	b->nthreads = kept;
}

void otlp_baseline_free(struct otlp_baseline *b)
{
	for (size_t i = 0; i < b->nthreads; i++)
		free(b->sent[i]);
	free(b->sent);
	free(b->nsent);
	free(b->thread_sent);
	memset(b, 0, sizeof(*b));
}
