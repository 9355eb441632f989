// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output_file.h"

int output_file_begin(struct output_file *o, const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int fd;

	memset(o, 0, sizeof(*o));
	if (snprintf(o->path, sizeof(o->path), "%s", path) >= (int)sizeof(o->path) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "output path is too long: %s", path);
		return -ENAMETOOLONG;
	}
	snprintf(o->tmp_path, sizeof(o->tmp_path), "%s/.pybpf-XXXXXX", dirname(dir));
	/* mkstemp uses O_EXCL: it never follows a planted symlink. */
	fd = mkstemp(o->tmp_path);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot write the output file %s: %s (choose a writable path with -o)",
			 path, strerror(e));
		o->tmp_path[0] = '\0';
		return -e;
	}
	o->fp = fdopen(fd, "w");
	if (!o->fp) {
		close(fd);
		output_file_abort(o);
		return -ENOMEM;
	}
	return 0;
}

static void give_to_sudo_user(int fd)
{
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");

	/* Failing to chown leaves a root-owned file: harmless, so ignored. */
	if (geteuid() == 0 && uid && gid && fchown(fd, atoi(uid), atoi(gid)) < 0)
		return;
}

int output_file_commit(struct output_file *o, char *err, size_t errlen)
{
	int e = 0;

	if (fflush(o->fp) || ferror(o->fp) || fsync(fileno(o->fp)))
		e = errno ? errno : EIO;
	if (!e) {
		fchmod(fileno(o->fp), 0644);
		give_to_sudo_user(fileno(o->fp));
	}
	if (fclose(o->fp) && !e)
		e = errno;
	o->fp = NULL;
	if (!e && rename(o->tmp_path, o->path))
		e = errno;
	if (e) {
		snprintf(err, errlen, "writing %s failed: %s (nothing was overwritten)",
			 o->path, strerror(e));
		output_file_abort(o);
		return -e;
	}
	o->tmp_path[0] = '\0';
	return 0;
}

void output_file_abort(struct output_file *o)
{
	if (o->fp)
		fclose(o->fp);
	o->fp = NULL;
	if (o->tmp_path[0])
		unlink(o->tmp_path);
	o->tmp_path[0] = '\0';
}
