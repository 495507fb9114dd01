#!/bin/bash
# SPDX-License-Identifier: MIT
# Every example of the README and of the two man pages runs as printed
# (issue 25). The examples are the lines of README.md's fenced blocks
# tagged "sh example" and of the .EX/.EE blocks of each man page's
# EXAMPLES section; each line is one command, run by sh in a scratch
# directory that holds the demo daemon (./legacy-daemon), with the build
# tree's wrapper first on PATH and its library on LD_LIBRARY_PATH, as
# after an install. A command must exit with 0; one that prints "ready"
# (the daemon, serving) is stopped as its comment says, with SIGTERM to
# its process group, and must then die by SIGTERM (143) having removed
# its pid file, as a daemon does under the shim. Usage: doc_examples.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 build=$2
[ -x "$build/multiexit" ] && [ -e "$build/libmultiexit.so.0" ] && [ -x "$build/legacy-daemon" ] || {
    echo "FAIL: $build lacks multiexit, libmultiexit.so.0 or legacy-daemon"
    exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the README: lines inside ```sh example ... ``` fences
readme_examples() {
    awk '/^```sh example[[:space:]]*$/ { on = 1; next } /^```/ { on = 0 } on' "$1"
}
# a man page: the .EX/.EE lines of its EXAMPLES section, with the roff
# escapes they use undone; any other escape is an error, not a guess
man_examples() {
    awk '/^\.SH / { ex = ($0 ~ /^\.SH "?EXAMPLES"?$/) } ex && /^\.EX/ { on = 1; next }
         ex && /^\.EE/ { on = 0 } ex && on' "$1" |
        sed -e 's/\\-/-/g' -e 's/\\(aq/'"'"'/g' -e 's/\\e/\\/g' -e 's/\\f[BIPR]//g' -e 's/\\&//g'
}

fails=0 count=0
run_one() { # run_one ORIGIN COMMAND
    local origin=$1 cmd=$2 dir pid status ready=no line left
    count=$((count + 1))
    dir="$work/$count"
    mkdir "$dir"
    ln -s "$build/legacy-daemon" "$dir/legacy-daemon"
    mkfifo "$dir/.out"
    set -m # its own process group, which the stop reaches whole
    (cd "$dir" && PATH="$build:$PATH" LD_LIBRARY_PATH="$build" exec sh -c "$cmd") \
        >"$dir/.out" 2>"$dir/.err" </dev/null &
    pid=$!
    set +m # no job notices
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$dir/.log"
        if [ "$line" = ready ] && [ $ready = no ]; then
            ready=yes
            kill -TERM -- "-$pid"
        fi
    done <"$dir/.out"
    status=0
    wait "$pid" || status=$?
    # stopped, a daemon has cleaned up: no pid file left (nor a library
    # that ld.so could not load)
    left=$(cd "$dir" && ls ./*.pid 2>/dev/null)
    if grep -q 'ld\.so' "$dir/.err"; then
        status="$status, ld.so could not preload"
    elif [ $ready = yes ] && [ -n "$left" ]; then
        status="$status, left $left"
    fi
    if { [ $ready = no ] && [ "$status" = 0 ]; } || { [ $ready = yes ] && [ "$status" = 143 ]; }; then
        echo "ok   $origin: $cmd"
    else
        echo "FAIL $origin: $cmd (status $status$([ $ready = yes ] && echo ', stopped by SIGTERM once ready'))"
        sed 's/^/       out: /' "$dir/.log" 2>/dev/null
        sed 's/^/       err: /' "$dir/.err"
        fails=$((fails + 1))
    fi
}

for origin in README.md man/multiexit.1 man/libmultiexit.7; do
    if [ "$origin" = README.md ]; then
        examples=$(readme_examples "$src/$origin")
    else
        examples=$(man_examples "$src/$origin")
    fi
    if [ -z "$examples" ]; then
        echo "FAIL $origin: no example found (README: \`\`\`sh example; man: .EX/.EE under .SH EXAMPLES)"
        fails=$((fails + 1))
        continue
    fi
    case $origin:$examples in man/*\\*)
        echo "FAIL $origin: a roff escape this test does not undo: $examples"
        fails=$((fails + 1))
        continue
        ;;
    esac
    while IFS= read -r cmd; do
        case $cmd in '' | '#'*) continue ;; esac
        run_one "$origin" "$cmd"
    done <<<"$examples"
done
echo "$count examples, $fails failed"
[ $fails = 0 ]
