/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PYBPF_DIFF_H
#define PYBPF_DIFF_H

/* `pybpf diff BASE NEW`: what changed between two runs, as a table and a flame graph. */
int diff_main(int argc, char **argv);

#endif
