// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/python/pystr.h: PEP 393 code units -> (modified) UTF-8, and reading real str
 * objects out of a running /usr/bin/python3.11.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "child_python.h"
#include "python/py_layout.h"
#include "python/pystr.h"

#define PYTHON311 "/usr/bin/python3.11"

/* Encode and check both the bytes and the returned length. */
static void check_utf8(int kind, const void *data, size_t n, size_t size,
		       const char *want)
{
	char out[256];

	cr_assert(size <= sizeof(out));
	memset(out, 0x5a, sizeof(out));
	size_t len = pystr_to_utf8(kind, data, n, out, size);

	cr_assert_eq(len, strlen(want), "length %zu, want %zu (\"%s\")", len, strlen(want), want);
	cr_assert_eq(memcmp(out, want, len + 1), 0, "got \"%s\", want \"%s\"", out, want);
	/* Nothing beyond the NUL... */
	cr_assert_eq((unsigned char)out[len + 1], 0x5a, "wrote past its NUL");
	/* ...and never beyond SIZE. */
	cr_assert_eq((unsigned char)out[size], 0x5a, "wrote past SIZE");
}

Test(pystr, kind1_ascii_and_latin1)
{
	static const uint8_t ascii[] = "hello";
	static const uint8_t latin1[] = { 'f', 0xfc, 'n', 'f', ' ', 0xe9, 0xff, 0x80 };

	check_utf8(1, ascii, 5, 64, "hello");
	check_utf8(1, ascii, 0, 64, "");
	/* ü=FC -> C3 BC, é=E9 -> C3 A9, ÿ=FF -> C3 BF, U+0080 -> C2 80 */
	check_utf8(1, latin1, sizeof(latin1), 64, "f\xc3\xbcnf \xc3\xa9\xc3\xbf\xc2\x80");
}

Test(pystr, kind2_ucs2)
{
	static const uint16_t han[] = { 0x51fd, 0x6570 };	/* 函数 */
	static const uint16_t mixed[] = { 'a', 0xe9, 0x7ff, 0x800, 0xfffd, 0xffff };

	check_utf8(2, han, 2, 64, "\xe5\x87\xbd\xe6\x95\xb0");
	check_utf8(2, mixed, 6, 64,
		   "a\xc3\xa9\xdf\xbf\xe0\xa0\x80\xef\xbf\xbd\xef\xbf\xbf");
}

Test(pystr, kind4_ucs4)
{
	static const uint32_t emoji[] = { 0x1f600, 'x' };			/* 😀x */
	static const uint32_t edges[] = { 0x10000, 0x10ffff, 0xe9 };

	check_utf8(4, emoji, 2, 64, "\xf0\x9f\x98\x80x");
	check_utf8(4, edges, 3, 64, "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\xc3\xa9");
}

Test(pystr, nul_is_c0_80)
{
	static const uint8_t k1[] = { 'a', 0, 'b' };
	static const uint16_t k2[] = { 0, 0x51fd };
	static const uint32_t k4[] = { 0x1f600, 0 };

	check_utf8(1, k1, 3, 64, "a\xc0\x80" "b");
	check_utf8(2, k2, 2, 64, "\xc0\x80\xe5\x87\xbd");
	check_utf8(4, k4, 2, 64, "\xf0\x9f\x98\x80\xc0\x80");
}

Test(pystr, lone_surrogates_keep_their_3_byte_form)
{
	static const uint16_t k2[] = { 0xdc80, 'z', 0xd800 };
	static const uint32_t k4[] = { 0xdfff, 0xdbff };

	check_utf8(2, k2, 3, 64, "\xed\xb2\x80z\xed\xa0\x80");
	check_utf8(4, k4, 2, 64, "\xed\xbf\xbf\xed\xaf\xbf");
}

Test(pystr, invalid_code_points_become_fffd)
{
	static const uint32_t k4[] = { 0x110000, 'a', 0xffffffff, 0x7fffffff };

	check_utf8(4, k4, 4, 64, "\xef\xbf\xbd" "a\xef\xbf\xbd\xef\xbf\xbd");
}

Test(pystr, truncation_ascii)
{
	static const char text[] = "abcdefghijklmnopqrstuvwxyz";

	/* 26 chars need 27 bytes; anything smaller cuts and marks the cut. */
	check_utf8(1, text, 26, 27 + 10, text);
	check_utf8(1, text, 26, 8, "abcd...");
	check_utf8(1, text, 26, 12, "abcdefgh...");
}

/* Truncating at every buffer size: a prefix of whole characters, "...", NUL. */
static void check_truncation_everywhere(int kind, const void *data, size_t n,
					const char *full)
{
	size_t full_len = strlen(full);

	for (size_t size = 8; size <= full_len + 8; size++) {
		char out[256];
		size_t len;

		memset(out, 0x5a, sizeof(out));
		len = pystr_to_utf8(kind, data, n, out, size);
		cr_assert(len < size, "size %zu: length %zu does not fit", size, len);
		cr_assert_eq(out[len], '\0', "size %zu: not NUL-terminated", size);
		cr_assert_eq((unsigned char)out[size], 0x5a, "size %zu: overflow", size);
		if (len == full_len && !memcmp(out, full, len))
			continue;	/* it all fit */
		cr_assert(size < full_len + 4, "size %zu: \"%s\" cut although it fits", size, out);
		cr_assert(len >= 3 && !memcmp(out + len - 3, "...", 3),
			  "size %zu: \"%s\" is cut without a marker", size, out);
		size_t prefix = len - 3;

		cr_assert_eq(memcmp(out, full, prefix), 0, "size %zu: not a prefix", size);
		/* The cut is at a character boundary of FULL... */
		cr_assert(((unsigned char)full[prefix] & 0xc0) != 0x80,
			  "size %zu: cut inside a UTF-8 sequence: \"%s\"", size, out);
		/* ...and as late as the buffer allows: one more character would
		 * not have fit together with "..." and the NUL. */
		size_t next = 1;

		while (((unsigned char)full[prefix + next] & 0xc0) == 0x80)
			next++;
		cr_assert(prefix + next + 4 > size, "size %zu: cut too early at %zu", size, prefix);
	}
}

Test(pystr, truncation_never_splits_a_sequence)
{
	static const uint8_t k1[] = { 0xe9, 'a', 0xe9, 0xe9, 'b', 0, 0xfc, 'c', 0xe9, 0xe9 };
	static const uint16_t k2[] = { 0x51fd, 'a', 0x6570, 0xe9, 0xdc80, 0x51fd, 'b', 0x6570 };
	static const uint32_t k4[] = { 0x1f600, 'x', 0x1f600, 0x1f600, 0xe9, 0x51fd, 0,
				       0x1f600, 'y', 0x1f600 };

	check_truncation_everywhere(1, k1, 10,
		"\xc3\xa9" "a\xc3\xa9\xc3\xa9" "b\xc0\x80\xc3\xbc" "c\xc3\xa9\xc3\xa9");
	check_truncation_everywhere(2, k2, 8,
		"\xe5\x87\xbd" "a\xe6\x95\xb0\xc3\xa9\xed\xb2\x80\xe5\x87\xbd" "b\xe6\x95\xb0");
	check_truncation_everywhere(4, k4, 10,
		"\xf0\x9f\x98\x80x\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xc3\xa9\xe5\x87\xbd\xc0\x80"
		"\xf0\x9f\x98\x80y\xf0\x9f\x98\x80");
}

Test(pystr, truncation_specific_cuts)
{
	static const uint32_t emoji[] = { 0x1f600, 0x1f600, 0x1f600, 0x1f600 };
	static const uint16_t han[] = { 0x51fd, 0x6570, 0x51fd, 0x6570 };

	/* 8 bytes: one 4-byte emoji + "..." + NUL. */
	check_utf8(4, emoji, 4, 8, "\xf0\x9f\x98\x80...");
	/* 11 bytes still cannot take a second emoji (4 + 4 + 3 + 1 = 12). */
	check_utf8(4, emoji, 4, 11, "\xf0\x9f\x98\x80...");
	check_utf8(4, emoji, 4, 12, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80...");
	check_utf8(2, han, 4, 9, "\xe5\x87\xbd...");
	check_utf8(2, han, 4, 10, "\xe5\x87\xbd\xe6\x95\xb0...");
}

/*
 * A string that fits exactly (its bytes plus the NUL fill SIZE) comes out
 * whole: room for "..." is kept only when the string does not fit.
 */
Test(pystr, exact_fit_is_not_truncated)
{
	static const char seven[] = "abcdefg";
	static const uint32_t emoji[] = { 0x1f600, 0x1f600 };

	check_utf8(1, seven, 7, 8, "abcdefg");
	check_utf8(4, emoji, 2, 9, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
}

/* ---- pystr_read against a live CPython 3.11 ---------------------------- */

static const char child_script[] =
	"import sys, time\n"
	"vals = ['hel' + 'lo', 'f\\u00fc' + 'nf', '\\u51fd' + '\\u6570', '\\U0001F600' + 'x',\n"
	"        'a\\x00b' + '\\u00e9', 'y' * 1500, '\\udc80' + 'q', bytes(128)]\n"
	"for v in vals:\n"
	"    h = hash(v) & 0xffffffffffffffff if isinstance(v, str) else 0\n"
	"    print(id(v), h)\n"
	"print('ready', flush=True)\n"
	"time.sleep(60)\n";

enum { S_ASCII, S_LATIN1, S_UCS2, S_UCS4, S_NUL, S_LONG, S_SURROGATE, S_BYTES, NVALS };

static pid_t child = -1;
static uint64_t addrs[NVALS], hashes[NVALS];

static void start_python(void)
{
	FILE *in;
	char line[128];

	child = child_python_start(PYTHON311, child_script, &in);
	for (int i = 0; i < NVALS; i++) {
		cr_assert_not_null(fgets(line, sizeof(line), in), "python exited early");
		cr_assert_eq(sscanf(line, "%" SCNu64 " %" SCNu64, &addrs[i], &hashes[i]), 2,
			     "bad line \"%s\"", line);
	}
	cr_assert_not_null(fgets(line, sizeof(line), in));
	cr_assert_str_eq(line, "ready\n");
	fclose(in);
}

static void stop_python(void)
{
	child_python_stop(&child);
}

static const struct py_layout *layout311(void)
{
	const struct py_layout *L = py_layout_static(3, 11, false);

	cr_assert_not_null(L, "no built-in 3.11 layout");
	cr_assert_not(L->needs_debug_offsets, "3.11 offsets come from the table");
	return L;
}

static void check_read(int i, const char *want)
{
	char out[PYSTR_MAX_CHARS * 4 + 8];
	uint64_t hash = 0;
	int err = pystr_read(child, layout311(), addrs[i], out, sizeof(out), &hash);

	cr_assert_eq(err, 0, "value %d: pystr_read: %s", i, strerror(-err));
	cr_assert_str_eq(out, want, "value %d", i);
	cr_assert_eq(hash, hashes[i], "value %d: hash %" PRIu64 ", python says %" PRIu64,
		     i, hash, hashes[i]);
}

TestSuite(pystr_read, .init = start_python, .fini = stop_python, .timeout = 30);

Test(pystr_read, ascii)
{
	check_read(S_ASCII, "hello");
}

Test(pystr_read, latin1)
{
	check_read(S_LATIN1, "f\xc3\xbcnf");
}

Test(pystr_read, ucs2)
{
	check_read(S_UCS2, "\xe5\x87\xbd\xe6\x95\xb0");
}

Test(pystr_read, ucs4)
{
	check_read(S_UCS4, "\xf0\x9f\x98\x80x");
}

Test(pystr_read, embedded_nul_and_surrogate)
{
	check_read(S_NUL, "a\xc0\x80" "b\xc3\xa9");
	check_read(S_SURROGATE, "\xed\xb2\x80q");
}

Test(pystr_read, long_string_is_cut_with_a_marker)
{
	char want[PYSTR_MAX_CHARS + 4];

	memset(want, 'y', PYSTR_MAX_CHARS);
	strcpy(want + PYSTR_MAX_CHARS, "...");
	check_read(S_LONG, want);
}

Test(pystr_read, hash_is_optional)
{
	char out[64];

	cr_assert_eq(pystr_read(child, layout311(), addrs[S_UCS2], out, sizeof(out), NULL), 0);
	cr_assert_str_eq(out, "\xe5\x87\xbd\xe6\x95\xb0");
}

Test(pystr_read, small_buffer_truncates_cleanly)
{
	char out[16];

	memset(out, 0x5a, sizeof(out));
	cr_assert_eq(pystr_read(child, layout311(), addrs[S_LONG], out, 8, NULL), 0);
	cr_assert_str_eq(out, "yyyy...");
	cr_assert_eq((unsigned char)out[8], 0x5a);
}

Test(pystr_read, not_a_str)
{
	const struct py_layout *L = layout311();
	char out[64];

	/* A bytes object of zeros: its "state" word has no kind, no compact bit. */
	cr_assert_eq(pystr_read(child, L, addrs[S_BYTES], out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(pystr_read(child, L, 0, out, sizeof(out), NULL), -EFAULT);
	cr_assert_eq(pystr_read(child, L, 8, out, sizeof(out), NULL), -EFAULT);
}
