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
# The emulated programs load the arm64 libc of the host's multiarch
# libc6:arm64 (which check:arm64 needs), with its own loader: -L /, not the
# cross sysroot /usr/aarch64-linux-gnu. That sysroot has no ld.so.cache, so
# its loader (libc6-arm64-cross) would read the host's /etc/ld.so.cache and
# load /lib/aarch64-linux-gnu/libc.so.6 of another build of glibc: a loader
# and a libc from two builds share private structures that differ, and a
# forked child spun forever (Check's fork mode: test_config timed out).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /)
