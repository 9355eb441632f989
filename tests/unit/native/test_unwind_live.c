// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/native/unwind.h on real stacks, captured the way the BPF program will
 * (rip, rsp, rbp, rbx and a copy of the stack from rsp): this test's own,
 * through functions with and without frame pointers down to _start; a
 * forked child's, unwound with modules read from /proc/CHILD/map_files;
 * and Debian's python3.11 (no frame pointers) blocked in os.read(),
 * stopped with ptrace.  Every pc is checked against the symbol tables.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "native/elf_symbols.h"
#include "process/proc_maps.h"
#include "native/unwind.h"

#define DEBIAN_PY "/usr/bin/python3.11"
#define MAX_PCS 128

/* Modules of a process, from its maps; each table loaded on first use. */
struct modules {
	pid_t pid;
	bool via_map_files;	/* open /proc/PID/map_files/START-END, as for another mount namespace */
	struct proc_maps maps;
	struct eh_frame_table **tables;	/* by maps entry */
	uint64_t *bias;
	bool *loaded;
	unsigned int loads;
};

static void modules_init(struct modules *m, pid_t pid, bool via_map_files)
{
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->via_map_files = via_map_files;
	cr_assert_eq(proc_maps_read(pid, &m->maps), 0);
	m->tables = calloc(m->maps.n, sizeof(*m->tables));
	m->bias = calloc(m->maps.n, sizeof(*m->bias));
	m->loaded = calloc(m->maps.n, sizeof(*m->loaded));
	cr_assert(m->tables && m->bias && m->loaded);
}

static void modules_free(struct modules *m)
{
	for (size_t i = 0; i < m->maps.n; i++)
		eh_frame_table_free(m->tables[i]);
	free(m->tables);
	free(m->bias);
	free(m->loaded);
	proc_maps_free(&m->maps);
}

/* The executable file mapping that holds PC, or NULL. */
static const struct map_entry *mapping_of(const struct modules *m, uint64_t pc)
{
	for (size_t i = 0; i < m->maps.n; i++) {
		const struct map_entry *e = &m->maps.entries[i];

		if (pc >= e->start && pc < e->end && e->perms[2] == 'x' && e->path[0] == '/')
			return e;
	}
	return NULL;
}

static void file_of(const struct modules *m, const struct map_entry *e, char *buf, size_t size)
{
	if (m->via_map_files)
		snprintf(buf, size, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, m->pid, e->start,
			 e->end);
	else
		snprintf(buf, size, "%s", e->path);
}

static int find_module(void *ctx, uint64_t pc, struct unwind_module *mod)
{
	struct modules *m = ctx;
	const struct map_entry *e = mapping_of(m, pc);
	struct elf_file *ef;
	char path[256];
	uint64_t vaddr;
	size_t i;

	if (!e)
		return -ENOENT;
	i = e - m->maps.entries;
	if (!m->loaded[i]) {
		file_of(m, e, path, sizeof(path));
		ef = elf_file_open(path);
		if (!ef || elf_file_vaddr_of_offset(ef, e->offset, &vaddr)) {
			elf_file_close(ef);
			return -ENOENT;
		}
		m->bias[i] = e->start - vaddr;
		m->tables[i] = eh_frame_table_from_elf(ef);	/* NULL: no .eh_frame */
		m->loaded[i] = true;
		m->loads++;
		elf_file_close(ef);
	}
	mod->table = m->tables[i];
	mod->bias = m->bias[i];
	return 0;
}

/* Whether PC is inside NAME, by the symbol table of the file mapped there. */
static bool in_function(struct modules *m, uint64_t pc, const char *name)
{
	const struct map_entry *e = mapping_of(m, pc);
	struct unwind_module mod;
	uint64_t value, size;
	struct elf_file *ef;
	char path[256];
	bool found;

	if (!e || find_module(m, pc, &mod))
		return false;
	file_of(m, e, path, sizeof(path));
	ef = elf_file_open(path);
	cr_assert_not_null(ef);
	found = !elf_file_symbol(ef, name, &value, &size) && pc - mod.bias >= value &&
		pc - mod.bias < value + size;
	elf_file_close(ef);
	return found;
}

static bool in_file(const struct modules *m, uint64_t pc, const char *suffix)
{
	const struct map_entry *e = mapping_of(m, pc);
	size_t n = strlen(suffix), len = e ? strlen(e->path) : 0;

	return e && len >= n && !strcmp(e->path + len - n, suffix);
}

/*
 * Return addresses point after a call: PCS[i] - 1 is in the calling
 * function, for every pc but the first.
 */
static uint64_t call_site(const uint64_t *pcs, size_t i)
{
	return i ? pcs[i] - 1 : pcs[0];
}

/* The first i >= FROM whose call site is in NAME; N if none. */
static size_t find_frame(struct modules *m, const uint64_t *pcs, size_t n, size_t from,
			 const char *name)
{
	for (size_t i = from; i < n; i++)
		if (in_function(m, call_site(pcs, i), name))
			return i;
	return n;
}

/* A walk under test: printed, each pc with its file and address, when a check fails. */
struct walk {
	struct modules *m;
	const uint64_t *pcs;
	size_t n;
};

static void print_walk(const struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct map_entry *e = mapping_of(w->m, w->pcs[i]);
		struct unwind_module mod = { .bias = 0 };

		find_module(w->m, w->pcs[i], &mod);
		fprintf(stderr, "  #%zu %#" PRIx64 " %s+%#" PRIx64 "\n", i, w->pcs[i],
			e ? e->path : "?", w->pcs[i] - mod.bias);
	}
}

#define walk_assert(w, cond, ...)						\
	do {									\
		if (!(cond)) {							\
			print_walk(w);						\
			cr_assert_fail(__VA_ARGS__);				\
		}								\
	} while (0)

/* What the BPF program will copy per sample. */
#define STACK_BYTES (32 * 1024)

struct sample {
	struct unwind_regs regs;
	size_t len;
	uint8_t stack[STACK_BYTES];
};

/*
 * The registers here and now.  Straight to memory, so that no register the
 * compiler picked for an operand is overwritten before it is read.
 */
#define CAPTURE_REGS(r)							\
	asm volatile("lea 0(%%rip), %%rax\n\t"				\
		     "mov %%rax, %0\n\t"				\
		     "mov %%rsp, %1\n\t"				\
		     "mov %%rbp, %2\n\t"				\
		     "mov %%rbx, %3"					\
		     : "=m"((r)->rip), "=m"((r)->rsp), "=m"((r)->rbp), "=m"((r)->rbx) \
		     : : "rax", "memory")

/*
 * Up to CAP bytes of PID's stack from RSP, not past the end of the
 * mapping that holds RSP; 0 on failure.  process_vm_readv, like the BPF
 * program's copy, goes around ASan's view of the stack.  No asserts: a
 * forked child calls it too.
 */
static size_t copy_stack(pid_t pid, uint64_t rsp, uint8_t *buf, size_t cap)
{
	struct proc_maps maps;
	size_t n = 0;

	if (proc_maps_read(pid, &maps))
		return 0;
	for (size_t i = 0; i < maps.n; i++)
		if (rsp >= maps.entries[i].start && rsp < maps.entries[i].end)
			n = maps.entries[i].end - rsp < cap ? maps.entries[i].end - rsp : cap;
	proc_maps_free(&maps);
	if (n) {
		struct iovec local = { buf, n }, remote = { (void *)rsp, n };

		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)n)
			n = 0;
	}
	return n;
}

static struct unwind_stack stack_of(const struct sample *s)
{
	return (struct unwind_stack){ s->regs.rsp, s->stack, s->len };
}

/*
 * A chain of calls into the leaf that takes the sample: without a frame
 * pointer, with a frame pointer, with a 3000-byte frame.  noipa keeps
 * each one a real, separate function that returns to its caller.
 */
#define NOIPA __attribute__((noipa))
#define NO_FP __attribute__((optimize("omit-frame-pointer")))
#define WITH_FP __attribute__((optimize("no-omit-frame-pointer")))

static struct sample *own;	/* not on the stack being copied */
static uint64_t own_ra[5];	/* each function's return address, innermost first */

NOIPA NO_FP int unwind_test_leaf(int x)
{
	own_ra[0] = (uint64_t)__builtin_return_address(0);
	CAPTURE_REGS(&own->regs);
	own->len = copy_stack(getpid(), own->regs.rsp, own->stack, sizeof(own->stack));
	return x * 7 + 3;
}

NOIPA NO_FP int unwind_test_small(int x)
{
	int r;

	own_ra[1] = (uint64_t)__builtin_return_address(0);
	r = unwind_test_leaf(x ^ 5);
	return r * 3 + 1;
}

NOIPA NO_FP int unwind_test_big_frame(int x)
{
	volatile uint8_t big[3000];
	int r;

	own_ra[2] = (uint64_t)__builtin_return_address(0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(x + i);
	r = unwind_test_small(x + big[x % sizeof(big)]);
	return r + big[(unsigned int)r % sizeof(big)];
}

NOIPA WITH_FP int unwind_test_frame_pointer(int x)
{
	volatile int pad[8];
	int r;

	own_ra[3] = (uint64_t)__builtin_return_address(0);
	pad[x & 7] = x;
	r = unwind_test_big_frame(x + 2);
	return r - pad[r & 7];
}

NOIPA NO_FP int unwind_test_outer(int x)
{
	int r;

	own_ra[4] = (uint64_t)__builtin_return_address(0);
	r = unwind_test_frame_pointer(x * 2);
	return r ^ 0x55;
}

static const char *const own_chain[] = {
	"unwind_test_leaf", "unwind_test_small", "unwind_test_big_frame",
	"unwind_test_frame_pointer", "unwind_test_outer",
};

/* Where the direct call (e8 rel32) that returns to RA, in this process, goes; 0 if none. */
static uint64_t direct_call_target(uint64_t ra)
{
	const uint8_t *call = (const uint8_t *)(ra - 5);
	int32_t rel;

	if (call[0] != 0xe8)
		return 0;
	memcpy(&rel, call + 1, sizeof(rel));
	return ra + (int64_t)rel;
}

/* Whether RA, in this process, follows a call *%reg (ff d0+reg). */
static bool after_indirect_call(uint64_t ra)
{
	const uint8_t *call = (const uint8_t *)(ra - 2);

	return call[0] == 0xff && (call[1] & 0xf8) == 0xd0;
}

/* A full walk of this process's own sample. */
static size_t unwind_own(struct modules *m, uint64_t *pcs, struct unwind_result *res)
{
	struct unwind_stack stack = stack_of(own);

	return unwind_native(&own->regs, &stack, find_module, m, pcs, MAX_PCS, res);
}

static void take_own_sample(void)
{
	own = calloc(1, sizeof(*own));
	cr_assert_not_null(own);
	unwind_test_outer(1);
	cr_assert_gt(own->len, 0, "could not copy this process's stack");
}

Test(unwind, own_stack_through_every_frame_into_libc)
{
	uint64_t pcs[MAX_PCS];
	struct unwind_result res;
	struct modules m;
	size_t n, call_main_at, start_main_at;
	struct walk w;
	uint64_t target;

	take_own_sample();
	modules_init(&m, getpid(), false);
	n = unwind_own(&m, pcs, &res);
	w = (struct walk){ &m, pcs, n };
	walk_assert(&w, res.stop == UNWIND_STOP_END, "stopped for %s after %zu pcs",
		    unwind_stop_str(res.stop), n);
	walk_assert(&w, res.flags == 0, "CFI all the way: no frame pointer needed");
	walk_assert(&w, n > 8, "only %zu pcs", n);
	/* Each function, innermost first, and exactly the return addresses they saw. */
	for (size_t i = 0; i < 5; i++) {
		walk_assert(&w, in_function(&m, call_site(pcs, i), own_chain[i]),
			    "pc %zu is not in %s", i, own_chain[i]);
		walk_assert(&w, pcs[i + 1] == own_ra[i], "not the return address of %s",
			    own_chain[i]);
	}
	/*
	 * Through the test runner into libc, out at _start.  The runner's main
	 * is whatever BoxFort patched in, but libc's frames are known:
	 * __libc_start_main calls __libc_start_call_main (local: no symbol
	 * here), which calls main through a pointer.
	 */
	start_main_at = find_frame(&m, pcs, n, 5, "__libc_start_main");
	walk_assert(&w, start_main_at == n - 2, "__libc_start_main, then _start, last");
	walk_assert(&w, in_function(&m, call_site(pcs, n - 1), "_start"), "not out at _start");
	call_main_at = start_main_at - 1;
	walk_assert(&w, call_main_at > 6, "the runner's frames are missing");
	walk_assert(&w, in_file(&m, pcs[call_main_at], "/libc.so.6") &&
		    !in_function(&m, call_site(pcs, call_main_at), "__libc_start_main"),
		    "pc %zu is not in __libc_start_call_main", call_main_at);
	target = direct_call_target(pcs[start_main_at]);
	walk_assert(&w, target < pcs[call_main_at] && pcs[call_main_at] - target < 0x200,
		    "pc %zu is not in the function __libc_start_main calls (%#" PRIx64 ")",
		    call_main_at, target);
	walk_assert(&w, after_indirect_call(pcs[call_main_at]), "main is called through a pointer");
	modules_free(&m);
	free(own);
}

Test(unwind, own_stack_cut_short)
{
	uint64_t full[MAX_PCS], pcs[MAX_PCS];
	struct unwind_stack stack;
	struct unwind_result res;
	struct modules m;
	size_t n_full, n;

	take_own_sample();
	modules_init(&m, getpid(), false);
	n_full = unwind_own(&m, full, &res);
	cr_assert_eq(res.stop, UNWIND_STOP_END);
	/* 512 bytes: the leaf and its caller fit, the 3000-byte frame does not. */
	stack = stack_of(own);
	stack.len = 512;
	n = unwind_native(&own->regs, &stack, find_module, &m, pcs, MAX_PCS, &res);
	cr_assert_eq(res.stop, UNWIND_STOP_TRUNCATED, "stopped for %s", unwind_stop_str(res.stop));
	cr_assert_eq(n, 3, "the leaf, its caller, the big frame; then its return address is cut");
	cr_assert_arr_eq(pcs, full, n * sizeof(pcs[0]));
	/* The same prefix when the output is full first. */
	stack = stack_of(own);
	n = unwind_native(&own->regs, &stack, find_module, &m, pcs, 4, &res);
	cr_assert_eq(res.stop, UNWIND_STOP_MAX_FRAMES);
	cr_assert_eq(n, 4);
	cr_assert_arr_eq(pcs, full, n * sizeof(pcs[0]));
	cr_assert_lt(n, n_full);
	modules_free(&m);
	free(own);
}

/* ---- another process ----------------------------------------------- */

struct child_sample {
	struct sample s;
	uint64_t ra[3];
};

NOIPA NO_FP int unwind_child_leaf(struct child_sample *out, int ready_fd, int wait_fd)
{
	char c = 1;

	out->ra[0] = (uint64_t)__builtin_return_address(0);
	CAPTURE_REGS(&out->s.regs);
	out->s.len = copy_stack(getpid(), out->s.regs.rsp, out->s.stack, sizeof(out->s.stack));
	if (write(ready_fd, &c, 1) != 1 || read(wait_fd, &c, 1) < 0)
		return -1;
	return c;
}

NOIPA WITH_FP int unwind_child_middle(struct child_sample *out, int ready_fd, int wait_fd)
{
	volatile char pad[200];
	int r;

	out->ra[1] = (uint64_t)__builtin_return_address(0);
	pad[ready_fd % 200] = 1;
	r = unwind_child_leaf(out, ready_fd, wait_fd);
	return r + pad[ready_fd % 200];
}

NOIPA NO_FP int unwind_child_outer(struct child_sample *out, int ready_fd, int wait_fd)
{
	int r;

	out->ra[2] = (uint64_t)__builtin_return_address(0);
	r = unwind_child_middle(out, ready_fd, wait_fd);
	return r * 2;
}

Test(unwind, forked_child_through_map_files, .timeout = 30)
{
	static const char *const chain[] = {
		"unwind_child_leaf", "unwind_child_middle", "unwind_child_outer",
	};
	struct child_sample *shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int ready[2], go[2], status;
	uint64_t pcs[MAX_PCS];
	struct unwind_stack stack;
	struct unwind_result res;
	struct modules m;
	struct walk w;
	size_t n;
	pid_t pid;
	char c;

	cr_assert_neq(shared, MAP_FAILED);
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(go), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		close(go[1]);
		_exit(unwind_child_outer(shared, ready[1], go[0]) < 0);
	}
	close(ready[1]);
	close(go[0]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the child died before its sample");
	cr_assert_gt(shared->s.len, 0);

	/* The child is blocked in read(): its maps, its files, its copy. */
	modules_init(&m, pid, true);
	stack = stack_of(&shared->s);
	n = unwind_native(&shared->s.regs, &stack, find_module, &m, pcs, MAX_PCS, &res);
	w = (struct walk){ &m, pcs, n };
	walk_assert(&w, res.stop == UNWIND_STOP_END, "stopped for %s", unwind_stop_str(res.stop));
	walk_assert(&w, m.loads > 1, "the executable and libc at least");
	for (size_t i = 0; i < 3; i++) {
		walk_assert(&w, in_function(&m, call_site(pcs, i), chain[i]), "pc %zu is not in %s",
			    i, chain[i]);
		walk_assert(&w, pcs[i + 1] == shared->ra[i], "not the return address of %s",
			    chain[i]);
	}
	walk_assert(&w, find_frame(&m, pcs, n, 3, "__libc_start_main") == n - 2,
		    "__libc_start_main, then _start, last");
	modules_free(&m);

	cr_assert_eq(write(go[1], &c, 1), 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	munmap(shared, sizeof(*shared));
}

/* Whether PID sits in read(2) (syscall 0 on x86_64). */
static bool blocked_in_read(pid_t pid)
{
	char path[64], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return !strncmp(buf, "0 ", 2);
}

Test(unwind, python_blocked_in_read, .timeout = 30)
{
	/* Debian's python3.11 has no frame pointers: only CFI gets through it. */
	static const struct {
		const char *file, *function;
	} expect[] = {
		{ "/libc.so.6", "read" },
		{ DEBIAN_PY, "_Py_read" },
		{ DEBIAN_PY, "_PyEval_EvalFrameDefault" },
		{ DEBIAN_PY, "PyEval_EvalCode" },
		{ DEBIAN_PY, "Py_RunMain" },
		{ DEBIAN_PY, "Py_BytesMain" },
		{ "/libc.so.6", "__libc_start_main" },
	};
	struct user_regs_struct uregs;
	int in[2], out[2], status;
	uint64_t pcs[MAX_PCS];
	struct unwind_regs regs;
	struct unwind_stack stack;
	struct unwind_result res;
	struct sample *s;
	struct modules m;
	struct walk w;
	size_t n, at = 0;
	pid_t pid;
	char c;

	if (access(DEBIAN_PY, X_OK))
		cr_skip_test(DEBIAN_PY " is not installed");
	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(out), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		/* Die with the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execl(DEBIAN_PY, "python3.11", "-S", "-c",
		      "import os; os.write(1, b'r'); os.read(0, 1)", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	cr_assert_eq(read(out[0], &c, 1), 1, "python did not start");
	for (int i = 0; i < 5000 && !blocked_in_read(pid); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	cr_assert(blocked_in_read(pid));

	cr_assert_eq(ptrace(PTRACE_SEIZE, pid, 0, 0), 0, "ptrace: %s", strerror(errno));
	cr_assert_eq(ptrace(PTRACE_INTERRUPT, pid, 0, 0), 0);
	cr_assert_eq(waitpid(pid, &status, __WALL), pid);
	cr_assert(WIFSTOPPED(status));
	cr_assert_eq(ptrace(PTRACE_GETREGS, pid, 0, &uregs), 0);
	regs = (struct unwind_regs){ uregs.rip, uregs.rsp, uregs.rbp, uregs.rbx };
	s = calloc(1, sizeof(*s));
	cr_assert_not_null(s);
	s->regs = regs;
	s->len = copy_stack(pid, regs.rsp, s->stack, sizeof(s->stack));
	cr_assert_gt(s->len, 0);
	modules_init(&m, pid, true);
	cr_assert_eq(ptrace(PTRACE_DETACH, pid, 0, 0), 0);

	stack = stack_of(s);
	n = unwind_native(&s->regs, &stack, find_module, &m, pcs, MAX_PCS, &res);
	w = (struct walk){ &m, pcs, n };
	walk_assert(&w, res.stop == UNWIND_STOP_END, "stopped for %s after %zu pcs",
		    unwind_stop_str(res.stop), n);
	walk_assert(&w, res.flags == 0, "CFI all the way: no frame pointer needed");
	walk_assert(&w, in_function(&m, pcs[0], "read"), "the sample's own pc is not in read()");
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		at = find_frame(&m, pcs, n, at, expect[i].function);
		walk_assert(&w, at < n, "no frame in %s (after the ones before it)",
			    expect[i].function);
		walk_assert(&w, in_file(&m, pcs[at], expect[i].file), "%s is not in %s",
			    expect[i].function, expect[i].file);
	}
	walk_assert(&w, at == n - 2, "__libc_start_main, then _start, last");
	close(in[1]);	/* EOF: python returns from os.read and exits */
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	modules_free(&m);
	free(s);
	close(out[0]);
}
