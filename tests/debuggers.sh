#!/bin/sh
# SPDX-License-Identifier: MIT
# Tools work on a program under the shim as on any other: gdb stops in main
# and in a handler that the dispatcher calls, and its backtrace from there
# reaches main through the shim's frames; the library has the sections tools
# expect (.text); addr2line and objdump resolve a shim function.
# Usage: debuggers.sh SHIM PROGRAM (tests/progs/gdb_target)
set -u
shim=$1 prog=$2
fail() { echo "FAIL: $*"; exit 1; }
command -v gdb >/dev/null || { echo "SKIPPED: gdb is not installed"; exit 77; }

readelf -SW "$shim" | grep -qE ' \.text +PROGBITS' || fail "no .text section in $shim"
addr=$(nm "$shim" | awk '$3 == "me_dispatch" { print $1 }')
[ -n "$addr" ] || fail "no symbol me_dispatch"
where=$(addr2line -f -e "$shim" "0x$addr" | head -n 1)
[ "$where" = me_dispatch ] || fail "addr2line resolves me_dispatch's address to '$where'"
objdump -d "$shim" | grep -q '<me_dispatch>:' || fail "objdump -d does not show me_dispatch"

out=$(timeout 120 gdb -q -batch -nx \
    -ex "set environment LD_PRELOAD=$shim" -ex 'set pagination off' \
    -ex 'handle SIGTERM nostop noprint pass' -ex 'break main' -ex run -ex 'echo AT-MAIN\n' \
    -ex 'break on_term' -ex continue -ex 'echo AT-HANDLER\n' -ex bt \
    -ex continue "$prog" 2>&1)
echo "$out" | grep -q 'internal-error' && fail "gdb: $(echo "$out" | grep internal-error)"
echo "$out" | grep -q '^AT-MAIN' || fail "gdb did not stop in main:
$out"
bt=$(echo "$out" | sed -n '/^AT-HANDLER/,$p')
echo "$bt" | grep -q '^#0 .*on_term' || fail "gdb did not stop in the handler:
$out"
# me_dispatch, or me_dispatch_chain, to which it hands a handled signal
# (a tail call: its own frame is gone by then)
echo "$bt" | grep -q 'me_dispatch' || fail "the backtrace does not show the dispatcher:
$bt"
echo "$bt" | grep -q ' main ' || fail "the backtrace does not reach main:
$bt"
echo "$out" | grep -q 'got 15' || fail "the program did not go on after the handler:
$out"
echo "gdb: main, the handler, and a backtrace through the shim to main; addr2line, objdump: ok"
