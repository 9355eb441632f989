/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The raw recording (.pybpf): every sample of a run, in the order taken,
 * with its time, thread and process, and already symbolized (the targets
 * may be gone when it is read).  `pybpf report` turns it into any output
 * format later, exactly as `record` would have written it.
 *
 * A header, then records:
 *   header  "PYBPFREC" (8 bytes), version (u32 little-endian, now 1)
 *   record  type (1 byte), payload length (varint), payload
 * Integers in payloads are LEB128 varints; "zigzag" ones are signed, as
 * protobuf's sint64; text is a length (varint) and that many bytes (UTF-8
 * as the target had it, no NUL).  Tables are numbered by order of
 * appearance, from 0: the Nth STRING record is string N.
 *   1 META     sample_value, start_ns (CLOCK_REALTIME, ns since the epoch),
 *              unit (enum prof_unit; absent: nanoseconds)
 *   2 STRING   text
 *   3 FRAME    name (string), file (string), line (zigzag; 0 unknown), the function's
 *              first line (zigzag; 0 not Python or unknown; absent in early recordings),
 *              the start column at that line (varint, counted from 1; 0 none; absent
 *              in recordings from before columns)
 *   4 PROCESS  pid, pid in its namespace, command line (text), Python version (text)
 *   5 THREAD   process, tid, OS thread name (text), the name threading gave it (text;
 *              empty: none read; absent in early recordings)
 *   6 STACK    thread, depth, then depth frames, outermost first; numbered per thread
 *   7 SAMPLE   thread, stack (of that thread), time (zigzag ns after the previous
 *              SAMPLE, the first after the start), count (1 to 2^32 - 1)
 *   8 END      duration_ns, title (text), CRC-32 (zlib's; u32 little-endian) of every
 *              byte of the file before it
 *   9 SOURCE   file (string), error (varint errno; 0: read), the file's bytes (a length
 *              and that many bytes, any content; empty unless read): for heat maps
 * META comes first and END last; a record only names what came before it.
 * A reader skips record types it does not know and bytes after the fields
 * it knows in a record, so fields and types can be added within a
 * version; anything else changes the version.
 */
#ifndef PYBPF_RECORDING_H
#define PYBPF_RECORDING_H

#include <stdint.h>
#include <stdio.h>
#include "base/bytes.h"
#include "profile/profile.h"

#define RECORDING_MAGIC		"PYBPFREC"
#define RECORDING_MAGIC_LEN	8
#define RECORDING_VERSION	1
#define RECORDING_MAX_RECORD	(1u << 20)	/* bytes in one payload */
#define RECORDING_MAX_DEPTH	65536

enum recording_type {
	REC_META = 1, REC_STRING, REC_FRAME, REC_PROCESS, REC_THREAD, REC_STACK, REC_SAMPLE, REC_END,
	REC_SOURCE,
};

/* Streams a profile's samples as they are added: the profile's listener. */
struct recording_writer {
	FILE *out;
	struct byte_buf record;		/* the payload being built */
	struct byte_buf framing;	/* type and length before it, or the CRC */
	uint32_t crc;
	bool started;
	size_t strings, frames, processes, threads, sources;	/* of the profile's, written */
	int64_t last_time_ns;
};

/* From now on, every sample added to P goes to OUT. */
void recording_writer_attach(struct recording_writer *w, FILE *out, struct profile *p);
/* What is left of P, and the END record.  Returns 0, -ENOMEM or -EIO. */
int recording_writer_finish(struct recording_writer *w, struct profile *p, const char *title);
void recording_writer_free(struct recording_writer *w);

/* Which samples to read: 0 means any. */
struct recording_filter {
	uint32_t pid, tid;
};

/*
 * Add the recording at PATH to the empty profile P (its listener, if any,
 * sees every sample) and set *TITLE (the caller frees it).  On a file
 * that is not a recording, is truncated or corrupt, one line in ERR says
 * so and where; never reads past what the file holds.
 */
int recording_read(const char *path, struct profile *p, const struct recording_filter *filter,
		   char **title, char *err, size_t errlen);
/* The same from an open stream; NAME is what errors call it. */
int recording_read_stream(FILE *in, const char *name, struct profile *p,
			  const struct recording_filter *filter, char **title,
			  char *err, size_t errlen);

#endif
