# SPDX-License-Identifier: MIT
# Cross build for aarch64 with Debian's cross compilers; ctest runs the
# tests under qemu-user (Debian's qemu-user):
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_SYSROOT_LINK "")
set(ME_CROSS_SYSROOT /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Check for arm64 (dpkg --add-architecture arm64; check:arm64) through
# pkg-config's multiarch directory
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
# The emulated programs must load a dynamic linker and a libc.so.6 of the
# same build. Where arm64 packages are installed (multiarch: check:arm64
# brings libc6:arm64) both come from the host's own /lib; with -L
# /usr/aarch64-linux-gnu qemu would take the cross package's ld.so but find
# libc6:arm64's libc.so.6 first on the search path, and a mismatched pair
# hangs in pthread_create. Without arm64 packages, the cross sysroot.
if(EXISTS /lib/ld-linux-aarch64.so.1)
  set(ME_QEMU_PREFIX /)
else()
  set(ME_QEMU_PREFIX /usr/aarch64-linux-gnu)
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L ${ME_QEMU_PREFIX})
