/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Least privilege.  pybpf needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)
 * only to load and attach its programs; once that is done (and a launched
 * command has been forked), it keeps just what the rest of the run uses,
 * in the permitted set too, with no_new_privs: the rest cannot come back.
 *
 * Kept always, to read the targets (checked by experiment on Linux 6.18):
 *   CAP_SYS_PTRACE          process_vm_readv(), /proc/PID/maps, exe, root/,
 *                           task/TID/syscall of processes of any user, or
 *                           of root's, whose capabilities pybpf no longer has
 *   CAP_CHECKPOINT_RESTORE  /proc/PID/map_files/ (libpython inside a container
 *                           or deleted since it was mapped)
 *   CAP_DAC_READ_SEARCH     the files those links lead to, whoever owns them
 * Kept for what a command asks for:
 *   CAP_DAC_OVERRIDE        PRIV_WRITE_FILES: rename the outputs into place in
 *                           a directory that root does not own (sudo's user's)
 *   CAP_FOWNER              ... and, as nobody, in a sticky one such as /tmp
 *                           (the temporary files belong to root or sudo's user)
 *   CAP_KILL                PRIV_SIGNAL_COMMAND: stop a launched command that
 *                           runs as the sudo user
 *   CAP_SYSLOG              PRIV_KERNEL_SYMBOLS: addresses in /proc/kallsyms
 *                           (read when the first kernel frame comes)
 *   CAP_BPF                 only on kernels where bpf() on an already open map
 *                           still needs it (before 6.5, with
 *                           kernel.unprivileged_bpf_disabled set): probed.
 * CAP_CHOWN is not kept: outputs get their owner when they are created.
 *
 * Run as root, pybpf also becomes nobody (uid and gid 65534, no groups)
 * keeping only those: what it reads of a target after that (its ELF files,
 * its memory, its /proc entries, all the target's to shape) is parsed with
 * no uid 0 and no capability beyond reading.  The uid change leaves pybpf
 * not dumpable, and its capabilities are not a subset of nobody's other
 * processes': they cannot ptrace it.
 */
#define UNPRIVILEGED_ID 65534
#ifndef PYBPF_PRIVILEGES_H
#define PYBPF_PRIVILEGES_H

#include <stddef.h>

enum privileges_need {
	PRIV_WRITE_FILES = 1 << 0,
	PRIV_SIGNAL_COMMAND = 1 << 1,
	PRIV_KERNEL_SYMBOLS = 1 << 2,
};

/*
 * Become nobody (if root), drop every other capability from the effective,
 * permitted, inheritable and ambient sets, and set no_new_privs.  -errno
 * with a message in ERR.  The process must be single-threaded:
 * capabilities are per thread.
 */
int privileges_drop(unsigned int needs, char *err, size_t errlen);

#endif
