/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * User-space instruction addresses of other processes to functions.
 *
 * Per process, the executable mappings of /proc/PID/maps; per ELF file
 * (device + inode, so one libpython shared by 100 processes is read once),
 * its sorted function symbols from .symtab and .dynsym.  Files are opened
 * through /proc/PID/map_files/, so binaries in containers and deleted ones
 * work.  Both caches are bounded; the least recently used entry goes first.
 */
#ifndef PYBPF_NATIVE_SYMBOLS_H
#define PYBPF_NATIVE_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "process/proc_maps.h"

struct native_symbols;
struct elf_file;

/* Zero fields take the default. */
struct native_symbols_opts {
	size_t max_files;		/* ELF files kept loaded (default 256) */
	size_t max_processes;		/* processes whose mappings are kept (default 1024) */
	/*
	 * An address outside every known mapping re-reads the process's maps
	 * (a dlopen since).  After a re-read that did not help, the next one
	 * waits twice as long, from min_reread_ns (default 10 ms) up to
	 * max_reread_ns (default 2 s), so garbage addresses cost little.
	 */
	uint64_t min_reread_ns, max_reread_ns;
};

struct native_symbols_stats {
	uint64_t lookups;
	uint64_t files_loaded;		/* ELF files whose symbols were read */
	uint64_t files_evicted;		/* ... and dropped again to stay within max_files */
	uint64_t files_failed;		/* attempts to open a file that was unreadable or not ELF */
	uint64_t procs_evicted;		/* processes dropped to stay within max_processes */
	uint64_t maps_reads;		/* reads of /proc/PID/maps */
	uint64_t maps_rereads_skipped;	/* misses that did not re-read, waiting for the backoff */
	size_t files, processes;	/* held now */
};

struct native_symbol {
	/* The function, "MODULE_NAME+0xMODULE_OFFSET" without one, or "[unknown]". */
	const char *name;
	const char *module;		/* path as the process maps it; NULL outside any file */
	const char *module_name;	/* its last component */
	uint64_t offset;		/* address - start of the function */
	/*
	 * The address in the file's own terms (address - load bias), what
	 * `addr2line -e MODULE` takes; the file offset if the file is unreadable.
	 */
	uint64_t module_offset;
};

/* NULL when memory runs out.  OPTS may be NULL. */
struct native_symbols *native_symbols_new(const struct native_symbols_opts *opts);
void native_symbols_free(struct native_symbols *ns);

/*
 * Symbolize ADDR of process PID (host pid).  Every frame but the innermost
 * holds a return address: pass it minus 1, so a call that ends a function
 * is credited to that function and not to the next one.  OUT is always
 * filled; its strings stay valid until native_symbols_free().  0 when a
 * function holds ADDR, -ENOENT when none does, -ENOMEM.
 */
int native_symbols_lookup(struct native_symbols *ns, pid_t pid, uint64_t addr,
			  struct native_symbol *out);

/* Drop what is known of PID, when it exits or execs. */
void native_symbols_forget(struct native_symbols *ns, pid_t pid);

void native_symbols_get_stats(const struct native_symbols *ns, struct native_symbols_stats *out);

/*
 * For an unwinder: a slot per ELF file for its parsed tables.  FREE (set by
 * the unwinder with DATA) is called on DATA when the file is evicted or the
 * symbolizer freed.
 */
struct native_unwind_slot {
	void *data;
	void (*free)(void *data);
};

struct native_module_ref {
	pid_t pid;
	struct map_entry map;		/* the mapping holding pc; path as in native_symbol.module */
	uint64_t bias;			/* address in the process = ELF address + bias */
	struct native_unwind_slot *unwind;
};

/*
 * The ELF file holding PC in PID and its load bias.  REF is valid until the
 * next call to native_symbols_lookup(), _find_module() or _forget().  0, or
 * -ENOENT when PC is in no readable ELF file, or -ENOMEM.
 */
int native_symbols_find_module(struct native_symbols *ns, pid_t pid, uint64_t pc,
			       struct native_module_ref *ref);

/* Open REF's ELF file, e.g. to parse its .eh_frame; NULL with errno set. */
struct elf_file *native_symbols_open_elf(struct native_symbols *ns,
					 const struct native_module_ref *ref);

#endif
