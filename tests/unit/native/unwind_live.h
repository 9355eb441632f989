/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_unwind_live.c's apparatus (unwind_live.c): a process's modules with
 * their unwind tables, a stack captured the way the BPF program will, and
 * walks printed when a check fails.
 */
#ifndef PYBPF_TESTS_UNWIND_LIVE_H
#define PYBPF_TESTS_UNWIND_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "native/unwind.h"
#include "process/proc_maps.h"

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

void modules_init(struct modules *m, pid_t pid, bool via_map_files);

void modules_free(struct modules *m);

/* The executable file mapping that holds PC, or NULL. */
const struct map_entry *mapping_of(const struct modules *m, uint64_t pc);

void file_of(const struct modules *m, const struct map_entry *e, char *buf, size_t size);

int find_module(void *ctx, uint64_t pc, struct unwind_module *mod);

/* Whether PC is inside NAME, by the symbol table of the file mapped there. */
bool in_function(struct modules *m, uint64_t pc, const char *name);

bool in_file(const struct modules *m, uint64_t pc, const char *suffix);

/*
 * Return addresses point after a call: PCS[i] - 1 is in the calling
 * function, for every pc but the first.
 */
uint64_t call_site(const uint64_t *pcs, size_t i);

/* The first i >= FROM whose call site is in NAME; N if none. */
size_t find_frame(struct modules *m, const uint64_t *pcs, size_t n, size_t from, const char *name);

/* A walk under test: printed, each pc with its file and address, when a check fails. */
struct walk {
	struct modules *m;
	const uint64_t *pcs;
	size_t n;
};

void print_walk(const struct walk *w);

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
size_t copy_stack(pid_t pid, uint64_t rsp, uint8_t *buf, size_t cap);

struct unwind_stack stack_of(const struct sample *s);

#endif
