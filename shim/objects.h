/* SPDX-License-Identifier: MIT */
/* The objects loaded at start-up, in load order (objects.c): what the
 * one walk at init reads to resolve the real functions, spot another
 * copy of the library and guard the safe points. */
#ifndef ME_OBJECTS_H
#define ME_OBJECTS_H

#include <link.h>
#include <stdbool.h>
#include <stdint.h>

/* What the kernel told the program at exec (the auxiliary vector). */
struct me_auxv {
    uintptr_t ldso_base;     /* AT_BASE: 0 when ld.so was run as the program */
    const ElfW(Phdr) *phdr;  /* AT_PHDR, AT_PHNUM: the program's headers */
    unsigned long phnum;
    bool secure;             /* AT_SECURE */
};
/* v: the vector, which follows the terminating NULL of the environment
 * the process started with, on its initial stack. False if it holds no
 * program headers, which the kernel always gives: then v was not the
 * vector (an earlier constructor's unsetenv() shifted the environment's
 * terminator down), and nothing in *a is to be believed. */
bool me_auxv_read(const ElfW(auxv_t) *v, struct me_auxv *a);

struct me_loaded {
    uintptr_t base;           /* load bias */
    const char *name;         /* "" for the program */
    const ElfW(Dyn) *dynamic; /* NULL: none */
    const ElfW(Phdr) *phdr;   /* NULL until me_loaded_phdrs() */
    unsigned long phnum;
};

/* The dynamic linker's own list of objects, reached through the program's
 * DT_DEBUG entry or else ld.so's _r_debug; NULL if neither can be found. */
const struct link_map *me_objects_list(const struct me_auxv *auxv);
/* Calls fn for each object in load order, the vDSO left out: from list,
 * or through dl_iterate_phdr if list is NULL (auxv may be NULL then). */
void me_objects_walk(const struct link_map *list, const struct me_auxv *auxv,
                     void (*fn)(struct me_loaded *, void *), void *arg);

/* The kernel's vDSO, by its name: nothing in it to find or guard (and its
 * dynamic section holds link-time addresses) */
bool me_object_is_vdso(const char *name);

/* The program headers of a shared object, read from its ELF header (the
 * walk over the linker's list does not carry them). False if unreadable. */
bool me_loaded_phdrs(struct me_loaded *l);

/* The list as the walk found it (NULL after a dl_iterate_phdr walk), and
 * how many objects were loaded at start-up: those are never unloaded, so
 * the first n of the list can be read later without the loader's lock,
 * in a signal handler too. (One that another library's constructor
 * dlopen()ed before the shim's ran is counted as well; were it dlclose()d
 * later, its entry would be gone: no such library is known.) */
const struct link_map *me_objects_initial(unsigned *n);

#endif
