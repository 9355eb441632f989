// SPDX-License-Identifier: BSD-3-Clause
/*
 * The _Py_DebugOffsets parsers against the real thing: the .PyRuntime
 * section of Debian's 3.13-3.15 interpreters (fetched by
 * tools/provision-pythons.sh into $PYBPF_PYTHONS) and pyenv's 3.13 libpython,
 * which hold _PyRuntime's initial value, debug offsets first.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "python/debug_offsets.h"
#include "native/elf_symbols.h"

struct binary {
	const char *path;	/* relative to $PYBPF_PYTHONS when not absolute */
	int minor;
	bool required;		/* provisioned by `make pythons`, so must be there */
};

static const struct binary binaries[] = {
	{ "sid/usr/bin/python3.13", 13, true },
	{ "sid/usr/bin/python3.14", 14, true },
	{ "sid/usr/bin/python3.15", 15, true },
	{ "/root/.pyenv/versions/3.13.0/lib/libpython3.13.so.1.0", 13, false },
};

static bool load_raw(const struct binary *b, uint8_t *raw, size_t size)
{
	const char *dir = getenv("PYBPF_PYTHONS");
	char path[4096];
	struct elf_file *ef;
	int rc;

	if (b->path[0] == '/')
		snprintf(path, sizeof(path), "%s", b->path);
	else
		snprintf(path, sizeof(path), "%s/%s", dir ? dir : "build/pythons", b->path);
	if (access(path, R_OK)) {
		cr_assert(!b->required, "%s is missing: run `make pythons`", path);
		return false;
	}
	ef = elf_file_open(path);
	cr_assert_not_null(ef, "%s", path);
	rc = elf_file_section_bytes(ef, ".PyRuntime", raw, size);
	elf_file_close(ef);
	cr_assert_eq(rc, 0, "%s has no .PyRuntime section of %zu bytes", path, size);
	return true;
}

Test(debug_offsets, real_binaries_decode_to_sane_layouts)
{
	int checked = 0;

	for (size_t i = 0; i < sizeof(binaries) / sizeof(binaries[0]); i++) {
		const struct binary *b = &binaries[i];
		uint8_t raw[DEBUG_OFFSETS_MAX_SIZE];
		struct debug_offsets_header hdr;
		struct py_layout L;
		char err[256] = "";
		int parser_minor = 0;
		size_t size = debug_offsets_parser(b->minor, &parser_minor);

		cr_assert_eq(parser_minor, b->minor);
		if (!load_raw(b, raw, size))
			continue;
		cr_assert_eq(debug_offsets_header(raw, size, &hdr), 0, "%s: no cookie", b->path);
		cr_assert_eq((hdr.version >> 16) & 0xff, (uint64_t)b->minor, "%s: version 0x%llx",
			     b->path, (unsigned long long)hdr.version);
		cr_assert(!hdr.free_threaded);
		cr_assert_eq(debug_offsets_layout(raw, size, b->minor, &L, err, sizeof(err)), 0,
			     "%s: %s", b->path, err);
		/* Facts every 3.13+ default build shares, whatever the patch level. */
		cr_assert_eq(L.minor, b->minor);
		cr_assert_eq(L.bpf.tstate_next, 8);
		cr_assert_eq(L.bpf.tstate_interp, 16);
		cr_assert_eq(L.bpf.frame_previous, 8);
		cr_assert_eq(L.bpf.frame_code, 0);
		cr_assert_eq(L.object_type, 8);
		cr_assert_eq(L.bpf.varobject_size, 16);
		cr_assert_eq(L.bpf.bytes_data, 32);
		cr_assert_eq(L.bpf.str_length, 16);
		cr_assert_eq(L.bpf.str_state, 32);
		cr_assert_eq(L.bpf.str_ascii_data, 40);
		cr_assert_eq(L.bpf.str_compact_data, 56);
		cr_assert_eq(L.bpf.code_tlbc, PYPERF_OFF_NONE, "default builds have no TLBC");
		cr_assert(L.bpf.runtime_interp_head > 0 && L.bpf.interp_threads_head > 0);
		cr_assert_eq(L.bpf.tstate_native_thread_id, L.bpf.tstate_thread_id + 8);
		cr_assert(L.bpf.frame_read_size > L.bpf.frame_owner &&
			  L.bpf.frame_read_size <= PYPERF_FRAME_READ);
		cr_assert(L.bpf.code_read_size > L.bpf.code_linetable &&
			  L.bpf.code_read_size <= PYPERF_CODE_READ);
		cr_assert_eq(L.bpf.code_tag_mask, b->minor >= 14 ? 3 : 0);
		checked++;
	}
	cr_assert_geq(checked, 3);
}

Test(debug_offsets, static_entries_hold_no_offsets_from_313)
{
	/* So a profile of 3.13+ can only be right if the runtime's offsets were used. */
	for (int minor = 13; minor <= 15; minor++) {
		const struct py_layout *L = py_layout_static(3, minor, false);

		cr_assert_not_null(L);
		cr_assert(L->needs_debug_offsets);
		cr_assert_eq(L->bpf.runtime_interp_head, 0);
		cr_assert_eq(L->bpf.interp_threads_head, 0);
		cr_assert_eq(L->bpf.tstate_frame, 0);
		cr_assert_eq(L->bpf.frame_owner, 0);
		cr_assert_eq(L->bpf.code_filename, 0);
	}
}

Test(debug_offsets, parser_choice)
{
	int minor = 0;

	cr_assert_eq(debug_offsets_parser(12, &minor), 0);
	cr_assert_eq(debug_offsets_parser(13, &minor), 584);
	cr_assert_eq(minor, 13);
	cr_assert_eq(debug_offsets_parser(14, &minor), 760);
	cr_assert_eq(debug_offsets_parser(15, &minor), 888);
	/* A minor newer than any parser gets the newest one (then validated live). */
	cr_assert_eq(debug_offsets_parser(16, &minor), 888);
	cr_assert_eq(minor, 15);
}

static void fake_blob(uint8_t *raw, size_t size, uint64_t version, uint64_t value)
{
	memset(raw, 0, size);
	memcpy(raw, DEBUG_OFFSETS_COOKIE, 8);
	memcpy(raw + 8, &version, 8);
	for (size_t at = 24; at + 8 <= size; at += 8)
		memcpy(raw + at, &value, 8);
}

Test(debug_offsets, rejects_bad_input)
{
	uint8_t raw[DEBUG_OFFSETS_MAX_SIZE];
	struct debug_offsets_header hdr;
	struct py_layout L;
	char err[256];

	/* No cookie. */
	memset(raw, 0, sizeof(raw));
	cr_assert_eq(debug_offsets_header(raw, sizeof(raw), &hdr), -ENOENT);
	cr_assert_eq(debug_offsets_layout(raw, 888, 15, &L, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "xdebugpy"), "%s", err);
	/* Shorter than the parser reads. */
	fake_blob(raw, sizeof(raw), 0x030f02f0, 8);
	cr_assert_eq(debug_offsets_layout(raw, 100, 15, &L, err, sizeof(err)), -EINVAL);
	/* An absurd offset is named. */
	fake_blob(raw, sizeof(raw), 0x030f02f0, 0xffffffffffffULL);
	cr_assert_eq(debug_offsets_layout(raw, 888, 15, &L, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "look corrupt: bpf.runtime_interp_head"), "%s", err);
	/* Offsets beyond what the BPF program reads in one go. */
	fake_blob(raw, sizeof(raw), 0x030f02f0, 4000);
	cr_assert_eq(debug_offsets_layout(raw, 888, 15, &L, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "larger than pybpf reads"), "%s", err);
}

Test(debug_offsets, free_threaded_reads_tlbc_fields)
{
	uint8_t raw[DEBUG_OFFSETS_MAX_SIZE];
	struct py_layout L;
	uint64_t one = 1;
	char err[256] = "";

	fake_blob(raw, sizeof(raw), 0x030e0af0, 48);
	memcpy(raw + 16, &one, 8);	/* free_threaded */
	cr_assert_eq(debug_offsets_layout(raw, 760, 14, &L, err, sizeof(err)), 0, "%s", err);
	cr_assert(L.free_threaded);
	cr_assert_eq(L.bpf.frame_tlbc_index, 48);
	cr_assert_eq(L.bpf.code_tlbc, 48);
	cr_assert_eq(L.bpf.str_hash, 40, "free-threaded object header is 32 bytes");
	cr_assert_eq(L.bpf.str_kind_mask, 0x700);
	cr_assert_eq(L.object_refcnt, PYPERF_OFF_NONE);
}
