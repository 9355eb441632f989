/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PYBPF_REPORT_H
#define PYBPF_REPORT_H

/* `pybpf report`: write a raw recording (.pybpf) in any output format. */
int report_main(int argc, char **argv);

#endif
