/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * 3.14+ export their asyncio task layout in an .AsyncioDebug section
 * (Py_AsyncioModuleDebugOffsets): in the interpreter's own ELF (3.15, or a
 * build with _asyncio built in) or in the _asyncio extension module's (3.14
 * as Debian builds it).  Read as _Py_DebugOffsets is: the section's values
 * are used, and checked against what the layout table also knows.
 */
#ifndef PYBPF_ASYNCIO_DEBUG_H
#define PYBPF_ASYNCIO_DEBUG_H

#include "python/py_layout.h"

struct python_target;

/*
 * T's asyncio layout into OUT: the table's, completed from the section
 * where the version needs it.  0, -ENOTSUP (no layout for T's version, or
 * a section pybpf cannot trust), -ENOENT (_asyncio not loaded yet).
 */
int asyncio_layout_of(const struct python_target *t, struct py_asyncio_layout *out);

/* Complete A from the section's DEBUG: 0, or -ENOTSUP if DEBUG is no sane one or disagrees with A. */
int asyncio_debug_apply(struct py_asyncio_layout *A, const struct py_asyncio_debug *debug);

#endif
