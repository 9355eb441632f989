/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Walking a CPython set (or frozenset) in another process: its hash
 * table's entries { key, hash }, NULL keys empty.  Deleted entries hold the
 * set module's dummy object: the walk tells them too, so the caller must
 * check what each key is (a type check) before following it.
 */
#ifndef PYBPF_PY_SET_H
#define PYBPF_PY_SET_H

#include <stdint.h>
#include <sys/types.h>
#include "python/py_layout.h"

/* Largest table walked (slots); a set with more is refused (-E2BIG), not cut. */
#define PY_SET_MAX_SLOTS (1u << 18)

/* Told each non-NULL key: 0 goes on, anything else stops the walk. */
typedef int (*py_set_key_fn)(void *ctx, uint64_t key);

/*
 * Call FN for each key of the set object at SET in PID.  0 when every key
 * was told, FN's nonzero answer, or -errno: -EFAULT a read failed,
 * -EINVAL not a sane set, -E2BIG more than PY_SET_MAX_SLOTS slots.
 */
int py_set_for_each(pid_t pid, const struct py_set_layout *L, uint64_t set, py_set_key_fn fn,
		    void *ctx);

#endif
