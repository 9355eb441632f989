/* SPDX-License-Identifier: BSD-3-Clause */
/* A file a test writes and its code under test reads (kallsyms, maps...). */
#ifndef PYBPF_TEST_TEMP_FILE_H
#define PYBPF_TEST_TEMP_FILE_H

/* A new file with TEXT, named from the mkstemp() template PATH; the caller unlinks it. */
void temp_file_write(char *path, const char *text);

#endif
