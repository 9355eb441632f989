// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "process/proc_maps.h"
#include "base/array.h"

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

/*
 * Whether ST, the file FD, is the file a maps line names by its device and
 * inode.  A file on overlayfs (a container's root, as Docker mounts it) is
 * mapped as the layer's file underneath: the maps line has that layer's
 * device while the file opened through the overlay has the overlay's, with
 * the same inode number where the layers share a filesystem (Docker's
 * case; with xino the numbers differ and the file is refused).
 */
static bool same_identity(int fd, const struct stat *st, const struct map_entry *m)
{
	struct statfs fs;

	if (st->st_ino != m->inode)
		return false;
	if (major(st->st_dev) == m->dev_major && minor(st->st_dev) == m->dev_minor)
		return true;
	return !fstatfs(fd, &fs) && fs.f_type == OVERLAYFS_SUPER_MAGIC;
}

/*
 * FD is the file of mapping M: a regular file, the same device and inode
 * (a FIFO or a device named like a library is never read).  FD, or -errno
 * with FD closed.
 */
static int same_file(int fd, const struct map_entry *m)
{
	struct stat st;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if (!same_identity(fd, &st, m))
		err = -ESTALE;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * Never block (a FIFO), never take a terminal: the target chose the path.
 * The mapped file's size is what it is; O_NONBLOCK changes nothing for a
 * regular one.
 */
#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)

/* PATH opened from PID's directory /proc/PID/WHICH, resolved as RESOLVE says. */
static int open_from(pid_t pid, const char *which, const char *path, uint64_t resolve)
{
	struct open_how how = { .flags = OPEN_FLAGS, .resolve = resolve };
	char dir_path[64];
	int dir, fd, err;

	snprintf(dir_path, sizeof(dir_path), "/proc/%d/%s", pid, which);
	dir = open(dir_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	fd = syscall(SYS_openat2, dir, path, &how, sizeof(how));
	err = errno;
	close(dir);
	return fd >= 0 ? fd : -err;
}

int proc_maps_open_in_root(pid_t pid, const char *path)
{
	/* Absolute links and ".." stay in the target's root; no /proc magic links. */
	return open_from(pid, "root", path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

int proc_maps_open_in_cwd(pid_t pid, const char *path)
{
	/* Nothing above the directory: not even within the target's root. */
	return open_from(pid, "cwd", path, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
}

int proc_maps_open_file(pid_t pid, const struct map_entry *m)
{
	char path[128];
	int fd;

	if (!m->path[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid,
		 m->start, m->end);
	fd = same_file(open(path, OPEN_FLAGS), m);
	if (fd >= 0 || m->path[0] != '/')
		return fd;
	/* Unmapped since (the target can race us), or a kernel without map_files: its path. */
	fd = proc_maps_open_in_root(pid, m->path);
	return fd >= 0 ? same_file(fd, m) : fd;
}
