/* SPDX-License-Identifier: MIT */
/* The shim's own symbol lookup (shim/elf_symbols.c) against the dynamic
 * linker's: for every name the shim resolves, and for the version and IFUNC
 * cases dlsym handles specially, the answer must be dlsym's. */
#include <check.h>
#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include "../shim/real.h"
#include "../shim/elf_symbols.h"
#include "../shim/real_names.h"
#include "harness.h"

/* finds libc in the loaded objects and opens its symbol tables */
static int find_libc(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    const char *n = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
    if (n && strncmp(n, "/libc.so.", 9) == 0) {
        const ElfW(Dyn) *dyn = NULL;
        for (int i = 0; i < info->dlpi_phnum; i++)
            if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
                dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        ck_assert(me_elf_open(arg, info->dlpi_addr, dyn));
        return 1;
    }
    return 0;
}

static struct me_elf_object libc_obj;
static void *libc_handle;

static void setup(void)
{
    ck_assert_int_eq(dl_iterate_phdr(find_libc, &libc_obj), 1);
    libc_handle = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_LAZY);
    ck_assert_ptr_nonnull(libc_handle);
}

static enum me_elf_found find(const char *name, void **addr)
{
    *addr = NULL;
    return me_elf_find(&libc_obj, name, strlen(name), me_elf_hash(name), addr);
}

START_TEST(written_out_hashes_are_right)
{
    for (size_t i = 0; i < ME_NWANTS; i++) {
        ck_assert_msg(me_real_wants[i].hash == me_elf_hash(me_real_wants[i].name),
                      "hash of %s", me_real_wants[i].name);
        ck_assert_uint_eq(me_real_wants[i].len, strlen(me_real_wants[i].name));
    }
    size_t at_start = 0;
    for (size_t i = 0; i < ME_NWANTS; i++)
        at_start += !me_real_wants[i].on_first_use;
    ck_assert_uint_eq(at_start, ME_NWANTS_AT_START);
    ck_assert_uint_eq(ME_HASH_R_DEBUG, me_elf_hash("_r_debug"));
    ck_assert_uint_eq(ME_HASH_COPY_MARK, me_elf_hash("multiexit_version"));
}
END_TEST

START_TEST(every_name_the_shim_wants_is_found_as_dlsym_finds_it)
{
    for (size_t i = 0; i < ME_NWANTS; i++) {
        void *addr, *expect = dlsym(libc_handle, me_real_wants[i].name);
        /* _dl_find_object came with glibc 2.35: before, found by neither */
        if (!expect && strcmp(me_real_wants[i].name, "_dl_find_object") == 0 &&
            !__GLIBC_PREREQ(2, 35)) {
            ck_assert_int_eq(find(me_real_wants[i].name, &addr), ME_ELF_NONE);
            continue;
        }
        ck_assert_int_eq(find(me_real_wants[i].name, &addr), ME_ELF_DEFINED);
        ck_assert_ptr_eq(addr, expect);
    }
}
END_TEST

START_TEST(the_default_version_wins_over_hidden_ones)
{
    /* realpath@GLIBC_2.2.5 (hidden) and realpath@@GLIBC_2.3, at different
     * addresses; __libc_start_main has a hidden GLIBC_2.2.5 too */
    static const char *const names[] = {"realpath", "__libc_start_main", "environ",
                                        "on_exit", "daemon", "sched_yield"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *addr;
        ck_assert_int_eq(find(names[i], &addr), ME_ELF_DEFINED);
        ck_assert_ptr_eq(addr, dlsym(libc_handle, names[i]));
    }
}
END_TEST

START_TEST(an_ifunc_is_reported_not_returned)
{
    void *addr;
    /* memcpy@@GLIBC_2.14 is an IFUNC; memcpy@GLIBC_2.2.5 (hidden) is not,
     * and must not be taken instead */
    ck_assert_int_eq(find("memcpy", &addr), ME_ELF_IFUNC);
}
END_TEST

START_TEST(absent_and_hidden_only_names_are_not_found)
{
    void *addr;
    ck_assert_int_eq(find("multiexit_no_such_symbol", &addr), ME_ELF_NONE);
    ck_assert_int_eq(find("sigactio", &addr), ME_ELF_NONE);
    ck_assert_int_eq(find("sigaction_", &addr), ME_ELF_NONE);
    /* only a hidden (compatibility) version exists */
    ck_assert_int_eq(find("_IO_vfscanf", &addr), ME_ELF_NONE);
    ck_assert_ptr_null(dlsym(libc_handle, "_IO_vfscanf"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("symbols");
    TCase *tc = tcase_create("lookup");
    tcase_add_checked_fixture(tc, setup, NULL);
    me_add_test(tc, written_out_hashes_are_right);
    me_add_test(tc, every_name_the_shim_wants_is_found_as_dlsym_finds_it);
    me_add_test(tc, the_default_version_wins_over_hidden_ones);
    me_add_test(tc, an_ifunc_is_reported_not_returned);
    me_add_test(tc, absent_and_hidden_only_names_are_not_found);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite(), false); }
