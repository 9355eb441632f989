/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Turning (code object address, instruction offset, fingerprint) from a BPF
 * sample into profile frames (qualified name, file, line).  Code objects are
 * read from the target once and cached under their address *and* the
 * fingerprint the kernel saw, so a freed and reused address never inherits
 * another function's name.
 */
#ifndef PYBPF_SYMBOLIZER_H
#define PYBPF_SYMBOLIZER_H

#include <stdint.h>
#include "base/hashmap.h"
#include "profile/profile.h"
#include "python/python_target.h"
#include "python/py_walk.h"

struct frame_memo;

/* Reads a source file as process PID sees it (process/source_file.h's signature). */
typedef int (*source_reader_fn)(pid_t pid, const char *name, size_t max, char **text, size_t *len);

struct symbolizer {
	pid_t pid;
	source_reader_fn read_source;	/* NULL: source files are not kept */
	const struct py_layout *layout;
	uint64_t code_type_addr;
	struct profile *profile;
	struct hmap codes;		/* (address, fingerprint) -> struct code_info * */
	struct hmap lines;		/* (code_info *, offset) -> frame id + 1 */
	struct frame_memo *memo;	/* in front of both: the frames seen lately */
	uint32_t unknown_frame;		/* frame id used when a frame can't be resolved */
	uint64_t frames_resolved;
	uint64_t frames_failed;
	uint64_t codes_reported;	/* code objects named from the kernel's reports */
	uint64_t flushes;		/* times the cache was emptied (the kernel must report again) */
	uint64_t table_bytes;		/* line tables cached, against profile->limits */
};

int symbolizer_init(struct symbolizer *s, const struct python_target *t,
		    struct profile *profile);
void symbolizer_free(struct symbolizer *s);

/*
 * The fingerprint the BPF program would compute for the live code object at
 * ADDR (for frames read from userspace).  0 when it cannot be read.
 */
uint32_t symbolizer_fingerprint(struct symbolizer *s, uint64_t addr);

/*
 * A code object as the kernel copied it when it first met it (SIZE bytes
 * of record), so it is named even after it is freed: cached under its
 * address and fingerprint, unless known already.  0, or -EINVAL for a
 * record too short for what it says, -ENOMEM.
 */
int symbolizer_add_code(struct symbolizer *s, const struct pyperf_code_info *info, size_t size);

/* Profile frame id for one sampled frame (the unknown frame when unresolvable). */
uint32_t symbolizer_frame(struct symbolizer *s, const struct pyperf_frame *f);

/* Profile frame id for a frame read from userspace (py_read_frame). */
uint32_t symbolizer_read_frame(struct symbolizer *s, const struct py_frame_info *f);

/*
 * The stack of thread state TSTATE of target T read now from userspace (for
 * threads no sample will catch), into FRAMES innermost first; the count.
 * ADDRS, if not NULL, gets each frame's address (0 for a mark).
 */
size_t symbolizer_read_stack(struct symbolizer *s, const struct python_target *t,
			     uint64_t tstate, uint32_t *frames, uint64_t *addrs, size_t max);

#endif
