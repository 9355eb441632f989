/* SPDX-License-Identifier: BSD-3-Clause */
/* The signals that stop a run: read from a signalfd, a second SIGINT final. */
#ifndef PYBPF_BASE_SIGNALS_H
#define PYBPF_BASE_SIGNALS_H

/* Block SIGINT, SIGTERM and SIGHUP and return a signalfd that reports them. */
int stop_signals_fd(void);

/*
 * Let a second SIGINT end the process at once (after the first was caught):
 * CLEANUP (async-signal-safe, or NULL) runs, then the process dies of it.
 */
void unblock_sigint(void (*cleanup)(void));

#endif
