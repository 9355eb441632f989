/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading Python objects in another process: an object's type by name,
 * small ints, an instance's attributes, a dict's item by str key, and a
 * module's globals through sys.modules.  Where a version keeps them is
 * struct py_objects_layout's business; every read may fail and every size
 * is checked (the target is not trusted).
 */
#ifndef PYBPF_PY_OBJECTS_H
#define PYBPF_PY_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "python/py_dict.h"

struct python_target;

/* Type names compared at most this long (with the NUL). */
#define PY_TYPE_NAME_MAX 32

struct py_objects {
	pid_t pid;
	const struct py_layout *L;
	const struct py_objects_layout *O;
	uint64_t int_type, str_type;	/* type objects found to be named so, 0 until then */
};

void py_objects_init(struct py_objects *o, const struct python_target *t);

/* OBJ's type (ob_type), or 0 if unreadable. */
uint64_t py_type_of(const struct py_objects *o, uint64_t obj);

/* Whether TYPE is named NAME (tp_name, e.g. "_asyncio.Task"). */
bool py_type_named(const struct py_objects *o, uint64_t type, const char *name);

/*
 * Whether TYPE is named NAME; *SEEN caches the type once found (the next
 * types are compared by address only).
 */
bool py_type_is(const struct py_objects *o, uint64_t type, const char *name, uint64_t *seen);

/*
 * Whether OBJ's type is named NAME; *SEEN caches the type once found (the
 * next objects are compared by address only).
 */
bool py_has_type(const struct py_objects *o, uint64_t obj, const char *name, uint64_t *seen);

/* A Python int in [0, 2^60) (at most two 30-bit digits): 0, or -EINVAL. */
int py_read_small_int(struct py_objects *o, uint64_t obj, uint64_t *value);

/* The same from an int object's first LEN bytes, its type already checked. */
int py_small_int_parse(const struct py_long_layout *I, const uint8_t *obj, size_t len, uint64_t *value);

/*
 * Call FN for each attribute (str key, value) of OBJ, an instance of a
 * Python class.  0, FN's nonzero answer, -ENOENT no attributes, or -errno.
 */
int py_for_each_attribute(struct py_objects *o, uint64_t obj, py_dict_item_fn fn, void *ctx);

/* OBJ.NAME of an instance of a Python class: 0, -ENOENT, or -errno. */
int py_attribute_get(struct py_objects *o, uint64_t obj, const char *name, uint64_t *value);

/*
 * TYPE's instances' size (tp_basicsize, checked; 3.13 keeps an instance's
 * inline attribute values there); -EINVAL for a size no instance has.
 */
int py_type_basicsize(const struct py_objects *o, uint64_t type, uint64_t *size);

/*
 * Where attribute NAME of TYPE's instances sits in their split values
 * (3.11+: its index in the type's shared keys, ht_cached_keys): 0,
 * -ENOENT (no instance has set it yet), or -errno.
 */
int py_shared_key_index(struct py_objects *o, uint64_t type, const char *name, uint64_t *index);

/* DICT[KEY] for an ASCII str KEY: 0, -ENOENT, or the walk's -errno. */
int py_dict_get(struct py_objects *o, uint64_t dict, const char *key, uint64_t *value);

/*
 * The globals (md_dict) of sys.modules[MODULE] of the interpreter at
 * INTERP: 0, -ENOENT (not imported, or the interpreter is starting or
 * finalized), or -errno.
 */
int py_module_globals(struct py_objects *o, uint64_t interp, const char *module, uint64_t *globals);

#endif
