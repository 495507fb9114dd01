/* SPDX-License-Identifier: MIT */
/* Output a forked child inherited unwritten in its stdio buffers belongs to
 * its parent, which writes it. Without the shim a child killed by a signal
 * dies with its copy; the signal-initiated exit would flush it, and the
 * parent's lines would appear twice. (A child that flushes or exit()s by
 * itself writes them twice without the shim too: that is the program's
 * own behaviour, and stays.)
 *
 * So fork(), when some stream has output pending (the parent checks: one
 * walk of the stream list, no system call), records in the child what each
 * such stream held: where, how much, and a copy of the bytes. The signal
 * exit, before any exit function runs, drops that part from each stream
 * that still begins with it untouched, and keeps what the child wrote after
 * the fork. A stream the child has flushed meanwhile no longer begins with
 * the same bytes at the same place, or its write pointer is behind them.
 *
 * glibc's FILE fields and its list of streams (_IO_list_all, under
 * _IO_list_lock) are public ABI, exported since glibc 2.0. */
#include "inherited_stdio.h"

#include <stdio.h>
#include <sys/mman.h>

#include "placement.h"
#include "real.h"
#include "sys.h"

struct record {
    FILE *fp;
    char *at;   /* the buffer's unwritten part began here at the fork... */
    size_t len; /* ...and was this long; the bytes follow the record */
};

/* The records: a private mapping made by the child that needs it, with the
 * pid it was made for (a grandchild inherits it, and must not use it). */
struct records {
    pid_t pid;
    size_t n, size;
};
static struct records *recs;

/* The stream list, walked under its lock (no stream is freed meanwhile),
 * and the stream locks: resolved on first use, one slot each (an import
 * would cost the data page more: test_footprint). */
static void *slots[6];
ME_WARM_DATA static const char names[6][24] = {"_IO_list_lock", "_IO_list_unlock", "_IO_list_all",
                                               "ftrylockfile", "funlockfile",
                                               "__libc_single_threaded"};
ME_WARM static void *sym(int i)
{
    void *f = __atomic_load_n(&slots[i], __ATOMIC_ACQUIRE);
    return f ? f : me_real_lazy(&slots[i], names[i]);
}
#define LIST_LOCK() ((void (*)(void))sym(0))()
#define LIST_UNLOCK() ((void (*)(void))sym(1))()
#define LIST_HEAD() (*(FILE **)sym(2))
#define TRYLOCK(fp) ((int (*)(FILE *))sym(3))(fp)
#define UNLOCK(fp) ((void (*)(FILE *))sym(4))(fp)

/* Byte loops, not memcmp/memmove: two imports less (see above); volatile
 * keeps the compiler from turning them back into the calls. */
static bool same_bytes(const char *a, const char *b, size_t n)
{
    const volatile char *x = a;
    while (n--)
        if (*x++ != *b++)
            return false;
    return true;
}
static void move_down(char *to, const char *from, size_t n)
{
    volatile char *t = to;
    while (n--)
        *t++ = *from++;
}

ME_WARM static size_t pending(const FILE *fp)
{
    return fp->_IO_write_ptr > fp->_IO_write_base ? (size_t)(fp->_IO_write_ptr - fp->_IO_write_base)
                                                  : 0;
}

/* Called before every fork. A single-threaded process walks the list
 * without its lock, as glibc's own fork does: taking it writes to a libc
 * page, which each fork then makes copy-on-write again (a page fault per
 * fork: 4% of fork's cost here). */
ME_WARM bool me_stdio_pending(void)
{
    const char *single = sym(5); /* glibc 2.32 and later */
    bool any = false, lock = !single || !*single;
    if (lock)
        LIST_LOCK();
    for (FILE *fp = LIST_HEAD(); fp && !any; fp = fp->_chain)
        any = pending(fp) > 0;
    if (lock)
        LIST_UNLOCK();
    return any;
}

static size_t rec_size(size_t len)
{
    return (sizeof(struct record) + len + 15) & ~(size_t)15;
}

void me_stdio_record_inherited(void)
{
    /* The child is single-threaded here: nothing changes the streams. */
    size_t need = sizeof(struct records);
    for (FILE *fp = LIST_HEAD(); fp; fp = fp->_chain) {
        size_t len = pending(fp);
        if (len)
            need += rec_size(len);
    }
    long m = me_sys(SYS_mmap, NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (me_sys_failed(m))
        return; /* as before: the exit flushes what the child inherited */
    struct records *r = (struct records *)m;
    r->pid = me_sys_getpid();
    r->size = need;
    r->n = 0;
    char *p = (char *)(r + 1);
    for (FILE *fp = LIST_HEAD(); fp; fp = fp->_chain) {
        size_t len = pending(fp);
        if (!len)
            continue;
        struct record *e = (struct record *)(void *)p;
        e->fp = fp;
        e->at = fp->_IO_write_base;
        e->len = len;
        move_down((char *)(e + 1), fp->_IO_write_base, len);
        p += rec_size(len);
        r->n++;
    }
    struct records *old = recs;
    recs = r;
    if (old) /* inherited from the parent's own fork: not ours */
        me_sys(SYS_munmap, old, old->size);
}

static bool on_list(const FILE *fp)
{
    for (FILE *f = LIST_HEAD(); f; f = f->_chain)
        if (f == fp)
            return true;
    return false;
}

/* Off the signal page: only a forked child that inherited output runs it. */
static __attribute__((noinline)) void drop(struct records *r)
{
    if (r->pid != me_sys_getpid())
        return;
    LIST_LOCK();
    char *p = (char *)(r + 1);
    for (size_t i = 0; i < r->n; i++, p += rec_size(((struct record *)(void *)p)->len)) {
        const struct record *e = (const struct record *)(void *)p;
        FILE *fp = e->fp;
        /* a stream another thread is writing to is left as it is */
        if (!on_list(fp) || TRYLOCK(fp) != 0)
            continue;
        if (fp->_IO_write_base == e->at && fp->_IO_write_ptr >= e->at + e->len &&
            same_bytes(e->at, (const char *)(e + 1), e->len)) {
            size_t after = (size_t)(fp->_IO_write_ptr - (e->at + e->len));
            move_down(e->at, e->at + e->len, after);
            fp->_IO_write_ptr = e->at + after;
        }
        UNLOCK(fp);
    }
    LIST_UNLOCK();
}

ME_SIGNAL void me_stdio_drop_inherited(void)
{
    struct records *r = recs;
    if (r)
        drop(r);
}
