/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Python objects made by a unit test in a target memory of its own, laid
 * out by one version's table entry (fo_use_version): types, str, int,
 * dicts of each keys layout, and a runtime whose sys.modules holds one
 * module.  Every target_read answers from it until fo_done().
 */
#ifndef PYBPF_TEST_FAKE_OBJECTS_H
#define PYBPF_TEST_FAKE_OBJECTS_H

#include <stddef.h>
#include <stdint.h>
#include "python/py_layout.h"
#include "python/python_target.h"

#define FO_MEM_BASE 0x20000000ULL
#define FO_MEM_SIZE (1u << 20)

extern uint8_t fo_mem[FO_MEM_SIZE];
extern size_t fo_mem_used;
extern unsigned long fo_reads;		/* target reads so far */
extern struct py_layout fo_layout;	/* the version under test */
extern uint64_t fo_str_type, fo_int_type, fo_none_type;

enum fo_kind { FO_GENERAL, FO_UNICODE, FO_SPLIT };

/* LEN zeroed bytes, 16-aligned, with room for a 32-byte pre-header before them. */
uint64_t fo_alloc(size_t len);
void fo_put(uint64_t addr, const void *v, size_t len);
void fo_put64(uint64_t addr, uint64_t v);
void fo_put8(uint64_t addr, uint8_t v);
/* A type object named NAME. */
uint64_t fo_type_named(const char *name);
/* An object of TYPE, SIZE bytes, with one reference. */
uint64_t fo_object(uint64_t type, size_t size);
uint64_t fo_str(const char *text);
uint64_t fo_int(uint64_t value);
/*
 * A keys object of 2^LOG2 slots with N entries KEYS[i] -> VALUES[i] (no
 * values in a split one: those are the object's).  Its indices stay zero:
 * the walk does not use them.
 */
uint64_t fo_keys(unsigned int log2, enum fo_kind kind, size_t n, const uint64_t *keys,
		 const uint64_t *values);
/* A PyDictValues of N values. */
uint64_t fo_values(size_t n, const uint64_t *values);
uint64_t fo_dict(uint64_t keys, uint64_t values);
/* A dict of str keys to VALUES, as its version makes one (at most 16). */
uint64_t fo_str_dict(size_t n, const char *const *names, const uint64_t *values);
/* A Python class whose instances keep their attributes in a dict of their own. */
uint64_t fo_class(const char *name);
/* An instance of CLASS (fo_class) with the attributes NAMES -> VALUES (at most 16). */
uint64_t fo_instance(uint64_t cls, size_t n, const char *const *names, const uint64_t *values);
/*
 * A runtime of one interpreter whose sys.modules has MODULE, with the
 * globals NAMES -> VALUES (at most 16).
 */
struct python_target fo_runtime(const char *module, size_t n, const char *const *names,
				const uint64_t *values);
/* The same with N modules (at most FO_MAX_MODULES), MODULES[i]'s globals the dict GLOBALS[i]. */
#define FO_MAX_MODULES 4
struct python_target fo_runtime_of(size_t n, const char *const *modules, const uint64_t *globals);
/* Make 3.MINOR's layout the one under test, with an empty memory. */
void fo_use_version(int minor);
void fo_done(void);

#endif
