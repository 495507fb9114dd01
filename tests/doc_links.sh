#!/bin/sh
# SPDX-License-Identifier: MIT
# Every relative link of the Markdown files in an installed documentation
# directory (the README's links to docs/*.md) names a file that is there.
# Usage: doc_links.sh DOC_DIR
set -eu
dir=$1
[ -e "$dir/README.md" ] || { echo "no README.md in $dir"; exit 1; }
bad=0 n=0
for f in $(find "$dir" -name '*.md'); do
    # ](target) or ](target#anchor); not URLs, not anchors within the file
    for t in $(grep -o '](\([^)#]*\)' "$f" | sed 's/^](//' | grep -v -e '^[a-z]*:' -e '^$' || true); do
        n=$((n + 1))
        [ -e "$(dirname "$f")/$t" ] || { echo "${f#"$dir"/} links to $t, which is not installed"; bad=1; }
    done
done
[ "$n" -gt 0 ] || { echo "no relative link found in $dir/*.md"; exit 1; }
[ $bad = 0 ] && echo "$n relative links in $dir resolve"
