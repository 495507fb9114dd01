/* SPDX-License-Identifier: MIT */
#ifndef ME_REAL_H
#define ME_REAL_H

#include <link.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "placement.h"

/* glibc's struct dl_find_object (2.35+), spelt out: the headers of an
 * older glibc have none, and the library built there uses it where it
 * runs on a newer one. Its size is glibc's ABI: 96 bytes on x86-64 and
 * aarch64; the one word more covers the ports with dlfo_eh_dbase or
 * dlfo_eh_count. (It is on the dispatcher's stack: keep it small.) */
struct me_dl_find_object {
    unsigned long long flags;
    void *map_start, *map_end;
    void *link_map;
    void *eh_frame;
    unsigned long long reserved[8];
};

/* The functions the shim wraps, as the program would reach them without
 * it (real.c). Resolved at init, or those real_names.h marks at their
 * first use, through ME_REAL(), which is safe in a signal handler too. */
struct me_real {
    int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
    int (*cxa_atexit_fn)(void (*)(void *), void *, void *);
    void (*cxa_finalize_fn)(void *);
    void (*exit_fn)(int) __attribute__((noreturn));
    void (*abort_fn)(void) __attribute__((noreturn));
    int (*libc_start_main_fn)(int (*)(int, char **, char **), int, char **, void (*)(void),
                              void (*)(void), void (*)(void), void *);
    pid_t (*fork_fn)(void);
    unsigned long (*getauxval_fn)(unsigned long);
    int (*find_object_fn)(void *, struct me_dl_find_object *); /* glibc 2.35+ */
};
extern struct me_real me_real;

struct me_elf_object;
/* Called for every loaded object in load order. */
void me_real_visit(struct me_elf_object *o, bool after_self);
bool me_real_all_found(void);
/* Before the walk, when it reads the linker's list: the wants marked for
 * their first use are left to ME_REAL(). */
void me_real_defer(void);
/* dlsym for whatever the walk left unresolved. */
void me_real_finish(void);
/* field of struct me_real, resolved now if it was left to its first use;
 * NULL if no object defines it */
void *me_real_resolve(size_t offset);
#define ME_REAL(field)                                                                         \
    ((__typeof__(me_real.field))(__atomic_load_n((void **)&me_real.field, __ATOMIC_ACQUIRE)   \
                                     ?: me_real_resolve(offsetof(struct me_real, field))))
/* Functions never needed in a handler, resolved on first use. */
void *me_real_lazy(void **slot, const char *name);
/* (Used in ME_WARM code: the name is kept with it.) */
#define ME_REAL_LAZY(type, name)                                                               \
    ({                                                                                         \
        static void *slot_;                                                                    \
        ME_WARM_DATA static const char name_[] = name;                                         \
        (type)(__atomic_load_n(&slot_, __ATOMIC_ACQUIRE) ? slot_ : me_real_lazy(&slot_, name_)); \
    })
/* dlsym(RTLD_DEFAULT, name): an ordinary reference's binding */
void *me_real_global(const char *name);
/* The same, read from the objects loaded at start-up where one of them
 * defines it (dlsym takes the loader's lock and ~1,000 instructions a
 * name), with *sym its symbol (its size); else dlsym's answer, *sym NULL.
 * Not safe in a signal handler (dlsym). */
void *me_real_global_sym(const char *name, const ElfW(Sym) **sym);

#endif
