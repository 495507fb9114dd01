#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the RPMs with scripts/rpm into OUT_DIR, checks their file lists
# (rpm -qlp), installs them into a temporary root (rpm --root), checks the
# installed command finds its library there, the README's links and the
# systemd drop-in's path resolve, erases them, and runs rpmlint
# (rpm/rpmlint.toml) on the packages and the spec: no error, no warning.
# The binaries' debug information is in the -debuginfo package.
# Usage: rpm_package.sh SOURCE_DIR OUT_DIR
set -eu
src=$1 out=$2
for tool in rpmbuild rpmlint; do
    command -v $tool >/dev/null || { echo "SKIP: $tool not installed (scripts/deps installs it)"; exit 77; }
done
"$src/scripts/rpm" "$out" >/dev/null
version=$(rpmspec -q --srpm --qf '%{version}' "$src/rpm/libmultiexit.spec")
cmake_version=$(sed -n 's/^project(multiexit VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ "$version" = "$cmake_version" ] || { echo "spec version $version, CMakeLists.txt $cmake_version"; exit 1; }
libdir=$(rpm --eval '%{_libdir}')
rpmof() { ls "$out/$1-$version"-*.rpm | grep -v -e debuginfo -e debugsource; }
has() { # PACKAGE PATH...
    pkg=$1; shift
    files=$(rpm -qlp "$(rpmof "$pkg")")
    for f; do
        echo "$files" | grep -qx "$f" || { echo "$pkg lacks $f"; exit 1; }
    done
}
has libmultiexit0 "$libdir/libmultiexit.so.0" "$libdir/libmultiexit.so.$version"
has libmultiexit-devel /usr/include/multiexit.h "$libdir/libmultiexit.so" \
    "$libdir/pkgconfig/multiexit.pc" "$libdir/cmake/multiexit/multiexitConfig.cmake"
has multiexit /usr/bin/multiexit /usr/share/man/man1/multiexit.1.gz /usr/share/man/man7/libmultiexit.7.gz
rpm -qp --requires "$(rpmof multiexit)" | grep -q '^libmultiexit0' || { echo "multiexit does not require its library"; exit 1; }
# built on glibc 2.34 or later (no libdl.so.2 needed), the library says it needs that glibc
if ! rpm -qp --requires "$(rpmof libmultiexit0)" | grep -q '^libdl\.so\.2'; then
    rpm -qp --requires "$(rpmof libmultiexit0)" | grep -q '^glibc.* >= 2\.34' ||
        { echo "libmultiexit0 needs glibc 2.34 and does not say so"; exit 1; }
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
# an empty root has no libc to satisfy the dependencies: --nodeps
rpm --root "$root" --initdb
rpm --root "$root" -i --nodeps --noscripts $(rpmof libmultiexit0) $(rpmof libmultiexit-devel) $(rpmof multiexit)
[ "$(rpm --root "$root" -qa | sort | tr '\n' ' ')" = \
  "libmultiexit-devel-$version-1.$(uname -m) libmultiexit0-$version-1.$(uname -m) multiexit-$version-1.$(uname -m) " ] ||
    { echo "installed: $(rpm --root "$root" -qa)"; exit 1; }
rpm --root "$root" -V --nodeps libmultiexit0 libmultiexit-devel multiexit || { echo "rpm -V found differences"; exit 1; }
# the command, run from the root, preloads the library installed beside it
preload=$("$root/usr/bin/multiexit" -- sh -c 'echo "$LD_PRELOAD"')
[ "$preload" = "$root$libdir/libmultiexit.so.0" ] || { echo "installed wrapper preloads: $preload"; exit 1; }
# the installed README's links to docs/*.md resolve; the systemd drop-in
# names the library where the package put it
"$src/tests/doc_links.sh" "$root/usr/share/doc/multiexit"
lib=$(sed -n 's/^Environment=LD_PRELOAD=//p' "$root/usr/share/doc/multiexit/examples/multiexit.conf")
[ "$lib" = "$libdir/libmultiexit.so.0" ] && [ -e "$root$lib" ] ||
    { echo "the drop-in preloads '$lib', want $libdir/libmultiexit.so.0"; exit 1; }
rpm --root "$root" -e --nodeps --noscripts libmultiexit0 libmultiexit-devel multiexit
left=$(cd "$root" && find . ! -type d ! -path ".$(rpm --eval '%{_dbpath}')/*")
[ -z "$left" ] || { echo "left after rpm -e:"; echo "$left"; exit 1; }

status=0
# not the -debuginfo package: find-debuginfo's output, not this packaging
lint=$(cd "$out" && nice rpmlint -c "$src/rpm/rpmlint.toml" $(ls ./*.rpm | grep -v -e -debuginfo- -e -debugsource-) \
       "$src/rpm/libmultiexit.spec" 2>&1) || status=$?
printf '%s\n' "$lint" | grep -E ': [EW]: |packages and' || true
[ "$status" = 0 ] && ! printf '%s\n' "$lint" | grep -qE ': [EW]: ' ||
    { echo "rpmlint:"; printf '%s\n' "$lint"; exit 1; }
echo "RPMs OK: $(cd "$out" && ls ./*.rpm | tr '\n' ' ')"
