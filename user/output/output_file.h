/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing the profile without losing it or clobbering anything: a temporary
 * file is created next to the destination before recording starts (so an
 * unwritable destination is reported up front) and renamed over it at the end.
 *
 * The temporary file is created with O_EXCL in the destination's directory,
 * which is held open from the start: nothing planted at either name (a
 * symlink, a hard link) is ever followed or written through, and the final
 * rename lands in the directory that was checked, whatever happens to the
 * path meanwhile.  It gets its mode (0644, minus what the umask removes)
 * and owner (the sudo user, under sudo) at creation, while pybpf still has
 * the privileges to set them.
 */
#ifndef PYBPF_OUTPUT_FILE_H
#define PYBPF_OUTPUT_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

struct output_file {
	bool open;			/* between begin and commit/abort */
	char path[PATH_MAX];
	char name[NAME_MAX + 1];	/* the destination's last component */
	char tmp_name[32];		/* .pybpf-XXXXXXXX, in dirfd */
	int dirfd;			/* the destination's directory */
	FILE *fp;
};

/* Create PATH's temporary file; a zeroed struct is safe to abort. */
int output_file_begin(struct output_file *o, const char *path, char *err, size_t errlen);
/* Flush, fsync and rename into place. */
int output_file_commit(struct output_file *o, char *err, size_t errlen);
/* Remove the temporary file. */
void output_file_abort(struct output_file *o);

/*
 * Remove every temporary file not yet put in place; async-signal-safe, for
 * a second Ctrl-C that ends pybpf in the middle of writing.
 */
void output_file_remove_temps(void);

#endif
