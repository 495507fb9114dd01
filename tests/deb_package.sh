#!/bin/sh
# Builds the .deb with CPack, checks its file list and dependencies; as root,
# installs it with dpkg -i, checks that the installed command and library
# alone clean up a program on SIGTERM, and purges it again.
# Usage: deb_package.sh SOURCE_DIR EXITFNS_PROGRAM
set -eu
src=$1 exitfns=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$src/scripts/deb" "$tmp/build" >/dev/null
deb=$(ls "$tmp"/build/*.deb)
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
arch=$(gcc -print-multiarch)
for f in ./usr/bin/multiexit "./usr/lib/$arch/libmultiexit.so.0" ./usr/include/multiexit.h \
         "./usr/lib/$arch/pkgconfig/multiexit.pc" "./usr/lib/$arch/cmake/multiexit/multiexitConfig.cmake" \
         ./usr/share/man/man1/multiexit.1 ./usr/share/man/man7/libmultiexit.7; do
    echo "$files" | grep -qx "$f" || { echo "missing from the package: $f"; exit 1; }
done
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || { echo "no libc6 dependency"; exit 1; }
echo "package contents OK"
[ "$(id -u)" = 0 ] || { echo "not root: dpkg -i part not run"; exit 0; }
if dpkg -s multiexit >/dev/null 2>&1; then
    echo "a multiexit package is already installed: not replacing it"; exit 0
fi
dpkg -i "$deb" >/dev/null
cleanup() { dpkg -P multiexit >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
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
echo "installed package OK: dpkg -i, multiexit -- PROGRAM cleans up on SIGTERM, man pages found"
