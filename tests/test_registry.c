/* SPDX-License-Identifier: MIT */
/* registry/ under concurrency, linked directly (for ThreadSanitizer and
 * AddressSanitizer): writers installing and removing while readers copy. */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitfns.h"
#include "harness.h"
#include "sigchain.h"

#define SIG 10
static atomic_bool stop;
static atomic_long bad_views, reads;

static void permanent(int s) { (void)s; }
static void f1(int s) { (void)s; }
static void f2(int s) { (void)s; }
static void f3(int s) { (void)s; }
static void f4(int s) { (void)s; }
static void (*const noise[])(int) = {f1, f2, f3, f4};

/* Handlers of component c (a stand-in for a loaded object) owned by
 * process 1, installed as process 1 with chaining on. */
static const struct me_install outside = {ME_INSTALL_OUTSIDE, 1, true, false, 0};
static const struct me_install inside = {ME_INSTALL_INSIDE, 1, true, false, 0};
static struct me_handler hnd(void (*fn)(int), uintptr_t comp)
{
    return (struct me_handler){.fn = (void *)fn, .comp = comp << 1, .owner = 1};
}

static void *writer(void *arg)
{
    /* each writer its own component, so that they chain */
    struct me_handler mine = hnd(noise[(uintptr_t)arg % 4], 100 + (uintptr_t)arg), old;
    while (!atomic_load(&stop)) {
        me_chain_install(SIG, &mine, &outside, &old, NULL);
        me_chain_install(SIG, &old, &outside, NULL, NULL); /* save/restore */
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    struct me_chain_view v;
    while (!atomic_load(&stop)) {
        me_chain_read(SIG, &v);
        /* invariants: the permanent handler is always first, no handler twice */
        bool ok = v.n >= 1 && v.n <= ME_CHAIN_CAP && v.h[0].fn == (void *)permanent;
        for (unsigned i = 0; ok && i < v.n; i++)
            for (unsigned j = i + 1; j < v.n; j++)
                if (v.h[i].fn == v.h[j].fn)
                    ok = false;
        if (!ok)
            atomic_fetch_add(&bad_views, 1);
        atomic_fetch_add(&reads, 1);
    }
    return NULL;
}

START_TEST(chain_readers_never_see_a_torn_chain)
{
    struct me_handler init = hnd(SIG_DFL, 0), perm = hnd(permanent, 99);
    me_chain_set_initial(SIG, &init);
    me_chain_install(SIG, &perm, &outside, NULL, NULL);
    pthread_t w[4], r[2];
    for (uintptr_t i = 0; i < 4; i++)
        pthread_create(&w[i], NULL, writer, (void *)i);
    for (int i = 0; i < 2; i++)
        pthread_create(&r[i], NULL, reader, NULL);
    while (atomic_load(&reads) < 200000)
        sched_yield();
    atomic_store(&stop, true);
    for (int i = 0; i < 4; i++)
        pthread_join(w[i], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(r[i], NULL);
    ck_assert_int_eq(atomic_load(&bad_views), 0);
    /* Uncoordinated save/restore may leave one writer's "old" handler
     * installed (as it would in the kernel); the permanent one stays first. */
    struct me_chain_view v;
    me_chain_read(SIG, &v);
    ck_assert_uint_ge(v.n, 1);
    ck_assert_ptr_eq(v.h[0].fn, (void *)permanent);
}
END_TEST

START_TEST(chain_rules)
{
    struct me_handler dfl = hnd(SIG_DFL, 0), a = hnd(f1, 1), b = hnd(f2, 2), c = hnd(f3, 3), prev;
    c.flags = 4;
    struct me_chain_view v;
    me_chain_set_initial(12, &dfl);
    me_chain_install(12, &a, &outside, &prev, NULL);
    ck_assert_ptr_eq(prev.fn, (void *)SIG_DFL);
    me_chain_install(12, &b, &outside, &prev, NULL);
    me_chain_install(12, &c, &outside, &prev, NULL);
    me_chain_read(12, &v);
    ck_assert_uint_eq(v.n, 3);
    /* re-installing b from inside its own execution keeps c */
    me_chain_install(12, &b, &inside, &prev, NULL);
    me_chain_read(12, &v);
    ck_assert_uint_eq(v.n, 3);
    ck_assert_ptr_eq(v.disp.fn, (void *)f2);
    /* from outside it drops c */
    me_chain_install(12, &b, &outside, &prev, NULL);
    me_chain_read(12, &v);
    ck_assert_uint_eq(v.n, 2);
    /* SA_RESETHAND semantics: b removed, disposition SIG_DFL, a stays */
    me_chain_reset_once(12, (void *)f2);
    me_chain_read(12, &v);
    ck_assert_uint_eq(v.n, 1);
    ck_assert_ptr_eq(v.disp.fn, (void *)SIG_DFL);
    ck_assert_ptr_eq(v.h[0].fn, (void *)f1);
    /* capacity: the 33rd handler overwrites the newest, once flagged */
    me_chain_install(12, &dfl, &outside, NULL, NULL);
    bool overflowed = false;
    for (uintptr_t i = 0; i < ME_CHAIN_CAP + 1; i++) {
        struct me_handler h = hnd((void (*)(int))(0x1000 + i * 16), 0x1000 + i);
        me_chain_install(12, &h, &outside, NULL, &overflowed);
        ck_assert(overflowed == (i == ME_CHAIN_CAP));
    }
    me_chain_read(12, &v);
    ck_assert_uint_eq(v.n, ME_CHAIN_CAP);
    ck_assert_ptr_eq(v.h[ME_CHAIN_CAP - 1].fn, (void *)(0x1000 + ME_CHAIN_CAP * 16));
}
END_TEST

static void chain_is(int sig, unsigned n, ...)
{
    struct me_chain_view v;
    me_chain_read(sig, &v);
    ck_assert_uint_eq(v.n, n);
    va_list ap;
    va_start(ap, n);
    for (unsigned i = 0; i < n; i++)
        ck_assert_ptr_eq(v.h[i].fn, va_arg(ap, void *));
    va_end(ap);
}

START_TEST(a_component_replaces_its_own_and_inherited_handlers)
{
    struct me_handler dfl = hnd(SIG_DFL, 0), a = hnd(f1, 1), a2 = hnd(f2, 1), b = hnd(f3, 2);
    me_chain_set_initial(13, &dfl);
    me_chain_install(13, &a, &outside, NULL, NULL);
    me_chain_install(13, &b, &outside, NULL, NULL);
    chain_is(13, 2, (void *)f1, (void *)f3);
    /* component 1 replaces its start-up handler with its main one */
    me_chain_install(13, &a2, &outside, NULL, NULL);
    chain_is(13, 2, (void *)f3, (void *)f2);
    /* a forked child (process 2) installs its own: every inherited one goes */
    struct me_install child = {ME_INSTALL_OUTSIDE, 2, true, false, 0};
    struct me_handler c = hnd(f4, 3);
    c.owner = 2;
    me_chain_install(13, &c, &child, NULL, NULL);
    chain_is(13, 1, (void *)f4);
    /* MULTIEXIT_CHAIN=off: every install replaces */
    struct me_install off = {ME_INSTALL_OUTSIDE, 2, false, false, 0};
    struct me_handler d = hnd(f1, 4);
    d.owner = 2;
    me_chain_install(13, &d, &off, NULL, NULL);
    chain_is(13, 1, (void *)f1);
}
END_TEST

START_TEST(daemon_hands_the_handlers_over)
{
    struct me_handler dfl = hnd(SIG_DFL, 0), a = hnd(f1, 1), b = hnd(f2, 2);
    me_chain_set_initial(14, &dfl);
    me_chain_install(14, &a, &outside, NULL, NULL);
    me_chain_transfer(14, 1, 5);
    struct me_install daemon_child = {ME_INSTALL_OUTSIDE, 5, true, false, 0};
    b.owner = 5;
    me_chain_install(14, &b, &daemon_child, NULL, NULL);
    chain_is(14, 2, (void *)f1, (void *)f2);
}
END_TEST

START_TEST(a_pin_reads_the_chain_as_it_stood)
{
    struct me_handler dfl = hnd(SIG_DFL, 0), a = hnd(f1, 1), b = hnd(f2, 2);
    me_chain_set_initial(15, &dfl);
    struct me_chain_pin p;
    me_chain_pin(15, (uintptr_t)__builtin_frame_address(0), &p);
    ck_assert_uint_eq(p.n, 0);
    ck_assert_ptr_eq(p.disp->fn, (void *)SIG_DFL);
    me_chain_unpin(&p);
    me_chain_install(15, &a, &outside, NULL, NULL);
    me_chain_pin(15, (uintptr_t)__builtin_frame_address(0), &p);
    uint64_t changes = me_chain_changes(15);
    /* more installs than the pool has snapshots: the pinned one stays intact */
    for (int i = 0; i < 20; i++)
        me_chain_install(15, i % 2 ? &a : &b, &outside, NULL, NULL);
    ck_assert_uint_ne(me_chain_changes(15), changes);
    ck_assert_uint_eq(p.n, 1);
    ck_assert_ptr_eq(p.h[0].fn, (void *)f1);
    me_chain_unpin(&p);
    ck_assert_ptr_eq(me_chain_disp_fn(15), (void *)f1);
}
END_TEST

/* The handlers a delivery runs, oldest first. */
static void runs(int sig, unsigned n, ...)
{
    struct me_chain_pin p;
    me_chain_pin(sig, (uintptr_t)__builtin_frame_address(0), &p);
    unsigned got = p.n;
    void *fns[ME_CHAIN_CAP];
    for (unsigned i = 0; i < got && i < ME_CHAIN_CAP; i++)
        fns[i] = p.h[i].fn;
    me_chain_unpin(&p);
    ck_assert_uint_eq(got, n);
    va_list ap;
    va_start(ap, n);
    for (unsigned i = 0; i < n; i++)
        ck_assert_ptr_eq(fns[i], va_arg(ap, void *));
    va_end(ap);
}

/* SEMANTICS section 2, taking over: readline's save, restore, set again. */
START_TEST(a_component_that_read_the_disposition_takes_the_signal_over)
{
    struct me_handler dfl = hnd(SIG_DFL, 0), app = hnd(f1, 1), rl = hnd(f2, 2), lib = hnd(f3, 3);
    struct me_install reads = outside;
    reads.looked = true; /* sigaction(sig, &rl, &saved) */
    me_chain_set_initial(16, &dfl);
    me_chain_install(16, &app, &outside, NULL, NULL);
    me_chain_install(16, &rl, &reads, NULL, NULL);
    chain_is(16, 2, (void *)f1, (void *)f2); /* app remembered */
    runs(16, 1, (void *)f2);                 /* only readline's runs */
    me_chain_install(16, &app, &outside, NULL, NULL); /* restore what was read */
    chain_is(16, 1, (void *)f1);
    runs(16, 1, (void *)f1);
    me_chain_install(16, &rl, &reads, NULL, NULL);
    runs(16, 1, (void *)f2);
    /* a component that did not look chains with the one that took over */
    me_chain_install(16, &lib, &outside, NULL, NULL);
    runs(16, 2, (void *)f2, (void *)f3);
    /* the one that took over replaces its own handler: what it replaced
     * stays replaced */
    struct me_handler rl2 = hnd(f4, 2);
    me_chain_install(16, &rl2, &outside, NULL, NULL);
    runs(16, 2, (void *)f3, (void *)f4);
    chain_is(16, 3, (void *)f1, (void *)f3, (void *)f4);
    /* SIG_DFL forgets everything */
    me_chain_install(16, &dfl, &outside, NULL, NULL);
    runs(16, 0);
    chain_is(16, 0);
}
END_TEST

/* A query counts for the component that made it, until the disposition
 * changes; another component's query counts for nobody else. */
START_TEST(a_query_counts_until_the_disposition_changes)
{
    struct me_handler dfl = hnd(SIG_DFL, 0), c = hnd(f1, 1), go = hnd(f2, 2), late = hnd(f3, 3),
                      other = hnd(f4, 4);
    struct me_install by2 = outside, by3 = outside;
    by2.by = go.comp;
    by3.by = late.comp;
    me_chain_set_initial(17, &dfl);
    struct me_handler seen;
    uint64_t set_gen;
    me_chain_install(17, &c, &outside, NULL, NULL);
    me_chain_disposition(17, &seen, &set_gen); /* sigaction(sig, NULL, &old) */
    me_chain_note_read(17, go.comp, set_gen);
    me_chain_install(17, &go, &by2, NULL, NULL);
    runs(17, 1, (void *)f2);
    me_chain_disposition(17, &seen, &set_gen);
    me_chain_note_read(17, late.comp, set_gen);
    me_chain_install(17, &other, &outside, NULL, NULL); /* changes it meanwhile */
    me_chain_install(17, &late, &by3, NULL, NULL);       /* read before: chains */
    runs(17, 3, (void *)f2, (void *)f4, (void *)f3);
    me_chain_install(17, &dfl, &outside, NULL, NULL);
}
END_TEST

/* SA_RESETHAND on a handler that took the signal over: what it replaced
 * does not come back. */
START_TEST(a_reset_handler_that_took_over_leaves_nothing_behind)
{
    struct me_handler dfl = hnd(SIG_DFL, 0), a = hnd(f1, 1), b = hnd(f2, 2);
    struct me_install reads = outside;
    reads.looked = true;
    me_chain_set_initial(18, &dfl);
    me_chain_install(18, &a, &outside, NULL, NULL);
    me_chain_install(18, &b, &reads, NULL, NULL);
    me_chain_reset_once(18, (void *)f2);
    runs(18, 0);
    ck_assert_ptr_eq(me_chain_disp_fn(18), (void *)SIG_DFL);
}
END_TEST

static void dummy(void) {}

static void *registrar(void *arg)
{
    for (int i = 0; i < 20000; i++)
        ck_assert_ptr_nonnull(me_exitfns_new(ME_EXIT_CXA, (void *)dummy, arg, 100, false));
    return NULL;
}

START_TEST(exit_records_concurrent_registration_and_ownership)
{
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, registrar, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    struct me_exit_rec *priv = me_exitfns_new(ME_EXIT_CXA, (void *)dummy, NULL, 100, false);
    struct me_exit_rec *shared = me_exitfns_new(ME_EXIT_CXA, (void *)f1, NULL, 100, true);
    ck_assert(!me_exitfns_claim(priv, 200)); /* a child: not its function */
    ck_assert(me_exitfns_claim(shared, 200));
    ck_assert(!me_exitfns_claim(shared, 200)); /* once per process */
    ck_assert(me_exitfns_claim(shared, 100));  /* and once in the owner */
    ck_assert(me_exitfns_claim(priv, 100));
    me_exitfns_transfer(100, 300); /* daemon() hand-over */
    struct me_exit_rec *p2 = me_exitfns_new(ME_EXIT_CXA, (void *)f2, NULL, 300, false);
    ck_assert_uint_eq(me_exitfns_remove_fn((void *)f2, 400), 0); /* not 400's */
    ck_assert_uint_eq(me_exitfns_remove_fn((void *)f2, 300), 1);
    ck_assert(!me_exitfns_claim(p2, 300));
    /* 80000 from the threads plus priv: it ran in 100, not yet in 300 */
    ck_assert_uint_eq(me_exitfns_remove_fn((void *)dummy, 300), 80001);
}
END_TEST

static atomic_bool stop_transfers;

static void *transferrer(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_transfers))
        me_exitfns_transfer(100, 100); /* holds the lock most of the time */
    return NULL;
}

/* A child forked while another thread holds the registration lock takes it
 * over at its first registration instead of spinning forever (a child
 * that hangs is ended by its alarm). */
START_TEST(a_forked_child_takes_over_a_lock_held_at_the_fork)
{
    pthread_t t;
    atomic_store(&stop_transfers, false);
    pthread_create(&t, NULL, transferrer, NULL);
    int hung = 0;
    for (int i = 0; i < 200 && !hung; i++) {
        pid_t c = fork();
        if (c == 0) {
            signal(SIGALRM, SIG_DFL); /* not Check's timeout handler */
            alarm(5);
            me_exitfns_new(ME_EXIT_CXA, (void *)dummy, NULL, 200, false);
            _exit(0);
        }
        int st;
        waitpid(c, &st, 0);
        hung += !WIFEXITED(st);
    }
    atomic_store(&stop_transfers, true);
    pthread_join(t, NULL);
    ck_assert_msg(hung == 0, "a child hung in its first registration");
}
END_TEST

int main(void)
{
    /* what the shim maps and hands over before it manages a signal */
    void *chains = mmap(NULL, me_chain_memory_size(), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (chains == MAP_FAILED)
        return 1;
    me_chain_use_memory(chains);
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("registry");
    tcase_set_timeout(tc, 120);
    me_add_test(tc, chain_readers_never_see_a_torn_chain);
    me_add_test(tc, chain_rules);
    me_add_test(tc, a_component_replaces_its_own_and_inherited_handlers);
    me_add_test(tc, daemon_hands_the_handlers_over);
    me_add_test(tc, a_pin_reads_the_chain_as_it_stood);
    me_add_test(tc, a_component_that_read_the_disposition_takes_the_signal_over);
    me_add_test(tc, a_query_counts_until_the_disposition_changes);
    me_add_test(tc, a_reset_handler_that_took_over_leaves_nothing_behind);
    me_add_test(tc, exit_records_concurrent_registration_and_ownership);
    me_add_test(tc, a_forked_child_takes_over_a_lock_held_at_the_fork);
    suite_add_tcase(s, tc);
    return run_suite(s, false);
}
