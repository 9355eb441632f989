// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/output/speedscope.h and user/output/json_writer.h: the exact JSON written for a
 * hand-built profile, and string escaping of whatever bytes a target hands us.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "output/json_writer.h"
#include "profile/profile.h"
#include "output/speedscope.h"
#include "cli/version.h"

#define HEAD(title) \
	"{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\"," \
	"\"exporter\":\"pybpf " PYBPF_VERSION "\",\"name\":" title ",\"activeProfileIndex\":0,\n"
#define SAMPLED(name, end) \
	"{\"type\":\"sampled\",\"name\":" name ",\"unit\":\"nanoseconds\",\"startValue\":0," \
	"\"endValue\":" end ",\"samples\":["

/* speedscope_write's output as a string; the caller frees it. */
static char *write_profile(const struct profile *p, const char *title)
{
	size_t len;
	char *buf = capture(speedscope_write, p, title, &len);

	cr_assert_eq(strlen(buf), len, "no NUL bytes in the output");
	return buf;
}

static char *json_string(const char *s)
{
	struct capture c;

	json_write_string(capture_begin(&c), s);
	return capture_end(&c, NULL);
}

static void check_json_string(const char *in, const char *want)
{
	char *got = json_string(in);

	cr_assert_str_eq(got, want, "for input \"%s\"", in);
	free(got);
}

/* ---- the whole document ------------------------------------------------- */

Test(speedscope, exact_document)
{
	struct profile p;

	profile_init(&p, 1000000);	/* 1 ms per sample */
	size_t p0 = profile_process(&p, 100, "python app.py", "3.11.7");
	size_t p1 = profile_process(&p, 200, "python \"q\".py", "3.11.7");
	uint32_t f0 = profile_frame(&p, "<module>", "app.py", 1);
	uint32_t f1 = profile_frame(&p, "main", "app.py", 10);
	uint32_t f2 = profile_frame(&p, "work", "lib/x.py", 0);	/* no line */
	uint32_t f3 = profile_frame(&p, "odd", "odd.py", -1);	/* no line either */

	/* Created out of order; thread 101 never gets a sample. */
	struct prof_thread *t300 = profile_thread(&p, p1, 300, "T300");
	struct prof_thread *t102 = profile_thread(&p, p0, 102, "worker");
	struct prof_thread *t101 = profile_thread(&p, p0, 101, "idle");
	struct prof_thread *t100 = profile_thread(&p, p0, 100, "MainThread");
	const uint32_t s01[] = { f0, f1 }, s02[] = { f0, f2 }, s012[] = { f0, f1, f2 };

	cr_assert_not_null(t101);
	cr_assert_eq(profile_add(&p, t300, &f3, 1, 7), 0);
	cr_assert_eq(profile_add(&p, t100, s01, 2, 3), 0);
	cr_assert_eq(profile_add(&p, t100, s01, 1, 1), 0);
	cr_assert_eq(profile_add(&p, t102, s02, 2, 4), 0);
	cr_assert_eq(profile_add(&p, t100, s01, 2, 2), 0);
	cr_assert_eq(profile_add(&p, t300, s012, 3, 1), 0);

	char *got = write_profile(&p, "pybpf record -p 100");
	static const char want[] =
		HEAD("\"pybpf record -p 100\"")
		"\"shared\":{\"frames\":["
		"\n{\"name\":\"<module>\",\"file\":\"app.py\",\"line\":1}"
		",\n{\"name\":\"main\",\"file\":\"app.py\",\"line\":10}"
		",\n{\"name\":\"work\",\"file\":\"lib/x.py\"}"
		",\n{\"name\":\"odd\",\"file\":\"odd.py\"}"
		"]},\n\"profiles\":["
		/* In the order taken: [0,1] x3, [0], [0,1] x2. */
		SAMPLED("\"python app.py [pid 100, Python 3.11.7] thread 100 (MainThread)\"", "6000000")
		"\n[0,1],\n[0],\n[0,1]],\"weights\":[3000000,1000000,2000000]},\n"
		SAMPLED("\"python app.py [pid 100, Python 3.11.7] thread 102 (worker)\"", "4000000")
		"\n[0,2]],\"weights\":[4000000]},\n"
		SAMPLED("\"python \\\"q\\\".py [pid 200, Python 3.11.7] thread 300 (T300)\"", "8000000")
		"\n[3],\n[0,1,2]],\"weights\":[7000000,1000000]}"
		"]}\n";

	cr_assert_str_eq(got, want);
	free(got);
	profile_free(&p);
}

Test(speedscope, empty_profile)
{
	struct profile p;

	profile_init(&p, 5);
	char *got = write_profile(&p, "");

	cr_assert_str_eq(got, HEAD("\"\"") "\"shared\":{\"frames\":[]},\n\"profiles\":[]}\n");
	free(got);

	/* Processes, frames and threads, but no samples: no profiles. */
	size_t proc = profile_process(&p, 1, "x", "3.11.7");

	profile_frame(&p, "f", "f.py", 3);
	cr_assert_not_null(profile_thread(&p, proc, 1, "a"));
	cr_assert_not_null(profile_thread(&p, proc, 2, "b"));
	got = write_profile(&p, "t");
	cr_assert_str_eq(got, HEAD("\"t\"")
			 "\"shared\":{\"frames\":[\n{\"name\":\"f\",\"file\":\"f.py\",\"line\":3}]},\n"
			 "\"profiles\":[]}\n");
	free(got);
	profile_free(&p);
}

Test(speedscope, ordered_by_process_then_tid_and_weighted_by_interval)
{
	struct profile p;

	profile_init(&p, 10101);
	/* The same pid twice: two processes, kept apart and in their own order. */
	size_t a = profile_process(&p, 50, "a", "3.11.7");
	size_t b = profile_process(&p, 50, "b", "3.11.7");
	size_t c = profile_process(&p, 60, "c", "3.11.7");
	uint32_t f = profile_frame(&p, "f", "f.py", 1);
	static const struct { int proc; uint32_t tid; uint64_t count; } adds[] = {
		{ 2, 5, 1 }, { 1, 9, 2 }, { 0, 70, 3 }, { 1, 8, 4 }, { 0, 7, 5 },
		{ 2, 4, 6 }, { 0, 700, 7 }, { 0, 7, 1000000 }, { 1, 7, 9 },
	};
	const size_t procs[] = { a, b, c };

	for (size_t i = 0; i < sizeof(adds) / sizeof(adds[0]); i++) {
		struct prof_thread *t = profile_thread(&p, procs[adds[i].proc], adds[i].tid, "t");

		cr_assert_eq(profile_add(&p, t, &f, 1, adds[i].count), 0);
	}
	char *got = write_profile(&p, "order");
	static const char want[] =
		HEAD("\"order\"")
		"\"shared\":{\"frames\":[\n{\"name\":\"f\",\"file\":\"f.py\",\"line\":1}]},\n"
		"\"profiles\":["
		SAMPLED("\"a [pid 50, Python 3.11.7] thread 7 (t)\"", "10101050505") "\n[0]],\"weights\":[10101050505]},\n"
		SAMPLED("\"a [pid 50, Python 3.11.7] thread 70 (t)\"", "30303") "\n[0]],\"weights\":[30303]},\n"
		SAMPLED("\"a [pid 50, Python 3.11.7] thread 700 (t)\"", "70707") "\n[0]],\"weights\":[70707]},\n"
		SAMPLED("\"b [pid 50, Python 3.11.7] thread 7 (t)\"", "90909") "\n[0]],\"weights\":[90909]},\n"
		SAMPLED("\"b [pid 50, Python 3.11.7] thread 8 (t)\"", "40404") "\n[0]],\"weights\":[40404]},\n"
		SAMPLED("\"b [pid 50, Python 3.11.7] thread 9 (t)\"", "20202") "\n[0]],\"weights\":[20202]},\n"
		SAMPLED("\"c [pid 60, Python 3.11.7] thread 4 (t)\"", "60606") "\n[0]],\"weights\":[60606]},\n"
		SAMPLED("\"c [pid 60, Python 3.11.7] thread 5 (t)\"", "10101") "\n[0]],\"weights\":[10101]}"
		"]}\n";

	cr_assert_str_eq(got, want);
	free(got);
	profile_free(&p);
}

Test(speedscope, end_value_is_the_sum_of_weights)
{
	struct profile p;
	uint32_t frames[4];

	profile_init(&p, 3000000000ULL);	/* big interval: 64-bit products */
	size_t proc = profile_process(&p, 1, "x", "");
	struct prof_thread *t = profile_thread(&p, proc, 1, "m");

	for (int i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		frames[i] = profile_frame(&p, name, "x.py", i + 1);
	}
	for (uint32_t d = 1; d <= 4; d++)
		cr_assert_eq(profile_add(&p, t, frames, d, d * 1000), 0);
	cr_assert_eq(profile_add(&p, t, frames, 2, 5), 0);

	char *got = write_profile(&p, "sum");
	/* (1000 + 2000 + 3000 + 4000 + 5) samples x 3 s, in the order added */
	const char *tail = SAMPLED("\"x [pid 1] thread 1 (m)\"", "30015000000000")
		"\n[0],\n[0,1],\n[0,1,2],\n[0,1,2,3],\n[0,1]],"
		"\"weights\":[3000000000000,6000000000000,9000000000000,12000000000000,15000000000]}]}\n";

	cr_assert(strlen(got) > strlen(tail));
	cr_assert_str_eq(got + strlen(got) - strlen(tail), tail);
	free(got);
	profile_free(&p);
}

Test(speedscope, odd_names_are_escaped)
{
	struct profile p;

	profile_init(&p, 1);
	size_t proc = profile_process(&p, 7, "py\tthon \\x", "3.11.7");
	struct prof_thread *t = profile_thread(&p, proc, 8, "th\"read\x01");
	uint32_t f[] = {
		profile_frame(&p, "say \"hi\"\\", "C:\\dir\\f.py", 1),
		profile_frame(&p, "line\nbreak\ttab\r", "ctl\x01\x1f\x7f.py", 2),
		profile_frame(&p, "caf\xc3\xa9 \xe5\x87\xbd\xe6\x95\xb0 \xf0\x9f\x98\x80", "u.py", 3),
		profile_frame(&p, "nul\xc0\x80" "end", "sur\xed\xb2\x80.py", 4),
		profile_frame(&p, "bad\xff\xfe" "x\x80y\xe5\x87", "\xc3", 5),
	};

	cr_assert_eq(profile_add(&p, t, f, 5, 2), 0);
	char *got = write_profile(&p, "ti\"tle\n");
	static const char want[] =
		HEAD("\"ti\\\"tle\\n\"")
		"\"shared\":{\"frames\":["
		"\n{\"name\":\"say \\\"hi\\\"\\\\\",\"file\":\"C:\\\\dir\\\\f.py\",\"line\":1}"
		",\n{\"name\":\"line\\nbreak\\ttab\\r\",\"file\":\"ctl\\u0001\\u001f\\u007f.py\",\"line\":2}"
		",\n{\"name\":\"caf\xc3\xa9 \xe5\x87\xbd\xe6\x95\xb0 \xf0\x9f\x98\x80\",\"file\":\"u.py\",\"line\":3}"
		",\n{\"name\":\"nul\\u0000end\",\"file\":\"sur\\udc80.py\",\"line\":4}"
		",\n{\"name\":\"bad\\ufffd\\ufffdx\\ufffdy\\ufffd\\ufffd\",\"file\":\"\\ufffd\",\"line\":5}"
		"]},\n\"profiles\":["
		SAMPLED("\"py\\tthon \\\\x [pid 7, Python 3.11.7] thread 8 (th\\\"read\\u0001)\"", "2")
		"\n[0,1,2,3,4]],\"weights\":[2]}]}\n";

	cr_assert_str_eq(got, want);
	free(got);
	profile_free(&p);
}

Test(speedscope, write_error_is_eio)
{
	struct profile p;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		cr_skip_test("no /dev/full");
	setvbuf(f, NULL, _IONBF, 0);
	profile_init(&p, 1);
	cr_assert_eq(speedscope_write(f, &p, "x"), -EIO);
	fclose(f);
	profile_free(&p);
}

/* ---- json_write_string, one case at a time ------------------------------ */

Test(json_writer, plain_and_empty)
{
	check_json_string("", "\"\"");
	check_json_string("hello world", "\"hello world\"");
	check_json_string("/a/b.py", "\"/a/b.py\"");	/* '/' needs no escape */
	check_json_string("~{}[]:,'", "\"~{}[]:,'\"");
}

Test(json_writer, quote_backslash_and_controls)
{
	check_json_string("\"", "\"\\\"\"");
	check_json_string("\\", "\"\\\\\"");
	check_json_string("\\n", "\"\\\\n\"");	/* a backslash and an n */
	check_json_string("a\nb", "\"a\\nb\"");
	check_json_string("\t", "\"\\t\"");
	check_json_string("\r", "\"\\r\"");
	check_json_string("\x01", "\"\\u0001\"");
	check_json_string("\x08\x0c\x1b\x1f", "\"\\u0008\\u000c\\u001b\\u001f\"");
	check_json_string("\x7f", "\"\\u007f\"");
	check_json_string(" ", "\" \"");
}

Test(json_writer, utf8_passes_through)
{
	check_json_string("\xc3\xa9", "\"\xc3\xa9\"");			/* é */
	check_json_string("\xc2\x80", "\"\xc2\x80\"");			/* U+0080 */
	check_json_string("\xe5\x87\xbd\xe6\x95\xb0", "\"\xe5\x87\xbd\xe6\x95\xb0\"");	/* 函数 */
	check_json_string("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");	/* 😀 */
	check_json_string("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");		/* U+FFFF */
	check_json_string("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");	/* U+10FFFF */
}

Test(json_writer, modified_utf8_nul_and_surrogates)
{
	check_json_string("\xc0\x80", "\"\\u0000\"");
	check_json_string("a\xc0\x80\xc0\x80" "b", "\"a\\u0000\\u0000b\"");
	check_json_string("\xed\xb2\x80", "\"\\udc80\"");
	check_json_string("\xed\xa0\x80", "\"\\ud800\"");
	check_json_string("\xed\xbf\xbf", "\"\\udfff\"");
	check_json_string("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");		/* U+D7FF is fine */
	check_json_string("\xee\x80\x80", "\"\xee\x80\x80\"");		/* U+E000 too */
}

Test(json_writer, invalid_bytes_become_fffd)
{
	check_json_string("\xff", "\"\\ufffd\"");
	check_json_string("\x80", "\"\\ufffd\"");			/* lone continuation */
	check_json_string("a\xc3", "\"a\\ufffd\"");			/* cut at the end */
	check_json_string("\xe5\x87" "x", "\"\\ufffd\\ufffdx\"");	/* cut, then ASCII */
	check_json_string("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"");
	check_json_string("\xc3\xc3\xa9", "\"\\ufffd\xc3\xa9\"");	/* then a good one */
	/* Overlong forms, other than C0 80. */
	check_json_string("\xc1\x81", "\"\\ufffd\\ufffd\"");
	check_json_string("\xc0\x81", "\"\\ufffd\\ufffd\"");
	check_json_string("\xe0\x80\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	check_json_string("\xf0\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Beyond U+10FFFF, and 5-byte leaders. */
	check_json_string("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	check_json_string("\xf8\x88\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	check_json_string("\xfe\xff", "\"\\ufffd\\ufffd\"");
}

/*
 * A strict reader for one JSON string: every raw character is valid UTF-8
 * (no surrogates, no overlong forms, no controls), escapes are JSON's.  It
 * decodes back into pybpf's UTF-8 flavour (U+0000 as C0 80, surrogates in
 * their 3-byte form).  Returns the decoded length, or -1 on invalid JSON.
 */
static int put_cp(uint32_t cp, unsigned char *out)
{
	if (cp == 0) {
		out[0] = 0xc0;
		out[1] = 0x80;
		return 2;
	}
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

static int strict_utf8(const unsigned char *s, uint32_t *cp)
{
	int len;

	if (s[0] < 0x80)
		len = 1, *cp = s[0];
	else if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, *cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, *cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, *cp = s[0] & 0x07;
	else
		return 0;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && *cp < 0x800) || (len == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

static long parse_json_string(const char *json, unsigned char *out)
{
	const unsigned char *s = (const unsigned char *)json;
	long n = 0;
	uint32_t cp;
	int len;

	if (*s++ != '"')
		return -1;
	while (*s != '"') {
		if (*s < 0x20)
			return -1;	/* includes the NUL of an unterminated string */
		if (*s == '\\') {
			s++;
			switch (*s) {
			case '"': case '\\': case '/': cp = *s; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u': {
				char hex[5] = { 0 };

				for (int i = 1; i <= 4; i++)
					if (!isxdigit(s[i]))
						return -1;
				memcpy(hex, s + 1, 4);
				cp = strtoul(hex, NULL, 16);
				s += 4;
				break;
			}
			default:
				return -1;
			}
			s++;
		} else {
			len = strict_utf8(s, &cp);
			if (!len)
				return -1;
			s += len;
		}
		n += put_cp(cp, out + n);
	}
	if (s[1])
		return -1;	/* trailing bytes */
	out[n] = '\0';
	return n;
}

Test(json_writer, random_bytes_always_give_valid_json)
{
	unsigned seed = 12345;
	unsigned char in[64], dec[64 * 12];

	for (int round = 0; round < 20000; round++) {
		size_t n = rand_r(&seed) % sizeof(in);

		for (size_t i = 0; i < n; i++) {
			do
				in[i] = rand_r(&seed);
			while (!in[i]);
			/* Bias towards UTF-8 structure: leaders and continuations. */
			if (rand_r(&seed) % 2)
				in[i] = 0x80 | (in[i] & 0x7f);
		}
		in[n] = '\0';
		char *got = json_string((const char *)in);

		cr_assert(parse_json_string(got, dec) >= 0, "round %d: invalid JSON %s", round, got);
		free(got);
	}
}

Test(json_writer, valid_text_round_trips)
{
	/* Any sequence of code points, encoded the way pystr.c does, decodes
	 * back to the same bytes: nothing is lost or replaced. */
	unsigned seed = 777;
	unsigned char in[40 * 4 + 1], dec[sizeof(in) * 12];

	for (int round = 0; round < 20000; round++) {
		size_t n = 0, k = rand_r(&seed) % 40;

		for (size_t i = 0; i < k; i++) {
			uint32_t cp;

			switch (rand_r(&seed) % 5) {
			case 0: cp = rand_r(&seed) % 0x80; break;
			case 1: cp = rand_r(&seed) % 0x800; break;
			case 2: cp = rand_r(&seed) % 0x10000; break;	/* surrogates too */
			case 3: cp = 0x10000 + rand_r(&seed) % 0x100000; break;
			default: cp = "\"\\\n\t\x01\x7f"[rand_r(&seed) % 6]; break;
			}
			n += put_cp(cp, in + n);
		}
		in[n] = '\0';
		char *got = json_string((const char *)in);
		long m = parse_json_string(got, dec);

		cr_assert_eq(m, (long)n, "round %d: %s", round, got);
		cr_assert_eq(memcmp(dec, in, n), 0, "round %d: %s", round, got);
		free(got);
	}
}

Test(speedscope, names_the_pid_inside_a_pid_namespace)
{
	struct profile p;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	uint32_t f;
	size_t proc;

	profile_init(&p, 1000);
	proc = profile_process(&p, 4242, "python3 app.py", "3.14.10");
	p.processes[proc].ns_pid = 7;
	f = profile_frame(&p, "main", "app.py", 1);
	cr_assert_eq(profile_add(&p, profile_thread(&p, proc, 4243, "worker"), &f, 1, 1), 0);
	cr_assert_eq(speedscope_write(out, &p, "t"), 0);
	fclose(out);
	cr_assert(strstr(buf, "\"python3 app.py [pid 4242 (7 in its namespace), Python 3.14.10] thread 4243 (worker)\""),
		  "%s", buf);
	free(buf);
	profile_free(&p);
}

Test(speedscope, without_the_order_one_sample_per_stack)
{
	struct profile p;

	profile_init(&p, 1000);
	p.keep_order = false;
	size_t proc = profile_process(&p, 1, "x", "");
	struct prof_thread *t = profile_thread(&p, proc, 1, "m");
	uint32_t f[] = { profile_frame(&p, "a", "x.py", 1), profile_frame(&p, "b", "x.py", 2) };

	cr_assert_eq(profile_add(&p, t, f, 2, 3), 0);
	cr_assert_eq(profile_add(&p, t, f, 1, 1), 0);
	cr_assert_eq(profile_add(&p, t, f, 2, 2), 0);
	char *got = write_profile(&p, "agg");
	const char *tail = SAMPLED("\"x [pid 1] thread 1 (m)\"", "6000")
		"\n[0,1],\n[0]],\"weights\":[5000,1000]}]}\n";

	cr_assert_str_eq(got + strlen(got) - strlen(tail), tail);
	free(got);
	profile_free(&p);
}
