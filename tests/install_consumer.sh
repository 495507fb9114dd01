#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the build into a temporary prefix (DESTDIR too), then builds a
# program against the installed files only: once with pkg-config, once with
# CMake's find_package. Usage: install_consumer.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
# DESTDIR is honoured as well
DESTDIR=$tmp/dest cmake --install "$build" --prefix /usr/local >/dev/null
test -e "$tmp/dest/usr/local/include/multiexit.h"
# lib, lib64 or lib/<multiarch> (Debian's CMAKE_INSTALL_LIBDIR)
libdir=$(dirname "$(dirname "$(find "$prefix" -name multiexit.pc)")")
export PKG_CONFIG_PATH="$libdir/pkgconfig"
expected='version 0.1.0
set_signals(bogus)=-1
set_signals(TERM,HUP)=0
unregister=1
cleanup kept'
# pkg-config
cc -Werror -o "$tmp/pc" "$src/tests/consumer/consumer.c" $(pkg-config --cflags --libs multiexit) \
   -Wl,-rpath,"$libdir"
out=$("$tmp/pc")
[ "$out" = "$expected" ] || { printf 'pkg-config build printed:\n%s\n' "$out"; exit 1; }
# find_package
cmake -S "$src/tests/consumer" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_RPATH="$libdir" >/dev/null
cmake --build "$tmp/cm" >/dev/null
out=$("$tmp/cm/consumer")
[ "$out" = "$expected" ] || { printf 'find_package build printed:\n%s\n' "$out"; exit 1; }
# the README's links resolve; the systemd drop-in names the installed
# library (the prefix given to cmake --install, not the configured one)
"$src/tests/doc_links.sh" "$prefix/share/doc/multiexit"
lib=$(sed -n 's/^Environment=LD_PRELOAD=//p' "$prefix/share/doc/multiexit/examples/multiexit.conf")
[ "$lib" = "$libdir/libmultiexit.so.0" ] && [ -e "$lib" ] ||
    { echo "the drop-in preloads '$lib', want $libdir/libmultiexit.so.0"; exit 1; }
# and systemd reads it without a complaint, where systemd-analyze is here
# (it warns, exit status 0, of an unknown key: its output is the verdict)
if command -v systemd-analyze >/dev/null; then
    mkdir "$tmp/units" "$tmp/units/me-demo.service.d"
    printf '[Service]\nExecStart=/bin/true\n' >"$tmp/units/me-demo.service"
    cp "$prefix/share/doc/multiexit/examples/multiexit.conf" "$tmp/units/me-demo.service.d/"
    said=$(SYSTEMD_UNIT_PATH="$tmp/units:" systemd-analyze verify "$tmp/units/me-demo.service" 2>&1) || true
    case $said in *multiexit.conf*)
        printf 'systemd-analyze verify on the drop-in:\n%s\n' "$said"
        exit 1
        ;;
    esac
fi
echo "installed package OK: pkg-config and find_package, README links, drop-in path"
