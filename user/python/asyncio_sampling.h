/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --async for record and top: what the sampler needs to name the asyncio
 * task a thread runs (struct pyperf_async: the _current_tasks dict, the
 * Task type, the layouts), and the name of a sample's task from the bytes
 * the kernel copied.
 */
#ifndef PYBPF_ASYNCIO_SAMPLING_H
#define PYBPF_ASYNCIO_SAMPLING_H

#include <stddef.h>
#include "pyperf.h"

struct python_target;
struct py_objects;
struct py_asyncio_layout;

/*
 * Fill OUT for T's main interpreter, and LAYOUT with T's asyncio layout
 * (3.14+: completed from .AsyncioDebug; asyncio_read_layout() takes it).
 * 0, or -ENOTSUP (no asyncio layout for T's version), -ENOENT
 * (asyncio.tasks not imported yet, or it has no C Task), or a read's -errno.
 */
int asyncio_sampling_config(const struct python_target *t, struct py_asyncio_layout *layout,
			    struct pyperf_async *out);

/*
 * 3.11-3.13: complete OUT (filled by asyncio_sampling_config()) with what
 * the sampler needs to follow a TaskGroup's child to the group's parent
 * task.  0, -ENOTSUP (LAYOUT has no TaskGroup to read: before 3.11, or
 * 3.14+, which record it), -ENOENT (not imported yet, or no group has
 * been made yet), or a read's -errno.
 */
int asyncio_sampling_taskgroups(const struct python_target *t, const struct py_asyncio_layout *layout,
				struct pyperf_async *out);

/*
 * TASK's name, from its name object's first bytes: a str, or 3.13's
 * default name kept as a number ("Task-N").  "?" when they are neither.
 */
void asyncio_sampled_task_name(struct py_objects *o, const struct pyperf_task *task, char *out,
			       size_t size);

#endif
