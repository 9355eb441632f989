// SPDX-License-Identifier: BSD-3-Clause
/*
 * A process that looks like CPython 3.MINOR to pybpf but whose "runtime"
 * is hostile: it exports _PyRuntime (in a .PyRuntime section), Py_Version
 * and PyCode_Type, and lays out exactly the fields pybpf's own layout table
 * says it reads, filled with what a buggy or malicious process could hold:
 *
 *   - the interpreter list and every thread list are cycles;
 *   - thread "cycle": a frame chain that loops forever, its code objects
 *     with absurd string lengths, bad string kinds, names that point at
 *     themselves, line tables claiming 2^40 bytes;
 *   - thread "wild": frames and code objects in unmapped memory;
 *   - thread "churn": a frame chain rewritten as fast as it can run, over a
 *     pool of 4096 valid-looking code objects that each claim a 1 MB line
 *     table (gigabytes, if a reader cached them all), and half of whose
 *     names it swaps under the reader.
 *
 * Its chains are laid out as a live one is (each frame its frame size above
 * its caller, ending at the version's base frame, CFrames linked), so that
 * they pass pybpf's checks until the churn breaks them.
 *
 * Usage: hostile MINOR [MODE]   (11 or 12); prints "ready" once its memory
 * is set.  MODE changes the runtime:
 *   selflink    one thread state whose next is itself, with no thread's id,
 *               in an interpreter whose next is itself: every search loops
 *   framecycle  every thread's chain is two frames pages apart that link to
 *               each other
 * Built against user/python/py_layout.c, so it follows the table pybpf trusts.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "python/py_layout.h"

#define ARENA_BYTES	(8u << 20)
#define POOL		4096
#define CODE_BYTES	256
#define CHAIN		32
#define BIG_TABLE	((1u << 20) - 64)
#define UNMAPPED	0x0000dead00000000ULL	/* no mapping there on x86-64 */
#define FRAME_BYTES	192			/* every frame's size on the "data stack" */

unsigned char _PyRuntime[4096] __attribute__((section(".PyRuntime"), aligned(64)));
unsigned long Py_Version;
unsigned char PyCode_Type[512] __attribute__((aligned(64)));

static unsigned char arena[ARENA_BYTES] __attribute__((aligned(4096)));
static size_t used;
static const struct py_layout *L;
static uint64_t interp;
static uint64_t pool[POOL], names[POOL];
static volatile int claimed;

/*
 * Each thread runs 1 ms in 4 (a CPU between the three): pybpf samples
 * them without starving what else runs on the machine.
 */
static void duty_cycle(void)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < 1000000L);
	usleep(3000);
}

static uint64_t alloc(size_t n)
{
	uint64_t p = (uint64_t)(uintptr_t)&arena[used];

	used += (n + 63) & ~(size_t)63;
	if (used > ARENA_BYTES) {
		fprintf(stderr, "hostile: arena too small\n");
		exit(1);
	}
	return p;
}

static void put64(uint64_t obj, uint16_t off, uint64_t v)
{
	memcpy((void *)(uintptr_t)(obj + off), &v, 8);
}

static void put32(uint64_t obj, uint16_t off, uint32_t v)
{
	memcpy((void *)(uintptr_t)(obj + off), &v, 4);
}

/* A compact str object claiming LENGTH characters of KIND; TEXT fills its data. */
static uint64_t str(const char *text, int64_t length, unsigned int kind, uint64_t hash)
{
	size_t n = strlen(text);
	uint64_t s = alloc(L->bpf.str_compact_data + n + 1);
	uint32_t state = ((kind << L->bpf.str_kind_shift) & L->bpf.str_kind_mask) | L->bpf.str_compact_mask |
			 (kind == 1 ? L->bpf.str_ascii_mask : 0);

	put64(s, L->object_refcnt, 1);
	put64(s, L->bpf.str_length, (uint64_t)length);
	put64(s, L->bpf.str_hash, hash);
	put32(s, L->bpf.str_state, state);
	memcpy((void *)(uintptr_t)(s + (kind == 1 ? L->bpf.str_ascii_data : L->bpf.str_compact_data)), text, n);
	return s;
}

static uint64_t bytes(int64_t size, size_t real)
{
	uint64_t b = alloc(L->bpf.bytes_data + real);

	put64(b, L->object_refcnt, 1);
	put64(b, L->bpf.varobject_size, (uint64_t)size);
	for (size_t i = 0; i < real; i++)
		((unsigned char *)(uintptr_t)(b + L->bpf.bytes_data))[i] = (unsigned char)rand();
	return b;
}

static uint64_t code(uint64_t name, uint64_t file, uint64_t table, int32_t firstlineno)
{
	uint64_t c = alloc(CODE_BYTES);

	put64(c, L->object_refcnt, 1);
	put64(c, L->object_type, (uint64_t)(uintptr_t)PyCode_Type);
	put64(c, L->bpf.code_name, name);
	put64(c, L->bpf.code_filename, file);
	put64(c, L->bpf.code_linetable, table);
	put32(c, L->bpf.code_firstlineno, (uint32_t)firstlineno);
	/* Frames of FRAME_BYTES: the layout's size fields add up to it. */
	put32(c, L->bpf.code_framesize, FRAME_BYTES / 8 - L->bpf.framesize_words);
	return c;
}

static void frame_at(uint64_t f, uint64_t code_obj, uint64_t previous)
{
	put64(f, L->bpf.frame_code, code_obj);
	put64(f, L->bpf.frame_previous, previous);
	put64(f, L->bpf.frame_instr, code_obj + L->bpf.code_adaptive + 2 * (rand() % 64));
}

static uint64_t frame(uint64_t code_obj, uint64_t previous)
{
	uint64_t f = alloc(FRAME_BYTES);

	frame_at(f, code_obj, previous);
	return f;
}

/*
 * A chain of N frames running CODES[0] (innermost) to CODES[N-1], laid out
 * as on a data stack (callers below callees, FRAME_BYTES apart) and ending
 * at the base the version's chains end at.  Its frames go to OUT.
 */
static uint64_t chain(const uint64_t *codes, int n, uint64_t *out)
{
	uint64_t base = alloc((size_t)(n + 1) * FRAME_BYTES);

	for (int i = 0; i < n; i++) {
		out[i] = base + (uint64_t)(n - i) * FRAME_BYTES;
		frame_at(out[i], codes[i], base + (uint64_t)(n - i - 1) * FRAME_BYTES);
	}
	/* The outermost: 3.11's is_entry frame, or the eval loop's shim. */
	if (L->bpf.frame_is_entry != PYPERF_OFF_NONE) {
		put64(out[n - 1], L->bpf.frame_previous, 0);
		*(uint8_t *)(uintptr_t)(out[n - 1] + L->bpf.frame_is_entry) = 1;
	} else {
		*(uint8_t *)(uintptr_t)(base + L->bpf.frame_owner) = L->bpf.owner_skip_from;
		put64(base, L->bpf.frame_previous, 0);
	}
	return out[0];
}

/* A thread state in the interpreter's (cyclic) thread list whose top frame is TOP. */
static uint64_t tstates[64];

static void set_top_frame(uint64_t ts, uint64_t top)
{
	if (L->bpf.cframe_current_frame != PYPERF_OFF_NONE) {
		/* The eval call's CFrame, whose caller is the thread's root CFrame. */
		uint64_t cframe = alloc(64), root = alloc(64);

		put64(cframe, L->bpf.cframe_current_frame, top);
		put64(cframe, L->bpf.cframe_previous, root);
		put64(ts, L->bpf.tstate_frame, cframe);
	} else {
		put64(ts, L->bpf.tstate_frame, top);
	}
}

static void build_runtime(void)
{
	interp = alloc(4096);
	put64((uint64_t)(uintptr_t)_PyRuntime, L->bpf.runtime_interp_head, interp);
	put64(interp, L->bpf.interp_next, interp);	/* the interpreter list loops */
	for (int i = 0; i < 64; i++)
		tstates[i] = alloc(4096);
	for (int i = 0; i < 64; i++) {
		put64(tstates[i], L->bpf.tstate_next, tstates[(i + 1) % 64]);	/* so does this one */
		put64(tstates[i], L->bpf.tstate_interp, interp);
		put64(tstates[i], L->bpf.tstate_thread_id, UNMAPPED + i);
		set_top_frame(tstates[i], UNMAPPED);
	}
	put64(interp, L->bpf.interp_threads_head, tstates[0]);
}

/* Claim the thread state at SLOT (late in the list) for the calling thread. */
static void claim(int slot, uint64_t top)
{
	set_top_frame(tstates[slot], top);
	put64(tstates[slot], L->bpf.tstate_thread_id, (uint64_t)pthread_self());
	if (L->bpf.tstate_native_thread_id != PYPERF_OFF_NONE)
		put64(tstates[slot], L->bpf.tstate_native_thread_id, (uint64_t)syscall(SYS_gettid));
}

static uint64_t cycle_chain(void)
{
	uint64_t file = str("hostile.c", 9, 1, 7);
	uint64_t codes[] = {
		code(str("huge", INT64_MAX / 2, 1, 1), UNMAPPED, bytes(0, 0), 1),
		code(str("negative", -5, 1, 2), file, bytes(0, 0), 1),
		code(str("badkind", 3, 3, 3), file, bytes(0, 0), 1),
		code(UNMAPPED, file, bytes(0, 0), 1),
		code(str("hugetable", 9, 1, 4), file, bytes(1LL << 40, 16), 1),
		code(str("negtable", 8, 1, 5), file, bytes(-1, 16), 1),
		code(str("longtable", 9, 1, 6), file, bytes(BIG_TABLE, 16), 1),	/* 1 MB of whatever follows */
		0,
	};
	uint64_t self = alloc(CODE_BYTES);
	uint64_t f[8];

	/* A code object whose name and file are the code object itself. */
	memcpy((void *)(uintptr_t)self, (void *)(uintptr_t)codes[0], CODE_BYTES);
	put64(self, L->bpf.code_name, self);
	put64(self, L->bpf.code_filename, self);
	codes[7] = self;
	chain(codes, 8, f);
	put64(f[7], L->bpf.frame_previous, f[0]);	/* the frame chain loops */
	return f[0];
}

static uint64_t wild_chain(void)
{
	uint64_t stale = alloc(CODE_BYTES);
	uint64_t f2 = frame(UNMAPPED + 0x1000, UNMAPPED + 0x2000);
	uint64_t f1 = frame(stale, f2);		/* a code object of the wrong type */

	put64(stale, L->object_refcnt, 1);
	put64(stale, L->object_type, UNMAPPED);
	return frame(0x10, f1);			/* a pointer into page zero */
}

static void build_pool(void)
{
	uint64_t file = str("pool.py", 7, 1, 11);
	uint64_t table = bytes(BIG_TABLE, BIG_TABLE);	/* one 1 MB table, shared */
	char name[32];

	for (int i = 0; i < POOL; i++) {
		snprintf(name, sizeof(name), "pool_%04d", i);
		names[i] = str(name, strlen(name), 1, 1000 + i);
		pool[i] = code(names[i], file, table, i);
	}
}

static void *cycle_thread(void *arg)
{
	claim(60, cycle_chain());
	__sync_fetch_and_add(&claimed, 1);
	for (;;)
		duty_cycle();
	return NULL;
}

static void *wild_thread(void *arg)
{
	claim(61, wild_chain());
	__sync_fetch_and_add(&claimed, 1);
	for (;;)
		duty_cycle();
	return NULL;
}

static uint64_t f[CHAIN];

static void churn_chain(void)
{
	claim(63, chain(pool, CHAIN, f));
}

/* Rewrites its own frames, and the pool's name pointers, as fast as it can. */
static void churn(void)
{
	unsigned int r = 12345;

	for (unsigned long n = 0;; n++) {
		int i;

		if (!(n % 100000))
			usleep(3000);

		r = r * 1103515245 + 12345;
		i = (r >> 8) % CHAIN;
		switch ((r >> 20) % 8) {
		case 0:
			put64(f[i], L->bpf.frame_previous, f[(r >> 4) % CHAIN]);	/* a new cycle */
			break;
		case 1:
			put64(f[i], L->bpf.frame_code, UNMAPPED + (r & 0xfff0));
			break;
		case 2:
			/*
			 * Only the odd half of the pool: the even half stays
			 * readable whenever pybpf gets to it, so its 1 MB line
			 * tables are read, and bound the cache, however late.
			 */
			put64(pool[(r % POOL) | 1], L->bpf.code_name, names[(r >> 3) % POOL]);
			break;
		case 3:
			put64(f[i], L->bpf.frame_previous, i + 1 < CHAIN ? f[i + 1] : 0);
			break;
		default:
			put64(f[i], L->bpf.frame_code, pool[(r >> 9) % POOL]);
			break;
		}
	}
}

/* A chain of two frames, two pages apart, each the other's caller. */
static uint64_t page_cycle(void)
{
	uint64_t a = alloc(FRAME_BYTES), b;

	used = (used + 8192) & ~(size_t)4095;	/* two pages on */
	b = alloc(FRAME_BYTES);
	frame_at(a, pool[0], b);
	frame_at(b, pool[1], a);
	return a;
}

static void *framecycle_thread(void *arg)
{
	claim((int)(uintptr_t)arg, page_cycle());
	__sync_fetch_and_add(&claimed, 1);
	for (;;)
		duty_cycle();
	return NULL;
}

int main(int argc, char **argv)
{
	int minor = argc > 1 ? atoi(argv[1]) : 11;
	const char *mode = argc > 2 ? argv[2] : "";
	pthread_t t;

	L = py_layout_static(3, minor, false);
	if (!L || L->needs_debug_offsets) {
		fprintf(stderr, "hostile: pybpf has no built-in 3.%d layout to imitate\n", minor);
		return 2;
	}
	Py_Version = 0x03000000UL | (unsigned long)minor << 16 | 0x04f0;	/* 3.MINOR.4 final */
	srand(1);
	build_runtime();
	build_pool();
	if (!strcmp(mode, "selflink")) {
		put64(tstates[0], L->bpf.tstate_next, tstates[0]);
		put64(tstates[0], L->bpf.tstate_thread_id, 0);
		put64(interp, L->bpf.interp_threads_head, tstates[0]);
		setvbuf(stdout, NULL, _IONBF, 0);
		printf("ready\n");
		for (;;)
			duty_cycle();
	}
	if (!strcmp(mode, "framecycle")) {
		pthread_create(&t, NULL, framecycle_thread, (void *)(uintptr_t)60);
		pthread_create(&t, NULL, framecycle_thread, (void *)(uintptr_t)61);
		claim(63, page_cycle());
		while (claimed < 2)
			usleep(1000);
		setvbuf(stdout, NULL, _IONBF, 0);
		printf("ready\n");
		for (;;)
			duty_cycle();
	}
	pthread_create(&t, NULL, cycle_thread, NULL);
	pthread_create(&t, NULL, wild_thread, NULL);
	churn_chain();
	while (claimed < 2)
		usleep(1000);
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("ready\n");
	churn();
}
