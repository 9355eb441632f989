/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PYBPF_TOP_H
#define PYBPF_TOP_H

/* `pybpf top`: a live view of where Python processes spend their time. */
int top_main(int argc, char **argv);

#endif
