/* SPDX-License-Identifier: MIT */
/* The objects loaded at start-up, read from the dynamic linker's list.
 *
 * dl_iterate_phdr gives the same objects, but it costs every process a
 * lazy binding (some 700 instructions) and its own work, and it hands over
 * program headers where the symbol lookup wants the dynamic section: each
 * object's headers were scanned for it. The linker's list (struct
 * link_map, public in <link.h>: base, name, dynamic section) is reached
 * through the program's DT_DEBUG entry, where ld.so puts its struct
 * r_debug for debuggers (the program's headers are in the auxiliary
 * vector), or else through ld.so's exported _r_debug, found in ld.so's own
 * hash table (ld.so's address is in the vector too). No lock is taken: at
 * a constructor's time every object on the list is loaded and relocated,
 * and the objects loaded at start-up are never unloaded. */
#include "objects.h"

#include <elf.h>
#include <stddef.h>

#include "elf_symbols.h"
#include "placement.h"

static const struct link_map *initial_head;
static unsigned initial_count;

ME_START bool me_auxv_read(const ElfW(auxv_t) *v, struct me_auxv *a)
{
    *a = (struct me_auxv){0};
    for (; v->a_type != AT_NULL; v++) {
        switch (v->a_type) {
        case AT_BASE: a->ldso_base = v->a_un.a_val; break;
        case AT_PHDR: a->phdr = (const ElfW(Phdr) *)v->a_un.a_val; break;
        case AT_PHNUM: a->phnum = v->a_un.a_val; break;
        case AT_SECURE: a->secure = v->a_un.a_val != 0; break;
        default: break;
        }
    }
    return a->phdr && a->phnum;
}

ME_START bool me_loaded_phdrs(struct me_loaded *l)
{
    if (l->phdr)
        return true;
    /* a shared object's first segment maps its ELF header at the load bias */
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)l->base;
    if (!eh || eh->e_ident[EI_MAG0] != ELFMAG0 || eh->e_ident[EI_MAG1] != ELFMAG1 ||
        eh->e_ident[EI_MAG2] != ELFMAG2 || eh->e_ident[EI_MAG3] != ELFMAG3 ||
        eh->e_phentsize != sizeof(ElfW(Phdr)))
        return false;
    l->phdr = (const ElfW(Phdr) *)(l->base + eh->e_phoff);
    l->phnum = eh->e_phnum;
    return true;
}

ME_START static const ElfW(Dyn) *dynamic_of(const struct me_loaded *l)
{
    for (unsigned long i = 0; i < l->phnum; i++)
        if (l->phdr[i].p_type == PT_DYNAMIC)
            return (const ElfW(Dyn) *)(l->base + l->phdr[i].p_vaddr);
    return NULL;
}

/* linux-vdso.so.1, linux-gate.so.1: nothing to find or guard */
ME_START bool me_object_is_vdso(const char *n)
{
    return n && n[0] == 'l' && n[1] == 'i' && n[2] == 'n' && n[3] == 'u' && n[4] == 'x' &&
           n[5] == '-';
}

/* ld.so's struct r_debug, found by its exported name */
ME_START static const struct r_debug *find_r_debug(uintptr_t ldso_base)
{
    ME_START_DATA static const char name[] = "_r_debug";
    struct me_loaded ld = {.base = ldso_base};
    struct me_elf_object o;
    void *addr;
    if (!ldso_base || !me_loaded_phdrs(&ld) || !me_elf_open(&o, ld.base, dynamic_of(&ld)) ||
        me_elf_find(&o, name, sizeof name - 1, ME_HASH_R_DEBUG, &addr) !=
            ME_ELF_DEFINED)
        return NULL;
    return addr;
}

struct iterate_arg {
    void (*fn)(struct me_loaded *, void *);
    void *arg;
};

ME_START static int from_phdr_info(struct dl_phdr_info *info, size_t size, void *arg)
{
    const struct iterate_arg *a = arg;
    (void)size;
    struct me_loaded l = {.base = info->dlpi_addr, .name = info->dlpi_name ? info->dlpi_name : "",
                          .phdr = info->dlpi_phdr, .phnum = info->dlpi_phnum};
    if (me_object_is_vdso(l.name))
        return 0;
    l.dynamic = dynamic_of(&l);
    a->fn(&l, a->arg);
    return 0;
}

/* ... or, cheaper, where ld.so put it for debuggers: in the program's
 * DT_DEBUG entry (which most programs have) */
ME_START static const struct r_debug *program_r_debug(const struct me_auxv *auxv)
{
    uintptr_t bias = 0, dyn = 0; /* no PT_PHDR: no bias, as glibc takes it */
    for (unsigned long i = 0; i < auxv->phnum; i++) {
        if (auxv->phdr[i].p_type == PT_PHDR)
            bias = (uintptr_t)auxv->phdr - auxv->phdr[i].p_vaddr;
        else if (auxv->phdr[i].p_type == PT_DYNAMIC)
            dyn = auxv->phdr[i].p_vaddr;
    }
    if (!dyn)
        return NULL;
    for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(dyn + bias); d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_DEBUG)
            return (const struct r_debug *)d->d_un.d_ptr;
    return NULL;
}

ME_START const struct link_map *me_objects_list(const struct me_auxv *auxv)
{
    const struct r_debug *r = program_r_debug(auxv);
    if (!r || !r->r_map)
        r = find_r_debug(auxv->ldso_base);
    return r ? r->r_map : NULL;
}

ME_START void me_objects_walk(const struct link_map *list, const struct me_auxv *auxv,
                              void (*fn)(struct me_loaded *, void *), void *arg)
{
    if (!list) {
        struct iterate_arg a = {fn, arg};
        dl_iterate_phdr(from_phdr_info, &a);
        return;
    }
    initial_head = list;
    for (const struct link_map *m = list; m; m = m->l_next) {
        initial_count++;
        if (me_object_is_vdso(m->l_name))
            continue;
        struct me_loaded l = {.base = m->l_addr, .name = m->l_name ? m->l_name : "",
                              .dynamic = m->l_ld};
        if (m == list) { /* the program: its headers are in auxv */
            l.phdr = auxv->phdr;
            l.phnum = auxv->phnum;
        }
        fn(&l, arg);
    }
}

ME_WARM const struct link_map *me_objects_initial(unsigned *n)
{
    *n = initial_count;
    return initial_head;
}
