// SPDX-License-Identifier: BSD-3-Clause
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "python/py_walk.h"
#include "base/bytes.h"
#include "process/target_mem.h"
#include "base/array.h"
#include "process/proc_info.h"

/* Same bound as the BPF program: sub-interpreters beyond it are not seen. */
#define MAX_INTERPS 8

int py_for_each_thread_of(const struct python_target *t, uint64_t interp,
			  int (*fn)(void *ctx, uint64_t interp, uint64_t tstate), void *ctx)
{
	const struct pyperf_offsets *o = &t->layout.bpf;
	struct chain_cycle threads = { 0 };
	uint64_t tstate;
	int rc;

	if (target_read_u64(t->pid, interp + o->interp_threads_head, &tstate))
		return -EFAULT;
	for (int n = 0; tstate && n < PY_WALK_MAX_THREADS && !chain_cycle_seen(&threads, tstate); n++) {
		rc = fn(ctx, interp, tstate);
		if (rc)
			return rc;
		if (target_read_u64(t->pid, tstate + o->tstate_next, &tstate))
			return -EFAULT;
	}
	return 0;
}

int py_for_each_thread(const struct python_target *t,
		       int (*fn)(void *ctx, uint64_t interp, uint64_t tstate), void *ctx)
{
	const struct pyperf_offsets *o = &t->layout.bpf;
	struct chain_cycle interps = { 0 };
	uint64_t interp;
	int rc;

	if (target_read_u64(t->pid, t->runtime_addr + o->runtime_interp_head, &interp))
		return -EFAULT;
	for (int i = 0; interp && i < MAX_INTERPS && !chain_cycle_seen(&interps, interp); i++) {
		rc = py_for_each_thread_of(t, interp, fn, ctx);
		if (rc)
			return rc;
		if (target_read_u64(t->pid, interp + o->interp_next, &interp))
			return -EFAULT;
	}
	return 0;
}

uint64_t py_top_frame(const struct python_target *t, uint64_t tstate)
{
	const struct pyperf_offsets *o = &t->layout.bpf;
	uint64_t frame;

	if (target_read_u64(t->pid, tstate + o->tstate_frame, &frame))
		return 0;
	if (frame && o->cframe_current_frame != PYPERF_OFF_NONE &&
	    target_read_u64(t->pid, frame + o->cframe_current_frame, &frame))
		return 0;
	return frame;
}


/*
 * Where the bytecode the frame (in FRAME) runs starts: its code object's
 * own, or on free-threaded 3.14+ the thread's copy, entry TLBC_INDEX of
 * the code object's co_tlbc array when the index is past 0 (a thread that
 * specialised the function runs its own).  -1 when that copy cannot be
 * read: the line is then unknown, never the shared copy's.  Mirrors
 * instr_offset() in bpf/frame_chain.bpf.h.
 */
static int bytecode_base(const struct python_target *t, const uint8_t *frame, uint64_t code,
			 uint64_t *base)
{
	const struct pyperf_offsets *o = &t->layout.bpf;
	uint64_t array;
	int32_t index;

	*base = code + o->code_adaptive;
	if (o->frame_tlbc_index == PYPERF_OFF_NONE || o->code_tlbc == PYPERF_OFF_NONE)
		return 0;
	memcpy(&index, frame + o->frame_tlbc_index, sizeof(index));
	if (index <= 0)
		return 0;
	/* An index is an int; more than 65536 threads' copies is not a code object. */
	if (index > 0xffff || target_read_u64(t->pid, code + o->code_tlbc, &array) || !array ||
	    target_read_u64(t->pid, array + o->code_tlbc_entries + 8 * (uint64_t)index, base))
		return -1;
	return *base ? 0 : -1;	/* an empty slot: no copy to measure from */
}

/* Mirrors visit_frame() and instr_offset() in bpf/. */
int py_read_frame(const struct python_target *t, uint64_t addr, struct py_frame_info *out)
{
	const struct pyperf_offsets *o = &t->layout.bpf;
	uint8_t frame[PYPERF_FRAME_READ];
	int32_t lasti;
	uint64_t ip, base;
	int err = target_read(t->pid, addr, frame, o->frame_read_size);

	if (err)
		return err;
	out->addr = addr;
	out->previous = u64_at(frame, o->frame_previous);
	out->code = u64_at(frame, o->frame_code) & ~(uint64_t)o->code_tag_mask;
	out->instr_offset = PYPERF_INSTR_UNKNOWN;
	out->owner = o->frame_owner != PYPERF_OFF_NONE ? frame[o->frame_owner] : 0;
	out->entry = o->frame_is_entry != PYPERF_OFF_NONE && frame[o->frame_is_entry];
	if (o->frame_owner != PYPERF_OFF_NONE && out->owner >= o->owner_skip_from)
		out->code = 0;	/* an interpreter entry/shim frame */
	if (!out->code)
		return 0;
	if (o->instr_kind == PYPERF_INSTR_LASTI) {
		memcpy(&lasti, frame + o->frame_instr, sizeof(lasti));
		/* A target's f_lasti may be anything: past INT32_MAX bytes it is no offset. */
		out->instr_offset = lasti < 0 ? -1 :
				    (int64_t)lasti * o->lasti_unit > INT32_MAX ? PYPERF_INSTR_UNKNOWN :
				    lasti * o->lasti_unit;
	} else {
		ip = u64_at(frame, o->frame_instr);
		if (ip && !bytecode_base(t, frame, out->code, &base))
			out->instr_offset = (int32_t)(ip - base);
	}
	return 0;
}

int py_read_code_unit(const struct python_target *t, uint64_t code, int32_t offset, uint8_t unit[2])
{
	const struct pyperf_offsets *o = &t->layout.bpf;
	uint64_t bytes, base = code + o->code_adaptive;
	int64_t size;

	if (offset < 0)
		return -EINVAL;
	if (t->layout.code_code != PYPERF_OFF_NONE) {
		/* Up to 3.10 the bytecode is a bytes object: stay inside it. */
		if (target_read_u64(t->pid, code + t->layout.code_code, &bytes) ||
		    target_read(t->pid, bytes + o->varobject_size, &size, sizeof(size)))
			return -EFAULT;
		if ((int64_t)offset + 2 > size)
			return -EINVAL;
		base = bytes + o->bytes_data;
	} else if (o->code_adaptive == PYPERF_OFF_NONE) {
		return -ENOTSUP;
	} else {
		/* 3.11+: a code object's ob_size counts its code units. */
		if (target_read(t->pid, code + o->varobject_size, &size, sizeof(size)))
			return -EFAULT;
		if ((int64_t)offset + 2 > size * 2)
			return -EINVAL;
	}
	return target_read(t->pid, base + (uint64_t)offset, unit, 2);
}

/* Mirrors check_eval_call() in bpf/pyperf.bpf.c: 3.11/3.12's CFrame links. */
static int check_eval_call(const struct python_target *t, uint64_t *cframe_previous,
			   uint64_t previous)
{
	const struct pyperf_offsets *o = &t->layout.bpf;
	uint8_t cframe[PYPERF_CFRAME_READ];

	if (o->cframe_previous == PYPERF_OFF_NONE)
		return PYPERF_TORN_NONE;
	if (!*cframe_previous || target_read(t->pid, *cframe_previous, cframe, sizeof(cframe)) ||
	    stack_check_u64(cframe, o->cframe_current_frame, sizeof(cframe)) != previous)
		return PYPERF_TORN_CFRAME;
	*cframe_previous = stack_check_u64(cframe, o->cframe_previous, sizeof(cframe));
	return PYPERF_TORN_NONE;
}

/* Frame size in words of CODE's frames, 0 if unknown. */
static uint32_t framesize(const struct python_target *t, uint64_t code)
{
	const struct pyperf_offsets *o = &t->layout.bpf;
	uint8_t buf[PYPERF_CODE_READ];

	if (o->code_framesize == PYPERF_OFF_NONE || target_read(t->pid, code, buf, o->code_read_size))
		return 0;
	return stack_check_framesize(o, buf, o->code_read_size);
}

/* Mirrors walk_stack() and visit_frame() in bpf/pyperf.bpf.c, from userspace. */
size_t py_read_stack(const struct python_target *t, uint64_t tstate, struct py_frame_info *out,
		     size_t max, uint16_t *flags)
{
	const struct pyperf_offsets *o = &t->layout.bpf;
	uint8_t ts[PYPERF_TSTATE_READ], cframe[PYPERF_CFRAME_READ];
	struct chain_cycle cycle = { 0 };
	struct stack_check check;
	uint64_t frame, cframe_previous = 0;
	struct py_frame_info f;
	size_t n = 0;
	int why = PYPERF_TORN_NONE;

	*flags = 0;
	if (target_read(t->pid, tstate, ts, o->tstate_read_size)) {
		*flags = PYPERF_SAMPLE_UNREADABLE;
		return 0;
	}
	stack_check_init(&check, o, ts, o->tstate_read_size);
	frame = stack_check_u64(ts, o->tstate_frame, o->tstate_read_size);
	if (frame && o->cframe_current_frame != PYPERF_OFF_NONE) {
		if (target_read(t->pid, frame, cframe, sizeof(cframe))) {
			*flags = PYPERF_SAMPLE_UNREADABLE;
			return 0;
		}
		cframe_previous = stack_check_u64(cframe, o->cframe_previous, sizeof(cframe));
		frame = stack_check_u64(cframe, o->cframe_current_frame, sizeof(cframe));
	}
	for (size_t walked = 0; frame && !why; walked++, frame = f.previous) {
		if (walked >= PY_WALK_MAX_FRAMES || n == max) {
			*flags |= PYPERF_SAMPLE_TRUNCATED;
			break;
		}
		if (chain_cycle_seen(&cycle, frame)) {
			why = PYPERF_TORN_CYCLE;
		} else if (py_read_frame(t, frame, &f)) {
			*flags |= PYPERF_SAMPLE_UNREADABLE;
			break;
		} else if (!f.code) {
			why = check_eval_call(t, &cframe_previous, f.previous);
			stack_check_kind(&check, o, frame, 1, 0);
		} else {
			uint32_t size = framesize(t, f.code);
			struct py_frame_info gap;

			why = stack_check_frame(&check, o, frame, f.owner, size, n);
			/* A frame being torn down between this one and its callee. */
			if (why == PYPERF_TORN_SPACING && !py_read_frame(t, frame + (uint64_t)size * 8, &gap))
				why = stack_check_gap(&check, o, frame, n, gap.previous, gap.owner);
			if (!why && f.entry)
				why = check_eval_call(t, &cframe_previous, f.previous);
			stack_check_kind(&check, o, frame, 0, f.entry);
			if (!why)
				out[n++] = f;
		}
	}
	if (!why && !frame && n && !*flags)
		why = stack_check_end(&check);
	if (why) {
		*flags |= PYPERF_SAMPLE_TORN;
		if (stack_check_keep(&check, why) < n)
			n = stack_check_keep(&check, why);
	}
	return n;
}

/* The host tid of the task whose tid inside the target's namespace is NS_TID. */
static pid_t host_tid(pid_t pid, pid_t ns_tid)
{
	char path[64];
	DIR *dir;
	struct dirent *de;
	pid_t found = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d", pid, ns_tid);
	if (proc_ns_pid(pid) == pid)
		return access(path, F_OK) ? 0 : ns_tid;	/* same namespace */
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	while (dir && (de = readdir(dir)) && !found) {
		pid_t tid = atoi(de->d_name);

		if (tid > 0 && proc_ns_pid(tid) == ns_tid)
			found = tid;
	}
	if (dir)
		closedir(dir);
	return found;
}

/*
 * Before 3.11 a thread state only knows its pthread_t, which on glibc points
 * at the thread's struct pthread; the kernel tid is a field in it.  Its
 * offset is found, once per process, as the word that holds the pid in the
 * main thread's struct pthread and a distinct live thread of the process in
 * every other one: in a process that is PID 1 of its namespace, many an
 * earlier field holds 1 too.
 */
#define TID_SEARCH_WORDS 256		/* glibc's tid lies in struct pthread's first KB */
#define TID_CHECK_THREADS 8

struct pthread_selves {
	const struct python_target *t;
	uint64_t self[TID_CHECK_THREADS];
	size_t n;
};

static int collect_self(void *ctx, uint64_t interp, uint64_t tstate)
{
	struct pthread_selves *l = ctx;
	uint64_t self;

	if (l->n < TID_CHECK_THREADS &&
	    !target_read_u64(l->t->pid, tstate + l->t->layout.bpf.tstate_thread_id, &self) && self)
		l->self[l->n++] = self;
	return 0;
}

/* Whether word I of every struct pthread read is a distinct thread of PID. */
static bool tid_field_fits(pid_t pid, uint32_t words[][TID_SEARCH_WORDS], size_t n, size_t i)
{
	for (size_t a = 0; a < n; a++) {
		if (!host_tid(pid, (pid_t)words[a][i]))
			return false;
		for (size_t b = 0; b < a; b++)
			if (words[b][i] == words[a][i])
				return false;
	}
	return true;
}

static int pthread_tid_offset(const struct python_target *t, uint64_t main_self)
{
	/* One process: a PID reused by another is another start time. */
	static struct { pid_t pid; uint64_t start; int offset; } cache = { 0, 0, -1 };
	struct pthread_selves selves = { .t = t };
	uint32_t words[TID_CHECK_THREADS][TID_SEARCH_WORDS];
	uint64_t start = proc_start_ticks(t->pid);
	pid_t ns_pid = proc_ns_pid(t->pid);
	size_t n = 1;
	int offset = -1;

	if (cache.pid == t->pid && cache.start == start && start)
		return cache.offset;
	/* The main thread's first, then up to TID_CHECK_THREADS - 1 others. */
	if (target_read(t->pid, main_self, words[0], sizeof(words[0])))
		return -1;
	py_for_each_thread(t, collect_self, &selves);
	for (size_t k = 0; k < selves.n && n < TID_CHECK_THREADS; k++) {
		if (selves.self[k] != main_self &&
		    !target_read(t->pid, selves.self[k], words[n], sizeof(words[n])))
			n++;
	}
	for (size_t i = 0; i < TID_SEARCH_WORDS && offset < 0; i++) {
		if (words[0][i] == (uint32_t)ns_pid && tid_field_fits(t->pid, words, n, i))
			offset = (int)(i * 4);
	}
	/* With one thread any word holding the pid fits: found again when there are more. */
	if (offset >= 0 && n >= 2)
		cache.pid = t->pid, cache.start = start, cache.offset = offset;
	return offset;
}

static int remember_last(void *ctx, uint64_t interp, uint64_t tstate)
{
	*(uint64_t *)ctx = tstate;
	return 0;
}

int py_thread_tid(const struct python_target *t, uint64_t tstate, pid_t *tid)
{
	const struct py_layout *L = &t->layout;
	uint64_t v, self, main_tstate = 0, main_self;
	uint32_t ns_tid;
	int offset;

	if (L->bpf.tstate_native_thread_id != PYPERF_OFF_NONE) {
		if (target_read_u64(t->pid, tstate + L->bpf.tstate_native_thread_id, &v))
			return -EFAULT;
		*tid = host_tid(t->pid, (pid_t)v);
		return *tid ? 0 : -ESRCH;
	}
	/* Calibrate on the main thread, whose state is the oldest: last in the list. */
	py_for_each_thread(t, remember_last, &main_tstate);
	if (!main_tstate ||
	    target_read_u64(t->pid, main_tstate + L->bpf.tstate_thread_id, &main_self) ||
	    target_read_u64(t->pid, tstate + L->bpf.tstate_thread_id, &self))
		return -EFAULT;
	offset = pthread_tid_offset(t, main_self);
	if (offset < 0 || target_read(t->pid, self + offset, &ns_tid, sizeof(ns_tid)))
		return -ENOENT;
	*tid = host_tid(t->pid, (pid_t)ns_tid);
	return *tid ? 0 : -ESRCH;
}

/* The GIL struct INTERP uses; -ENOENT where there is none (free-threaded). */
static int py_gil_address(const struct python_target *t, uint64_t interp, uint64_t *gil)
{
	const struct pyperf_offsets *o = &t->layout.bpf;

	if (t->layout.free_threaded)
		return -ENOENT;
	if (o->runtime_ceval_gil != PYPERF_OFF_NONE) {
		*gil = t->runtime_addr + o->runtime_ceval_gil;
		return 0;
	}
	if (o->interp_gil == PYPERF_OFF_NONE ||
	    target_read_u64(t->pid, interp + o->interp_gil, gil) || !*gil)
		return -ENOENT;
	return 0;
}

int py_holds_gil(const struct python_target *t, uint64_t interp, uint64_t tstate)
{
	const struct pyperf_offsets *o = &t->layout.bpf;
	uint64_t holder, gil;
	int32_t locked;

	if (py_gil_address(t, interp, &gil) ||
	    target_read_u64(t->pid, gil + o->gil_holder, &holder) ||
	    target_read(t->pid, gil + o->gil_locked, &locked, sizeof(locked)))
		return -1;
	return locked && holder == tstate;
}
