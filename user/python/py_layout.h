/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CPython memory layouts, as data.  Every version-specific fact pybpf uses
 * lives in a struct py_layout: the BPF half (struct pyperf_offsets) goes into
 * the kernel, the rest drives symbolization in userspace.
 */
#ifndef PYBPF_PY_LAYOUT_H
#define PYBPF_PY_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>
#include "pyperf.h"
#include "python/linetable.h"

struct py_layout {
	int major, minor;
	bool free_threaded;
	/*
	 * 3.13+: the struct offsets are not in the table; they come from the
	 * target's own _Py_DebugOffsets (debug_offsets.c).  The table then
	 * holds only what the runtime does not export.
	 */
	bool needs_debug_offsets;
	/* Up to 3.10 every Python frame is a C call of the eval loop of its own. */
	bool eval_call_per_frame;
	struct pyperf_offsets bpf;

	/* PyObject */
	uint16_t object_refcnt;		/* ob_refcnt (64-bit), NONE: no liveness test */
	uint16_t object_type;		/* ob_type */
	/* The GIL's own fields are in bpf (the sampler reads them too). */
	uint16_t interp_gil_embedded;	/* PyInterpreterState._gil (3.13+ parsing aid) */
	/* PyCodeObject */
	uint16_t code_code;		/* co_code bytes object (<= 3.10), else NONE */
	enum linetable_format linetable_format;
};

/*
 * The built-in entry for MAJOR.MINOR (free-threaded or not), or NULL if
 * pybpf has none.  Check needs_debug_offsets before using its offsets.
 */
const struct py_layout *py_layout_static(int major, int minor, bool free_threaded);

/* The newest minor of MAJOR the table knows. */
int py_layout_newest_minor(int major);

/* "3.8-3.15" style description of the versions the table knows. */
const char *py_layout_supported(void);

#endif
