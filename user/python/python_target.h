/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finding the Python runtime in a process: which mapped ELF file holds
 * _PyRuntime, where it is loaded, which CPython version it is, and the
 * layout to use for it.
 */
#ifndef PYBPF_PYTHON_TARGET_H
#define PYBPF_PYTHON_TARGET_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include "python/py_layout.h"

struct python_target {
	pid_t pid;
	int major, minor, micro;
	char version[32];		/* "3.11.7", or "3.10" when the patch is unknown */
	uint64_t runtime_addr;		/* &_PyRuntime */
	uint64_t code_type_addr;	/* &PyCode_Type, 0 if unknown */
	struct py_layout layout;
	char layout_source[96];		/* where the layout came from, for -v */
	char binary[PATH_MAX];		/* the ELF holding _PyRuntime, as mapped */
	char cmdline[1024];
};

/*
 * Inspect PID.  On failure returns -errno and writes a one-line message that
 * names the problem and the fix into ERR:
 *   -ESRCH   no such process (or a zombie)
 *   -ENOEXEC not a Python process
 *   -ENOTSUP a Python version pybpf does not support
 *   -EAGAIN  the executable needs libpython, which is not mapped yet (the
 *            process has just exec'd: try again in a moment)
 *
 * The environment variable PYBPF_DEBUG_OFFSETS_PARSER=3.N makes a 3.13+
 * target be read with the 3.N _Py_DebugOffsets parser, validated on the live
 * process, as is done automatically for minors newer than pybpf knows.
 */
int python_target_open(pid_t pid, struct python_target *t, char *err, size_t errlen);

/*
 * Whether T's layout reads the live process sensibly (thread states link
 * back to their interpreter, carry ids of the process's threads, and reach
 * code objects).  0, or -EINVAL with the reason in WHY.
 */
int python_target_validate(const struct python_target *t, char *why, size_t len);

/* Parse "python3.11", "libpython3.11.so.1.0", "libpython3.12d.so" ... */
int python_version_from_name(const char *path, int *major, int *minor);

#endif
