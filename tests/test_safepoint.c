/* SPDX-License-Identifier: MIT */
/* Where the signal-initiated exit may run (shim/safepoint.c), asked about
 * contexts built on libc's real machine code: the interrupted pc is a real
 * instruction of write(), malloc() or this program, and the stack holds a
 * real return address. Stands in for a signal landing at one exact
 * instruction, which no integration test can aim for. On each ported
 * architecture (x86-64, aarch64: there under qemu-user, against the arm64
 * libc.so.6 of Debian's libc6-arm64-cross). */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "../shim/objects.h"
#include "../shim/real.h"
#include "../shim/safepoint.h"
#include "harness.h"

/* The shim's start-up when the objects come from dl_iterate_phdr (the
 * fallback walk, which finds each one's dynamic section): every range read
 * at once (init.c, visit_object). */
static void visit(struct me_loaded *l, void *arg)
{
    bool *malloc_seen = arg;
    if (me_safepoint_wants(l, false, malloc_seen))
        me_safepoint_guard(l);
}

static void setup(void)
{
    static int done;
    static bool malloc_seen;
    if (!done++)
        me_objects_walk(NULL, NULL, visit, &malloc_seen);
}

/* The shim's usual start-up: the objects from the dynamic linker's list,
 * their ranges read at the first question (safepoint.c, ranges_ready:
 * the program's headers through ME_REAL(getauxval_fn), real.c). */

/* nothing per object: the walk records the list, as the shim's does */
static void visit_listed(struct me_loaded *l, void *arg)
{
    (void)arg;
    (void)l;
}

static void setup_deferred(void)
{
    static int done;
    if (done++)
        return;
    struct me_auxv a = {.ldso_base = getauxval(AT_BASE),
                        .phdr = (const ElfW(Phdr) *)getauxval(AT_PHDR),
                        .phnum = getauxval(AT_PHNUM)};
    const struct link_map *list = me_objects_list(&a);
    ck_assert_msg(list, "the linker's list was not found");
    me_objects_walk(list, &a, visit_listed, NULL);
    me_safepoint_defer();
}

static unsigned char *libc_fn(const char *name)
{
    unsigned char *p = dlsym(RTLD_DEFAULT, name);
    ck_assert_msg(p != NULL, "%s", name);
    return p;
}

/* The machine's side: its system-call instruction, and a context
 * interrupted at pc where the wrapper's caller is return_address. */
#if defined(__x86_64__)
#define INSN_LEN 2
static bool is_syscall(const unsigned char *p) { return p[0] == 0x0f && p[1] == 0x05; }
static uintptr_t stack[4];
/* rax: the call's number at the instruction, its result after it */
static void fill(ucontext_t *uc, const void *pc, long nr, long rax, uintptr_t return_address)
{
    (void)nr;
    stack[0] = return_address; /* the wrappers are leaves: ret pops it */
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)pc;
    uc->uc_mcontext.gregs[REG_RAX] = (greg_t)rax;
    uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(uintptr_t)stack;
}
#elif defined(__aarch64__)
#define INSN_LEN 4
static bool is_syscall(const unsigned char *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof w);
    return w == 0xd4000001u; /* svc #0 */
}
static uintptr_t stack[8];
/* x8: the call's number, before and after; x0: its result after it. The
 * return address is both in x30 (assembly wrappers return with it) and
 * where a C wrapper saved it (its frame: x29, x30 at sp) */
static void fill(ucontext_t *uc, const void *pc, long nr, long x0, uintptr_t return_address)
{
    stack[0] = (uintptr_t)stack;
    stack[1] = return_address;
    uc->uc_mcontext.pc = (uintptr_t)pc;
    uc->uc_mcontext.sp = (uintptr_t)stack;
    uc->uc_mcontext.regs[0] = (uint64_t)x0;
    uc->uc_mcontext.regs[8] = (uint64_t)nr;
    uc->uc_mcontext.regs[30] = return_address;
}
#endif

/* The first system-call instruction in fn's own code (the single-threaded
 * fast path comes first in glibc's wrappers), or NULL: from glibc 2.41 the
 * cancellable wrappers (read, write, close) make theirs in
 * __internal_syscall_cancel, two calls down, whose frames no context built
 * here can hold; the real contexts below test those. */
static unsigned char *own_syscall(unsigned char *fn)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    size_t size = 128;
    if (dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_size)
        size = sym->st_size;
    for (size_t i = 0; i + INSN_LEN <= size; i++)
        if (is_syscall(fn + i))
            return fn + i;
    return NULL;
}

/* The wrapper of the name, or where glibc 2.41+ has it make its call
 * through __syscall_cancel, its nocancel twin, which has the same ending
 * as the older wrappers. */
static unsigned char *first_syscall(unsigned char *fn, const char *nocancel)
{
    unsigned char *sc = own_syscall(fn);
    if (!sc && nocancel)
        sc = own_syscall(dlsym(RTLD_DEFAULT, nocancel));
    ck_assert_msg(sc != NULL, "no system-call instruction in %p", (void *)fn);
    return sc;
}

static bool safe_ctx(const ucontext_t *uc)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_code = SI_USER;
    info.si_pid = 1; /* sent by another process */
    return me_context_is_safe(uc, &info);
}

static bool safe_in(const void *pc, long nr, long result, uintptr_t return_address)
{
    ucontext_t uc;
    memset(&uc, 0, sizeof uc);
    fill(&uc, pc, nr, result, return_address);
    return safe_ctx(&uc);
}

/* just after write's system call, which returned result */
static bool safe_after_write(long result, uintptr_t return_address)
{
    return safe_in(first_syscall(libc_fn("write"), "__write_nocancel") + INSN_LEN, SYS_write, result, return_address);
}

static void in_the_program(void) {}
static void write_directly(void);
static char verdict_when_blocked_in_write(void (*body)(void));

START_TEST(program_code_is_safe)
{
    ck_assert(safe_in((const void *)in_the_program, 0, 0, 0));
}
END_TEST

START_TEST(inside_malloc_is_not)
{
    ck_assert(!safe_in(libc_fn("__libc_malloc") + INSN_LEN, 0, 0, 0));
}
END_TEST

/* This program's malloc comes from a library of its own (own_malloc.c;
 * under a sanitizer, from its runtime), which no name marks: guarded as
 * the first object to define malloc. The deferred read looks for it only
 * for an address outside the objects guarded by name, as this one is. */
START_TEST(inside_an_allocator_of_its_own_is_not)
{
    unsigned char *own = libc_fn("malloc");
    Dl_info in_libc, in_own;
    ck_assert(dladdr(libc_fn("__libc_malloc"), &in_libc) && dladdr(own, &in_own));
    ck_assert_msg(in_own.dli_fbase != in_libc.dli_fbase, "malloc is libc's: %s", in_own.dli_fname);
    ck_assert(!safe_in(own + INSN_LEN, 0, 0, 0));
    ck_assert(safe_in((const void *)in_the_program, 0, 0, 0));
}
END_TEST

/* The program called write() itself: at the wrapper's return nothing of
 * libc's is half done. */
START_TEST(return_of_write_to_the_program_is_safe)
{
    ck_assert(safe_after_write(5, (uintptr_t)in_the_program + 4));
}
END_TEST

/* stdio called write(): its FILE pointers are updated only after the
 * return, and flushing now would write the buffer twice. */
START_TEST(return_of_write_to_stdio_is_not)
{
    ck_assert(!safe_after_write(5, (uintptr_t)libc_fn("fwrite") + 16));
}
END_TEST

START_TEST(eintr_return_is_safe_whoever_called)
{
    ck_assert(safe_after_write(-EINTR, (uintptr_t)libc_fn("fwrite") + 16));
}
END_TEST

/* At the syscall instruction: blocked and restarting, or about to enter. */
START_TEST(at_the_syscall_it_depends_on_the_call)
{
    unsigned char *sc = first_syscall(libc_fn("write"), "__write_nocancel");
    /* the program's write: safe */
    ck_assert(safe_in(sc, SYS_write, SYS_write, (uintptr_t)in_the_program + 4));
    /* stdio's: the line it is adding may be half in the buffer */
    ck_assert(!safe_in(sc, SYS_write, SYS_write, (uintptr_t)libc_fn("fwrite") + 16));
    /* stdio waiting for input (fgets): nothing is half done */
    unsigned char *rd = first_syscall(libc_fn("read"), "__read_nocancel");
    ck_assert(safe_in(rd, SYS_read, SYS_read, (uintptr_t)libc_fn("fgets") + 16));
    /* malloc's lock may be held */
    ck_assert(!safe_in(sc, SYS_mmap, SYS_mmap, (uintptr_t)in_the_program + 4));
}
END_TEST

/* Wrappers of every shape glibc has: C wrappers with a frame (read, write,
 * close), assembly ones (kill, sigpending), one that cannot fail
 * (getpid). Each, returning to the program, is a safe point. */
START_TEST(every_wrapper_shape_returning_to_the_program_is_safe)
{
    static const struct {
        const char *fn;
        long nr;
        const char *nocancel;
    } calls[] = {{"read", SYS_read, "__read_nocancel"},
                 {"write", SYS_write, "__write_nocancel"},
                 {"close", SYS_close, "__close_nocancel"},
                 {"kill", SYS_kill, NULL},
                 {"sigpending", SYS_rt_sigpending, NULL},
                 {"getpid", SYS_getpid, NULL}};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        unsigned char *after = first_syscall(libc_fn(calls[i].fn), calls[i].nocancel) + INSN_LEN;
        /* sigpending and read move data: only the return to the program
         * makes them safe; the others are safe whoever called them */
        ck_assert_msg(safe_in(after, calls[i].nr, 0, (uintptr_t)in_the_program + 4),
                      "%s returning to the program", calls[i].fn);
    }
    ck_assert_msg(!safe_in(first_syscall(libc_fn("read"), "__read_nocancel") + INSN_LEN, SYS_read, 0,
                           (uintptr_t)libc_fn("fread") + 16),
                  "read returning to stdio");
}
END_TEST

/* Real contexts, whatever shape this glibc's wrappers have (2.41's call
 * __syscall_cancel, which calls __internal_syscall_cancel, which makes the
 * call): a signal finds a single-threaded process blocked in write() on a
 * full pipe, and the shim's own question is asked from the handler, with
 * the wrappers' frames on its stack, as the dispatcher asks it. The answer
 * comes back on a pipe. */
static int pipe_w, report_w;
static char block[4096];

static void ask(int sig, siginfo_t *info, void *uc)
{
    (void)sig;
    (void)info;
    siginfo_t from_outside;
    memset(&from_outside, 0, sizeof from_outside);
    from_outside.si_code = SI_USER;
    from_outside.si_pid = 1;
    char v = me_context_is_safe(uc, &from_outside) ? 'y' : 'n';
    if (write(report_w, &v, 1) != 1)
        _exit(3);
}

static void write_directly(void)
{
    if (write(pipe_w, block, sizeof block) < 0)
        _exit(4);
}

static void write_through_stdio(void)
{
    FILE *f = fdopen(pipe_w, "w");
    setvbuf(f, NULL, _IOFBF, sizeof block);
    fwrite(block, 1, sizeof block - 1, f);
    fflush(f); /* stdio's write() of its buffer blocks here */
}

static char verdict_when_blocked_in_write(void (*body)(void))
{
    int p[2], r[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(pipe(r), 0);
    /* fill the pipe: the next write blocks */
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    while (write(p[1], block, sizeof block) > 0) {
    }
    fcntl(p[1], F_SETFL, 0);
    pid_t c = fork();
    ck_assert_int_ge(c, 0);
    if (c == 0) {
        pipe_w = p[1];
        report_w = r[1];
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = ask;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigaction(SIGUSR1, &sa, NULL);
        body();
        _exit(0);
    }
    close(r[1]);
    ck_assert_msg(thread_wait_syscall(c, c, SYS_write, 30), "the writer never blocked");
    kill(c, SIGUSR1);
    char v = '?';
    if (read(r[0], &v, 1) != 1)
        v = '?';
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    close(r[0]);
    close(p[0]);
    close(p[1]);
    return v;
}

START_TEST(blocked_in_the_programs_own_write_is_safe)
{
    ck_assert_int_eq(verdict_when_blocked_in_write(write_directly), 'y');
}
END_TEST

START_TEST(blocked_in_stdios_write_is_not)
{
    ck_assert_int_eq(verdict_when_blocked_in_write(write_through_stdio), 'n');
}
END_TEST

#if defined(__aarch64__)
/* A C wrapper (write) returns through the x30 it saved in its frame, not
 * through whatever x30 holds when the signal lands. From glibc 2.41 write
 * has no frame of its own: the frames are __syscall_cancel's and
 * __internal_syscall_cancel's (x30 signed where pointer authentication is
 * on), and only a real context holds them. */
START_TEST(c_wrapper_returns_through_its_saved_link_register)
{
    unsigned char *own = own_syscall(libc_fn("write"));
    if (!own) {
        ck_assert_int_eq(verdict_when_blocked_in_write(write_directly), 'y');
        return;
    }
    const unsigned char *after = own + INSN_LEN;
    ucontext_t uc;
    memset(&uc, 0, sizeof uc);
    fill(&uc, after, SYS_write, 5, (uintptr_t)in_the_program + 4);
    uc.uc_mcontext.regs[30] = (uintptr_t)libc_fn("fwrite") + 16;
    ck_assert(safe_ctx(&uc));
    fill(&uc, after, SYS_write, 5, (uintptr_t)libc_fn("fwrite") + 16);
    uc.uc_mcontext.regs[30] = (uintptr_t)in_the_program + 4;
    ck_assert(!safe_ctx(&uc));
}
END_TEST
#endif

static void add_all(TCase *tc)
{
    me_add_test(tc, program_code_is_safe);
    me_add_test(tc, inside_malloc_is_not);
    me_add_test(tc, inside_an_allocator_of_its_own_is_not);
    me_add_test(tc, return_of_write_to_the_program_is_safe);
    me_add_test(tc, return_of_write_to_stdio_is_not);
    me_add_test(tc, eintr_return_is_safe_whoever_called);
    me_add_test(tc, at_the_syscall_it_depends_on_the_call);
    me_add_test(tc, every_wrapper_shape_returning_to_the_program_is_safe);
    me_add_test(tc, blocked_in_the_programs_own_write_is_safe);
    me_add_test(tc, blocked_in_stdios_write_is_not);
#if defined(__aarch64__)
    me_add_test(tc, c_wrapper_returns_through_its_saved_link_register);
#endif
}

int main(void)
{
    Suite *s = suite_create("safepoint");
    /* ranges read at start-up from dl_iterate_phdr (the fallback walk) */
    TCase *tc = tcase_create("safepoint");
    tcase_add_checked_fixture(tc, setup, NULL);
    add_all(tc);
    suite_add_tcase(s, tc);
    /* ranges read at the first question from the linker's list */
    TCase *deferred = tcase_create("deferred");
    tcase_add_checked_fixture(deferred, setup_deferred, NULL);
    add_all(deferred);
    suite_add_tcase(s, deferred);
    return run_suite(s, true); /* each case starts with no ranges read */
}
