/* SPDX-License-Identifier: MIT */
/* The shim's own symbol lookup (shim/elf_symbols.c) against the dynamic
 * linker's: for every name the shim resolves, and for the version and IFUNC
 * cases dlsym handles specially, the answer must be dlsym's. */
#include <check.h>
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>

#include "../shim/real.h"
#include "../shim/elf_symbols.h"
#include "../shim/objects.h"
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
    ck_assert_uint_eq(ME_HASH_MALLOC, me_elf_hash("malloc"));
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

/* ---- the loaded objects, from the dynamic linker's list (objects.c) ---- */

static struct me_auxv auxv_of_this_process(void)
{
    return (struct me_auxv){.ldso_base = getauxval(AT_BASE),
                            .phdr = (const ElfW(Phdr) *)getauxval(AT_PHDR),
                            .phnum = getauxval(AT_PHNUM),
                            .secure = getauxval(AT_SECURE) != 0};
}

START_TEST(the_list_is_found_through_the_programs_dt_debug)
{
    struct me_auxv a = auxv_of_this_process();
    a.ldso_base = 0; /* not through ld.so */
    ck_assert_ptr_nonnull(_r_debug.r_map);
    ck_assert_ptr_eq(me_objects_list(&a), _r_debug.r_map);
}
END_TEST

START_TEST(the_list_is_found_through_ld_so_without_dt_debug)
{
    struct me_auxv a = auxv_of_this_process();
    a.phdr = NULL; /* a program without DT_DEBUG */
    a.phnum = 0;
    ck_assert_ptr_eq(me_objects_list(&a), _r_debug.r_map);
}
END_TEST

START_TEST(no_list_without_either)
{
    struct me_auxv a = {0}; /* ld.so run as the program, say, and no DT_DEBUG */
    ck_assert_ptr_null(me_objects_list(&a));
}
END_TEST

/* The auxiliary vector is read from after the environment's NULL. */
START_TEST(the_auxiliary_vector_after_the_environment)
{
    ElfW(auxv_t) v[] = {{AT_PHDR, {0x1000}}, {AT_PAGESZ, {4096}}, {AT_PHNUM, {9}},
                        {AT_BASE, {0x7000}}, {AT_SECURE, {1}}, {AT_NULL, {0}}};
    struct me_auxv a;
    ck_assert(me_auxv_read(v, &a));
    ck_assert_uint_eq((uintptr_t)a.phdr, 0x1000);
    ck_assert_uint_eq(a.phnum, 9);
    ck_assert_uint_eq(a.ldso_base, 0x7000);
    ck_assert(a.secure);
    struct me_auxv mine = auxv_of_this_process();
    ck_assert(!mine.secure);
    /* an environment whose terminator an unsetenv() moved down: the next
     * slot is the old terminator, read as an empty vector */
    ElfW(auxv_t) none[] = {{AT_NULL, {0}}};
    ck_assert(!me_auxv_read(none, &a));
    ElfW(auxv_t) no_headers[] = {{AT_SECURE, {1}}, {AT_NULL, {0}}};
    ck_assert(!me_auxv_read(no_headers, &a));
}
END_TEST

static unsigned walked, walked_named;
static void count(struct me_loaded *l, void *arg)
{
    (void)arg;
    walked++;
    walked_named += l->name[0] != 0;
    ck_assert_ptr_nonnull(l->dynamic);
}

static int count_phdr(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    const char *n = info->dlpi_name;
    if (!(n && strncmp(n, "linux-", 6) == 0)) /* the vDSO is left out */
        ++*(unsigned *)arg;
    return 0;
}

/* Both walks see the same objects (the vDSO left out) */
START_TEST(both_walks_see_the_same_objects)
{
    struct me_auxv a = auxv_of_this_process();
    unsigned by_phdr = 0;
    dl_iterate_phdr(count_phdr, &by_phdr);
    walked = 0;
    me_objects_walk(me_objects_list(&a), &a, count, NULL);
    ck_assert_uint_eq(walked, by_phdr);
    unsigned listed = walked;
    walked = 0;
    me_objects_walk(NULL, NULL, count, NULL);
    ck_assert_uint_eq(walked, listed);
    ck_assert_uint_ge(walked_named, 2); /* libc, ld.so at least */
}
END_TEST

/* What is left to its first use is then found as dlsym finds it: this
 * program stands for the shim (its own ELF header is __ehdr_start), so
 * NEXT is dlsym(RTLD_NEXT) from here. */
START_TEST(a_name_left_to_its_first_use_is_found_as_dlsym_finds_it)
{
    libc_handle = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_LAZY);
    struct me_auxv a = auxv_of_this_process();
    walked = 0;
    me_objects_walk(me_objects_list(&a), &a, count, NULL);
    for (size_t i = 0; i < ME_NWANTS; i++) {
        const struct me_want *w = &me_real_wants[i];
        void *expect = dlsym(w->scope == ME_NEXT ? RTLD_NEXT : RTLD_DEFAULT, w->name);
        void *got = me_real_resolve(w->offset);
#if !__GLIBC_PREREQ(2, 34)
        /* dlsym(RTLD_NEXT) took the oldest version even when hidden then:
         * libpthread's compatibility fork@GLIBC_2.2.5, which calls libc's;
         * the shim takes the default version, as a link does (libc's) */
        if (got != expect && got == dlsym(libc_handle, w->name))
            expect = got;
#endif
        Dl_info gi = {0}, ei = {0};
        dladdr(got, &gi);
        dladdr(expect, &ei);
        ck_assert_msg(got == expect, "%s: %p in %s, dlsym's %p in %s", w->name, got, gi.dli_fname,
                      expect, ei.dli_fname);
        ck_assert_msg(me_real_resolve(w->offset) == expect, "%s, again", w->name);
    }
    ck_assert_ptr_eq((void *)ME_REAL(fork_fn), me_real_resolve(offsetof(struct me_real, fork_fn)));
}
END_TEST

/* A global name read from the objects loaded at start-up (the Python
 * path's C API) is where dlsym(RTLD_DEFAULT) finds it, with the size
 * dladdr1 reads for it; a name no object defines is dlsym's NULL. */
START_TEST(a_global_name_is_found_as_dlsym_finds_it_with_its_size)
{
    struct me_auxv a = auxv_of_this_process();
    walked = 0;
    me_objects_walk(me_objects_list(&a), &a, count, NULL);
    static const char *const names[] = {"malloc", "printf", "environ", "_dl_find_object",
                                        "the_list_is_found_through_the_programs_dt_debug_fn"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const ElfW(Sym) *sym, *expect_sym = NULL;
        void *got = me_real_global_sym(names[i], &sym), *expect = dlsym(RTLD_DEFAULT, names[i]);
        ck_assert_msg(got == expect, "%s: %p, dlsym's %p", names[i], got, expect);
        Dl_info info;
        if (!expect)
            continue;
        ck_assert_msg(sym != NULL, "%s: no symbol", names[i]);
        ck_assert(dladdr1(expect, &info, (void **)&expect_sym, RTLD_DL_SYMENT) && expect_sym);
        ck_assert_msg(sym->st_size == expect_sym->st_size, "%s: size %lu, dladdr1's %lu", names[i],
                      (unsigned long)sym->st_size, (unsigned long)expect_sym->st_size);
    }
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
    TCase *objects = tcase_create("objects");
    me_add_test(objects, the_list_is_found_through_the_programs_dt_debug);
    me_add_test(objects, the_list_is_found_through_ld_so_without_dt_debug);
    me_add_test(objects, no_list_without_either);
    me_add_test(objects, the_auxiliary_vector_after_the_environment);
    me_add_test(objects, both_walks_see_the_same_objects);
    me_add_test(objects, a_name_left_to_its_first_use_is_found_as_dlsym_finds_it);
    me_add_test(objects, a_global_name_is_found_as_dlsym_finds_it_with_its_size);
    suite_add_tcase(s, objects);
    return s;
}

int main(void) { return run_suite(suite(), true); }
