/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing /proc/PID/maps. */
#ifndef PYBPF_PROC_MAPS_H
#define PYBPF_PROC_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct map_entry {
	uint64_t start, end, offset, inode;
	unsigned int dev_major, dev_minor;
	char perms[5];
	char *path;		/* "" for anonymous mappings */
};

struct proc_maps {
	struct map_entry *entries;
	size_t n, cap;
};

/* Parse the text of a maps file; -EINVAL on a malformed line. */
int proc_maps_parse(const char *text, struct proc_maps *out);
int proc_maps_read(pid_t pid, struct proc_maps *out);
void proc_maps_free(struct proc_maps *m);

/* The lowest mapping of PATH (the one a load bias is computed from). */
const struct map_entry *proc_maps_first(const struct proc_maps *m, const char *path);

/*
 * Open (read-only) the file behind mapping M of PID as the process sees it:
 * through /proc/PID/map_files/, which works for files in another mount
 * namespace and for deleted ones, else by its path inside the process's
 * root.  Only a regular file of M's device and inode is returned, opened
 * without blocking.  An fd, or -errno (-ESTALE: another file now, -EINVAL:
 * not a regular file, -ENOENT: anonymous).
 */
int proc_maps_open_file(pid_t pid, const struct map_entry *m);

/*
 * Open PATH as PID sees it, resolved inside its root (openat2's
 * RESOLVE_IN_ROOT: absolute symlinks and ".." never leave it; no magic
 * links), read-only, non-blocking, without taking a terminal.  An fd (of
 * any file type: check it), or -errno.
 */
int proc_maps_open_in_root(pid_t pid, const char *path);

/*
 * The same for a relative PATH, from PID's working directory, which it
 * may not leave (RESOLVE_BENEATH: no "..", no absolute symlinks above it).
 */
int proc_maps_open_in_cwd(pid_t pid, const char *path);

#endif
