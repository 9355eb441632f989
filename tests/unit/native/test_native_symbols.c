// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/native/native_symbols.h: addresses of real processes (this one, forked
 * children, a deleted executable, a library only another mount namespace
 * had) to functions, checked against the dynamic loader's own answers.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "native/elf_symbols.h"
#include "native/native_symbols.h"
#include "process/proc_maps.h"
#include "native_symbols_test.h"


/* External and noinline: one symbol each, never cloned or merged. */
__attribute__((noinline)) uint64_t native_symbols_test_return_address(void)
{
	return ADDR(__builtin_return_address(0));
}

__attribute__((noinline)) uint64_t native_symbols_test_caller(void)
{
	uint64_t ret = native_symbols_test_return_address();

	__asm__ volatile("" ::: "memory");	/* code after the call: no tail call */
	return ret;
}

/* A global and a weak alias that sorts before it by name: binding decides. */
__attribute__((noinline)) int zz_native_symbols_global(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}
extern int aa_native_symbols_weak(int) __attribute__((weak, alias("zz_native_symbols_global")));

/* Data, in a mapping that is not executable. */
int native_symbols_test_data = 42;

static const struct native_symbols_opts never_reread = {
	.min_reread_ns = 3600ULL * 1000000000, .max_reread_ns = 3600ULL * 1000000000,
};


static void assert_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	cr_assert_eq(stat(a, &sa), 0, "%s: %s", a, strerror(errno));
	cr_assert_eq(stat(b, &sb), 0, "%s: %s", b, strerror(errno));
	cr_assert(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino, "%s is not %s", a, b);
}


/* OUT names a function that starts at START, as the loader sees names. */
static void assert_names(const struct native_symbol *out, uint64_t start)
{
	void *named = dlsym(RTLD_DEFAULT, out->name);

	cr_assert_not_null(named, "%s is no symbol the loader knows", out->name);
	cr_assert_eq(ADDR(named), start, "%s is at %p, not %#jx", out->name, named,
		     (uintmax_t)start);
}

Test(native_symbols, own_function_start_and_return_address)
{
	struct native_symbols *ns = native_symbols_new(NULL);
	uint64_t fn = ADDR(native_symbols_test_caller);
	uint64_t ret = native_symbols_test_caller();
	struct native_symbol out;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	cr_assert(n > 0);
	exe[n] = '\0';
	cr_assert_not_null(ns);
	cr_assert(ret > fn, "the return address is inside the caller");

	cr_assert_eq(native_symbols_lookup(ns, getpid(), fn, &out), 0);
	cr_assert_str_eq(out.name, "native_symbols_test_caller");
	cr_assert_eq(out.offset, 0);
	cr_assert_str_eq(out.module, exe);
	cr_assert_str_eq(out.module_name, strrchr(exe, '/') + 1);

	/* A return address is looked up minus 1, and stays in its function. */
	cr_assert_eq(native_symbols_lookup(ns, getpid(), ret - 1, &out), 0);
	cr_assert_str_eq(out.name, "native_symbols_test_caller");
	cr_assert_eq(out.offset, ret - 1 - fn);

	cr_assert_eq(native_symbols_lookup(ns, getpid(), ADDR(native_symbols_test_return_address), &out), 0);
	cr_assert_str_eq(out.name, "native_symbols_test_return_address");
	cr_assert_eq(native_symbols_lookup(ns, getpid(), ADDR(aa_native_symbols_weak), &out), 0);
	cr_assert_str_eq(out.name, "zz_native_symbols_global", "the global alias, got %s", out.name);
	cr_assert_eq(stats_of(ns).files_loaded, 1, "one file for both");
	native_symbols_free(ns);
}

Test(native_symbols, libc_functions_as_the_loader_sees_them)
{
	static const char *const names[] = { "getpid", "qsort", "fopen", "fork" };
	struct native_symbols *ns = native_symbols_new(NULL);

	cr_assert_not_null(ns);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct native_symbol out;
		const char *file;
		uint64_t size, start = loader_symbol(names[i], &size, &file);

		cr_assert(size > 2, "%s has size %ju", names[i], (uintmax_t)size);
		cr_assert_eq(native_symbols_lookup(ns, getpid(), start, &out), 0, "%s", names[i]);
		assert_names(&out, start);
		cr_assert_eq(out.offset, 0);
		assert_same_file(out.module, file);

		cr_assert_eq(native_symbols_lookup(ns, getpid(), start + size / 2, &out), 0);
		assert_names(&out, start);
		cr_assert_eq(out.offset, size / 2, "%s: offset %ju, want %ju", names[i],
			     (uintmax_t)out.offset, (uintmax_t)size / 2);
		/* The last byte is in; the next one not (unless another function starts there). */
		cr_assert_eq(native_symbols_lookup(ns, getpid(), start + size - 1, &out), 0);
		assert_names(&out, start);
		native_symbols_lookup(ns, getpid(), start + size, &out);
		cr_assert(out.offset != size, "%s runs past its size", names[i]);
	}
	native_symbols_free(ns);
}

Test(native_symbols, anonymous_code_is_unknown)
{
	void *anon = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct native_symbols *ns = native_symbols_new(&never_reread);
	struct native_symbol out;

	cr_assert_neq(anon, MAP_FAILED);
	cr_assert_not_null(ns);
	cr_assert_eq(native_symbols_lookup(ns, getpid(), ADDR(anon) + 100, &out), -ENOENT);
	cr_assert_str_eq(out.name, "[unknown]");
	cr_assert_null(out.module);
	cr_assert_eq(stats_of(ns).maps_reads, 1, "a known mapping needs no re-read");
	/* Nor is data code, though it is in a file. */
	cr_assert_eq(native_symbols_lookup(ns, getpid(), ADDR(&native_symbols_test_data), &out), -ENOENT);
	cr_assert_str_eq(out.name, "[unknown]");
	cr_assert_null(out.module);
	native_symbols_free(ns);
	munmap(anon, 4096);
}

/* This test binary's executable mapping, as the loader made it. */
static struct map_entry own_text_mapping(uint64_t addr)
{
	struct proc_maps m;
	struct map_entry found = { 0 };

	cr_assert_eq(proc_maps_read(getpid(), &m), 0);
	for (size_t i = 0; i < m.n; i++)
		if (addr >= m.entries[i].start && addr < m.entries[i].end)
			found = m.entries[i];
	found.path = NULL;
	proc_maps_free(&m);
	cr_assert_neq(found.end, 0);
	return found;
}

Test(native_symbols, new_mapping_found_and_garbage_backs_off)
{
	struct native_symbols *ns = native_symbols_new(&never_reread);
	uint64_t fn = ADDR(native_symbols_test_caller);
	struct map_entry text = own_text_mapping(fn);
	struct native_symbol out;
	void *copy;
	int fd;

	cr_assert_not_null(ns);
	cr_assert_eq(native_symbols_lookup(ns, getpid(), fn, &out), 0);
	cr_assert_eq(stats_of(ns).maps_reads, 1);

	/* Our own text mapped a second time, after the maps were read (a dlopen). */
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	copy = mmap(NULL, text.end - text.start, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd,
		    text.offset);
	close(fd);
	cr_assert_neq(copy, MAP_FAILED);
	cr_assert_eq(native_symbols_lookup(ns, getpid(), ADDR(copy) + (fn - text.start) + 3, &out), 0);
	cr_assert_str_eq(out.name, "native_symbols_test_caller");
	cr_assert_eq(out.offset, 3);
	cr_assert_eq(stats_of(ns).maps_reads, 2, "the miss re-read the maps");
	cr_assert_eq(stats_of(ns).files_loaded, 1, "the same inode is the same file");

	/* A garbage address: this re-read would be useless, and waits. */
	cr_assert_eq(native_symbols_lookup(ns, getpid(), 0x1000, &out), -ENOENT);
	cr_assert_str_eq(out.name, "[unknown]");
	cr_assert_eq(native_symbols_lookup(ns, getpid(), 0x2000, &out), -ENOENT);
	cr_assert_eq(stats_of(ns).maps_reads, 2);
	cr_assert_eq(stats_of(ns).maps_rereads_skipped, 2);
	munmap(copy, text.end - text.start);
	native_symbols_free(ns);
}

Test(native_symbols, garbage_rereads_without_backoff)
{
	/* The control for the test above: with no wait, every miss re-reads. */
	struct native_symbols_opts opts = { .min_reread_ns = 1, .max_reread_ns = 1 };
	struct native_symbols *ns = native_symbols_new(&opts);
	struct native_symbol out;

	cr_assert_not_null(ns);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(native_symbols_lookup(ns, getpid(), 0x1000, &out), -ENOENT);
	cr_assert_eq(stats_of(ns).maps_reads, 4, "one at first sight, then one per miss");
	native_symbols_free(ns);
}

/*
 * fork(), with the child killed when the test process ends: a failed
 * assertion must not leave it behind, holding the runner's output pipe.
 */
static pid_t fork_child(void)
{
	pid_t parent = getpid(), child = fork();

	cr_assert(child >= 0);
	if (!child && (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent))
		_exit(1);
	return child;
}

/*
 * An ELF file whose code is at file offset 0x1000 but address 0x401000 (as
 * in a non-PIE executable): "sized_fn" [0x401000, 0x401040), then
 * "unsized_fn" at 0x401080 with no size.  Written to a new file in DIR.
 */
#define ELF_TEXT_OFFSET 0x1000
#define ELF_TEXT_VADDR 0x401000

static void write_test_elf(const char *path)
{
	static const char strtab[] = "\0sized_fn\0unsized_fn";
	static const char shstrtab[] = "\0.text\0.symtab\0.strtab\0.shstrtab";
	uint8_t text[0x100];
	Elf64_Sym syms[3] = {
		{ 0 },
		{ .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), .st_shndx = 1,
		  .st_value = ELF_TEXT_VADDR, .st_size = 0x40 },
		{ .st_name = 10, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), .st_shndx = 1,
		  .st_value = ELF_TEXT_VADDR + 0x80, .st_size = 0 },
	};
	uint64_t symtab_at = ELF_TEXT_OFFSET + sizeof(text);
	uint64_t strtab_at = symtab_at + sizeof(syms);
	uint64_t shstrtab_at = strtab_at + sizeof(strtab);
	uint64_t shdrs_at = (shstrtab_at + sizeof(shstrtab) + 7) & ~7ULL;
	Elf64_Shdr sh[5] = {
		{ 0 },
		{ .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
		  .sh_addr = ELF_TEXT_VADDR, .sh_offset = ELF_TEXT_OFFSET, .sh_size = sizeof(text),
		  .sh_addralign = 16 },
		{ .sh_name = 7, .sh_type = SHT_SYMTAB, .sh_offset = symtab_at, .sh_size = sizeof(syms),
		  .sh_link = 3, .sh_info = 1, .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym) },
		{ .sh_name = 15, .sh_type = SHT_STRTAB, .sh_offset = strtab_at, .sh_size = sizeof(strtab),
		  .sh_addralign = 1 },
		{ .sh_name = 23, .sh_type = SHT_STRTAB, .sh_offset = shstrtab_at,
		  .sh_size = sizeof(shstrtab), .sh_addralign = 1 },
	};
	Elf64_Phdr ph = {
		.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = ELF_TEXT_OFFSET,
		.p_vaddr = ELF_TEXT_VADDR, .p_paddr = ELF_TEXT_VADDR, .p_filesz = sizeof(text),
		.p_memsz = sizeof(text), .p_align = 0x1000,
	};
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_entry = ELF_TEXT_VADDR, .e_phoff = sizeof(Elf64_Ehdr), .e_shoff = shdrs_at,
		.e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 1,
		.e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 5, .e_shstrndx = 4,
	};
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	memset(text, 0xc3, sizeof(text));	/* ret */
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(pwrite(fd, &eh, sizeof(eh), 0), sizeof(eh));
	cr_assert_eq(pwrite(fd, &ph, sizeof(ph), sizeof(eh)), sizeof(ph));
	cr_assert_eq(pwrite(fd, text, sizeof(text), ELF_TEXT_OFFSET), sizeof(text));
	cr_assert_eq(pwrite(fd, syms, sizeof(syms), symtab_at), sizeof(syms));
	cr_assert_eq(pwrite(fd, strtab, sizeof(strtab), strtab_at), sizeof(strtab));
	cr_assert_eq(pwrite(fd, shstrtab, sizeof(shstrtab), shstrtab_at), sizeof(shstrtab));
	cr_assert_eq(pwrite(fd, sh, sizeof(sh), shdrs_at), sizeof(sh));
	close(fd);
}

/* The load bias comes from the ELF's segments, not from the file offset. */
Test(native_symbols, bias_from_segments_not_offsets)
{
	char path[] = "/tmp/pybpf-elf-XXXXXX", want[64];
	struct native_symbols *ns = native_symbols_new(NULL);
	struct native_module_ref ref;
	struct native_symbol out;
	uint8_t *code;
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	close(fd);
	unlink(path);
	write_test_elf(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	code = mmap(NULL, 0x1000, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, ELF_TEXT_OFFSET);
	close(fd);
	unlink(path);
	cr_assert_neq(code, MAP_FAILED, "mmap: %s", strerror(errno));

	cr_assert_eq(native_symbols_find_module(ns, getpid(), ADDR(code), &ref), 0);
	cr_assert_eq(ref.bias, ADDR(code) - ELF_TEXT_VADDR);
	cr_assert_eq(native_symbols_lookup(ns, getpid(), ADDR(code) + 0x10, &out), 0);
	cr_assert_str_eq(out.name, "sized_fn");
	cr_assert_eq(out.offset, 0x10);
	cr_assert_eq(out.module_offset, ELF_TEXT_VADDR + 0x10);
	/* Past its size, before the next function: the file and the address. */
	cr_assert_eq(native_symbols_lookup(ns, getpid(), ADDR(code) + 0x50, &out), -ENOENT);
	snprintf(want, sizeof(want), "%s+0x401050", strrchr(path, '/') + 1);
	cr_assert_str_eq(out.name, want);
	cr_assert_str_eq(out.module, path, "the path without \" (deleted)\"");
	cr_assert_eq(out.module_offset, ELF_TEXT_VADDR + 0x50);
	/* No size: it runs to the end of its page. */
	cr_assert_eq(native_symbols_lookup(ns, getpid(), ADDR(code) + 0xff0, &out), 0);
	cr_assert_str_eq(out.name, "unsized_fn");
	cr_assert_eq(out.offset, 0xff0 - 0x80);
	munmap(code, 0x1000);
	native_symbols_free(ns);
}

static pid_t fork_paused_child(void)
{
	pid_t child = fork_child();

	if (!child) {
		for (;;)
			pause();
	}
	return child;
}

static void reap(pid_t child)
{
	kill(child, SIGKILL);
	cr_assert_eq(waitpid(child, NULL, 0), child);
}

Test(native_symbols, child_process_and_forget)
{
	struct native_symbols *ns = native_symbols_new(NULL);
	uint64_t size, start = loader_symbol("qsort", &size, &(const char *){ NULL });
	struct native_symbol out;
	pid_t child = fork_paused_child();

	cr_assert_not_null(ns);
	cr_assert_eq(native_symbols_lookup(ns, child, start + 1, &out), 0);
	assert_names(&out, start);
	cr_assert_eq(out.offset, 1);

	/* Exited: what was read still names its last samples... */
	reap(child);
	cr_assert_eq(native_symbols_lookup(ns, child, start + 1, &out), 0);
	assert_names(&out, start);
	/* ...until the caller says it is gone. */
	native_symbols_forget(ns, child);
	cr_assert_eq(stats_of(ns).processes, 0);
	cr_assert_eq(native_symbols_lookup(ns, child, start + 1, &out), -ENOENT);
	cr_assert_str_eq(out.name, "[unknown]");
	native_symbols_free(ns);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	struct stat st;

	if (in < 0 || out < 0 || fstat(in, &st) ||
	    sendfile(out, in, NULL, st.st_size) != st.st_size || close(out))
		abort();
	close(in);
}

/*
 * A child in its own mount namespace dlopens a copy of libz from a tmpfs
 * only that namespace has, then deletes it: neither the path nor
 * /proc/PID/root/PATH can be opened, only /proc/PID/map_files/.
 */
Test(native_symbols, deleted_library_of_another_mount_namespace)
{
	char dir[] = "/tmp/pybpf-ns-XXXXXX", lib[64], probe[128];
	struct native_symbols *ns = native_symbols_new(NULL);
	struct native_symbol out;
	const char *libz;
	uint64_t size, addr = 0;
	int pipefd[2];
	pid_t child;

	loader_symbol("adler32", &size, &libz);	/* this binary links zlib */
	cr_assert_not_null(mkdtemp(dir));
	snprintf(lib, sizeof(lib), "%s/libz-copy.so", dir);
	cr_assert_eq(pipe(pipefd), 0);
	child = fork_child();
	if (!child) {
		void *h, *fn;

		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tmpfs", dir, "tmpfs", 0, NULL))
			_exit(2);
		copy_file(libz, lib, 0755);
		h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
		fn = h ? dlsym(h, "adler32") : NULL;
		if (!fn || unlink(lib))
			_exit(3);
		if (write(pipefd[1], &fn, sizeof(fn)) != sizeof(fn))
			_exit(4);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	if (read(pipefd[0], &addr, sizeof(addr)) != sizeof(addr)) {
		int status = 0;

		waitpid(child, &status, 0);
		cr_assert_fail("the child failed (exit %d)", WEXITSTATUS(status));
	}
	close(pipefd[0]);
	cr_assert_neq(access(lib, F_OK), 0, "the copy is not in our namespace");
	snprintf(probe, sizeof(probe), "/proc/%d/root%s", child, lib);
	cr_assert_neq(access(probe, F_OK), 0, "nor in the child's, deleted");

	cr_assert_eq(native_symbols_lookup(ns, child, addr, &out), 0);
	cr_assert_str_eq(out.name, "adler32");
	cr_assert_eq(out.offset, 0);
	cr_assert_str_eq(out.module_name, "libz-copy.so");
	cr_assert_str_eq(out.module, lib);
	cr_assert_eq(stats_of(ns).files_failed, 0);
	reap(child);
	/* Only now: removing it would detach the child's tmpfs, and change its paths. */
	rmdir(dir);
	native_symbols_free(ns);
}

static uint64_t auxv_entry(pid_t pid)
{
	char path[64];
	uint64_t aux[2], entry = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	while (!entry && read(fd, aux, sizeof(aux)) == sizeof(aux) && aux[0] != AT_NULL)
		if (aux[0] == AT_ENTRY)
			entry = aux[1];
	close(fd);
	return entry;
}

/* /bin/sleep copied, run and deleted: its mapping still opens and gives the bias. */
Test(native_symbols, deleted_executable_and_its_bias)
{
	char dir[] = "/tmp/pybpf-exe-XXXXXX", exe[64], link[PATH_MAX];
	struct native_symbols *ns = native_symbols_new(NULL);
	struct native_module_ref ref;
	struct native_symbol out;
	uint64_t entry = 0, expect;
	struct elf_file *ef;
	Elf64_Ehdr eh;
	char name[64];
	pid_t child;
	int fd;

	fd = open("/bin/sleep", O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	cr_assert_eq(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
	close(fd);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(exe, sizeof(exe), "%s/sleep-copy", dir);
	copy_file("/bin/sleep", exe, 0755);
	child = fork_child();
	if (!child) {
		execl(exe, "sleep-copy", "100", (char *)NULL);
		_exit(127);
	}
	/* Until the exec is done: the new exe shows before the new auxv is filled in. */
	/* A minute bounds only a failure: a loaded machine execs slowly. */
	for (int i = 0; i < 60000; i++) {
		char path[64];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/exe", child);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		if (!strcmp(link, exe) && (entry = auxv_entry(child)))
			break;
		usleep(1000);
	}
	cr_assert_str_eq(link, exe);
	cr_assert_eq(unlink(exe), 0);
	cr_assert_eq(rmdir(dir), 0);
	cr_assert_neq(entry, 0);
	cr_assert_eq(native_symbols_find_module(ns, child, entry, &ref), 0);
	cr_assert_eq(ref.bias, entry - eh.e_entry, "bias %#jx, want %#jx", (uintmax_t)ref.bias,
		     (uintmax_t)(entry - eh.e_entry));
	cr_assert_str_eq(ref.map.path, exe);
	ef = native_symbols_open_elf(ns, &ref);
	cr_assert_not_null(ef, "the deleted file opens: %s", strerror(errno));
	elf_file_close(ef);

	/* Stripped: no function, so the file and its own address. */
	cr_assert_eq(native_symbols_lookup(ns, child, entry, &out), -ENOENT);
	expect = eh.e_entry;
	snprintf(name, sizeof(name), "sleep-copy+0x%jx", (uintmax_t)expect);
	cr_assert_str_eq(out.name, name);
	cr_assert_eq(out.module_offset, expect);
	reap(child);
	native_symbols_free(ns);
}

Test(native_symbols, vdso_functions)
{
	uint64_t base = getauxval(AT_SYSINFO_EHDR), value, vaddr;
	struct native_symbols *ns = native_symbols_new(NULL);
	const struct map_entry *vdso;
	struct native_symbol out;
	struct elf_file *ef;
	struct proc_maps m;
	void *image;

	cr_assert_neq(base, 0);
	cr_assert_eq(proc_maps_read(getpid(), &m), 0);
	vdso = proc_maps_first(&m, "[vdso]");
	cr_assert_not_null(vdso);
	cr_assert_eq(vdso->start, base);
	image = malloc(vdso->end - vdso->start);
	memcpy(image, (void *)(uintptr_t)base, vdso->end - vdso->start);
	ef = elf_file_open_memory(image, vdso->end - vdso->start);
	cr_assert_not_null(ef);
	cr_assert_eq(elf_file_symbol(ef, "__vdso_clock_gettime", &value, NULL), 0);
	cr_assert_eq(elf_file_vaddr_of_offset(ef, 0, &vaddr), 0);
	elf_file_close(ef);
	free(image);
	proc_maps_free(&m);

	cr_assert_eq(native_symbols_lookup(ns, getpid(), base - vaddr + value + 1, &out), 0);
	cr_assert(strstr(out.name, "clock_gettime"), "%s", out.name);
	cr_assert_eq(out.offset, 1);
	cr_assert_str_eq(out.module_name, "[vdso]");
	native_symbols_free(ns);
}
