/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PYBPF_RECORD_H
#define PYBPF_RECORD_H

/* `pybpf record`: sample Python processes into a profile file. */
int record_main(int argc, char **argv);

#endif
