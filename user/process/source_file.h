/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A Python source file as a profiled process sees it, for the heat map:
 * read through the process's own root (or working directory, for a
 * relative name), never by the name in pybpf's own file system, since the
 * name comes from the target.  Regular files only, never blocking, at most
 * MAX bytes.
 */
#ifndef PYBPF_SOURCE_FILE_H
#define PYBPF_SOURCE_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * PID's file NAME (a code object's co_filename) into *TEXT (malloc'd, the
 * caller frees it) and *LEN.  0, or -errno: -ENOENT for names that are not
 * files ("<string>", "<frozen ...>"), -EINVAL not a regular file, -EFBIG
 * larger than MAX, -EREMOTE on a FUSE or network file system (a read there
 * could wait for ever), or whatever opening or reading said.
 */
int source_file_read(pid_t pid, const char *name, size_t max, char **text, size_t *len);

#endif
