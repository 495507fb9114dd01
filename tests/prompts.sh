#!/bin/bash
# SPDX-License-Identifier: MIT
# Readline programs at their prompt must behave the same with the shim as
# without it. readline installs its SIGINT handler with
# sigaction(SIGINT, &mine, &saved); on a Ctrl-C it restores `saved` (the
# program's handler), re-raises the signal, and installs its own again: the
# program's handler runs once per Ctrl-C. (With the chaining defect it ran
# twice: sqlite3 quit at the second Ctrl-C, with status 1; bc said
# "(interrupt) use quit to exit." twice.)
#
# Each program runs in a pseudo-terminal under PTYDRIVE (tests/progs/
# ptydrive.c) twice, without the shim and then with it, and gets the same
# keys: at the prompt Ctrl-C, Ctrl-C, a harmless command, the quit command,
# each key once the program waits for input again. The transcripts (what the
# terminal showed, normalised, and the exit status) must be the same.
#   sqlite3 (in-memory database): its handler counts Ctrl-Cs, the third
#           in a row quits
#   bc -q:  its handler prints a message
#   bash -i: its own copy of readline, the same signal handling; its handler
#           only notes the interrupt (a control: the same either way)
# Not cases: python3 and gdb read with readline's callback interface, and
# at their prompt their own SIGINT handler is installed, not readline's.
#
# Usage: prompts.sh SHIM PTYDRIVE
# Exit 0 = same behaviour, 1 = a difference (or the scenario went wrong
# without the shim), 77 = none of the programs is on this machine (ctest
# reports it as skipped); a program missing is skipped alone. Every wait is
# bounded (ptydrive -t); ptydrive kills what it started, on every path.
set -u
shim=$1 ptydrive=$2
case $shim in /*) ;; *) shim=$PWD/$shim ;; esac

fail() { echo "FAIL: $*"; exit 1; }
# need, per program: prints why and returns 1 when $1 is not installed
have() { command -v "$1" >/dev/null 2>&1 || { echo "SKIPPED: $1 is not installed"; return 1; }; }

[ -f "$shim" ] || fail "no shim $shim"
[ -x "$ptydrive" ] || fail "no ptydrive program $ptydrive"
tmp=$(mktemp -d) || exit 1
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$tmp"' EXIT # ptydrive kills its command on SIGTERM
trap 'exit 1' INT TERM HUP

bound=10 # seconds, each step of a session: a session takes some 50 ms

# One session: program $name, run $how (bare or with). The command gets a
# fixed environment (a home of its own: history files; no inputrc: the
# host's key bindings and echo settings stay out; the C locale); the
# MULTIEXIT_ settings pass through. Transcript in $tmp/$name.$how.
session() {
    local how=$1 home=$tmp/home.$name.$1 v
    mkdir -p "$home"
    local envs=(HOME="$home" PATH="$PATH" TERM=dumb LC_ALL=C INPUTRC=/dev/null "${extra_env[@]}")
    for v in $(compgen -e MULTIEXIT_); do envs+=("$v=${!v}"); done
    [ "$how" = with ] && envs+=(LD_PRELOAD="$shim") # bare: env -i leaves LD_PRELOAD out
    env -u LD_PRELOAD "$ptydrive" -t "$bound" -- "${steps[@]}" -- env -i "${envs[@]}" "${cmd[@]}" \
        >"$tmp/$name.$how" 2>"$tmp/$name.$how.err" &
    wait $!
    local rc=$?
    [ $rc -le 1 ] || { cat "$tmp/$name.$how.err"; fail "ptydrive failed ($rc) for $name ($how)"; }
}

ran=0 differ=()
# Runs the case set up in name, cmd, extra_env, steps, marker: both
# sessions, then the comparison. marker: what the bare transcript must show
# (readline's echo of the first Ctrl-C: readline handled it).
compare() {
    ran=$((ran + 1))
    echo "== $name: ${cmd[*]}"
    session bare
    session with
    local a b
    a=$(cat "$tmp/$name.bare") b=$(cat "$tmp/$name.with")
    # the scenario itself must hold without the shim: no step ran into the
    # bound, and readline handled the first Ctrl-C
    if grep -qE '^ptydrive: .*(within|cannot read)' "$tmp/$name.bare" || [[ $a != *"$marker"* ]]; then
        echo "-- transcript without the shim"
        echo "$a"
        cat "$tmp/$name.bare.err"
        fail "$name: the scenario went wrong without the shim (no \"${marker//$'\n'/\\n}\")"
    fi
    if [ "$a" = "$b" ]; then
        echo "OK: $name behaves the same ($(tail -n 1 <<<"$a"))"
        return
    fi
    echo "-- transcript without the shim"
    echo "$a"
    echo "-- transcript with the shim"
    echo "$b"
    echo "-- differences"
    diff -u --label "without the shim" --label "with the shim" "$tmp/$name.bare" "$tmp/$name.with"
    differ+=("$name")
}

# ptydrive steps: wait:TEXT (output), idle (blocked waiting for input),
# send:TEXT (\x03 = Ctrl-C)
if have sqlite3; then
    name=sqlite3 cmd=(sqlite3 :memory:) extra_env=()
    steps=(wait:'sqlite> ' idle send:'\x03' wait:'^C' idle send:'\x03' wait:'^C' idle
        send:'select 6*7;\n' wait:'42' wait:'sqlite> ' idle send:'.quit\n')
    marker='sqlite> ^C'
    compare
fi
if have bc; then
    name=bc cmd=(bc -q) extra_env=()
    # no prompt: its first read is the sign that it is ready
    steps=(idle send:'\x03' wait:'use quit to exit.' idle send:'\x03' wait:'use quit to exit.' idle
        send:'6*7\n' wait:'42' idle send:'quit\n')
    marker=$'^C\n(interrupt) use quit to exit.\n'
    compare
fi
if have bash; then
    name=bash cmd=(bash --norc --noprofile -i) extra_env=(PS1='bash> ')
    steps=(wait:'bash> ' idle send:'\x03' wait:'bash> ' idle send:'\x03' wait:'bash> ' idle
        send:'echo "status $?"\n' wait:'status 130' wait:'bash> ' idle send:'exit\n')
    marker=$'bash> ^C\nbash> '
    compare
fi

[ $ran -gt 0 ] || { echo "SKIPPED: none of sqlite3, bc, bash is installed"; exit 77; }
[ ${#differ[@]} = 0 ] || fail "different with the shim: ${differ[*]}"
echo "OK: $ran readline programs behave the same at Ctrl-C with the shim"
