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

#include "unwind_live.h"

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
