/* SPDX-License-Identifier: BSD-3-Clause */
/* Verbosity shared by pybpf's messages and libbpf's print callback. */
#ifndef PYBPF_LOG_H
#define PYBPF_LOG_H

#include <stdbool.h>
#include <stdio.h>

extern bool log_verbose;

#define log_debug(...) do { if (log_verbose) fprintf(stderr, "pybpf: " __VA_ARGS__); } while (0)

#endif
