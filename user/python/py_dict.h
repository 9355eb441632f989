/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Walking a CPython dict in another process: the items of a combined table,
 * or of a split one (keys shared, values per object), as struct
 * py_dict_layout describes them.  Every read may fail and every size is
 * checked: the target is not trusted.
 */
#ifndef PYBPF_PY_DICT_H
#define PYBPF_PY_DICT_H

#include <stdint.h>
#include <sys/types.h>
#include "python/py_layout.h"

/* Entries walked at most; a dict with more is refused (-E2BIG), not cut. */
#define PY_DICT_MAX_ENTRIES 16384

/* Told each item (KEY and VALUE both non-NULL): 0 goes on, anything else stops the walk. */
typedef int (*py_dict_item_fn)(void *ctx, uint64_t key, uint64_t value);

/*
 * Call FN for each item of the dict object at DICT in PID.  0 when every
 * item was told, FN's nonzero answer, or -errno: -EFAULT a read failed,
 * -EINVAL not a sane dict, -E2BIG more than PY_DICT_MAX_ENTRIES entries.
 */
int py_dict_for_each(pid_t pid, const struct py_dict_layout *L, uint64_t dict,
		     py_dict_item_fn fn, void *ctx);

/*
 * The same over the keys object KEYS and, when VALUES is not 0, the split
 * values at VALUES (a PyDictValues: an object's attributes without a dict).
 */
int py_dict_table_for_each(pid_t pid, const struct py_dict_layout *L, uint64_t keys,
			   uint64_t values, py_dict_item_fn fn, void *ctx);

/*
 * Each key of the keys object KEYS with its entry's index as FN's VALUE
 * (a split table's values are the object's, by that index): 0 when every key was told, FN's
 * nonzero answer, or -errno as above.
 */
int py_dict_keys_for_each(pid_t pid, const struct py_dict_layout *L, uint64_t keys,
			  py_dict_item_fn fn, void *ctx);

#endif
