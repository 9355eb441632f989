// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "proc_maps.h"
#include "util.h"

/* One line: "start-end perms offset major:minor inode   path". */
static int parse_line(const char *line, size_t len, struct map_entry *e)
{
	char buf[4096 + 256];
	int path_at = -1;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (sscanf(buf, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n",
		   &e->start, &e->end, e->perms, &e->offset, &e->dev_major,
		   &e->dev_minor, &e->inode, &path_at) != 7)
		return -EINVAL;
	/* %n after trailing whitespace: the path may itself contain spaces. */
	if (path_at < 0 || path_at > (int)len)
		path_at = len;
	e->path = strdup(buf + path_at);
	return e->path ? 0 : -ENOMEM;
}

int proc_maps_parse(const char *text, struct proc_maps *out)
{
	const char *line = text, *nl;
	int err;

	memset(out, 0, sizeof(*out));
	while (*line) {
		nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len) {
			if (array_reserve(&out->entries, &out->cap, out->n + 1,
					  sizeof(*out->entries))) {
				proc_maps_free(out);
				return -ENOMEM;
			}
			err = parse_line(line, len, &out->entries[out->n]);
			if (err) {
				proc_maps_free(out);
				return err;
			}
			out->n++;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

int proc_maps_read(pid_t pid, struct proc_maps *out)
{
	char path[64], *text = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (array_reserve(&text, &cap, len + 65536 + 1, 1)) {
			err = -ENOMEM;
			goto out;
		}
		n = read(fd, text + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += n;
	}
	text[len] = '\0';
	err = proc_maps_parse(text, out);
out:
	free(text);
	close(fd);
	return err;
}

void proc_maps_free(struct proc_maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->entries[i].path);
	free(m->entries);
	memset(m, 0, sizeof(*m));
}

const struct map_entry *proc_maps_first(const struct proc_maps *m, const char *path)
{
	const struct map_entry *best = NULL;

	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->entries[i].path, path) &&
		    (!best || m->entries[i].start < best->start))
			best = &m->entries[i];
	return best;
}

int proc_maps_open_file(pid_t pid, const struct map_entry *m)
{
	char path[PATH_MAX + 64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid,
		 m->start, m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || m->path[0] != '/')
		return fd >= 0 ? fd : -errno;
	/* The path may have been replaced since it was mapped (an upgrade). */
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, m->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_ino != m->inode) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}
