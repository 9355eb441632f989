// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "process/proc_maps.h"
#include "process/source_file.h"

/* The whole of FD, which fstat said is SIZE bytes, into a new buffer. */
static int read_all(int fd, size_t size, char **text, size_t *len)
{
	char *buf = malloc(size ? size : 1);
	size_t got = 0;

	if (!buf)
		return -ENOMEM;
	/* A file that grows meanwhile is cut at the size it had: bounded either way. */
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*text = buf;
	*len = got;
	return 0;
}

/*
 * A read there may wait as long as someone else likes: FUSE (the target can
 * serve its own files) and network file systems.  Those files are not read.
 */
static bool may_block(int fd)
{
	struct statfs fs;

	if (fstatfs(fd, &fs))
		return true;
	switch ((unsigned long)fs.f_type) {
	case FUSE_SUPER_MAGIC:
	case NFS_SUPER_MAGIC:
	case SMB_SUPER_MAGIC:
	case 0xff534d42:	/* CIFS */
	case 0xfe534d42:	/* SMB2 */
	case 0x6b414653:	/* AFS */
	case 0x00c36400:	/* Ceph */
	case 0x47504653:	/* GPFS */
		return true;
	default:
		return false;
	}
}

int source_file_read(pid_t pid, const char *name, size_t max, char **text, size_t *len)
{
	struct stat st;
	int fd, err;

	*text = NULL;
	*len = 0;
	/* "<string>", "<frozen importlib._bootstrap>", "<stdin>": no file. */
	if (!name[0] || name[0] == '<')
		return -ENOENT;
	fd = name[0] == '/' ? proc_maps_open_in_root(pid, name) : proc_maps_open_in_cwd(pid, name);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st))
		err = -errno;
	else if (may_block(fd))
		err = -EREMOTE;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if ((uint64_t)st.st_size > max)
		err = -EFBIG;
	else
		err = read_all(fd, (size_t)st.st_size, text, len);
	close(fd);
	return err;
}
