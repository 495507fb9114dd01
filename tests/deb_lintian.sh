#!/bin/sh
# SPDX-License-Identifier: MIT
# lintian on every package built by deb_build (the .changes lists them, the
# -dbgsym ones included): no error and no warning; overrides (debian/*.
# lintian-overrides) carry their reasons.
# Usage: deb_lintian.sh DEB_DIR
set -eu
dir=$1
command -v lintian >/dev/null || { echo "SKIP: lintian not installed (scripts/deps installs it)"; exit 77; }
changes=$(ls "$dir"/*.changes)
status=0
# (not --show-overrides: with it, lintian fails on overridden tags too)
out=$(nice lintian --fail-on error,warning "$changes" 2>&1) || status=$?
printf '%s\n' "$out" | grep -v 'running with root privileges is not recommended' || true
errors=$(printf '%s\n' "$out" | grep -c '^E: ' || true)
warnings=$(printf '%s\n' "$out" | grep -c '^W: ' || true)
echo "lintian: $errors errors, $warnings warnings, exit status $status ($(cd "$dir" && ls ./*.deb | wc -l) packages)"
[ "$status" = 0 ] && [ "$errors" = 0 ] && [ "$warnings" = 0 ]
