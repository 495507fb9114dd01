/* SPDX-License-Identifier: MIT */
/* dlsym and dladdr as libc.so.6 has exported them since glibc 2.34 under
 * both their old libdl version and GLIBC_2.34 (before 2.34, libdl.so.2's,
 * under the old one). Naming the old version keeps the shim's needs at
 * one symbol version: each version more is one more check the dynamic
 * linker makes at every process start. (dladdr1's oldest version is a
 * later one: shim/interp/python.c finds it with dlsym.) */
#ifndef ME_DL_COMPAT_H
#define ME_DL_COMPAT_H

#include <dlfcn.h>

#include "arch.h"

#if defined(ME_GLIBC_OLDEST) && defined(__GLIBC__)
void *me_dlsym(void *handle, const char *name);
int me_dladdr(const void *addr, Dl_info *info);
__asm__(".symver me_dlsym, dlsym@" ME_GLIBC_OLDEST);
__asm__(".symver me_dladdr, dladdr@" ME_GLIBC_OLDEST);
#else
#define me_dlsym dlsym
#define me_dladdr dladdr
#endif

#endif
