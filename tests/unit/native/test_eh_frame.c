// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/native/eh_frame.h: hand-built sections whose every FDE the test knows;
 * Debian's libc and python3.11 against binutils' own interpretation of
 * their CFI (readelf --debug-dump=frames-interp), row by row, indexed both
 * by .eh_frame_hdr and by a scan; and damaged or random bytes, which must
 * give errors, not crashes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "native/eh_frame.h"
#include "eh_frame_builder.h"
#include "native/elf_symbols.h"
#include "process/proc_maps.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define DEBIAN_PY "/usr/bin/python3.11"

#define EH_VADDR 0x2000		/* where the hand-built .eh_frame is "loaded" */
#define HDR_VADDR 0x1800
#define PCREL_SDATA4 (DW_EH_PE_pcrel | DW_EH_PE_sdata4)

/* Four FDEs, under three CIEs with three pointer encodings, and a discarded one. */
struct built {
	struct byte_buf eh;
	struct ehb_hdr_entry fdes[4];
};

static void build_sections(struct built *s)
{
	static const uint8_t grow16[] = { CFA_advance_loc(1), CFA_def_cfa_offset, 16 };
	static const uint8_t grow32[] = { CFA_advance_loc(4), CFA_def_cfa_offset, 32 };
	static const uint8_t plain_cie[] = { CFA_def_cfa, R_RSP, 8, CFA_offset(R_RA), 1 };
	struct byte_buf *b = &s->eh;
	size_t cie;

	memset(s, 0, sizeof(*s));
	cie = ehb_default_cie(b, PCREL_SDATA4);
	s->fdes[0] = (struct ehb_hdr_entry){ 0x401000, EH_VADDR + b->len };
	ehb_fde(b, cie, PCREL_SDATA4, EH_VADDR, 0x401000, 0x40, grow16, sizeof(grow16));
	s->fdes[1] = (struct ehb_hdr_entry){ 0x401100, EH_VADDR + b->len };
	ehb_fde(b, cie, PCREL_SDATA4, EH_VADDR, 0x401100, 0x20, NULL, 0);
	ehb_fde(b, cie, PCREL_SDATA4, EH_VADDR, 0, 0, NULL, 0);	/* what --gc-sections leaves */
	cie = ehb_default_cie(b, DW_EH_PE_udata4);
	s->fdes[2] = (struct ehb_hdr_entry){ 0x402000, EH_VADDR + b->len };
	ehb_fde(b, cie, DW_EH_PE_udata4, EH_VADDR, 0x402000, 0x10, grow32, sizeof(grow32));
	cie = ehb_cie(b, "", DW_EH_PE_absptr, plain_cie, sizeof(plain_cie));
	s->fdes[3] = (struct ehb_hdr_entry){ 0x403000, EH_VADDR + b->len };
	ehb_fde(b, cie, DW_EH_PE_absptr, EH_VADDR, 0x403000, 0x10, grow16, sizeof(grow16));
	byte_buf_u32le(b, 0);	/* the terminator */
	cr_assert(!b->failed);
}

/* The CFA offset (from rsp) at PC, or the error. */
static int64_t cfa_offset_at(const struct eh_frame_table *t, uint64_t pc)
{
	struct cfi_row row;
	int err = eh_frame_table_find(t, pc, &row);

	if (err)
		return err;
	cr_assert_eq(row.cfa.kind, CFI_RULE_REG_OFFSET);
	cr_assert_eq(row.cfa.reg, R_RSP);
	cr_assert_eq(row.regs[R_RA].kind, CFI_RULE_OFFSET);
	cr_assert_eq(row.regs[R_RA].offset, -8);
	return row.cfa.offset;
}

static void check_built_lookups(const struct eh_frame_table *t)
{
	static const struct {
		uint64_t pc;
		int64_t cfa_offset;
	} cases[] = {
		{ 0x400fff, -ENOENT }, { 0x401000, 8 }, { 0x401001, 16 }, { 0x40103f, 16 },
		{ 0x401040, -ENOENT }, { 0x4010ff, -ENOENT }, { 0x401100, 8 }, { 0x40111f, 8 },
		{ 0x401120, -ENOENT }, { 0x402003, 8 }, { 0x402004, 32 }, { 0x40200f, 32 },
		{ 0x402010, -ENOENT }, { 0x403000, 8 }, { 0x403001, 16 }, { 0x403010, -ENOENT },
		{ 0, -ENOENT }, { UINT64_MAX, -ENOENT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(cfa_offset_at(t, cases[i].pc), cases[i].cfa_offset,
			     "pc %#" PRIx64 ": %" PRId64 ", not %" PRId64, cases[i].pc,
			     cfa_offset_at(t, cases[i].pc), cases[i].cfa_offset);
}

Test(unwind_eh_frame, hand_built_section_by_scan)
{
	struct built s;
	struct eh_frame_table *t;

	build_sections(&s);
	t = eh_frame_table_parse(s.eh.data, s.eh.len, EH_VADDR, NULL, 0, 0);
	cr_assert_not_null(t);
	cr_assert(!eh_frame_table_from_hdr(t));
	cr_assert_eq(eh_frame_table_fdes(t), 4, "the empty FDE is left out: %zu",
		     eh_frame_table_fdes(t));
	byte_buf_free(&s.eh);	/* the table keeps its own copy */
	check_built_lookups(t);
	eh_frame_table_free(t);
}

Test(unwind_eh_frame, hand_built_section_by_header)
{
	struct built s;
	struct byte_buf hdr = { 0 };
	struct eh_frame_table *t;

	build_sections(&s);
	ehb_hdr(&hdr, HDR_VADDR, EH_VADDR, s.fdes, 4);
	t = eh_frame_table_parse(s.eh.data, s.eh.len, EH_VADDR, hdr.data, hdr.len, HDR_VADDR);
	cr_assert_not_null(t);
	cr_assert(eh_frame_table_from_hdr(t));
	cr_assert_eq(eh_frame_table_fdes(t), 4);
	check_built_lookups(t);
	eh_frame_table_free(t);
	byte_buf_free(&hdr);
	byte_buf_free(&s.eh);
}

Test(unwind_eh_frame, unsorted_header_still_finds_every_fde)
{
	struct built s;
	struct byte_buf hdr = { 0 };
	struct eh_frame_table *t;
	struct ehb_hdr_entry shuffled[4];

	build_sections(&s);
	for (int i = 0; i < 4; i++)
		shuffled[i] = s.fdes[(i + 2) % 4];
	ehb_hdr(&hdr, HDR_VADDR, EH_VADDR, shuffled, 4);
	t = eh_frame_table_parse(s.eh.data, s.eh.len, EH_VADDR, hdr.data, hdr.len, HDR_VADDR);
	cr_assert(eh_frame_table_from_hdr(t));
	check_built_lookups(t);
	eh_frame_table_free(t);
	byte_buf_free(&hdr);
	byte_buf_free(&s.eh);
}

Test(unwind_eh_frame, bad_header_falls_back_to_a_scan)
{
	struct built s;
	struct byte_buf hdr = { 0 };
	struct eh_frame_table *t;
	struct ehb_hdr_entry outside = { 0x401000, EH_VADDR + 0x100000 };

	build_sections(&s);
	/* A header for another .eh_frame, a cut one, one pointing outside, a future version. */
	ehb_hdr(&hdr, HDR_VADDR, EH_VADDR + 8, s.fdes, 4);
	t = eh_frame_table_parse(s.eh.data, s.eh.len, EH_VADDR, hdr.data, hdr.len, HDR_VADDR);
	cr_assert(!eh_frame_table_from_hdr(t));
	check_built_lookups(t);
	eh_frame_table_free(t);
	byte_buf_free(&hdr);

	ehb_hdr(&hdr, HDR_VADDR, EH_VADDR, s.fdes, 4);
	t = eh_frame_table_parse(s.eh.data, s.eh.len, EH_VADDR, hdr.data, hdr.len - 1, HDR_VADDR);
	cr_assert(!eh_frame_table_from_hdr(t));
	check_built_lookups(t);
	eh_frame_table_free(t);
	hdr.data[0] = 2;
	t = eh_frame_table_parse(s.eh.data, s.eh.len, EH_VADDR, hdr.data, hdr.len, HDR_VADDR);
	cr_assert(!eh_frame_table_from_hdr(t));
	eh_frame_table_free(t);
	byte_buf_free(&hdr);

	ehb_hdr(&hdr, HDR_VADDR, EH_VADDR, &outside, 1);
	t = eh_frame_table_parse(s.eh.data, s.eh.len, EH_VADDR, hdr.data, hdr.len, HDR_VADDR);
	cr_assert(!eh_frame_table_from_hdr(t));
	check_built_lookups(t);
	eh_frame_table_free(t);
	byte_buf_free(&hdr);
	byte_buf_free(&s.eh);
}

Test(unwind_eh_frame, header_entry_on_a_cie_is_an_error_not_a_crash)
{
	struct built s;
	struct byte_buf hdr = { 0 };
	struct eh_frame_table *t;
	struct cfi_row row;
	struct ehb_hdr_entry on_cie = { 0x401000, EH_VADDR };

	build_sections(&s);
	ehb_hdr(&hdr, HDR_VADDR, EH_VADDR, &on_cie, 1);
	t = eh_frame_table_parse(s.eh.data, s.eh.len, EH_VADDR, hdr.data, hdr.len, HDR_VADDR);
	cr_assert(eh_frame_table_from_hdr(t));
	cr_assert_eq(eh_frame_table_find(t, 0x401000, &row), -EINVAL);
	eh_frame_table_free(t);
	byte_buf_free(&hdr);
	byte_buf_free(&s.eh);
}

Test(unwind_eh_frame, load_errors)
{
	errno = 0;
	cr_assert_null(eh_frame_table_load("/nonexistent/libfoo.so"));
	cr_assert_eq(errno, ENOENT);
	cr_assert_null(eh_frame_table_load("/etc/passwd"));
	cr_assert_eq(errno, ENOEXEC);
}

/* ---- against readelf -wF ---------------------------------------------- */

/* readelf's register names, by DWARF number ("ra" for the return column). */
static int reg_number(const char *name, size_t len)
{
	static const char *const names[] = {
		"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9",
		"r10", "r11", "r12", "r13", "r14", "r15", "ra",
	};

	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strlen(names[i]) == len && !strncmp(names[i], name, len))
			return i;
	return -1;
}

/* One row as readelf prints it: the CFA, and a rule per column. */
struct readelf_row {
	uint64_t loc;
	char cfa[32];
	char rules[CFI_NUM_REGS][32];	/* "" for registers with no column */
};

static void check_cfa(const char *want, const struct cfi_rule *cfa, uint64_t pc)
{
	size_t name_len = strcspn(want, "+-");

	if (!strcmp(want, "exp")) {
		cr_assert_eq(cfa->kind, CFI_RULE_VAL_EXPRESSION, "pc %#" PRIx64 ": CFA %s", pc, want);
		return;
	}
	cr_assert_eq(cfa->kind, CFI_RULE_REG_OFFSET, "pc %#" PRIx64 ": CFA %s", pc, want);
	cr_assert_eq(cfa->reg, reg_number(want, name_len), "pc %#" PRIx64 ": CFA %s, not reg %u",
		     pc, want, cfa->reg);
	cr_assert_eq(cfa->offset, strtoll(want + name_len, NULL, 10),
		     "pc %#" PRIx64 ": CFA %s, not offset %" PRId64, pc, want, cfa->offset);
}

static void check_rule(const char *want, const struct cfi_rule *rule, int reg, uint64_t pc)
{
	bool ok;

	if (!*want || !strcmp(want, "s"))	/* no column: never changed */
		ok = rule->kind == CFI_RULE_SAME_VALUE;
	else if (!strcmp(want, "u"))		/* readelf's "u" is also "not set yet" */
		ok = rule->kind == CFI_RULE_UNDEFINED || rule->kind == CFI_RULE_SAME_VALUE;
	else if (want[0] == 'c')
		ok = rule->kind == CFI_RULE_OFFSET && rule->offset == strtoll(want + 1, NULL, 10);
	else if (want[0] == 'v' && want[1] != 'e')
		ok = rule->kind == CFI_RULE_VAL_OFFSET && rule->offset == strtoll(want + 1, NULL, 10);
	else if (!strcmp(want, "exp"))
		ok = rule->kind == CFI_RULE_EXPRESSION;
	else if (!strcmp(want, "vexp"))
		ok = rule->kind == CFI_RULE_VAL_EXPRESSION;
	else if (want[0] == 'r')
		ok = rule->kind == CFI_RULE_REG_OFFSET && rule->offset == 0 &&
		     rule->reg == strtol(want + 1, NULL, 10);
	else
		cr_assert_fail("pc %#" PRIx64 ": readelf's rule %s is new to this test", pc, want);
	cr_assert(ok, "pc %#" PRIx64 ": register %d is %s for readelf, kind %u offset %" PRId64
		  " reg %u here", pc, reg, want, rule->kind, rule->offset, rule->reg);
}

static void check_row(const struct eh_frame_table *t, const struct readelf_row *want, uint64_t pc)
{
	struct cfi_row row;
	int err = eh_frame_table_find(t, pc, &row);

	cr_assert_eq(err, 0, "pc %#" PRIx64 ": %d", pc, err);
	check_cfa(want->cfa, &row.cfa, pc);
	for (int reg = 0; reg < CFI_NUM_REGS; reg++)
		if (reg != R_RSP)	/* the unwinder takes the CFA as rsp, whatever the rule */
			check_rule(want->rules[reg], &row.regs[reg], reg, pc);
}

/* The column names of a "   LOC   CFA   rbx   ra" line, by register number. */
static void parse_columns(char *line, int *columns, int *ncolumns)
{
	char *save = NULL, *tok = strtok_r(line, " \n", &save);

	*ncolumns = 0;
	for (int i = 0; tok; tok = strtok_r(NULL, " \n", &save), i++)
		if (i >= 2)	/* after LOC and CFA */
			columns[(*ncolumns)++] = reg_number(tok, strlen(tok));
}

static void parse_row(char *line, const int *columns, int ncolumns, struct readelf_row *row)
{
	char *save = NULL, *tok;
	int col = 0;

	memset(row, 0, sizeof(*row));
	row->loc = strtoull(strtok_r(line, " \n", &save), NULL, 16);
	snprintf(row->cfa, sizeof(row->cfa), "%s", strtok_r(NULL, " \n", &save));
	while ((tok = strtok_r(NULL, " \n", &save))) {
		if (tok[0] == '(')	/* "r9 (r9)": the name after a register rule */
			continue;
		cr_assert(col < ncolumns, "more rules than columns");
		if (columns[col] >= 0)
			snprintf(row->rules[columns[col]], sizeof(row->rules[0]), "%s", tok);
		col++;
	}
}

/* "0000000000026000 rsp+16   c-8": 16 hex digits, a space, rules. */
static bool is_row(const char *line)
{
	if (strlen(line) < 18 || line[16] != ' ')
		return false;
	for (int i = 0; i < 16; i++)
		if (!strchr("0123456789abcdef", line[i]))
			return false;
	return true;
}

/* A row holds from its pc up to END: check its first and last pc in both tables. */
static void check_row_range(const struct eh_frame_table *by_hdr,
			    const struct eh_frame_table *by_scan,
			    const struct readelf_row *row, uint64_t end)
{
	if (end <= row->loc)	/* replaced at once by the next row */
		return;
	check_row(by_hdr, row, row->loc);
	check_row(by_scan, row, row->loc);
	check_row(by_hdr, row, end - 1);
	check_row(by_scan, row, end - 1);
}

/* Every row of every FDE of PATH; returns how many rows were compared. */
static size_t compare_with_readelf(const char *path, const struct eh_frame_table *by_hdr,
				   const struct eh_frame_table *by_scan)
{
	char cmd[512], line[1024];
	int columns[64], ncolumns = 0;
	struct readelf_row prev = { 0 };
	bool in_fde = false, have_prev = false;
	uint64_t fde_end = 0;
	size_t rows = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf --debug-dump=frames-interp %s", path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	for (;;) {
		bool eof = !fgets(line, sizeof(line), p);
		bool row_line = !eof && in_fde && is_row(line);
		uint64_t begin;

		cr_assert(eof || strchr(line, '\n'), "a line longer than the buffer");
		/* The previous row ends where the next one starts, or with its FDE. */
		if (have_prev && (eof || row_line || line[0] == '\n')) {
			check_row_range(by_hdr, by_scan, &prev,
					row_line ? strtoull(line, NULL, 16) : fde_end);
			have_prev = false;
			rows++;
		}
		if (eof)
			break;
		if (strstr(line, " CIE")) {
			in_fde = false;
		} else if (sscanf(line, "%*x %*x %*x FDE cie=%*x pc=%" SCNx64 "..%" SCNx64,
				  &begin, &fde_end) == 2) {
			in_fde = true;
		} else if (in_fde && !strncmp(line, "   LOC", 6)) {
			parse_columns(line, columns, &ncolumns);
		} else if (row_line) {
			parse_row(line, columns, ncolumns, &prev);
			have_prev = true;
		}
	}
	/* Its status is 1 for libc, for no reason it prints: the row count tells. */
	pclose(p);
	return rows;
}

static uint8_t *section_of(const char *path, const char *name, size_t *len, uint64_t *vaddr)
{
	struct elf_file *ef = elf_file_open(path);
	uint64_t size;
	uint8_t *data;

	cr_assert_not_null(ef, "%s: %s", path, strerror(errno));
	cr_assert_eq(elf_file_section(ef, name, vaddr, &size), 0, "%s has no %s", path, name);
	data = malloc(size);
	cr_assert_not_null(data);
	cr_assert_eq(elf_file_section_bytes(ef, name, data, size), 0);
	elf_file_close(ef);
	*len = size;
	return data;
}

static void compare_file(const char *path, size_t min_rows)
{
	struct eh_frame_table *by_hdr, *by_scan;
	uint64_t vaddr;
	size_t len, rows;
	uint8_t *eh;

	if (access(path, R_OK))
		cr_skip_test("%s is not installed", path);
	by_hdr = eh_frame_table_load(path);
	cr_assert_not_null(by_hdr, "%s: %s", path, strerror(errno));
	cr_assert(eh_frame_table_from_hdr(by_hdr));
	eh = section_of(path, ".eh_frame", &len, &vaddr);
	by_scan = eh_frame_table_parse(eh, len, vaddr, NULL, 0, 0);
	cr_assert_not_null(by_scan);
	cr_assert(!eh_frame_table_from_hdr(by_scan));
	cr_assert_geq(eh_frame_table_fdes(by_scan), eh_frame_table_fdes(by_hdr) / 2);
	rows = compare_with_readelf(path, by_hdr, by_scan);
	cr_assert_geq(rows, min_rows, "%s: only %zu rows from readelf", path, rows);
	eh_frame_table_free(by_hdr);
	eh_frame_table_free(by_scan);
	free(eh);
}

Test(unwind_eh_frame, libc_rows_match_readelf, .timeout = 60)
{
	compare_file(LIBC, 10000);
}

Test(unwind_eh_frame, python_rows_match_readelf, .timeout = 60)
{
	compare_file(DEBIAN_PY, 30000);
}

/* The vDSO has no file: its table comes from a copy of its memory. */
Test(unwind_eh_frame, vdso_from_memory_matches_readelf)
{
	char tmp[] = "/tmp/pybpf-vdso-XXXXXX";
	struct eh_frame_table *from_memory, *by_scan;
	const struct map_entry *e;
	struct proc_maps maps;
	struct elf_file *ef;
	uint64_t vaddr;
	size_t size, len;
	uint8_t *image, *eh;
	int fd;

	cr_assert_eq(proc_maps_read(getpid(), &maps), 0);
	e = proc_maps_first(&maps, "[vdso]");
	if (!e)
		cr_skip_test("no vDSO");
	size = e->end - e->start;
	image = malloc(size);
	cr_assert_not_null(image);
	memcpy(image, (const void *)(uintptr_t)e->start, size);
	proc_maps_free(&maps);
	ef = elf_file_open_memory(image, size);
	cr_assert_not_null(ef);
	from_memory = eh_frame_table_from_elf(ef);
	elf_file_close(ef);
	cr_assert_not_null(from_memory, "%s", strerror(errno));
	cr_assert(eh_frame_table_from_hdr(from_memory));

	/* readelf needs a file. */
	fd = mkstemp(tmp);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, image, size), (ssize_t)size);
	close(fd);
	eh = section_of(tmp, ".eh_frame", &len, &vaddr);
	by_scan = eh_frame_table_parse(eh, len, vaddr, NULL, 0, 0);
	cr_assert_geq(compare_with_readelf(tmp, from_memory, by_scan), 5);
	unlink(tmp);
	eh_frame_table_free(from_memory);
	eh_frame_table_free(by_scan);
	free(eh);
	free(image);
}

/* ---- hostile bytes --------------------------------------------------- */

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Lookups anywhere must return one of the documented results. */
static void probe(const struct eh_frame_table *t, uint64_t *seed, uint64_t lo, uint64_t hi)
{
	for (int i = 0; i < 64; i++) {
		struct cfi_row row;
		uint64_t pc = lo + xorshift(seed) % (hi - lo);
		int err = eh_frame_table_find(t, pc, &row);

		cr_assert(!err || err == -ENOENT || err == -EINVAL || err == -ENOTSUP,
			  "pc %#" PRIx64 ": %d", pc, err);
		if (!err)
			cr_assert_lt(row.ra_reg, CFI_NUM_REGS);
	}
}

Test(unwind_eh_frame, damaged_sections_give_errors, .timeout = 60)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull, vaddr, hdr_vaddr;
	size_t len, hdr_len;
	uint8_t *eh = section_of(LIBC, ".eh_frame", &len, &vaddr);
	uint8_t *hdr = section_of(LIBC, ".eh_frame_hdr", &hdr_len, &hdr_vaddr);
	struct built s;

	build_sections(&s);
	for (int round = 0; round < 200; round++) {
		/* A piece of libc's sections, or the hand-built one, with bytes changed. */
		bool real = round % 2;
		size_t n = real ? 4096 + xorshift(&seed) % 16384 : s.eh.len;
		size_t off = real ? xorshift(&seed) % (len - n) / 4 * 4 : 0;
		size_t hn = real ? 16 + xorshift(&seed) % 4096 : 0;
		uint8_t *copy = malloc(n), *hcopy = malloc(hn + 1);
		struct eh_frame_table *t;

		memcpy(copy, real ? eh + off : s.eh.data, n);
		memcpy(hcopy, hdr, hn);
		for (int flips = 1 + xorshift(&seed) % 8; flips; flips--)
			copy[xorshift(&seed) % n] ^= 1u << (xorshift(&seed) % 8);
		if (hn)
			hcopy[xorshift(&seed) % hn] ^= 1u << (xorshift(&seed) % 8);
		/* Cut anywhere, too. */
		if (xorshift(&seed) % 4 == 0)
			n = xorshift(&seed) % n;
		t = eh_frame_table_parse(copy, n, real ? vaddr + off : EH_VADDR,
					 real ? hcopy : NULL, hn, hdr_vaddr);
		cr_assert_not_null(t);
		if (real)
			probe(t, &seed, 0x26000, 0x1a0000);
		else
			probe(t, &seed, 0x400000, 0x404000);
		eh_frame_table_free(t);
		free(copy);
		free(hcopy);
	}
	byte_buf_free(&s.eh);
	free(eh);
	free(hdr);
}

Test(unwind_eh_frame, random_bytes_are_refused_safely)
{
	uint64_t seed = 42;
	uint8_t junk[2048];
	struct eh_frame_table *t;

	for (int round = 0; round < 100; round++) {
		size_t n = xorshift(&seed) % sizeof(junk);

		for (size_t i = 0; i < n; i++)
			junk[i] = xorshift(&seed);
		t = eh_frame_table_parse(junk, n, 0x1000, junk, n / 2, 0x800);
		cr_assert_not_null(t);
		probe(t, &seed, 0, UINT64_MAX);
		eh_frame_table_free(t);
	}
	t = eh_frame_table_parse(NULL, 0, 0, NULL, 0, 0);
	cr_assert_not_null(t);
	cr_assert_eq(eh_frame_table_fdes(t), 0);
	eh_frame_table_free(t);
}
