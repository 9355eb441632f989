/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The frame chain: its top, each frame read and resolved, checked against
 * stack_check.h's rules, the innermost and outermost frames of a deep one.
 * Part of pyperf.bpf.c (one BPF program): included once, in order.
 */
#ifndef PYBPF_FRAME_CHAIN_BPF_H
#define PYBPF_FRAME_CHAIN_BPF_H

/*
 * The innermost frame of the thread state in tstate_buf, 0 if none; for
 * 3.11/3.12 also the calling eval loop's CFrame, for the chain's checks.
 */
static __always_inline __u64 top_frame(struct scratch *s)
{
	struct pyperf_offsets *off = &s->off;
	__u64 frame = load_u64(s->tstate_buf, off->tstate_frame, PYPERF_TSTATE_READ);

	s->walk.cframe_previous = 0;
	if (!frame || off->cframe_current_frame == PYPERF_OFF_NONE)
		return frame;
	/* 3.11/3.12 keep the frame pointer in a CFrame on the C stack. */
	if (read_user(s, s->cframe_buf, PYPERF_CFRAME_READ, frame))
		return 0;
	s->walk.cframe_previous = load_u64(s->cframe_buf, off->cframe_previous, PYPERF_CFRAME_READ);
	return load_u64(s->cframe_buf, off->cframe_current_frame, PYPERF_CFRAME_READ);
}

/*
 * 3.11/3.12: the first frame an eval loop call ran (3.11's is_entry frame,
 * 3.12's shim) links to the frame its caller's CFrame holds as current;
 * then the caller's CFrame is the one to compare with.  0, or a torn rule.
 */
static __always_inline int check_eval_call(struct scratch *s, __u64 previous)
{
	struct pyperf_offsets *off = &s->off;

	if (off->cframe_previous == PYPERF_OFF_NONE)
		return PYPERF_TORN_NONE;
	if (!s->walk.cframe_previous || read_user(s, s->cframe_buf, PYPERF_CFRAME_READ,
						  s->walk.cframe_previous))
		return PYPERF_TORN_CFRAME;
	if (load_u64(s->cframe_buf, off->cframe_current_frame, PYPERF_CFRAME_READ) != previous)
		return PYPERF_TORN_CFRAME;
	s->walk.cframe_previous = load_u64(s->cframe_buf, off->cframe_previous, PYPERF_CFRAME_READ);
	return PYPERF_TORN_NONE;
}

/*
 * Byte offset of the frame's instruction in its bytecode.  The frame is in
 * frame_buf and its code object's header in code_buf.
 */
static __always_inline __s32 instr_offset(struct scratch *s, __u64 code)
{
	struct pyperf_offsets *off = &s->off;
	__u64 ip, base = code + off->code_adaptive;
	__s32 lasti, tlbc;

	if (off->instr_kind != PYPERF_INSTR_PTR) {
		lasti = (__s32)load_u32(s->frame_buf, off->frame_instr, PYPERF_FRAME_READ);
		if (lasti < 0)
			return -1;
		/* As userspace's py_read_frame(): past INT32_MAX bytes it is no offset. */
		return (__s64)lasti * off->lasti_unit > 0x7fffffff ? PYPERF_INSTR_UNKNOWN :
		       lasti * off->lasti_unit;
	}
	ip = load_u64(s->frame_buf, off->frame_instr, PYPERF_FRAME_READ);
	if (!ip)
		return PYPERF_INSTR_UNKNOWN;
	/* Free-threaded 3.14+: the thread may run its own copy of the bytecode. */
	if (off->frame_tlbc_index != PYPERF_OFF_NONE && off->code_tlbc != PYPERF_OFF_NONE) {
		tlbc = (__s32)load_u32(s->frame_buf, off->frame_tlbc_index, PYPERF_FRAME_READ);
		if (tlbc > 0) {
			__u64 array = load_u64(s->code_buf, off->code_tlbc, PYPERF_CODE_READ);

			/*
			 * An index is an int; more than 65536 threads' copies is
			 * not a code object.  An empty slot is no copy to measure from.
			 */
			if (!array || tlbc > 0xffff ||
			    read_ptr(s, &base, array + off->code_tlbc_entries + 8 * (__u64)tlbc) || !base)
				return PYPERF_INSTR_UNKNOWN;
		}
	}
	/* 3.12 starts a frame one instruction before its first: -2, the def line. */
	return (__s32)(ip - base);
}

/* The identity fields of the code object at CODE, whose header is in code_buf. */
static __always_inline void code_identity(struct scratch *s, __u64 code, struct code_identity *id)
{
	struct pyperf_offsets *off = &s->off;

	id->code = code;
	id->name = load_u64(s->code_buf, off->code_name, PYPERF_CODE_READ);
	id->file = load_u64(s->code_buf, off->code_filename, PYPERF_CODE_READ);
	id->table = load_u64(s->code_buf, off->code_linetable, PYPERF_CODE_READ);
	id->firstlineno = (__s32)load_u32(s->code_buf, off->code_firstlineno, PYPERF_CODE_READ);
	id->version = off->code_version == PYPERF_OFF_NONE ? 0 :
		      load_u32(s->code_buf, off->code_version, PYPERF_CODE_READ);
}

/*
 * The frame in frame_buf with code object CODE, into OUT: code address,
 * instruction offset and fingerprint.  The code object's header is read
 * (one read); its name's header too (for the hash the fingerprint covers)
 * unless the code object is known: met before in this walk, or (3.12+)
 * reported in an earlier sample with the same co_version.  Returns the
 * frame's size in words on the data stack, 0 if unknown.
 */
static __always_inline __u32 resolve_frame(struct scratch *s, struct pyperf_frame *out,
					   __u64 code, __u64 entry)
{
	struct pyperf_offsets *off = &s->off;
	struct code_identity id;
	struct code_seen *seen;
	__u64 name_hash;
	__u32 framesize;

	/* Multiplicative hash: code objects' addresses share their low bits. */
	struct code_memo *memo = &s->walk.memo[((code >> 4) * 0x9E3779B97F4A7C15ULL) >> 60];

	out->code = code | entry;
	out->instr_offset = PYPERF_INSTR_UNKNOWN;
	out->fingerprint = 0;
	/*
	 * A frame holds a reference to its code object, so within one walk an
	 * address seen before is the same code object: its fingerprint holds
	 * (recursion costs one read per frame).  Not with thread-local
	 * bytecode, whose offset needs the code object's header.
	 */
	if (memo->walk == s->walk.walk && memo->code == code &&
	    off->frame_tlbc_index == PYPERF_OFF_NONE) {
		out->instr_offset = instr_offset(s, code);
		out->fingerprint = memo->fingerprint;
		return memo->framesize;
	}
	if (read_prefix(s, s->code_buf, off->code_read_size, PYPERF_CODE_READ, code)) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		return 0;
	}
	out->instr_offset = instr_offset(s, code);
	framesize = stack_check_framesize(off, s->code_buf, PYPERF_CODE_READ);
	code_identity(s, code, &id);
	seen = code_slot(s->tgid, code);
	if (id.version && seen && code_seen_is(seen, s, &id)) {
		out->fingerprint = seen->fingerprint;
	} else {
		/* The name's header holds its hash, and maybe all of its characters. */
		if (!id.name || read_head(s, s->code_report.info.name_head, id.name, false) < 0) {
			s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
			return framesize;
		}
		name_hash = load_u64(s->code_report.info.name_head, off->str_hash, PYPERF_STR_HEAD);
		out->fingerprint = pyperf_fingerprint(id.name, id.file, id.table,
						      (__u32)id.firstlineno, name_hash);
		report_code(s, &id, seen, out->fingerprint);
	}
	memo->walk = s->walk.walk;
	memo->code = code;
	memo->fingerprint = out->fingerprint;
	memo->framesize = framesize;
	return framesize;
}

/*
 * resolve_frame() into the sample's frame SLOT.  A global function: the
 * verifier checks it once, on its own, instead of once for each path into
 * each of its two callers (inlined, the program passed the verifier's
 * million-instruction limit on some kernels).  Hence scalars only: it finds
 * the scratch space itself.
 */
__noinline __u32 resolve_frame_at(__u32 slot, __u64 code, __u64 entry)
{
	struct scratch *s = get_scratch();

	if (!s)
		return 0;
	return resolve_frame(s, &s->sample.frames[slot & (PYPERF_MAX_FRAMES - 1)], code, entry);
}

/*
 * frame_buf = the window's bytes from OFF on, a word at a time (memcpy would
 * copy bytes: the offset's alignment is unknown).
 */
static __always_inline void copy_frame(struct scratch *s, __u64 off)
{
	__u64 *dst = (__u64 *)s->frame_buf;
	const __u64 *src = (const __u64 *)(s->window.bytes + (off & (PYPERF_FRAME_WINDOW - 1)));

#pragma unroll
	for (int i = 0; i < PYPERF_FRAME_READ / 8; i++)
		dst[i] = src[i];
}

/*
 * Copy the SIZE bytes at ADDR into frame_buf, from the window when it holds
 * them, else with a read of the window below ADDR, within ADDR's page, when
 * the last frame was just above (callers below callees: 3.11+'s data stack,
 * and mostly the allocator's pools before), or for the first frame; ADDR
 * alone when frames are far apart.  The window never reaches into a page
 * other than ADDR's own and those the frame itself spans.
 */
static __always_inline int fetch_frame(struct scratch *s, __u64 addr, __u32 size)
{
	struct frame_window *w = &s->window;
	__u64 start, len, page = addr & ~(__u64)(PYPERF_PAGE_SIZE - 1), last = w->last_frame;

	if (size > PYPERF_FRAME_READ)
		size = PYPERF_FRAME_READ;
	w->last_frame = addr;
	if (addr >= w->start && addr + size <= w->start + w->len) {
		copy_frame(s, addr - w->start);
		return 0;
	}
	w->len = 0;
	if (last && (last <= addr || last - addr > PYPERF_FRAME_WINDOW))
		return read_prefix(s, s->frame_buf, size, PYPERF_FRAME_READ, addr);
	/*
	 * A page whose window could not be read (part of it not present, or
	 * being moved) costs one read per frame, not a failed window each.
	 */
	if (page == w->failed_page)
		return read_prefix(s, s->frame_buf, size, PYPERF_FRAME_READ, addr);
	start = addr + size > page + PYPERF_FRAME_WINDOW ? addr + size - PYPERF_FRAME_WINDOW : page;
	len = addr + size - start;
	if (len > PYPERF_FRAME_WINDOW)
		len = PYPERF_FRAME_WINDOW;
	if (read_user(s, w->bytes, len, start)) {
		w->failed_page = page;
		return read_prefix(s, s->frame_buf, size, PYPERF_FRAME_READ, addr);
	}
	w->start = start;
	w->len = len;
	copy_frame(s, addr - start);
	return 0;
}

/*
 * fetch_frame() of the frame at ADDR, frame_read_size bytes.  A global
 * function, verified once (its copy loop is unrolled): see resolve_frame_at().
 */
__noinline int fetch_frame_at(__u64 addr)
{
	struct scratch *s = get_scratch();

	if (!s)
		return -1;
	return fetch_frame(s, addr, s->off.frame_read_size);
}

/*
 * Read the frame at ADDR into frame_buf; its code object, 0 for a shim
 * frame; its owner byte (0 where frames have none).
 */
static __always_inline int read_frame(struct scratch *s, __u64 addr, __u64 *code, __u8 *owner)
{
	struct pyperf_offsets *off = &s->off;

	if (fetch_frame_at(addr))
		return -1;
	*code = 0;
	*owner = 0;
	if (off->frame_owner != PYPERF_OFF_NONE && off->frame_owner < PYPERF_FRAME_READ) {
		*owner = s->frame_buf[off->frame_owner & (PYPERF_FRAME_READ - 1)];
		if (*owner >= off->owner_skip_from)
			return 0;	/* an interpreter entry/shim frame, not Python code */
	}
	*code = load_u64(s->frame_buf, off->frame_code, PYPERF_FRAME_READ) &
		~(__u64)off->code_tag_mask;
	return 0;
}

/* The Python frame kept just before (inside) a shim starts a C-level eval call. */
static __always_inline void mark_entry(struct scratch *s)
{
	__u32 n = s->sample.hdr.depth;

	if (!n)
		return;
	n--;
	if (n < PYPERF_KEEP_INNER)
		s->sample.frames[n & (PYPERF_MAX_FRAMES - 1)].code |= PYPERF_FRAME_ENTRY;
	else
		s->walk.ring[(n - PYPERF_KEEP_INNER) & (PYPERF_KEEP_OUTER - 1)] |= PYPERF_FRAME_ENTRY;
}

/*
 * FRAME's callee is not where FRAME ends: a frame being torn down between
 * them is the one excuse (see stack_check_gap).  Reads that frame's header
 * (frame_buf: FRAME's own fields have been used by now).
 */
static __always_inline int check_dying_gap(struct scratch *s, __u64 frame, __u32 framesize, __u32 n)
{
	__u64 gap = frame + (__u64)framesize * 8, code;
	__u8 owner;

	if (read_frame(s, gap, &code, &owner))
		return PYPERF_TORN_SPACING;
	return stack_check_gap(&s->walk.check, &s->off, frame, n,
			       load_u64(s->frame_buf, s->off.frame_previous, PYPERF_FRAME_READ), owner);
}

/*
 * Stop the walk: the chain broke rule WHY at the frame being visited.  Only
 * the frames still known to be the thread's stay.
 */
static __always_inline long torn(struct scratch *s, int why)
{
	__u32 keep = stack_check_keep(&s->walk.check, why);

	s->sample.hdr.flags |= PYPERF_SAMPLE_TORN;
	s->sample.hdr.torn = why;
	if (keep < s->sample.hdr.depth)
		s->sample.hdr.depth = keep;
	s->walk.cursor = 0;
	return 1;
}

/*
 * bpf_loop body: one frame of the chain, innermost first.  The innermost
 * PYPERF_KEEP_INNER Python frames are resolved on the way and checked
 * against their neighbours; past them only the frame addresses of the last
 * PYPERF_KEEP_OUTER are kept (one read per frame), and resolve_outer()
 * finishes those once the walk has ended.
 */
static long visit_frame(__u32 index, void *ctx)
{
	struct scratch *s = get_scratch();
	__u64 frame, code, previous, entry = 0;
	__u32 n, framesize = 0;
	__u8 owner;
	int why;

	if (!s || !s->walk.cursor)
		return 1;
	frame = s->walk.cursor;
	if (chain_cycle_seen(&s->walk.cycle, frame))
		return torn(s, PYPERF_TORN_CYCLE);
	if (read_frame(s, frame, &code, &owner)) {
		/* Out of budget, the frame is not unreadable: the walk is cut. */
		if (!(s->sample.hdr.flags & PYPERF_SAMPLE_BUDGET))
			s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR | PYPERF_SAMPLE_UNREADABLE;
		s->walk.cursor = 0;
		return 1;
	}
	previous = load_u64(s->frame_buf, s->off.frame_previous, PYPERF_FRAME_READ);
	if (!code) {
		/* 3.12: a shim starts each eval call; its link is the CFrame's. */
		if ((why = check_eval_call(s, previous)))
			return torn(s, why);
		stack_check_kind(&s->walk.check, &s->off, frame, 1, 0);
		s->walk.cursor = previous;
		mark_entry(s);
		return ++s->walk.skipped > PYPERF_MAX_SKIPPED;
	}
	if (s->off.frame_is_entry != PYPERF_OFF_NONE &&
	    s->frame_buf[s->off.frame_is_entry & (PYPERF_FRAME_READ - 1)])
		entry = PYPERF_FRAME_ENTRY;

	n = s->sample.hdr.depth;
	if (n < PYPERF_KEEP_INNER)
		framesize = resolve_frame_at(n, code, entry);
	why = stack_check_frame(&s->walk.check, &s->off, frame, owner, framesize, n);
	if (why == PYPERF_TORN_SPACING)
		why = check_dying_gap(s, frame, framesize, n);
	if (!why && entry)
		why = check_eval_call(s, previous);
	if (why)
		return torn(s, why);
	stack_check_kind(&s->walk.check, &s->off, frame, 0, entry != 0);
	async_visit(s, frame, n);
	if (n >= PYPERF_KEEP_INNER)
		s->walk.ring[(n - PYPERF_KEEP_INNER) & (PYPERF_KEEP_OUTER - 1)] = frame | entry;
	s->sample.hdr.depth = n + 1;
	s->walk.cursor = previous;
	return n + 1 >= PYPERF_MAX_WALK;
}

/* bpf_loop body: the K-th of the outermost frames kept in the ring. */
static long resolve_outer(__u32 k, void *ctx)
{
	struct scratch *s = get_scratch();
	__u32 depth, kept, n;
	__u64 frame, code;
	__u8 owner;

	if (!s)
		return 1;
	depth = s->sample.hdr.depth;
	kept = s->sample.hdr.nframes - PYPERF_KEEP_INNER;
	n = depth - kept + k;
	frame = s->walk.ring[(n - PYPERF_KEEP_INNER) & (PYPERF_KEEP_OUTER - 1)];
	if (read_frame(s, frame & ~PYPERF_FRAME_ENTRY, &code, &owner) || !code) {
		/* Changed under us since the walk: keep the slot, unresolvable. */
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		code = 0;
	}
	resolve_frame_at(PYPERF_KEEP_INNER + k, code, frame & PYPERF_FRAME_ENTRY);
	return 0;
}

/*
 * Kernels without bpf_loop (before 5.17) run the same bodies from bounded
 * loops.  Each body is a global function, so the verifier checks it once
 * rather than once per iteration, and the loops are nested in chunks: the
 * verifier keeps one pending branch per iteration and refuses more than
 * 8192.
 */
__noinline int visit_frame_once(void)
{
	return visit_frame(0, NULL);
}

/* Up to PYPERF_BOUNDED_CHUNK frames; 1: the walk is over. */
__noinline int visit_frames_bounded(void)
{
	for (int i = 0; i < PYPERF_BOUNDED_CHUNK; i++)
		if (visit_frame_once())
			return 1;
	return 0;
}

__noinline int resolve_outer_once(__u32 k)
{
	return resolve_outer(k, NULL);
}

/*
 * Walk the chain of the thread state in tstate_buf from its TOP frame
 * (top_frame()).  BOUNDED: without bpf_loop (a constant at each call: the
 * other way is compiled out, and its program is not loaded).
 */
static __always_inline void walk_stack(struct scratch *s, __u64 top, bool bounded)
{
	__u32 depth;

	s->walk.walk++;
	s->walk.skipped = 0;
	s->window.len = 0;
	s->window.last_frame = 0;
	s->window.failed_page = 0;
	__builtin_memset(&s->walk.cycle, 0, sizeof(s->walk.cycle));
	stack_check_init(&s->walk.check, &s->off, s->tstate_buf, PYPERF_TSTATE_READ);
	s->walk.cursor = top;
	if (s->walk.cursor && bounded) {
		for (int i = 0; i < (PYPERF_MAX_WALK + PYPERF_MAX_SKIPPED) / PYPERF_BOUNDED_CHUNK; i++)
			if (visit_frames_bounded())
				break;
	} else if (s->walk.cursor) {
		bpf_loop(PYPERF_MAX_WALK + PYPERF_MAX_SKIPPED, visit_frame, NULL, 0);
	}
	/*
	 * Stopped with frames left (walk or skip budget spent): the outermost
	 * frames are out of reach.  Ended at a NULL link: whole only if the
	 * last frame is the thread's base.  Never cut silently.
	 */
	if (s->walk.cursor)
		s->sample.hdr.flags |= PYPERF_SAMPLE_TRUNCATED;
	else if (s->sample.hdr.depth &&
		 !(s->sample.hdr.flags & (PYPERF_SAMPLE_TORN | PYPERF_SAMPLE_UNREADABLE |
					  PYPERF_SAMPLE_BUDGET)) &&
		 stack_check_end(&s->walk.check))
		torn(s, PYPERF_TORN_BASE);
	depth = s->sample.hdr.depth;
	if (depth <= PYPERF_KEEP_INNER) {
		s->sample.hdr.nframes = depth;
		return;
	}
	depth -= PYPERF_KEEP_INNER;
	if (depth > PYPERF_KEEP_OUTER)
		depth = PYPERF_KEEP_OUTER;
	s->sample.hdr.nframes = PYPERF_KEEP_INNER + depth;
	if (bounded) {
		for (__u32 k = 0; k < PYPERF_KEEP_OUTER; k++) {
			if (k >= depth)
				break;
			resolve_outer_once(k);
		}
	} else {
		bpf_loop(depth, resolve_outer, NULL, 0);
	}
}

#endif
