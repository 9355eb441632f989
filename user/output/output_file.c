// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output/output_file.h"

/* Temporary files not yet in place, for output_file_remove_temps(). */
#define MAX_TEMPS 16
static struct output_file *volatile temps[MAX_TEMPS];

static void track_temp(struct output_file *o, bool live)
{
	for (int i = 0; i < MAX_TEMPS; i++) {
		if (live && !temps[i]) {
			temps[i] = o;
			return;
		}
		if (!live && temps[i] == o)
			temps[i] = NULL;
	}
}

void output_file_remove_temps(void)
{
	for (int i = 0; i < MAX_TEMPS; i++) {
		struct output_file *o = temps[i];

		if (o)
			unlinkat(o->dirfd, o->tmp_name, 0);
	}
}

/* Create .pybpf-XXXXXXXX in DIRFD: O_EXCL never follows what is planted there. */
static int create_temp(struct output_file *o)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";

	for (int attempt = 0; attempt < 100; attempt++) {
		unsigned char r[8];
		int fd;

		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			return -errno;
		strcpy(o->tmp_name, ".pybpf-");
		for (size_t i = 0; i < sizeof(r); i++)
			o->tmp_name[7 + i] = digits[r[i] % 36];
		o->tmp_name[7 + sizeof(r)] = '\0';
		fd = openat(o->dirfd, o->tmp_name,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/* At creation: later, pybpf no longer has CAP_CHOWN (see privileges.c). */
static void give_to_sudo_user(int fd)
{
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");

	/* Failing to chown leaves a root-owned file: harmless, so ignored. */
	if (geteuid() == 0 && uid && gid && fchown(fd, atoi(uid), atoi(gid)) < 0)
		return;
}

int output_file_begin(struct output_file *o, const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], base[PATH_MAX];
	struct stat st;
	mode_t mask;
	int fd;

	memset(o, 0, sizeof(*o));
	o->dirfd = -1;
	if (snprintf(o->path, sizeof(o->path), "%s", path) >= (int)sizeof(o->path) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir) ||
	    snprintf(base, sizeof(base), "%s", path) >= (int)sizeof(base) ||
	    snprintf(o->name, sizeof(o->name), "%s", basename(base)) >= (int)sizeof(o->name)) {
		snprintf(err, errlen, "output path is too long: %s", path);
		return -ENAMETOOLONG;
	}
	o->dirfd = open(dirname(dir), O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = o->dirfd < 0 ? -errno : create_temp(o);
	if (fd >= 0 && !fstatat(o->dirfd, o->name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode)) {
		close(fd);
		unlinkat(o->dirfd, o->tmp_name, 0);
		fd = -EISDIR;
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot write the output file %s: %s (choose a writable path with -o)",
			 path, strerror(-fd));
		if (o->dirfd >= 0)
			close(o->dirfd);
		return fd;
	}
	/* 0644, or less if the umask says so: the umask only ever tightens it. */
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0644 & ~mask);
	give_to_sudo_user(fd);
	o->open = true;
	track_temp(o, true);
	o->fp = fdopen(fd, "w");
	if (!o->fp) {
		close(fd);
		output_file_abort(o);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int output_file_commit(struct output_file *o, char *err, size_t errlen)
{
	int e = 0;

	if (fflush(o->fp) || ferror(o->fp) || fsync(fileno(o->fp)))
		e = errno ? errno : EIO;
	if (fclose(o->fp) && !e)
		e = errno;
	o->fp = NULL;
	if (!e && renameat(o->dirfd, o->tmp_name, o->dirfd, o->name))
		e = errno;
	if (e) {
		snprintf(err, errlen, "writing %s failed: %s (nothing was overwritten)",
			 o->path, strerror(e));
		output_file_abort(o);
		return -e;
	}
	o->tmp_name[0] = '\0';
	output_file_abort(o);
	return 0;
}

/* Also what commit ends with, once the temporary file has its final name. */
void output_file_abort(struct output_file *o)
{
	if (!o->open)
		return;
	track_temp(o, false);
	if (o->fp)
		fclose(o->fp);
	o->fp = NULL;
	if (o->tmp_name[0])
		unlinkat(o->dirfd, o->tmp_name, 0);
	o->tmp_name[0] = '\0';
	close(o->dirfd);
	o->dirfd = -1;
	o->open = false;
}
