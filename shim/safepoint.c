/* SPDX-License-Identifier: MIT */
/* Where may a signal-initiated exit run? Running exit() in a handler that
 * interrupted a thread holding a libc-internal lock (malloc's arena lock,
 * the dynamic linker's lock) deadlocks as soon as an exit function needs that
 * lock: the holder is the very thread that is now running the exit.
 *
 * So the exit runs on the interrupted thread only when that thread is
 *   - outside libc, the dynamic linker, libstdc++, libgcc_s, this shim and
 *     whatever object provides malloc (jemalloc, tcmalloc, a sanitizer's
 *     runtime: each has locks of its own), or
 *   - blocked in (or restarting, or about to enter) a system call other
 *     than the memory and process-creation calls made under malloc's or
 *     fork's locks, and other than a write that stdio makes of its buffer
 *     (the line it is adding may be half copied in: flushing would cut
 *     it; the program's own write() is fine), or
 *   - returning from a system call with EINTR, or from a wait-type call
 *     (sleeps, poll/select/epoll, wait4, sigsuspend, futex, kill, sigprocmask)
 *     whose number is known (x86-64: the wrapper's "mov $NR,%eax" just
 *     before the syscall instruction; aarch64: x8). Not the return of read
 *     or write:
 *     inside stdio the FILE's pointers are not updated yet, and flushing
 *     there would write data twice (the data-loss stress test shows it), or
 *   - at the return of the raise()/kill() by which it signalled itself, or
 *   - at the return of a wrapper that goes straight back to a caller outside
 *     the guarded objects (the program calling write() itself), or
 * Otherwise the exit path is deferred and retried (exit_path.c). */
#include "safepoint.h"
#include "elf_symbols.h"
#include "objects.h"
#include "real.h"
#include "sys.h"
#include "placement.h"

#include <errno.h>
#include <sys/auxv.h>
#include <stdatomic.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

struct range {
    uintptr_t lo, hi;
};

#define MAX_RANGES 12 /* a few objects (at most 8 match), one executable segment each */
static struct range guarded[MAX_RANGES];
/* Published with release: the deferred read adds the malloc provider's
 * ranges while other threads may be searching the ones before. */
static _Atomic int nguarded;

/* The end of a string, a word at a time: an aligned load never crosses
 * into another page, so reading past the terminator is harmless (and
 * these names are the dynamic linker's, not a sanitised heap's). */
typedef uint64_t __attribute__((may_alias)) me_word;
__attribute__((no_sanitize_address)) ME_START static const char *end_of(const char *s)
{
    while ((uintptr_t)s & 7)
        if (!*s++)
            return s - 1;
    const me_word *w = (const me_word *)s;
    while (!((*w - 0x0101010101010101ULL) & ~*w & 0x8080808080808080ULL))
        w++;
    for (s = (const char *)w; *s; s++) {
    }
    return s;
}

/* libc, the dynamic linker, libstdc++, libgcc_s (and the old libpthread and
 * libdl), by name. Runs at the first signal (or at every process start
 * where the objects come from dl_iterate_phdr). */
ME_START static bool guarded_name(const char *path)
{
    const char *base = end_of(path);
    while (base > path && base[-1] != '/')
        base--;
    if (base[0] != 'l')
        return false;
    if (base[1] == 'd')
        return base[2] == '-' || base[2] == '6'; /* ld-linux*, ld64.so */
    if (base[1] != 'i' || base[2] != 'b')
        return false;
    base += 3;
    ME_START_DATA static const char names[][11] = {"c.so", "stdc++.so", "gcc_s.so", "pthread.so", "dl.so"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *a = base, *b = names[i];
        while (*b && *a == *b)
            a++, b++;
        if (!*b)
            return true;
    }
    return false;
}

/* The object that provides the program's malloc is the first in load
 * order to define it (a program's or a preload's own allocator has locks
 * of its own). */
ME_START static bool defines_malloc(const struct me_loaded *l)
{
    ME_START_DATA static const char name[] = "malloc";
    struct me_elf_object o;
    void *addr;
    return me_elf_may_define(l->base, l->dynamic, ME_HASH_MALLOC) &&
           me_elf_open(&o, l->base, l->dynamic) &&
           me_elf_find(&o, name, sizeof name - 1, ME_HASH_MALLOC, &addr) != ME_ELF_NONE;
}

/* Whether the object is the first in load order (bar this library) to
 * define malloc: asked of each object in order until one is. */
ME_START static bool provides_malloc(const struct me_loaded *l, bool self, bool *malloc_seen)
{
    if (*malloc_seen || self || !defines_malloc(l))
        return false;
    return *malloc_seen = true;
}

ME_START bool me_safepoint_wants(const struct me_loaded *l, bool self, bool *malloc_seen)
{
    bool named = self || guarded_name(l->name);
    return provides_malloc(l, self, malloc_seen) || named;
}

ME_START void me_safepoint_guard(struct me_loaded *l)
{
    if (!me_loaded_phdrs(l))
        return;
    int n = atomic_load_explicit(&nguarded, memory_order_relaxed);
    for (unsigned long i = 0; i < l->phnum && n < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &l->phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        guarded[n].lo = l->base + ph->p_vaddr;
        guarded[n].hi = guarded[n].lo + ph->p_memsz;
        n++;
    }
    atomic_store_explicit(&nguarded, n, memory_order_release);
}

/* Deferred: the ranges are read at the first signal that asks where it
 * interrupted, from the objects loaded at start-up (never unloaded, their
 * list read without the loader's lock): most processes never get one, and
 * reading every object's name cost each of them a thousand instructions.
 * In two steps: the objects guarded by name (and this library) first,
 * which is all a signal landing in libc needs (a daemon blocked in
 * epoll_wait or pause); which object provides malloc, which takes a
 * lookup in each object's hash table up to it, only when an address
 * lies outside all of those. */
enum { RANGES_READY, RANGES_DEFERRED, RANGES_READING, RANGES_NAMED, RANGES_READING_MALLOC };
static _Atomic int ranges_state = RANGES_READY;

ME_START void me_safepoint_defer(void) { atomic_store(&ranges_state, RANGES_DEFERRED); }

#if ME_ARCH_SAFEPOINTS
extern const char __ehdr_start[]; /* this library's ELF header, at its load bias */

/* The step from `from` is this caller's to take (the state becomes
 * `reading`): false while another thread (or the handler this one
 * interrupted) takes it, and the caller counts the spot as unsafe and
 * tries again later. */
ME_SIGNAL static bool claim_step(int from, int reading)
{
    int expect = from;
    return atomic_compare_exchange_strong(&ranges_state, &expect, reading);
}

/* The program's headers, which are not always at its bias. Off the
 * signal page: only a program that provides malloc itself is guarded. */
static __attribute__((noinline)) void program_phdrs(struct me_loaded *l)
{
    unsigned long (*getauxval_fn)(unsigned long) = ME_REAL(getauxval_fn);
    if (getauxval_fn) {
        l->phdr = (const ElfW(Phdr) *)getauxval_fn(AT_PHDR);
        l->phnum = getauxval_fn(AT_PHNUM);
    }
}

/* Guards each object loaded at start-up that guard_if wants, in load
 * order (*seen: what provides_malloc keeps). */
ME_SIGNAL static void each_initial(bool (*guard_if)(const struct me_loaded *, bool, bool *))
{
    unsigned n;
    bool seen = false;
    const struct link_map *m = me_objects_initial(&n);
    for (const struct link_map *head = m; m && n > 0; m = m->l_next, n--) {
        struct me_loaded l = {.base = m->l_addr, .name = m->l_name ? m->l_name : "",
                              .dynamic = m->l_ld};
        bool self = m != head && l.base == (uintptr_t)__ehdr_start; /* this library */
        if (me_object_is_vdso(l.name) || !guard_if(&l, self, &seen))
            continue;
        if (m == head)
            program_phdrs(&l);
        me_safepoint_guard(&l);
    }
}

ME_SIGNAL static bool by_name(const struct me_loaded *l, bool self, bool *unused)
{
    (void)unused;
    return self || guarded_name(l->name);
}

/* The provider of malloc, unless its name has it guarded already. */
static bool malloc_provider_only(const struct me_loaded *l, bool self, bool *seen)
{
    return provides_malloc(l, self, seen) && !by_name(l, self, NULL);
}

/* The first step: the objects guarded by name. */
ME_SIGNAL static bool names_ready(void)
{
    int st = atomic_load_explicit(&ranges_state, memory_order_acquire);
    if (st != RANGES_DEFERRED)
        return st != RANGES_READING;
    if (!claim_step(RANGES_DEFERRED, RANGES_READING))
        return false;
    each_initial(by_name);
    atomic_store_explicit(&ranges_state, RANGES_NAMED, memory_order_release);
    return true;
}

/* The second: the provider of malloc (names_ready() was true). */
static bool all_ready(void)
{
    int st = atomic_load_explicit(&ranges_state, memory_order_acquire);
    if (st != RANGES_NAMED)
        return st == RANGES_READY;
    if (!claim_step(RANGES_NAMED, RANGES_READING_MALLOC))
        return false;
    each_initial(malloc_provider_only);
    atomic_store_explicit(&ranges_state, RANGES_READY, memory_order_release);
    return true;
}

ME_SIGNAL static const struct range *search(uintptr_t pc)
{
    int n = atomic_load_explicit(&nguarded, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (pc >= guarded[i].lo && pc < guarded[i].hi)
            return &guarded[i];
    return NULL;
}

/* The guarded range that holds pc, or NULL; *known is false when that
 * cannot be told yet (the malloc provider is being read elsewhere). */
ME_SIGNAL static const struct range *find(uintptr_t pc, bool *known)
{
    const struct range *r = search(pc);
    if (r || atomic_load_explicit(&ranges_state, memory_order_acquire) == RANGES_READY) {
        *known = true;
        return r;
    }
    *known = all_ready();
    return *known ? search(pc) : NULL;
}

/* System calls libc makes while holding malloc's or fork's locks. Some
 * architectures (aarch64) lack the old calls: hence the #ifdefs. */
static bool under_libc_lock(long nr)
{
    switch (nr) {
    case SYS_mmap: case SYS_munmap: case SYS_mremap: case SYS_brk: case SYS_madvise:
    case SYS_mprotect: case SYS_clone:
#ifdef SYS_fork
    case SYS_fork:
#endif
#ifdef SYS_vfork
    case SYS_vfork:
#endif
#ifdef SYS_clone3
    case SYS_clone3:
#endif
        return true;
    default:
        return false;
    }
}

/* System calls that move no data and leave no libc state half updated when
 * they return. */
static bool waits_without_data(long nr)
{
    switch (nr) {
#ifdef SYS_pause
    case SYS_pause:
#endif
#ifdef SYS_poll
    case SYS_poll:
#endif
#ifdef SYS_select
    case SYS_select:
#endif
#ifdef SYS_epoll_wait
    case SYS_epoll_wait:
#endif
#ifdef SYS_vfork
    case SYS_vfork: /* the parent, its child gone: glibc's vfork holds no lock */
#endif
    case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_ppoll: case SYS_pselect6:
    case SYS_epoll_pwait: case SYS_rt_sigsuspend: case SYS_rt_sigtimedwait: case SYS_wait4:
    case SYS_waitid: case SYS_kill: case SYS_tgkill: case SYS_tkill: case SYS_rt_sigprocmask:
    case SYS_futex: case SYS_sched_yield: case SYS_getpid:
        return true;
    default:
        return false;
    }
}

/* System calls that write a buffer out. */
static bool writes_data(long nr)
{
    switch (nr) {
    case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev:
#ifdef SYS_pwritev2
    case SYS_pwritev2:
#endif
    case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg:
        return true;
    default:
        return false;
    }
}

/* At the end of a wrapper that returns straight to its caller (arch.h
 * reads the machine code), with a caller outside the guarded objects (the
 * program called write() itself), exiting here is exiting just after the
 * call returned: no libc state is half updated. A caller inside libc
 * (stdio's write of its buffer) is still unsafe. */
static bool returns_to_unguarded_caller(const unsigned char *p, const struct range *r,
                                        const ucontext_t *uc)
{
    uintptr_t ret = me_wrapper_return(p, r->lo, r->hi, uc);
    bool known;
    return ret && find(ret, &known) == NULL && known;
}

bool me_context_in_write(const void *ucp)
{
    const ucontext_t *uc = ucp;
    return uc && me_insn_is_syscall((const unsigned char *)me_uc_pc(uc)) &&
           writes_data(me_uc_sysnr(uc));
}

ME_SIGNAL bool me_context_is_safe(const void *ucp, const siginfo_t *info)
{
    const ucontext_t *uc = ucp;
    if (!uc)
        return true;
    if (!names_ready())
        return false;
    uintptr_t pc = me_uc_pc(uc);
    bool known;
    const struct range *r = find(pc, &known);
    if (!r)
        return known;
    const unsigned char *p = (const unsigned char *)pc;
    if (pc + ME_SYSCALL_INSN_LEN <= r->hi && me_insn_is_syscall(p)) {
        /* blocked and restarting, or about to enter */
        long nr = me_uc_sysnr(uc);
        if (under_libc_lock(nr))
            return false;
        /* stdio writing its buffer: the line being added may be only half
         * copied in (the rest follows the write), and flushing now would
         * cut it. The program's own write() is safe. */
        return !writes_data(nr) ||
               returns_to_unguarded_caller(p + ME_SYSCALL_INSN_LEN, r, uc);
    }
    if (pc >= r->lo + ME_SYSCALL_INSN_LEN && me_insn_is_syscall(p - ME_SYSCALL_INSN_LEN)) {
        if (me_uc_sysret(uc) == -EINTR)
            return true;
        /* which call just returned, when the wrapper or the context says so */
        long nr = me_syscall_nr_after(p, r->lo, uc);
        if (nr >= 0 && waits_without_data(nr))
            return true;
        if (info && info->si_pid == me_sys_getpid() &&
            (info->si_code == SI_USER || info->si_code == SI_TKILL || info->si_code == SI_QUEUE))
            return true; /* raise(), kill(getpid(), …): the thread signalled itself */
        if (returns_to_unguarded_caller(p, r, uc))
            return true;
    }
    return false;
}
#else
/* No port (arch/generic): the interrupted code cannot be read, and the
 * exit runs at once (docs/PLATFORMS.md, Architectures). */
bool me_context_is_safe(const void *ucp, const siginfo_t *info)
{
    (void)ucp;
    (void)info;
    return true;
}

bool me_context_in_write(const void *ucp)
{
    (void)ucp;
    return false;
}
#endif
