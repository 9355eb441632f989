/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing the profile without losing it or clobbering anything: a temporary
 * file is created next to the destination before recording starts (so an
 * unwritable destination is reported up front) and renamed over it at the end.
 */
#ifndef PYBPF_OUTPUT_FILE_H
#define PYBPF_OUTPUT_FILE_H

#include <limits.h>
#include <stdio.h>

struct output_file {
	char path[PATH_MAX];
	char tmp_path[PATH_MAX];
	FILE *fp;
};

int output_file_begin(struct output_file *o, const char *path, char *err, size_t errlen);
/* Flush, set mode 0644 (owned by the sudo user, if any) and rename into place. */
int output_file_commit(struct output_file *o, char *err, size_t errlen);
/* Remove the temporary file. */
void output_file_abort(struct output_file *o);

#endif
