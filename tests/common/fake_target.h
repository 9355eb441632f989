/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A target's memory made by a test: a small healthy CPython runtime laid
 * out by pybpf's own layout table (one interpreter, one thread, a chain of
 * two frames as a live one is, their code objects with names, file and
 * line table), at FAKE_BASE.  The fuzz seeds for target_walk are this
 * memory; the unit tests read it through fake_target_read(), injected in
 * place of process_vm_readv, and change it under the reader's feet.
 */
#ifndef PYBPF_TEST_FAKE_TARGET_H
#define PYBPF_TEST_FAKE_TARGET_H

#include <stdint.h>
#include <sys/types.h>
#include "python/py_layout.h"

#define FAKE_BASE 0x10000000ULL
#define FAKE_SIZE 8192
#define FAKE_CODE_TYPE (FAKE_BASE + 8)		/* the runtime's PyCode_Type */

/* Where the pieces of the runtime lie, as offsets into the memory. */
enum {
	FAKE_INTERP = 0x400,
	FAKE_TSTATE = 0x800,
	FAKE_CFRAME = 0xc00,
	FAKE_ROOT_CFRAME = 0xc40,
	FAKE_FRAMES = 0x1000,			/* the outer frame; the inner one above it */
	FAKE_CODES = 0x1400,			/* "outer"; "inner" at + 0x400 */
	FAKE_CODE_SPAN = 0x400,
};

extern uint8_t fake_mem[FAKE_SIZE];
extern const struct py_layout *fake_layout;

uint64_t fake_addr(uint64_t at);

/* Write V at AT + OFF (nothing for PYPERF_OFF_NONE). */
void fake_put64(uint64_t at, uint16_t off, uint64_t v);
void fake_put32(uint64_t at, uint16_t off, uint32_t v);

/* A compact ASCII str object at AT. */
void fake_str(uint64_t at, const char *text);

/* A code object at AT named NAME, of FILE, first line 10; its objects after it. */
void fake_code(uint64_t at, const char *name, const char *file);

/*
 * The runtime for 3.MINOR's built-in layout (3.8-3.12), in fake_mem;
 * fake_layout is that layout.  0, or -1 where there is no built-in one.
 */
int fake_runtime(int minor);

/* target_read() over fake_mem: what lies outside it cannot be read. */
int fake_target_read(pid_t pid, uint64_t addr, void *buf, size_t len);

struct python_target;

/*
 * The 3.MINOR runtime as pybpf sees a target: T describes it, and every
 * target_read answers from fake_mem until target_mem_set_reader(NULL).
 */
void fake_python_target(int minor, struct python_target *t);

#endif
