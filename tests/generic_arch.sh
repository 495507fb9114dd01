#!/bin/sh
# SPDX-License-Identifier: MIT
# An architecture with no port builds: the library with shim/arch/generic
# (forced with MULTIEXIT_ARCH=generic on this machine), -Werror, exactly one
# CMake warning, which names what is missing; and no vfork wrapper.
# Usage: generic_arch.sh SOURCE_DIR WORK_DIR
set -eu
src=$1 work=$2
rm -rf "$work"
cmake -S "$src" -B "$work" -DMULTIEXIT_ARCH=generic -DMULTIEXIT_TESTS=OFF \
    -DMULTIEXIT_WERROR=ON >"$work.out" 2>"$work.err" || { cat "$work.err"; exit 1; }
n=$(grep -c '^CMake Warning' "$work.err" || true)
[ "$n" = 1 ] || { cat "$work.err"; echo "want one CMake warning, got $n"; exit 1; }
grep -q 'no port to' "$work.err" && grep -q 'vfork is not wrapped' "$work.err" ||
    { cat "$work.err"; echo "the warning does not name what is missing"; exit 1; }
cmake --build "$work" --target multiexit -j2 >"$work.build" 2>&1 || { cat "$work.build"; exit 1; }
lib=$(ls "$work"/libmultiexit.so.*.*.*)
if nm -D --defined-only "$lib" | grep -qw vfork; then
    echo "the generic build exports vfork"; exit 1
fi
echo "generic build: one warning, $(basename "$lib") built, vfork left to libc"
