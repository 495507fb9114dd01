/* SPDX-License-Identifier: MIT */
/* The loaded objects' address ranges, where glibc has no _dl_find_object
 * (before 2.35): the components of section 2 need "which object holds
 * this address" at install time and, for the unloaded-handler rule, in
 * the dispatcher, where dl_iterate_phdr (it takes the loader's lock) may
 * not be called.
 *
 * Snapshots are taken outside handlers, from dl_iterate_phdr: at an
 * install that names a handler in no object of the table, when the
 * loader's counters moved since the last one (a dlopen), and after every
 * dlclose (shim/dl_family.c). Two tables take turns: a snapshot is
 * written into the one not published, then published, and a generation
 * count tells a reader that a table changed under it (it then reads
 * again). A reader that interrupted the writer on its own thread reads
 * the published table, which the writer is not touching, so it never
 * waits. A table outgrown is never unmapped (a reader may still be in it):
 * growth doubles, so what is left behind stays below what is in use. */
#include "object_ranges.h"

#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "mapping.h"
#include "sys.h"

struct range {
    uintptr_t lo, hi; /* [lo, hi): the object's PT_LOAD segments */
    uintptr_t id;
    const char *name; /* with lo and hi, tells an object from a later one */
};

struct table {
    size_t cap, n;
    struct range r[];
};

/* Mapped at the first snapshot: one pointer in the library's data page,
 * which every process maps (tests/test_footprint.c). */
struct state {
    struct table *_Atomic published;
    struct table *spare; /* the writer's: never published while it writes */
    _Atomic unsigned long generation;
    bool seen; /* seen_adds and seen_subs hold the loader's counters */
    unsigned long long seen_adds, seen_subs;
    uintptr_t last_id;
    /* The writer's lock: a thread id, so that a child forked while another
     * thread held it (that thread does not exist in the child) takes it over. */
    _Atomic pid_t writer;
    atomic_bool wanted;
};
static struct state *_Atomic state;

static bool lock_writer(struct state *s)
{
    pid_t me = me_sys_gettid(), held = 0;
    if (atomic_compare_exchange_strong(&s->writer, &held, me))
        return true;
    /* a holder left behind by fork: no such thread in this process */
    if (me_sys_failed(me_sys(SYS_tgkill, me_sys_getpid(), held, 0)))
        return atomic_compare_exchange_strong(&s->writer, &held, me);
    return false;
}

static struct table *table_of(size_t cap)
{
    size_t size = offsetof(struct table, r) + cap * sizeof(struct range);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    struct table *t = p;
    t->cap = cap;
    return t;
}

bool me_object_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
    *lo = UINTPTR_MAX;
    *hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (s < *lo)
            *lo = s;
        if (s + ph->p_memsz > *hi)
            *hi = s + ph->p_memsz;
    }
    return *lo < *hi;
}

struct walk {
    struct table *t;
    size_t count; /* objects seen, even past t->cap */
    unsigned long long adds, subs;
};

static int counters(struct dl_phdr_info *info, size_t size, void *p)
{
    struct walk *w = p;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        w->adds = info->dlpi_adds;
        w->subs = info->dlpi_subs;
    }
    return 1; /* the first object tells them */
}

static int collect(struct dl_phdr_info *info, size_t size, void *p)
{
    struct walk *w = p;
    counters(info, size, p);
    uintptr_t lo, hi;
    if (!me_object_range(info, &lo, &hi))
        return 0;
    if (w->count < w->t->cap) {
        struct range *r = &w->t->r[w->count];
        r->lo = lo;
        r->hi = hi;
        r->name = info->dlpi_name;
        r->id = 0;
    }
    w->count++;
    return 0;
}

/* The identity an object had in the last snapshot, or a new one. */
static uintptr_t identity(struct state *s, const struct table *old, const struct range *r)
{
    for (size_t i = 0; old && i < old->n; i++)
        if (old->r[i].lo == r->lo && old->r[i].hi == r->hi && old->r[i].name == r->name)
            return old->r[i].id;
    s->last_id += 2;
    return s->last_id;
}

static void snapshot(struct state *s, bool force)
{
    struct walk w = {0};
    dl_iterate_phdr(counters, &w);
    if (!force && s->seen && w.adds == s->seen_adds && w.subs == s->seen_subs)
        return;
    struct table *old = atomic_load(&s->published);
    size_t cap = s->spare ? s->spare->cap : 64;
    for (;;) {
        if (!s->spare || s->spare->cap < cap) {
            struct table *t = table_of(cap);
            if (!t)
                return; /* no memory: the last snapshot stays */
            s->spare = t; /* the outgrown one stays mapped (see the top) */
        }
        w.t = s->spare;
        w.count = 0;
        dl_iterate_phdr(collect, &w);
        if (w.count <= s->spare->cap)
            break;
        cap = w.count * 2;
    }
    struct table *fresh = s->spare;
    fresh->n = w.count;
    for (size_t i = 0; i < fresh->n; i++)
        fresh->r[i].id = identity(s, old, &fresh->r[i]);
    s->seen = true;
    s->seen_adds = w.adds;
    s->seen_subs = w.subs;
    s->spare = old;
    atomic_store(&s->published, fresh);
    atomic_fetch_add(&s->generation, 1);
}

void me_objects_refresh(bool force)
{
    int saved = errno;
    struct state *s = me_map_once((void *_Atomic *)&state, sizeof *s, 0);
    if (!s)
        return; /* no memory: every address is outside every object */
    if (force)
        atomic_store(&s->wanted, true);
    while (lock_writer(s)) {
        bool f = atomic_exchange(&s->wanted, false) || force;
        force = false;
        snapshot(s, f);
        atomic_store(&s->writer, 0);
        if (!atomic_load(&s->wanted))
            break;
    }
    errno = saved;
}

uintptr_t me_objects_find(uintptr_t addr)
{
    struct state *s = atomic_load(&state);
    uintptr_t id = 0;
    for (int tries = 0; s && tries < 1000; tries++) {
        unsigned long g = atomic_load(&s->generation);
        const struct table *t = atomic_load(&s->published);
        id = 0;
        for (size_t i = 0; t && i < t->n; i++)
            if (addr >= t->r[i].lo && addr < t->r[i].hi) {
                id = t->r[i].id;
                break;
            }
        if (atomic_load(&s->generation) == g)
            break;
    }
    return id;
}
