// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/export/otlp_profiles.h: a period of a profile as an OTLP
 * ExportProfilesServiceRequest, decoded back here through the dictionary
 * into (process, thread, stack of "function file:line", value); and each
 * request holds only what the profile gained since the one before.  (The
 * integration tests send it to a real OpenTelemetry Collector.)
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export/otlp_profiles.h"
#include "pb_fields.h"

#define MAX_FIELDS 4096

/* A request's dictionary, its tables as fields. */
struct dict {
	struct field all[MAX_FIELDS];
	size_t n;
};

static const struct field *table(const struct dict *d, uint32_t number, size_t index)
{
	return nth(d->all, d->n, number, index);
}

static void string_at(const struct dict *d, uint64_t index, char *out, size_t size)
{
	const struct field *s = table(d, 5, index);

	snprintf(out, size, "%.*s", (int)s->len, (const char *)s->data);
}

/* Location INDEX as "function file:line" (a marker: "function"). */
static void location_text(const struct dict *d, uint64_t index, char *out, size_t size)
{
	struct field loc[8], line[8], fn[8];
	const struct field *l = table(d, 2, index);
	size_t nl = fields(l->data, l->len, loc, 8), nline, nfn;
	char name[128], file[128];

	cr_assert_eq(count(loc, nl, 3), 1, "one Line a location");
	nline = fields(nth(loc, nl, 3, 0)->data, nth(loc, nl, 3, 0)->len, line, 8);
	const struct field *f = table(d, 3, value(line, nline, 1));
	nfn = fields(f->data, f->len, fn, 8);
	string_at(d, value(fn, nfn, 1), name, sizeof(name));
	cr_assert_eq(value(fn, nfn, 2), value(fn, nfn, 1), "system name = name");
	if (!count(fn, nfn, 3)) {
		cr_assert_eq(count(line, nline, 2), 0, "a marker has no line");
		snprintf(out, size, "%s", name);
		return;
	}
	string_at(d, value(fn, nfn, 3), file, sizeof(file));
	snprintf(out, size, "%s %s:%llu", name, file, (unsigned long long)value(line, nline, 2));
}

/* Attribute INDEX as "key=value". */
static void attribute_text(const struct dict *d, uint64_t index, char *out, size_t size)
{
	struct field kvu[4], any[4];
	const struct field *a = table(d, 6, index);
	size_t n = fields(a->data, a->len, kvu, 4), m;
	char key[64];

	string_at(d, value(kvu, n, 1), key, sizeof(key));
	m = fields(nth(kvu, n, 2, 0)->data, nth(kvu, n, 2, 0)->len, any, 4);
	if (count(any, m, 1))
		snprintf(out, size, "%s=%.*s", key, (int)nth(any, m, 1, 0)->len, (const char *)nth(any, m, 1, 0)->data);
	else
		snprintf(out, size, "%s=%llu", key, (unsigned long long)value(any, m, 3));
}

/* A resource's attributes as "key=value;" in order. */
static void resource_text(const struct field *resource, char *out, size_t size)
{
	struct field attrs[16], kv[4], any[4];
	size_t n = fields(resource->data, resource->len, attrs, 16), used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t k = fields(attrs[i].data, attrs[i].len, kv, 4);
		size_t m = fields(nth(kv, k, 2, 0)->data, nth(kv, k, 2, 0)->len, any, 4);

		if (count(any, m, 1))
			used += snprintf(out + used, size - used, "%.*s=%.*s;", (int)nth(kv, k, 1, 0)->len,
					 (const char *)nth(kv, k, 1, 0)->data, (int)nth(any, m, 1, 0)->len,
					 (const char *)nth(any, m, 1, 0)->data);
		else
			used += snprintf(out + used, size - used, "%.*s=%llu;", (int)nth(kv, k, 1, 0)->len,
					 (const char *)nth(kv, k, 1, 0)->data, (unsigned long long)value(any, m, 3));
	}
}

/*
 * Every sample of REQ as a line "RESOURCE | ATTRS | LEAF<-...<-ROOT | VALUE"
 * into OUT (sorted), after checking the dictionary's zero entries.
 */
static size_t decode(const struct byte_buf *req, char lines[][1024], size_t max, struct dict *d)
{
	struct field top[64], rp[8], sp[8], prof[512], sample[8], vt[4];
	size_t n = fields(req->data, req->len, top, 64), nlines = 0;

	cr_assert_eq(count(top, n, 2), 1, "one dictionary");
	d->n = fields(nth(top, n, 2, 0)->data, nth(top, n, 2, 0)->len, d->all, MAX_FIELDS);
	/* Entry 0 of each table is its zero value; string 0 is "". */
	for (uint32_t t = 1; t <= 7; t++)
		cr_assert_eq(table(d, t, 0)->len, 0, "table %u's entry 0", t);
	for (size_t r = 0; r < count(top, n, 1); r++) {
		const struct field *res = nth(top, n, 1, r);
		size_t nrp = fields(res->data, res->len, rp, 8), nsp, np;
		char resource[1024];

		resource_text(nth(rp, nrp, 1, 0), resource, sizeof(resource));
		cr_assert_eq(count(rp, nrp, 2), 1, "one scope a process");
		nsp = fields(nth(rp, nrp, 2, 0)->data, nth(rp, nrp, 2, 0)->len, sp, 8);
		cr_assert_eq(count(sp, nsp, 2), 1, "one profile a process");
		np = fields(nth(sp, nsp, 2, 0)->data, nth(sp, nsp, 2, 0)->len, prof, 512);
		cr_assert_eq(value(prof, np, 3), 1700000000000000000ULL);
		cr_assert_eq(nth(prof, np, 3, 0)->wire, 1, "time_unix_nano is a fixed64");
		cr_assert_eq(value(prof, np, 4), 2000000000ULL);
		cr_assert_eq(value(prof, np, 6), 1000000, "the period: a sample's nanoseconds");
		cr_assert_eq(nth(prof, np, 7, 0)->len, 16, "a 16-byte profile id");
		size_t nvt = fields(nth(prof, np, 1, 0)->data, nth(prof, np, 1, 0)->len, vt, 4);
		char type[32], unit[32];

		string_at(d, value(vt, nvt, 1), type, sizeof(type));
		string_at(d, value(vt, nvt, 2), unit, sizeof(unit));
		cr_assert_str_eq(type, "cpu");
		cr_assert_str_eq(unit, "nanoseconds");
		for (size_t s = 0; s < count(prof, np, 2); s++) {
			const struct field *f = nth(prof, np, 2, s);
			size_t ns = fields(f->data, f->len, sample, 8), used;
			uint64_t locs[64], attrs[4], values[2];
			const struct field *stack = table(d, 7, value(sample, ns, 1));
			struct field stack_fields[2];
			size_t nstack = fields(stack->data, stack->len, stack_fields, 2);
			size_t nlocs = packed(&stack_fields[0], locs, 64), nattrs = packed(nth(sample, ns, 2, 0), attrs, 4);
			char text[512];

			cr_assert_eq(nstack, 1);
			cr_assert_eq(packed(nth(sample, ns, 4, 0), values, 2), 1, "one value a sample");
			cr_assert_lt(nlines, max);
			used = snprintf(lines[nlines], 1024, "%s |", resource);
			for (size_t a = 0; a < nattrs; a++) {
				attribute_text(d, attrs[a], text, sizeof(text));
				used += snprintf(lines[nlines] + used, 1024 - used, " %s", text);
			}
			used += snprintf(lines[nlines] + used, 1024 - used, " |");
			for (size_t l = 0; l < nlocs; l++) {
				location_text(d, locs[l], text, sizeof(text));
				used += snprintf(lines[nlines] + used, 1024 - used, "%s%s", l ? " <- " : " ", text);
			}
			snprintf(lines[nlines] + used, 1024 - used, " | %llu", (unsigned long long)values[0]);
			nlines++;
		}
	}
	qsort(lines, nlines, sizeof(lines[0]), (int (*)(const void *, const void *))strcmp);
	return nlines;
}

static const struct otlp_period PERIOD = {
	.start_unix_ns = 1700000000000000000ULL, .duration_ns = 2000000000ULL, .host_name = "node-7",
	.sample_type = "cpu", .pybpf_version = "0.1.0",
};

static struct dict dict;
static char lines[64][1024];

Test(otlp_profiles, processes_threads_frames_and_markers)
{
	struct profile p;
	struct otlp_baseline base = { 0 };
	struct otlp_request_counts counts;
	struct byte_buf req = { 0 };

	profile_init(&p, 1000000);
	size_t a = profile_process(&p, 100, "python3 app.py", "3.11.2");
	size_t b = profile_process(&p, 200, "python3 -m pytest", "3.13.1");
	cr_assert_eq(profile_process_origin(&p, a, "python3.11", NULL), 0);
	cr_assert_eq(profile_process_origin(&p, b, "python3.13", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), 0);
	struct prof_thread *main_a = profile_thread(&p, a, 100, "MainThread");
	struct prof_thread *worker_a = profile_thread(&p, a, 101, "worker");
	struct prof_thread *main_b = profile_thread(&p, b, 200, "MainThread");
	uint32_t mod = profile_code_frame(&p, "<module>", "app.py", 1, 30, -1);
	uint32_t hot = profile_code_frame(&p, "hot", "app.py", 10, 12, 4);
	uint32_t test = profile_code_frame(&p, "test_it", "test_x.py", 5, 7, -1);
	uint32_t unknown = profile_frame(&p, "[unknown]", "", 0);
	const uint32_t s1[] = { mod, hot }, s2[] = { mod, unknown }, s3[] = { test };

	cr_assert_eq(profile_add(&p, main_a, s1, 2, 3), 0);
	cr_assert_eq(profile_add(&p, worker_a, s2, 2, 1), 0);
	cr_assert_eq(profile_add(&p, main_b, s3, 1, 2), 0);
	cr_assert_eq(otlp_profiles_encode(&p, &base, &PERIOD, &req, &counts), 0);
	cr_assert_eq(counts.samples, 6);
	cr_assert_eq(counts.processes, 2);
	cr_assert_eq(counts.stacks, 3);

	size_t n = decode(&req, lines, 64, &dict);
	const char *want[] = {
		"host.name=node-7;process.pid=100;process.executable.name=python3.11;process.command_line=python3 app.py;"
		"process.runtime.name=CPython;process.runtime.version=3.11.2; | thread.id=100 thread.name=MainThread | "
		"hot app.py:12 <- <module> app.py:30 | 3000000",
		"host.name=node-7;process.pid=100;process.executable.name=python3.11;process.command_line=python3 app.py;"
		"process.runtime.name=CPython;process.runtime.version=3.11.2; | thread.id=101 thread.name=worker | "
		"[unknown] <- <module> app.py:30 | 1000000",
		"host.name=node-7;process.pid=200;process.executable.name=python3.13;process.command_line=python3 -m pytest;"
		"process.runtime.name=CPython;process.runtime.version=3.13.1;"
		"container.id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef; | "
		"thread.id=200 thread.name=MainThread | test_it test_x.py:7 | 2000000",
	};
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(lines[i], want[i]);

	/* The next period: only what came since. */
	cr_assert_eq(profile_add(&p, main_a, s1, 2, 2), 0);
	cr_assert_eq(otlp_profiles_encode(&p, &base, &PERIOD, &req, &counts), 0);
	cr_assert_eq(counts.samples, 2);
	cr_assert_eq(counts.processes, 1);
	n = decode(&req, lines, 64, &dict);
	cr_assert_eq(n, 1);
	cr_assert(strstr(lines[0], "thread.id=100 thread.name=MainThread | hot app.py:12 <- <module> app.py:30 | 2000000"),
		  "%s", lines[0]);
	/* Its dictionary holds only what it uses: no other thread's name, no other function. */
	cr_assert_eq(count(dict.all, dict.n, 6), 3, "the zero attribute, thread.id and thread.name");
	cr_assert_eq(count(dict.all, dict.n, 3), 3, "the zero function, hot and <module>");
	for (size_t i = 0; i < count(dict.all, dict.n, 5); i++) {
		const struct field *text = nth(dict.all, dict.n, 5, i);

		cr_assert(text->len != 6 || memcmp(text->data, "worker", 6), "another thread's name in the strings");
	}

	/* A period without samples: no request at all. */
	cr_assert_eq(otlp_profiles_encode(&p, &base, &PERIOD, &req, &counts), 0);
	cr_assert_eq(req.len, 0);
	cr_assert_eq(counts.samples, 0);

	/* A thread and a stack born after the baseline was made. */
	struct prof_thread *late = profile_thread(&p, b, 201, "late");
	cr_assert_eq(profile_add(&p, late, s2, 2, 4), 0);
	cr_assert_eq(otlp_profiles_encode(&p, &base, &PERIOD, &req, &counts), 0);
	cr_assert_eq(counts.samples, 4);
	n = decode(&req, lines, 64, &dict);
	cr_assert_eq(n, 1);
	cr_assert(strstr(lines[0], "thread.id=201 thread.name=late | [unknown] <- <module> app.py:30 | 4000000"), "%s",
		  lines[0]);
	byte_buf_free(&req);
	otlp_baseline_free(&base);
	profile_free(&p);
}

/* Names that are no valid UTF-8 still make a request a Go decoder takes. */
Test(otlp_profiles, strings_are_valid_utf8)
{
	struct profile p;
	struct otlp_baseline base = { 0 };
	struct otlp_request_counts counts;
	struct byte_buf req = { 0 };

	profile_init(&p, 1000000);
	size_t a = profile_process(&p, 1, "python3 caf\xe9.py", "3.12.0");
	struct prof_thread *t = profile_thread(&p, a, 1, "w\xff");
	uint32_t f = profile_code_frame(&p, "caf\xc3\xa9\xff", "x.py", 1, 2, -1);

	cr_assert_eq(profile_add(&p, t, &f, 1, 1), 0);
	cr_assert_eq(otlp_profiles_encode(&p, &base, &PERIOD, &req, &counts), 0);
	cr_assert_eq(decode(&req, lines, 64, &dict), 1);
	cr_assert(strstr(lines[0], "process.command_line=python3 caf\xef\xbf\xbd.py;"), "%s", lines[0]);
	cr_assert(strstr(lines[0], "thread.name=w\xef\xbf\xbd |"), "%s", lines[0]);
	cr_assert(strstr(lines[0], "caf\xc3\xa9\xef\xbf\xbd x.py:2"), "%s", lines[0]);
	byte_buf_free(&req);
	otlp_baseline_free(&base);
	profile_free(&p);
}

/*
 * An agent lets go of a process once every sample of it is in a request:
 * a process with samples not yet taken is held, and after the threads
 * move the next request still carries only what is new.
 */
Test(otlp_profiles, a_process_is_let_go_of_only_once_sent_and_the_rest_stay_deltas)
{
	struct profile p;
	struct otlp_baseline base = { 0 };
	struct otlp_request_counts counts;
	struct byte_buf req = { 0 };
	bool ended[2];
	size_t moved[3];

	profile_init(&p, 1000000);
	size_t gone = profile_process(&p, 100, "python3 gone.py", "3.11.2");
	size_t kept = profile_process(&p, 200, "python3 kept.py", "3.11.2");
	struct prof_thread *a = profile_thread(&p, gone, 100, "MainThread");
	struct prof_thread *b = profile_thread(&p, kept, 200, "MainThread");
	uint32_t hot = profile_code_frame(&p, "hot", "app.py", 10, 12, -1);
	uint32_t cold = profile_code_frame(&p, "cold", "app.py", 20, 21, -1);

	cr_assert_eq(profile_add(&p, a, &hot, 1, 3), 0);
	cr_assert_eq(profile_add(&p, b, &hot, 1, 2), 0);
	cr_assert_eq(otlp_profiles_encode(&p, &base, &PERIOD, &req, &counts), 0);
	cr_assert_eq(counts.samples, 5);

	/* A sample after the request: not to be let go of yet. */
	cr_assert_eq(profile_add(&p, a, &cold, 1, 1), 0);
	ended[gone] = ended[kept] = true;
	otlp_baseline_hold_unsent(&p, &base, ended);
	cr_assert_not(ended[gone]);
	cr_assert(ended[kept], "all of its samples were taken");

	/* A thread born after the request with no sample yet holds nothing. */
	struct prof_thread *c = profile_thread(&p, kept, 201, "idle");
	cr_assert_not_null(c);
	ended[gone] = ended[kept] = true;
	cr_assert_eq(otlp_profiles_encode(&p, &base, &PERIOD, &req, &counts), 0);
	cr_assert_eq(counts.samples, 1);
	otlp_baseline_hold_unsent(&p, &base, ended);
	cr_assert(ended[gone]);

	ended[kept] = false;
	profile_retire(&p, ended, moved);
	otlp_baseline_threads_moved(&base, moved, 3);
	cr_assert_eq(p.nthreads, 2);
	cr_assert_eq(base.nthreads, 2, "the baseline had a place for every thread of the last request");
	cr_assert_eq(base.thread_sent[0], 2, "kept's MainThread: its 2 samples sent");
	cr_assert_eq(base.thread_sent[1], 0);

	/* Only what is new, under the right thread. */
	cr_assert_eq(profile_add(&p, b, &hot, 1, 4), 0);
	cr_assert_eq(profile_add(&p, c, &cold, 1, 1), 0);
	cr_assert_eq(otlp_profiles_encode(&p, &base, &PERIOD, &req, &counts), 0);
	cr_assert_eq(counts.samples, 5);
	cr_assert_eq(counts.processes, 1);
	size_t n = decode(&req, lines, 64, &dict);
	cr_assert_eq(n, 2);
	cr_assert(strstr(lines[0], "process.pid=200;") && strstr(lines[0], "thread.id=200 thread.name=MainThread | hot app.py:12 | 4000000"),
		  "%s", lines[0]);
	cr_assert(strstr(lines[1], "thread.id=201 thread.name=idle | cold app.py:21 | 1000000"), "%s", lines[1]);
	cr_assert_eq(otlp_baseline_unsent(&p, &base), 0);
	byte_buf_free(&req);
	otlp_baseline_free(&base);
	profile_free(&p);
}
