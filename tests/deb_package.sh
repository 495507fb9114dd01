#!/bin/sh
# SPDX-License-Identifier: MIT
# As root: installs the Debian packages built by deb_build, checks that the
# installed command and library alone clean up a program on SIGTERM, that
# a program builds against libmultiexit-dev with pkg-config, that the
# README's links and the systemd drop-in's path resolve, and purges them.
# Usage: deb_package.sh DEB_DIR SOURCE_DIR EXITFNS_PROGRAM
set -eu
dir=$1 src=$2 exitfns=$3
[ "$(id -u)" = 0 ] || { echo "SKIP: not root, cannot install packages"; exit 77; }
pkgs="libmultiexit0 libmultiexit-dev multiexit"
for p in $pkgs; do
    if dpkg -s "$p" >/dev/null 2>&1; then
        echo "SKIP: $p is already installed on this machine: not replacing it"; exit 77
    fi
done
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
upstream=${ver%-*}
debarch=$(dpkg-architecture -qDEB_HOST_ARCH)
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
tmp=$(mktemp -d)
cleanup() { dpkg -P $pkgs >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
dpkg -i $(for p in $pkgs; do echo "$dir/${p}_${ver}_$debarch.deb"; done) >/dev/null
out=$(/usr/bin/multiexit -- sh -c 'echo "$LD_PRELOAD"')
[ "$out" = "/usr/lib/$arch/libmultiexit.so.0" ] || { echo "installed wrapper preloads: $out"; exit 1; }
# the installed files alone: a program killed by SIGTERM cleans up
mkfifo "$tmp/ready"
/usr/bin/multiexit -- "$exitfns" wait >"$tmp/out" 3>"$tmp/ready" &
pid=$!
read -r line <"$tmp/ready"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[ "$status" = 143 ] || { echo "status $status, want 143"; exit 1; }
grep -qx 'on_exit status=143 arg=x' "$tmp/out" || { echo "no cleanup:"; cat "$tmp/out"; exit 1; }
man -w multiexit >/dev/null && man -w 7 libmultiexit >/dev/null
# the installed README's links to docs/*.md resolve (not compressed away)
"$src/tests/doc_links.sh" /usr/share/doc/multiexit
# the systemd drop-in names the library where the package put it
dropin=/usr/share/doc/multiexit/examples/multiexit.conf
lib=$(sed -n 's/^Environment=LD_PRELOAD=//p' "$dropin")
[ "$lib" = "/usr/lib/$arch/libmultiexit.so.0" ] && [ -e "$lib" ] ||
    { echo "$dropin preloads '$lib', want /usr/lib/$arch/libmultiexit.so.0"; exit 1; }
# a program that uses the C API, built against libmultiexit-dev
cc -Werror -o "$tmp/consumer" "$src/tests/consumer/consumer.c" $(pkg-config --cflags --libs multiexit)
"$tmp/consumer" | grep -qx "version $upstream" || { echo "consumer:"; "$tmp/consumer"; exit 1; }
echo "installed packages OK: multiexit -- PROGRAM cleans up on SIGTERM, man pages found, README links and drop-in path resolve, pkg-config builds"
