// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/output/pprof.h: the gzipped profile.proto, walked field by field (a real
 * pprof reader checks it in the integration tests).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "base/bytes.h"
#include "capture.h"
#include "output/pprof.h"
#include "pb_fields.h"

/* The Line of location LOCATION (a Profile field 4) into LINE; its field count. */
static size_t line_of_location(const struct field *location, struct field *line, size_t max)
{
	struct field loc[8];
	size_t n = fields(location->data, location->len, loc, 8);

	cr_assert_eq(count(loc, n, 4), 1, "one Line a location");
	for (size_t i = 0; i < n; i++)
		if (loc[i].number == 4)
			return fields(loc[i].data, loc[i].len, line, max);
	return 0;
}

/* Two calls on one line: two locations of one function, Line.column from 1 (3.11+). */
Test(pprof, line_column_counts_from_one)
{
	struct profile p;

	profile_init(&p, 1000);
	size_t proc = profile_process(&p, 4, "python3 app.py", "3.11.7");
	struct prof_thread *t = profile_thread(&p, proc, 5, "w");
	const uint32_t stack[] = {
		profile_code_frame(&p, "main", "app.py", 1, 3, PROF_NO_COLUMN),
		profile_code_frame(&p, "main", "app.py", 1, 3, 0),
		profile_code_frame(&p, "main", "app.py", 1, 3, 14),
	};
	const uint64_t want_column[] = { 0, 1, 15 };	/* 0: no field */

	cr_assert_eq(profile_add(&p, t, stack, 3, 1), 0);

	size_t gz_len, len, n, locations = 0;
	char *gz = capture(pprof_write, &p, "title", &gz_len);
	uint8_t *pb = gunzip(gz, gz_len, 1 << 20, &len);
	struct field top[64], line[8];

	n = fields(pb, len, top, 64);
	cr_assert_eq(count(top, n, 5), 1, "one function");
	/* Locations come as the sample names them, leaf first. */
	for (size_t i = 0; i < n; i++) {
		size_t m;

		if (top[i].number != 4)
			continue;
		m = line_of_location(&top[i], line, 8);
		cr_assert_eq(value(line, m, 2), 3, "line 3");
		if (want_column[2 - locations])
			cr_assert_eq(value(line, m, 3), want_column[2 - locations]);
		else
			cr_assert_eq(count(line, m, 3), 0, "no column, no field");
		locations++;
	}
	cr_assert_eq(locations, 3);
	free(pb);
	free(gz);
	profile_free(&p);
}

Test(pprof, profile_fields_strings_and_counts)
{
	struct profile p;

	profile_init(&p, 10000000);
	p.start_ns = 1700000000000000000ULL;
	p.duration_ns = 2500000000ULL;
	size_t proc = profile_process(&p, 4, "python3 app.py", "3.11.7");
	struct prof_thread *t = profile_thread(&p, proc, 5, "w");
	uint32_t main1 = profile_frame(&p, "main", "app.py", 3), main2 = profile_frame(&p, "main", "app.py", 4);
	uint32_t bad = profile_frame(&p, "caf\xc3\xa9\xff", "app.py", 9);
	profile_frame(&p, "unused", "app.py", 1);
	const uint32_t s1[] = { main1, bad }, s2[] = { main2 };

	cr_assert_eq(profile_add(&p, t, s1, 2, 3), 0);
	cr_assert_eq(profile_add(&p, t, s2, 1, 1), 0);
	cr_assert_eq(profile_add(&p, t, s1, 1, 0), 0);	/* a stack without samples */

	size_t gz_len, len;
	char *gz = capture(pprof_write, &p, "title", &gz_len);
	uint8_t *pb = gunzip(gz, gz_len, 1 << 20, &len);
	struct field top[64];
	size_t n = fields(pb, len, top, 64);

	cr_assert_eq(count(top, n, 1), 2, "sample types samples/count and cpu/nanoseconds");
	cr_assert_eq(count(top, n, 2), 2, "one sample per stack with samples");
	cr_assert_eq(count(top, n, 3), 1, "one mapping");
	cr_assert_eq(count(top, n, 4), 3, "a location per frame sampled");
	cr_assert_eq(count(top, n, 5), 2, "a function per name and file");
	cr_assert_eq(value(top, n, 9), p.start_ns);
	cr_assert_eq(value(top, n, 10), p.duration_ns);
	cr_assert_eq(value(top, n, 12), 10000000);

	/* The string table: "" first, every string once, all valid UTF-8; in order of
	 * first use, and the first sample's leaf comes first. */
	const char *want[] = { "", "samples", "count", "cpu", "nanoseconds", "python",
			       "caf\xc3\xa9\xef\xbf\xbd", "app.py", "main", "pid", "tid", "thread", "w",
			       "process", "python3 app.py", "title" };
	size_t s = 0;

	for (size_t i = 0; i < n; i++) {
		if (top[i].number != 6)
			continue;
		cr_assert_lt(s, sizeof(want) / sizeof(want[0]));
		cr_assert_eq(top[i].len, strlen(want[s]), "string %zu", s);
		cr_assert_eq(memcmp(top[i].data, want[s], top[i].len), 0, "string %zu", s);
		s++;
	}
	cr_assert_eq(s, sizeof(want) / sizeof(want[0]));

	/* The first sample: leaf first, counts, labels. */
	struct field sample[16];
	const struct field *first = &top[0];

	while (first->number != 2)
		first++;
	size_t m = fields(first->data, first->len, sample, 16);
	static const uint8_t leaf_first[] = { 1, 2 }, values[] = { 3, 0x80, 0x87, 0xa7, 0x0e };

	cr_assert_eq(sample[0].number, 1);
	cr_assert_eq(sample[0].len, 2);
	cr_assert_eq(memcmp(sample[0].data, leaf_first, 2), 0, "location ids, the leaf's first");
	cr_assert_eq(sample[1].number, 2);
	cr_assert_eq(sample[1].len, sizeof(values));
	cr_assert_eq(memcmp(sample[1].data, values, sizeof(values)), 0, "3 samples, 30 ms");
	cr_assert_eq(count(sample, m, 3), 4, "labels pid, tid, thread, process");
	free(pb);
	free(gz);
	profile_free(&p);
}

/* A thread named by threading keeps its OS name in a label of its own. */
Test(pprof, threading_names_keep_the_os_name)
{
	struct profile p;

	profile_init(&p, 10000000);
	size_t proc = profile_process(&p, 4, "python3 app.py", "3.11.7");
	struct prof_thread *t = profile_thread(&p, proc, 5, "python3");
	uint32_t main1 = profile_frame(&p, "main", "app.py", 3);

	cr_assert_eq(profile_thread_set_name(t, "alpha-worker"), 0);
	cr_assert_eq(profile_add(&p, t, &main1, 1, 1), 0);

	size_t gz_len, len;
	char *gz = capture(pprof_write, &p, "title", &gz_len);
	uint8_t *pb = gunzip(gz, gz_len, 1 << 20, &len);
	struct field top[64], sample[16];
	size_t n = fields(pb, len, top, 64), strings = 0;
	const char *want[] = { "thread", "alpha-worker", "os_thread", "python3" };

	for (size_t i = 0; i < n; i++)
		for (size_t w = 0; w < 4; w++)
			strings += top[i].number == 6 && top[i].len == strlen(want[w]) &&
				   !memcmp(top[i].data, want[w], top[i].len);
	cr_assert_eq(strings, 4, "the labels' keys and both names are strings");
	for (size_t i = 0; i < n; i++)
		if (top[i].number == 2)
			cr_assert_eq(count(sample, fields(top[i].data, top[i].len, sample, 16), 3), 5,
				     "labels pid, tid, thread, os_thread, process");
	free(pb);
	free(gz);
	profile_free(&p);
}
