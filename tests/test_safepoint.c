/* SPDX-License-Identifier: MIT */
/* Where the signal-initiated exit may run (shim/safepoint.c), asked about
 * contexts built on libc's real machine code: the interrupted pc is a real
 * instruction of write(), malloc() or this program, and the stack holds a
 * real return address. Stands in for a signal landing at one exact
 * instruction, which no integration test can aim for. x86-64 only, like the
 * check itself. */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "../shim/safepoint.h"
#include "harness.h"

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    me_safepoint_visit(info, false);
    return 0;
}

static void setup(void)
{
    static int done;
    if (!done++)
        dl_iterate_phdr(visit, NULL);
}

static unsigned char *libc_fn(const char *name)
{
    unsigned char *p = dlsym(RTLD_DEFAULT, name);
    ck_assert_msg(p != NULL, "%s", name);
    return p;
}

/* The first "syscall" instruction in fn's first bytes (the single-threaded
 * fast path comes first in glibc's wrappers). */
static unsigned char *first_syscall(unsigned char *fn)
{
    for (int i = 0; i < 64; i++)
        if (fn[i] == 0x0f && fn[i + 1] == 0x05)
            return fn + i;
    ck_abort_msg("no syscall instruction near %p", (void *)fn);
    return NULL;
}

static uintptr_t stack[4];

static bool safe_at(const void *pc, long rax, uintptr_t return_address)
{
    ucontext_t uc;
    memset(&uc, 0, sizeof uc);
    stack[0] = return_address;
    uc.uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)pc;
    uc.uc_mcontext.gregs[REG_RAX] = (greg_t)rax;
    uc.uc_mcontext.gregs[REG_RSP] = (greg_t)(uintptr_t)stack;
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_code = SI_USER;
    info.si_pid = 1; /* sent by another process */
    return me_context_is_safe(&uc, &info);
}

static void in_the_program(void) {}

START_TEST(program_code_is_safe)
{
    ck_assert(safe_at((const void *)in_the_program, 0, 0));
}
END_TEST

START_TEST(inside_malloc_is_not)
{
    ck_assert(!safe_at(libc_fn("malloc") + 1, 0, 0));
}
END_TEST

/* The program called write() itself: at the wrapper's return nothing of
 * libc's is half done. */
START_TEST(return_of_write_to_the_program_is_safe)
{
    unsigned char *after = first_syscall(libc_fn("write")) + 2;
    ck_assert(safe_at(after, 5, (uintptr_t)in_the_program + 1));
}
END_TEST

/* stdio called write(): its FILE pointers are updated only after the
 * return, and flushing now would write the buffer twice. */
START_TEST(return_of_write_to_stdio_is_not)
{
    unsigned char *after = first_syscall(libc_fn("write")) + 2;
    ck_assert(!safe_at(after, 5, (uintptr_t)libc_fn("fwrite") + 16));
}
END_TEST

START_TEST(eintr_return_is_safe_whoever_called)
{
    unsigned char *after = first_syscall(libc_fn("write")) + 2;
    ck_assert(safe_at(after, -EINTR, (uintptr_t)libc_fn("fwrite") + 16));
}
END_TEST

/* At the syscall instruction: blocked and restarting, or about to enter. */
START_TEST(at_the_syscall_it_depends_on_the_call)
{
    unsigned char *sc = first_syscall(libc_fn("write"));
    ck_assert(safe_at(sc, SYS_write, (uintptr_t)libc_fn("fwrite") + 16));
    ck_assert(!safe_at(sc, SYS_mmap, (uintptr_t)libc_fn("fwrite") + 16));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("safepoint");
    TCase *tc = tcase_create("safepoint");
    tcase_add_checked_fixture(tc, setup, NULL);
    me_add_test(tc, program_code_is_safe);
    me_add_test(tc, inside_malloc_is_not);
    me_add_test(tc, return_of_write_to_the_program_is_safe);
    me_add_test(tc, return_of_write_to_stdio_is_not);
    me_add_test(tc, eintr_return_is_safe_whoever_called);
    me_add_test(tc, at_the_syscall_it_depends_on_the_call);
    suite_add_tcase(s, tc);
    return run_suite(s, false);
}
