/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PYBPF_DUMP_H
#define PYBPF_DUMP_H

/* `pybpf dump`: the current Python stack of every thread, once. */
int dump_main(int argc, char **argv);

#endif
