#!/bin/sh
# SPDX-License-Identifier: MIT
# As root: the life of the Debian packages on a machine. Builds the same
# source as a previous version (VERSION~previous) into PREV_DIR, installs
# it, upgrades it to deb_build's packages, removes and purges them, and
# checks that the machine's file list is then what it was before.
# Usage: deb_upgrade.sh DEB_DIR SOURCE_DIR PREV_DIR
set -eu
dir=$1 src=$2 prevdir=$3
[ "$(id -u)" = 0 ] || { echo "SKIP: not root, cannot install packages"; exit 77; }
pkgs="libmultiexit0 libmultiexit-dev multiexit"
for p in $pkgs; do
    if dpkg -s "$p" >/dev/null 2>&1; then
        echo "SKIP: $p is already installed on this machine: not replacing it"; exit 77
    fi
done
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
prev="$ver~previous"
debarch=$(dpkg-architecture -qDEB_HOST_ARCH)
tmp=$(mktemp -d)
cleanup() { dpkg -P $pkgs >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" "$src/scripts/deb" -v "$prev" "$prevdir" >/dev/null
debs() { for p in $pkgs; do echo "$1/${p}_${2}_$debarch.deb"; done; }
installed() { # VERSION: every package installed at that version
    for p in $pkgs; do
        v=$(dpkg-query -W -f '${Status} ${Version}' "$p" 2>/dev/null || true)
        [ "$v" = "install ok installed $1" ] || { echo "$p: '$v', want version $1"; exit 1; }
    done
}
# every path on the system but the package manager's own state and logs
files() {
    find /usr /etc /var /opt -xdev \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache \
        -o -path /var/log -o -path /var/tmp -o -path /var/backups -o -path /var/spool \) -prune \
        -o -print 2>/dev/null | sort
}
files >"$tmp/before"

dpkg -i $(debs "$prevdir" "$prev") >/dev/null
installed "$prev"
/usr/bin/multiexit -- true
dpkg -i $(debs "$dir" "$ver") >/dev/null
installed "$ver"
dpkg --verify $pkgs || { echo "installed files differ from the packages'"; exit 1; }
ldconfig -p | grep -q 'libmultiexit\.so\.0 ' || { echo "ldconfig's cache lacks the library"; exit 1; }
/usr/bin/multiexit -- true
dpkg -L $pkgs | sort -u >"$tmp/owned"

dpkg -r $pkgs >/dev/null
while read -r f; do
    if [ -e "$f" ] && [ ! -d "$f" ]; then echo "left after remove: $f"; exit 1; fi
done <"$tmp/owned"
ldconfig -p | grep -q 'libmultiexit\.so\.0 ' && { echo "ldconfig's cache still has the library"; exit 1; }
dpkg -P $pkgs >/dev/null
for p in $pkgs; do
    if dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -qv 'not-installed'; then
        echo "$p still known to dpkg after purge: $(dpkg-query -W -f '${Status}' "$p")"; exit 1
    fi
done

files >"$tmp/after"
# paths new since the start, less those another package owns (another
# install may have run on this machine meanwhile)
comm -13 "$tmp/before" "$tmp/after" | while read -r f; do
    dpkg -S "$f" >/dev/null 2>&1 || echo "$f"
done >"$tmp/new"
# and paths gone that were there before (dpkg removes only what it installed)
comm -23 "$tmp/before" "$tmp/after" | grep -Fx -f "$tmp/owned" >"$tmp/gone" || true
if [ -s "$tmp/new" ] || [ -s "$tmp/gone" ]; then
    echo "after purge, files left behind:"; cat "$tmp/new"
    echo "and files that were there before and are gone:"; cat "$tmp/gone"
    exit 1
fi
echo "upgrade $prev -> $ver, remove, purge: OK, $(wc -l <"$tmp/owned") paths installed, none left behind"
