// SPDX-License-Identifier: BSD-3-Clause
/* user/native/kernel_symbols.h: kernel addresses to functions, from kallsyms. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "native/kernel_symbols.h"
#include "temp_file.h"

/* The address of a text symbol NAME of the kernel image, from /proc/kallsyms. */
static uint64_t kallsyms_address(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], sym[256], type;
	unsigned long long addr;
	uint64_t found = 0;

	cr_assert_not_null(f);
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
		    (type == 'T' || type == 't') && !strcmp(sym, name) && !strchr(line, '['))
			found = addr;
	fclose(f);
	return found;
}

Test(kernel_symbols, resolves_a_live_kernel_function)
{
	struct kernel_symbols *ks;
	struct kernel_symbol ksym;
	uint64_t schedule;

	if (geteuid() != 0)
		cr_skip_test("kernel addresses are only visible to root");
	schedule = kallsyms_address("schedule");
	cr_assert_neq(schedule, 0, "no schedule in /proc/kallsyms");
	ks = kernel_symbols_new(NULL);
	cr_assert_not_null(ks);
	cr_assert_null(kernel_symbols_error(ks), "%s", kernel_symbols_error(ks));
	cr_assert_eq(kernel_symbols_lookup(ks, schedule, &ksym), 0);
	cr_assert_str_eq(ksym.name, "schedule");
	cr_assert_null(ksym.module);
	cr_assert_eq(ksym.offset, 0);
	/* A return address inside it. */
	cr_assert_eq(kernel_symbols_lookup(ks, schedule + 5, &ksym), 0);
	cr_assert_str_eq(ksym.name, "schedule");
	cr_assert_eq(ksym.offset, 5);
	/* Below the kernel's text nothing is found. */
	cr_assert_eq(kernel_symbols_lookup(ks, 0x1000, &ksym), -ENOENT);
	cr_assert_str_eq(ksym.name, "[unknown]");
	kernel_symbols_free(ks);
}

Test(kernel_symbols, text_symbols_aliases_and_modules)
{
	char path[] = "/tmp/pybpf-kallsyms-XXXXXX";
	struct kernel_symbols *ks;
	struct kernel_symbol k;
	const char *why;

	/* Unsorted, as kallsyms is once modules are loaded. */
	temp_file_write(path,
		       "ffffffffc0001000 t mod_fn\t[mymod]\n"
		       "ffffffffc0002000 T other_mod_fn\t[other]\n"
		       "ffffffff81000000 T _stext\n"
		       "ffffffff81000100 t a_local_alias\n"
		       "ffffffff81000100 T global_fn\n"
		       "ffffffff81000200 D some_data\n"
		       "ffffffff81000300 W weak_fn\n"
		       "ffffffff81000400 R some_rodata\n"
		       "not a symbol line\n");
	ks = kernel_symbols_new(path);
	cr_assert_not_null(ks);
	why = kernel_symbols_error(ks);		/* reads it */
	unlink(path);
	cr_assert_null(why, "%s", why);
	cr_assert_eq(kernel_symbols_lookup(ks, 0xffffffff81000150, &k), 0);
	cr_assert_str_eq(k.name, "global_fn", "the global alias wins, got %s", k.name);
	cr_assert_eq(k.offset, 0x50);
	/* Data symbols are no functions' ends. */
	cr_assert_eq(kernel_symbols_lookup(ks, 0xffffffff81000250, &k), 0);
	cr_assert_str_eq(k.name, "global_fn");
	cr_assert_eq(k.offset, 0x150);
	cr_assert_eq(kernel_symbols_lookup(ks, 0xffffffff81000410, &k), 0);
	cr_assert_str_eq(k.name, "weak_fn");
	cr_assert_null(k.module);
	cr_assert_eq(kernel_symbols_lookup(ks, 0xffffffffc0001010, &k), 0);
	cr_assert_str_eq(k.name, "mod_fn");
	cr_assert_str_eq(k.module, "mymod");
	cr_assert_eq(k.offset, 0x10);
	cr_assert_eq(kernel_symbols_lookup(ks, 0xffffffffc0002001, &k), 0);
	cr_assert_str_eq(k.name, "other_mod_fn");
	cr_assert_str_eq(k.module, "other");
	cr_assert_eq(kernel_symbols_lookup(ks, 0xffffffff80000000, &k), -ENOENT);
	kernel_symbols_free(ks);
}

Test(kernel_symbols, hidden_addresses_are_an_error)
{
	char path[] = "/tmp/pybpf-kallsyms-XXXXXX";
	struct kernel_symbols *ks;
	struct kernel_symbol k;
	const char *why;

	/* What a reader without CAP_SYSLOG, or with kptr_restrict=2, sees. */
	temp_file_write(path,
		       "0000000000000000 T _stext\n"
		       "0000000000000000 T schedule\n"
		       "0000000000000000 t mod_fn\t[mymod]\n");
	ks = kernel_symbols_new(path);
	cr_assert_not_null(ks);
	why = kernel_symbols_error(ks);		/* reads it */
	unlink(path);
	cr_assert_not_null(why);
	cr_assert(strstr(why, "kptr_restrict") && strstr(why, path), "%s", why);
	cr_assert_eq(kernel_symbols_lookup(ks, 0, &k), -ENODATA);
	cr_assert_str_eq(k.name, "[unknown]");
	kernel_symbols_free(ks);
}

Test(kernel_symbols, unreadable_file_is_an_error)
{
	struct kernel_symbols *ks = kernel_symbols_new("/nonexistent/kallsyms");
	struct kernel_symbol k;
	const char *why;

	cr_assert_not_null(ks);
	cr_assert_eq(kernel_symbols_lookup(ks, 0xffffffff81000000, &k), -ENODATA);
	why = kernel_symbols_error(ks);
	cr_assert_not_null(why);
	cr_assert(strstr(why, "/nonexistent/kallsyms"), "%s", why);
	kernel_symbols_free(ks);
}
