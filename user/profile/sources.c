// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/array.h"
#include "profile/profile.h"
#include "profile/sources.h"

const struct prof_source *profile_source(const struct profile *p, uint32_t file)
{
	uintptr_t *slot = hmap_find(&p->sources.index, &file, sizeof(file));

	return slot ? &p->sources.list[*slot - 1] : NULL;
}

bool profile_source_known(const struct profile *p, uint32_t file)
{
	return profile_source(p, file) != NULL;
}

int profile_source_add(struct profile *p, uint32_t file, int error, const char *text, size_t len)
{
	struct prof_sources *s = &p->sources;
	struct prof_source *entry;
	uintptr_t *slot;
	char *copy = NULL;

	if (profile_source_known(p, file))
		return -EEXIST;
	if (!error && s->bytes + len > p->limits.source_bytes) {
		p->over.sources++;
		error = ENOSPC;
	}
	if (!error) {
		copy = malloc(len ? len : 1);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, text, len);
	}
	if (array_reserve(&s->list, &s->cap, s->n + 1, sizeof(*s->list)) ||
	    !(slot = hmap_upsert(&s->index, &file, sizeof(file), NULL))) {
		free(copy);
		return -ENOMEM;
	}
	entry = &s->list[s->n];
	entry->file = file;
	entry->error = error;
	entry->text = copy;
	entry->len = copy ? len : 0;
	s->bytes += entry->len;
	*slot = ++s->n;
	return 0;
}

void profile_sources_free(struct prof_sources *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->list[i].text);
	free(s->list);
	hmap_free(&s->index);
	memset(s, 0, sizeof(*s));
}

int source_lines_split(const struct prof_source *src, struct source_lines *out)
{
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	for (size_t at = 0; src && !src->error && at < src->len;) {
		const char *line = src->text + at, *end = memchr(line, '\n', src->len - at);
		size_t len = end ? (size_t)(end - line) : src->len - at;

		if (out->n == cap) {
			size_t want = cap ? 2 * cap : 256;
			const char **starts = realloc(out->start, want * sizeof(*starts));
			size_t *lens = starts ? realloc(out->len, want * sizeof(*lens)) : NULL;

			if (starts)
				out->start = starts;
			if (!lens) {
				source_lines_free(out);
				return -ENOMEM;
			}
			out->len = lens;
			cap = want;
		}
		/* "\r\n" files: the line is what comes before both. */
		out->start[out->n] = line;
		out->len[out->n++] = len && line[len - 1] == '\r' ? len - 1 : len;
		at += len + 1;
	}
	return 0;
}

void source_lines_free(struct source_lines *lines)
{
	free(lines->start);
	free(lines->len);
	memset(lines, 0, sizeof(*lines));
}

const char *source_error_text(int error)
{
	switch (error) {
	case 0: return "read";
	case ENOENT: return "no such file in the process's file system (or not a file: <string>, <frozen ...>)";
	case EFBIG: return "larger than 512 KiB: not kept";
	case EREMOTE: return "on a FUSE or network file system: not read (a read there can wait for ever)";
	case ENOSPC: return "over the recording's limit of source bytes (PYBPF_LIMITS source_bytes)";
	case EINVAL: return "not a regular file";
	case ESRCH: return "the process had exited before its file could be read";
	case EXDEV: return "a relative name leading out of the process's working directory";
	default: return strerror(error);
	}
}
