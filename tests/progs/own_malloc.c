/* SPDX-License-Identifier: MIT */
/* A library with an allocator of its own, as jemalloc or tcmalloc would
 * be: it defines malloc and its kin (handing the work to glibc's), so it
 * is the first object in load order to define malloc. A signal landing in
 * it must find it guarded (test_safepoint.c). */
#include <stddef.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t k, size_t n);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

void *malloc(size_t n) { return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
