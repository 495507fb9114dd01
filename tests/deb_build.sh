#!/bin/sh
# SPDX-License-Identifier: MIT
# Fixture of the deb_* tests: builds the Debian packages with scripts/deb
# into OUT_DIR (nocheck: ctest runs the suites itself) and checks what each
# package holds and depends on.
# Usage: deb_build.sh SOURCE_DIR OUT_DIR
set -eu
src=$1 out=$2
for tool in dpkg-buildpackage dh; do
    command -v $tool >/dev/null || { echo "SKIP: $tool not installed (scripts/deps installs it)"; exit 77; }
done
DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" "$src/scripts/deb" "$out" >/dev/null
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
debarch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb() { echo "$out/${1}_${ver}_$debarch.deb"; }
has() { # PACKAGE PATH...
    pkg=$1; shift
    files=$(dpkg-deb -c "$(deb "$pkg")" | awk '{print $6}')
    for f; do
        echo "$files" | grep -qx "$f" || { echo "$pkg lacks $f"; exit 1; }
    done
}
has libmultiexit0 "./usr/lib/$arch/libmultiexit.so.0.1.0" "./usr/lib/$arch/libmultiexit.so.0"
has libmultiexit-dev ./usr/include/multiexit.h "./usr/lib/$arch/libmultiexit.so" \
    "./usr/lib/$arch/pkgconfig/multiexit.pc" "./usr/lib/$arch/cmake/multiexit/multiexitConfig.cmake"
has multiexit ./usr/bin/multiexit ./usr/share/man/man1/multiexit.1.gz \
    ./usr/share/man/man7/libmultiexit.7.gz
# shared library files only in the library package, the command and man pages only in multiexit
for pkg in libmultiexit-dev multiexit; do
    ! dpkg-deb -c "$(deb $pkg)" | awk '{print $6}' | grep -q 'libmultiexit\.so\.0' ||
        { echo "$pkg ships the library"; exit 1; }
done
dpkg-deb -f "$(deb libmultiexit0)" Depends | grep -q 'libc6' || { echo "libmultiexit0: no libc6 dependency"; exit 1; }
dpkg-deb -f "$(deb multiexit)" Depends | grep -qF "libmultiexit0 (= $ver)" ||
    { echo "multiexit does not depend on its library"; exit 1; }
# the debug symbols are apart: the library's build id is in its -dbgsym package
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$(deb libmultiexit0)" "$tmp/lib"
id=$(readelf -n "$tmp/lib/usr/lib/$arch/libmultiexit.so.0.1.0" | awk '/Build ID/ {print $3}')
has libmultiexit0-dbgsym "./usr/lib/debug/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug"
# built on glibc 2.34 or later (no libdl.so.2 needed), it needs that glibc
# and says so (debian/rules): installed on Debian 11 it would stop every
# program it is preloaded into
if ! readelf -d "$tmp/lib/usr/lib/$arch/libmultiexit.so.0.1.0" | grep -q 'libdl\.so\.2'; then
    dpkg-deb -f "$(deb libmultiexit0)" Depends | grep -qF 'libc6 (>= 2.34)' ||
        { echo "libmultiexit0 needs glibc 2.34 and does not say so: $(dpkg-deb -f "$(deb libmultiexit0)" Depends)"; exit 1; }
fi
! readelf -S "$tmp/lib/usr/lib/$arch/libmultiexit.so.0.1.0" | grep -q '\.debug_info' ||
    { echo "libmultiexit0: the library is not stripped"; exit 1; }
echo "built: $(cd "$out" && ls ./*.deb | tr '\n' ' ')"
