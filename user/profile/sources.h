/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The source files of a profile's functions, read while their processes
 * ran and kept with the profile (and the raw recording), so a heat map or
 * line table shows each line's text whenever it is made.  A file that
 * could not be read is kept too, with why (an errno): the page says so.
 * One text per file name: the first process that named it is read.
 */
#ifndef PYBPF_SOURCES_H
#define PYBPF_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/hashmap.h"

struct profile;

/* Larger files are kept as "too large" (EFBIG): a recording's record is at most 1 MiB. */
#define SOURCE_MAX_BYTES	(512u << 10)

struct prof_source {
	uint32_t file;		/* profile string id of its name */
	int error;		/* 0: read; else the errno that stopped it */
	char *text;		/* LEN bytes as the file held them (not NUL-terminated) */
	size_t len;
};

struct prof_sources {
	struct prof_source *list;
	size_t n, cap;
	uint64_t bytes;		/* text kept, against limits.source_bytes */
	struct hmap index;	/* file id -> position + 1 */
};

/* Whether FILE (a string id) has an entry, read or not. */
bool profile_source_known(const struct profile *p, uint32_t file);
/* FILE's entry, or NULL. */
const struct prof_source *profile_source(const struct profile *p, uint32_t file);
/*
 * Keep FILE's text (copied) or, with ERROR, why it is missing.  Past
 * limits.source_bytes the text is dropped and counted (ENOSPC in its
 * place).  0, -EEXIST if FILE has an entry already, or -ENOMEM.
 */
int profile_source_add(struct profile *p, uint32_t file, int error, const char *text, size_t len);
void profile_sources_free(struct prof_sources *s);

/* Where each line of a source starts: line N (from 1) is start[N - 1], len[N - 1] bytes. */
struct source_lines {
	const char **start;
	size_t *len;
	size_t n;
};

/* SRC's lines (none if it was not read), without their line ends.  0 or -ENOMEM. */
int source_lines_split(const struct prof_source *src, struct source_lines *out);
void source_lines_free(struct source_lines *lines);

/* Why a source is missing, for people: "larger than 512 KiB", ... */
const char *source_error_text(int error);

#endif
