/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Code objects met for the first time in a process: their names and line
 * table copied into the ring buffer before the sample that met them.
 * Part of pyperf.bpf.c (one BPF program): included once, in order.
 */
#ifndef PYBPF_CODE_REPORTS_BPF_H
#define PYBPF_CODE_REPORTS_BPF_H

static __always_inline struct code_seen *code_slot(__u32 tgid, __u64 code)
{
	__u32 key = (__u32)((((code >> 4) ^ ((__u64)tgid << 40)) * 0x9E3779B97F4A7C15ULL) >> 32) &
		    (PYPERF_CODE_SEEN_SLOTS - 1);

	return bpf_map_lookup_elem(&codes_seen, &key);
}

/* Whether SEEN is code object ID of this incarnation of the process, whole. */
static __always_inline bool code_seen_is(const struct code_seen *seen, const struct scratch *s,
					 const struct code_identity *id)
{
	return seen->id.code == id->code && seen->tgid == s->tgid &&
	       seen->generation == s->generation && seen->id.version == id->version &&
	       seen->id.name == id->name && seen->id.file == id->file &&
	       seen->id.table == id->table && seen->id.firstlineno == id->firstlineno &&
	       seen->check == code_seen_check(seen);
}

/*
 * Copy the characters (or bytes) of the object whose header is in HEAD to
 * DST when they run past HEAD, which then holds them all: DATA_AT bytes into
 * the object, LEN bytes long.  Returns the bytes copied to DST.
 */
static __always_inline __u32 copy_tail(struct scratch *s, __u8 *dst, __u32 max, __u64 obj,
				       __u32 data_at, __u64 len)
{
	if (!len || data_at + len <= PYPERF_STR_HEAD)
		return 0;
	if (len > max)
		len = max;
	barrier_var(len);
	if (len > max || read_user(s, dst, len, obj + data_at))
		return 0;
	return len;
}

/* A str object's characters: where they start and how many bytes. */
static __always_inline __u64 str_bytes(struct scratch *s, const __u8 *head, __u32 *data_at)
{
	struct pyperf_offsets *off = &s->off;
	__u32 state = load_u32(head, off->str_state, PYPERF_STR_HEAD);
	__u64 length = load_u64(head, off->str_length, PYPERF_STR_HEAD);
	__u32 kind = (state & off->str_kind_mask) >> (off->str_kind_shift & 31);

	/* Code objects' strings are compact: their characters follow the header. */
	if (!(state & off->str_compact_mask) || (kind != 1 && kind != 2 && kind != 4) ||
	    length > (1u << 20))
		return 0;
	*data_at = state & off->str_ascii_mask ? off->str_ascii_data : off->str_compact_data;
	return length * kind;
}

/*
 * The first PYPERF_STR_HEAD bytes of the str (or, BYTES, bytes) object at
 * OBJ into HEAD, but no more than the object has: a small object at the
 * end of its allocator's arena must not make the read run into an
 * unmapped page.  Its header first, then the whole object if it is
 * smaller than HEAD.  The bytes of HEAD read (all of it, the whole
 * object, or its header), or -1 with HEAD zeroed.
 */
static __always_inline int read_head(struct scratch *s, __u8 *head, __u64 obj, bool bytes)
{
	struct pyperf_offsets *off = &s->off;
	__u32 data_at = bytes ? off->bytes_data : 0, header;
	__u64 len;

	if (!read_user(s, head, PYPERF_STR_HEAD, obj))
		return PYPERF_STR_HEAD;
	header = bytes ? off->varobject_size + 8 : off->str_state + 4;
	if (!bytes && off->str_length + 8 > header)
		header = off->str_length + 8;
	if (!bytes && off->str_hash + 8 > header)
		header = off->str_hash + 8;
	/* The mask changes nothing (header <= 96): it is what the verifier needs. */
	_Static_assert(PYPERF_STR_HEAD < 128, "the masks below");
	if (header > PYPERF_STR_HEAD || read_user(s, head, header & 127, obj))
		goto fail;
	len = bytes ? load_u64(head, off->varobject_size, PYPERF_STR_HEAD) : str_bytes(s, head, &data_at);
	if (data_at + len < PYPERF_STR_HEAD && data_at + len > header) {
		len += data_at;
		if (len > PYPERF_STR_HEAD || read_user(s, head, len & 127, obj))
			goto fail;
		return len;
	}
	return header;
fail:
	__builtin_memset(head, 0, PYPERF_STR_HEAD);
	return -1;
}

/*
 * Report code object ID (SEEN: its slot), its name's header already in
 * code_report.info.name_head: its file name and the characters and line
 * table that run past the headers.  Userspace decodes them.
 */
static __always_inline void report_code(struct scratch *s, const struct code_identity *id,
					struct code_seen *seen, __u32 fingerprint)
{
	struct pyperf_offsets *off = &s->off;
	struct pyperf_code_record *r = &s->code_report;
	struct pyperf_code_info *ci = &r->info;
	__u32 data_at = 0, size;
	__u64 len;

	if (!seen || (code_seen_is(seen, s, id) && seen->fingerprint == fingerprint) ||
	    s->reports >= PYPERF_REPORTS_PER_SAMPLE ||
	    s->report_bytes >= PYPERF_REPORT_BYTES_PER_SAMPLE)
		return;
	s->reports++;
	__builtin_memset(&r->hdr, 0, sizeof(r->hdr));
	r->hdr.pid = s->tgid;
	r->hdr.kind = PYPERF_KIND_CODE;
	ci->code = id->code;
	ci->fingerprint = fingerprint;
	ci->firstlineno = id->firstlineno;
	ci->name_len = ci->file_len = 0;
	ci->table_len = 0;
	len = str_bytes(s, ci->name_head, &data_at);
	ci->name_len = copy_tail(s, ci->name, PYPERF_NAME_BYTES, id->name, data_at, len);
	read_head(s, ci->file_head, id->file, false);
	len = str_bytes(s, ci->file_head, &data_at);
	ci->file_len = copy_tail(s, ci->file, PYPERF_FILE_BYTES, id->file, data_at, len);
	read_head(s, ci->table_head, id->table, true);
	len = load_u64(ci->table_head, off->varobject_size, PYPERF_STR_HEAD);
	ci->table_len = copy_tail(s, ci->table, PYPERF_TABLE_BYTES, id->table, off->bytes_data, len);
	size = offsetof(struct pyperf_code_record, info.table) + ci->table_len;
	if (size > sizeof(*r))
		return;
	if (bpf_ringbuf_output(&events, r, size, BPF_RB_NO_WAKEUP)) {
		count(PYPERF_STAT_CODES_LOST);
		return;
	}
	count(PYPERF_STAT_CODES_REPORTED);
	add_count(PYPERF_STAT_CODE_BYTES, size);
	s->report_bytes += size;
	seen->id = *id;
	seen->tgid = s->tgid;
	seen->generation = s->generation;
	seen->fingerprint = fingerprint;
	seen->check = code_seen_check(seen);
}

#endif
