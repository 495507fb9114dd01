#!/bin/bash
# SPDX-License-Identifier: MIT
# A Go program built with cgo (tests/go/) must behave with the shim as
# without it. The Go runtime installs its signal handlers through libc
# (x_cgo_sigaction): it reads the previous handler, installs its own and
# forwards to the previous one by itself. So:
#   early-*: a C library installed a SIGTERM handler before Go started; Go
#       read it and takes the signal over. Its handler must run exactly as
#       often as without the shim (once for Go's default action, never
#       with signal.Notify): output and exit status the same both ways.
#   late-*: a C library installs one after Go started, without reading
#       Go's and without SA_ONSTACK. Without the shim it replaces Go's; the
#       shim promises to chain it (its handler, then Go's): its handler
#       runs once both ways, Go's then runs too, on Go's alternate signal
#       stack (else Go dies with "fatal error: non-Go code set up signal
#       handler without SA_ONSTACK flag").
# Usage: go_cgo.sh SHIM
# Builds the program once in a temporary directory, runs each mode $runs
# times without and with the shim, checks every run, and prints each run's
# statuses and what differs. Exit 0 = pass, 1 = a difference (or the
# scenario went wrong without the shim), 77 = go is not installed
# (ctest reports it as skipped). Every run is bounded (timeout); every
# process started is stopped on exit.
set -u
shim=${1:?usage: go_cgo.sh SHIM}
case $shim in /*) ;; *) shim=$PWD/$shim ;; esac
src=$(cd "$(dirname "$0")/go" && pwd) || exit 1
runs=5

need() { command -v "$1" >/dev/null 2>&1 || { echo "SKIPPED: $1 is not installed"; exit 77; }; }
fail() { echo "FAIL: $*"; exit 1; }
need go
need "${CC:-cc}"
need timeout
[ -f "$shim" ] || fail "no library $shim"

tmp=$(mktemp -d) || exit 1
trap '{ kill $(jobs -p); wait; } 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
# env execs the program: the preload applies to it alone. Used as ${!how}.
# shellcheck disable=SC2034
with="env LD_PRELOAD=$shim"
# shellcheck disable=SC2034
bare="env -u LD_PRELOAD"

# The C libraries, then the program (the slow part: once), linked with them
# (found through its run path). No module, nothing to download.
for lib in early late; do
    ${CC:-cc} -shared -fPIC -O2 -Wall -Wextra -o "$tmp/lib$lib.so" "$src/$lib.c" || fail "building lib$lib.so"
done
mkdir "$tmp/src" "$tmp/home" && cp "$src/main.go" "$tmp/src/" || exit 1
(cd "$tmp/src" && env HOME="$tmp/home" GOPATH="$tmp/home/go" GOCACHE="$tmp/home/cache" \
    GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=1 CC="${CC:-cc}" \
    CGO_LDFLAGS="-L$tmp -Wl,-rpath,$tmp" go build -o "$tmp/gocgo" main.go) || fail "go build"
bin=$tmp/gocgo
echo "-- $SECONDS s: built with $(go version)"

# What each mode does without the shim (the Go runtime's documented
# behaviour; anything else means the scenario itself went wrong). A
# transcript: stdout, the first lines of stderr, the exit status as bash
# shows it (143 = killed by SIGTERM).
declare -A bare_expect=(
    [early-notify]=$'ready\nafter TERM: early=0 late=0\ngo got TERM\ndone\nstatus=0'
    [early-default]=$'ready\nearly handler\nstatus=143'
    [late-notify]=$'ready\nlate handler\nafter TERM: early=0 late=1\ndone\nstatus=0'
    [late-default]=$'ready\nlate handler\nafter TERM: early=0 late=1\ndone\nstatus=0'
)
# EXPECTATIONS WITH THE SHIM, for the late modes (the early modes must give
# exactly what they give without it). The product's promise: the late
# library's handler stays chained with Go's, its handler first, each on the
# stack its own flags ask for. So, unlike without the shim:
#   late-notify:  Go's handler runs after the late one and Go's
#                 signal.Notify sees SIGTERM ("go got TERM"); exit 0.
#   late-default: Go's handler runs after the late one and Go's default
#                 action for SIGTERM kills the process by SIGTERM (143).
# The late handler runs once, as without the shim. Adjust here if the
# promise changes.
declare -A with_expect=(
    [late-notify]=$'ready\nlate handler\nafter TERM: early=0 late=1\ngo got TERM\ndone\nstatus=0'
    [late-default]=$'ready\nlate handler\nstatus=143'
)

# Runs the program once ($1 = bare or with, $2 = the mode) in the
# background (so that a signal to this script is handled at once), bounded.
# Writes $tmp/t (the transcript) and $tmp/out, $tmp/err.
run_once() {
    # shellcheck disable=SC2086 # the words of $with or $bare
    timeout -k 5 30 ${!1} "$bin" "$2" >"$tmp/out" 2>"$tmp/err" &
    wait $!
    local st=$?
    { cat "$tmp/out"; head -n 2 "$tmp/err" | sed 's/^/stderr: /'; echo "status=$st"; } >"$tmp/t"
}
# The C handler's lines in $tmp/out
handler_lines() { grep -c "^$1 handler\$" "$tmp/out"; }
# Go's complaints about the stack its handler ran on, in $tmp/out or $tmp/err
go_fatal() { grep -hE 'fatal error|handler not on signal stack|no signal stack' "$tmp/out" "$tmp/err" | head -n 1; }
oneline() { printf '%s' "$1" | tr '\n' '|'; }

declare -A problems=() # "mode: check" -> how many runs
# Counts a failed check; prints its details the first time.
problem() {
    [ -n "${problems["$1"]:-}" ] || echo "   ^ $1: $2"
    problems["$1"]=$((${problems["$1"]:-0} + 1))
}

for mode in early-notify early-default late-notify late-default; do
    lib=${mode%%-*}
    echo "-- $SECONDS s: $mode ($runs runs each way)"
    for ((i = 1; i <= runs; i++)); do
        run_once bare "$mode"
        tb=$(cat "$tmp/t") nb=$(handler_lines "$lib") fb=$(go_fatal)
        run_once with "$mode"
        tw=$(cat "$tmp/t") nw=$(handler_lines "$lib") fw=$(go_fatal)
        echo "   run $i: without: ${tb##*$'\n'} $lib handler x$nb | with: ${tw##*$'\n'} $lib handler x$nw${fw:+ [$fw]}"
        # the scenario without the shim
        [ "$tb" = "${bare_expect[$mode]}" ] ||
            problem "$mode: scenario without the shim" "got [$(oneline "$tb")], expected [$(oneline "${bare_expect[$mode]}")]"
        # (a) the C library's handler runs as often with the shim as without
        # (once in the late modes: the scenario check holds it to 1 without)
        [ "$nw" = "$nb" ] || problem "$mode: (a) $lib handler runs" "$nw with the shim, $nb without"
        # (b) Go's handler never runs on a stack Go refuses
        [ -z "$fb$fw" ] || problem "$mode: (b) Go's fatal error" "[${fw:-$fb}]"
        # (c) early: the same output and status; late: the promised chaining
        if [ "$lib" = early ]; then
            [ "$tw" = "$tb" ] || problem "$mode: (c) output or status differs" "with [$(oneline "$tw")] vs without [$(oneline "$tb")]"
        else
            [ "$tw" = "${with_expect[$mode]}" ] ||
                problem "$mode: (c) not the promised chaining" "got [$(oneline "$tw")], expected [$(oneline "${with_expect[$mode]}")]"
        fi
    done
done

echo "-- $SECONDS s: done"
[ ${#problems[@]} = 0 ] || {
    for k in "${!problems[@]}"; do echo "FAIL: $k: ${problems[$k]} of $runs runs"; done | sort
    exit 1
}
echo "OK: the Go program behaves the same with the shim (early modes) and gets the promised chaining (late modes)"
