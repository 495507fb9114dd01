#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian packages cross-built for arm64 (scripts/deb --arch arm64 into
# OUT_DIR) are arm64 packages: their Architecture, aarch64 ELF files, the
# library, pkg-config file and CMake package in /usr/lib/aarch64-linux-gnu
# (a program is cross-built against them with pkg-config and with
# find_package), lintian clean. Then, under qemu-user, the packaged library
# preloaded into an aarch64 program runs its exit functions on SIGTERM.
# 77 when the cross toolchain (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross)
# or the packaging tools are missing; the qemu part is left out (and said
# so) without qemu-aarch64.
# Usage: deb_cross.sh SOURCE_DIR OUT_DIR
set -eu
src=$1 out=$2
debarch=arm64
skip() { echo "SKIP: $*"; exit 77; }
for tool in dpkg-buildpackage dh dpkg-architecture; do
    command -v $tool >/dev/null || skip "$tool not installed (scripts/deps installs it)"
done
host=$(dpkg-architecture -a$debarch -qDEB_HOST_GNU_TYPE 2>/dev/null)
multiarch=$(dpkg-architecture -a$debarch -qDEB_HOST_MULTIARCH 2>/dev/null)
[ "$(dpkg-architecture -qDEB_BUILD_ARCH)" != $debarch ] || skip "the build machine is $debarch: not a cross build"
command -v "$host-gcc" >/dev/null || skip "no cross compiler $host-gcc (apt-get install gcc-$host libc6-dev-$debarch-cross)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'int main(void) { return 0; }\n' >"$tmp/t.c"
"$host-gcc" -o "$tmp/t" "$tmp/t.c" 2>/dev/null || skip "$host-gcc cannot link a program (apt-get install libc6-dev-$debarch-cross)"
deps=$(dpkg-checkbuilddeps -a$debarch -Pcross,nocheck "$src/debian/control" 2>&1) ||
    skip "build dependencies of the $debarch cross build: $deps"
for tool in lintian file readelf strings pkg-config cmake; do
    command -v $tool >/dev/null || skip "$tool not installed (scripts/deps installs it)"
done

"$src/scripts/deb" --arch $debarch "$out" >/dev/null
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
deb() { echo "$out/${1}_${ver}_$debarch.deb"; }
fail() { echo "$*"; exit 1; }

# every package (the -dbgsym ones too) is for arm64; the library and -dev
# stay Multi-Arch: same (co-installable with the build machine's)
for pkg in libmultiexit0 libmultiexit-dev multiexit libmultiexit0-dbgsym multiexit-dbgsym; do
    [ -e "$(deb $pkg)" ] || fail "no $(basename "$(deb $pkg)") in $out: $(ls "$out")"
    a=$(dpkg-deb -f "$(deb $pkg)" Architecture)
    [ "$a" = $debarch ] || fail "$pkg: Architecture: $a, want $debarch"
done
for pkg in libmultiexit0 libmultiexit-dev; do
    [ "$(dpkg-deb -f "$(deb $pkg)" Multi-Arch)" = same ] || fail "$pkg: not Multi-Arch: same"
done
grep -qx "Architecture: $debarch" "$out/libmultiexit_${ver}_$debarch.changes" ||
    fail "the .changes is not for $debarch: $(grep '^Architecture' "$out"/*.changes)"
# the shared library files in the host's multiarch directory, nothing in
# another one (the build machine's)
files=$(for pkg in libmultiexit0 libmultiexit-dev multiexit; do dpkg-deb -c "$(deb $pkg)"; done | awk '{print $6}')
for f in "./usr/lib/$multiarch/libmultiexit.so.0.1.0" "./usr/lib/$multiarch/libmultiexit.so.0" \
         "./usr/lib/$multiarch/libmultiexit.so" "./usr/lib/$multiarch/pkgconfig/multiexit.pc" \
         "./usr/lib/$multiarch/cmake/multiexit/multiexitConfig.cmake" ./usr/bin/multiexit; do
    echo "$files" | grep -qx "$f" || fail "the $debarch packages lack $f"
done
other=$(echo "$files" | grep '^\./usr/lib/[^/]*-linux-gnu[^/]*/' | grep -v "^\./usr/lib/$multiarch/" || true)
[ -z "$other" ] || fail "files outside /usr/lib/$multiarch: $other"
dpkg-deb -f "$(deb libmultiexit0)" Depends | grep -q libc6 || fail "libmultiexit0: no libc6 dependency"

root=$tmp/root
for pkg in libmultiexit0 libmultiexit-dev multiexit; do dpkg-deb -x "$(deb $pkg)" "$root"; done
lib=$root/usr/lib/$multiarch/libmultiexit.so.0.1.0
# aarch64 ELF files: the library and the command
for f in "$lib" "$root/usr/bin/multiexit"; do
    machine=$(readelf -h "$f" | sed -n 's/^ *Machine: *//p')
    [ "$machine" = AArch64 ] || fail "${f#"$root"}: machine '$machine', want AArch64"
    file -b "$f" | grep -q 'ELF 64-bit LSB .*ARM aarch64' || fail "${f#"$root"}: $(file -b "$f")"
done
readelf -d "$lib" | grep -q 'SONAME.*\[libmultiexit\.so\.0\]' || fail "library without its soname"
# the command looks for the library in /usr/lib/<multiarch>
strings "$root/usr/bin/multiexit" | grep -qx "/usr/lib/$multiarch" ||
    fail "/usr/bin/multiexit does not name /usr/lib/$multiarch"

# pkg-config: libdir is /usr/lib/<multiarch> (the .pc is relocatable: its
# prefix is found from its own directory, so resolved in the extracted root)
pc=$root/usr/lib/$multiarch/pkgconfig
libdir=$(PKG_CONFIG_LIBDIR=$pc PKG_CONFIG_PATH='' pkg-config --variable=libdir multiexit)
libdir=$(realpath -m "$libdir")
[ "$libdir" = "$root/usr/lib/$multiarch" ] ||
    fail "multiexit.pc: libdir is ${libdir#"$root"}, want /usr/lib/$multiarch: $(cat "$pc/multiexit.pc")"
# CMake: the imported library is in /usr/lib/<multiarch>
cm=$root/usr/lib/$multiarch/cmake/multiexit
grep -qF "\${_IMPORT_PREFIX}/lib/$multiarch/libmultiexit.so.0.1.0" "$cm"/multiexitTargets-*.cmake ||
    fail "the CMake package's imported library is not in lib/$multiarch: $(grep IMPORTED_LOCATION "$cm"/multiexitTargets-*.cmake)"
grep -qF "\"/usr/lib/$multiarch/cmake/multiexit\"" "$cm/multiexitConfig.cmake" ||
    fail "multiexitConfig.cmake does not name /usr/lib/$multiarch/cmake/multiexit"

# a program built against the packages' files only, for aarch64: with
# pkg-config and with find_package (cmake/aarch64-linux-gnu.cmake)
# shellcheck disable=SC2046 # pkg-config's words
"$host-gcc" -Werror -o "$tmp/consumer-pc" "$src/tests/consumer/consumer.c" \
    $(PKG_CONFIG_LIBDIR=$pc PKG_CONFIG_PATH='' pkg-config --cflags --libs multiexit)
cmake -S "$src/tests/consumer" -B "$tmp/cm" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" \
      -Dmultiexit_DIR="$cm" >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; fail "find_package build: configure failed"; }
cmake --build "$tmp/cm" >>"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; fail "find_package build failed"; }
# find_package gave the library in the packages' multiarch directory
readelf -d "$tmp/cm/consumer" | grep -q "R.*PATH.*\[$root/usr/lib/$multiarch\]" ||
    fail "find_package: consumer's run path is not /usr/lib/$multiarch: $(readelf -d "$tmp/cm/consumer" | grep PATH)"
for f in "$tmp/consumer-pc" "$tmp/cm/consumer"; do
    readelf -d "$f" | grep -q 'NEEDED.*\[libmultiexit\.so\.0\]' || fail "${f#"$tmp/"}: not linked with libmultiexit.so.0"
    [ "$(readelf -h "$f" | sed -n 's/^ *Machine: *//p')" = AArch64 ] || fail "${f#"$tmp/"}: not aarch64"
done

# lintian, as deb_lintian.sh: no error and no warning (it reads foreign ELF
# files: its hardening and shared-library checks run on these too)
status=0
lint=$(nice lintian --fail-on error,warning "$out/libmultiexit_${ver}_$debarch.changes" 2>&1) || status=$?
printf '%s\n' "$lint" | grep -v 'running with root privileges is not recommended' || true
errors=$(printf '%s\n' "$lint" | grep -c '^E: ' || true)
warnings=$(printf '%s\n' "$lint" | grep -c '^W: ' || true)
if [ "$status" != 0 ] || [ "$errors" != 0 ] || [ "$warnings" != 0 ]; then
    fail "lintian: $errors errors, $warnings warnings, exit status $status"
fi
echo "$debarch packages OK: Architecture $debarch, aarch64 ELF in /usr/lib/$multiarch, .pc and CMake package there, lintian clean"

# under qemu-user: the packaged library, preloaded, runs an aarch64
# program's exit functions on SIGTERM; the consumer runs with it linked
qemu=$(command -v "qemu-${host%%-*}" || true)
sysroot=/usr/$host
# ld.so and libc.so.6 of one build: the host's own arm64 packages where
# multiarch installed them (cmake/aarch64-linux-gnu.cmake says why)
[ -e "/lib/ld-linux-${host%%-*}.so.1" ] && sysroot=/
if [ -z "$qemu" ] || [ ! -d "$sysroot" ]; then
    echo "not run under qemu: no qemu-${host%%-*} (qemu-user) or no $sysroot"
    exit 0
fi
expected='version 0.1.0
set_signals(bogus)=-1
set_signals(TERM,HUP)=0
unregister=1
cleanup kept'
for f in "$tmp/consumer-pc" "$tmp/cm/consumer"; do
    o=$(timeout 60 "$qemu" -L "$sysroot" -E LD_LIBRARY_PATH="$root/usr/lib/$multiarch" "$f") ||
        fail "${f#"$tmp/"} under qemu: status $?: $o"
    [ "$o" = "$expected" ] || fail "${f#"$tmp/"} under qemu printed: $o"
done
"$host-gcc" -O1 -pthread -o "$tmp/exitfns" "$src/tests/progs/exitfns.c"
mkfifo "$tmp/ready"
# timeout passes the SIGTERM on to qemu, and dies by the signal qemu died
# by; it kills qemu if the program hangs (then the read below sees EOF)
timeout -k 5 60 "$qemu" -L "$sysroot" -E LD_PRELOAD="$root/usr/lib/$multiarch/libmultiexit.so.0" \
    "$tmp/exitfns" wait >"$tmp/out" 2>"$tmp/err" 3>"$tmp/ready" &
pid=$!
line=
read -r line <"$tmp/ready" || true
[ "$line" = ready ] || { wait "$pid" || true; fail "exitfns under qemu never got ready: $(cat "$tmp/err")"; }
kill -TERM "$pid"
status=0
{ wait "$pid"; } 2>/dev/null || status=$? # (not the shell's "Terminated")
[ "$status" = 143 ] || fail "exitfns under qemu: status $status, want 143 (SIGTERM): $(cat "$tmp/out" "$tmp/err")"
want='main line
atexit 3
on_exit status=143 arg=x
atexit 2
atexit 1
destructor'
[ "$(cat "$tmp/out")" = "$want" ] || fail "exitfns under qemu printed:
$(cat "$tmp/out" "$tmp/err")
want:
$want"
echo "under $(basename "$qemu"): the packaged library runs an aarch64 program's exit functions on SIGTERM (status 143), the consumers run"
