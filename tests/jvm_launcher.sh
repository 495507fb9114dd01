#!/bin/bash
# SPDX-License-Identifier: MIT
# The JVM embedded by a C launcher (tests/progs/jvm_launcher.c), without and
# with the shim. HotSpot reads the SIGTERM disposition it replaces (a query,
# then sigaction with an oldact), so it takes the signal over; a component
# that installs without looking stays chained. Two modes, 3 runs each:
#   launcher  the launcher's SIGTERM handler, then HotSpot's: as without the
#             shim, the launcher's handler never runs; the shutdown hook
#             runs and Java's Terminator calls exit(143) (not a death by
#             the signal). Without and with the shim must be identical.
#   jni-late  a JNI library (tests/progs/jni_late.c) installs a SIGTERM
#             handler after HotSpot's, without looking. Without the shim it
#             replaced HotSpot's (printed for reference: the JVM goes on
#             until the test closes its stdin); with the shim both run,
#             newest first, then the hook, then exit(143).
# Usage: jvm_launcher.sh SHIM (an empty SHIM: both runs without; (b) then
# fails, a check that the test can fail). Exit 0 = pass, 1 = fail, 77 = no javac, JDK
# headers or libjvm.so (skipped).
set -u
shim=${1?usage: jvm_launcher.sh SHIM}
[ -z "$shim" ] || [ -r "$shim" ] || { echo "FAIL: no library $shim"; exit 1; }
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=() r=-1 w=-1 # this run's processes and pipe ends
cleanup() {
    [ "$r" -lt 0 ] || exec {r}<&-
    [ "$w" -lt 0 ] || exec {w}>&-
    # shellcheck disable=SC2046 # one pid a word
    kill -KILL "${pids[@]}" $(jobs -p) 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

command -v javac >/dev/null 2>&1 || skip "javac is not installed"
jdk=$(readlink -f "$(command -v javac)")
jdk=${jdk%/bin/javac}
{ [ -r "$jdk/include/jni.h" ] && [ -r "$jdk/include/linux/jni_md.h" ]; } || skip "no JDK headers in $jdk/include"
[ -r "$jdk/lib/server/libjvm.so" ] || skip "no $jdk/lib/server/libjvm.so"

cc=${CC:-cc}
jni=(-I"$jdk/include" -I"$jdk/include/linux")
$cc -std=gnu11 -O1 "${jni[@]}" -o "$tmp/jvm_launcher" "$src/progs/jvm_launcher.c" \
    -L"$jdk/lib/server" -ljvm -Wl,-rpath,"$jdk/lib/server" || fail "building jvm_launcher"
$cc -std=gnu11 -O1 -shared -fPIC "${jni[@]}" -o "$tmp/libjni_late.so" "$src/progs/jni_late.c" ||
    fail "building libjni_late.so"
javac -d "$tmp" "$src/java/Hooks.java" || fail "javac Hooks.java"

jvm_opts=(-Xshare:auto -XX:+UseSerialGC -Xmx64m -XX:TieredStopAtLevel=1 -XX:-UsePerfData
    -Djni_late.path="$tmp/libjni_late.so")
bound=30 # seconds: one read of the program's output; `timeout` bounds a run at twice that

# One run: how (bare or with), method (launcher or jniLate). Sends SIGTERM
# once the program wrote "ready"; closes its stdin at "jni handler" when
# nothing else can handle the signal (without the shim: the JNI handler
# replaced HotSpot's), and otherwise only when $bound seconds pass without
# output (noted as "(nothing for ${bound}s, stdin closed)"). Sets $res to
# the program's lines ("ready PID" as "ready") and how it ended (the
# waiter's line), joined by "|"; not run in a subshell: the trap must see
# its processes.
run() {
    local how=$1 method=$2 line st out='' pid='' n=$((runs += 1)) preload=(env -u LD_PRELOAD)
    [ "$how" = bare ] || preload=(env LD_PRELOAD="$shim")
    mkfifo "$tmp/in$n" "$tmp/out$n" || fail mkfifo
    # the waiter is not under the shim; timeout kills its process group
    timeout -s KILL $((2 * bound)) env -u LD_PRELOAD "$tmp/jvm_launcher" --wait \
        "${preload[@]}" "$tmp/jvm_launcher" "$tmp" Hooks "$method" "${jvm_opts[@]}" \
        <"$tmp/in$n" >"$tmp/out$n" 2>"$tmp/err$n" &
    pids+=($!)
    exec {w}<>"$tmp/in$n" # read-write: never blocks; the program's stdin stays open
    exec {r}<"$tmp/out$n"
    while :; do
        read -r -t $bound line <&$r
        st=$?
        if [ $st -ne 0 ]; then
            [ $st -gt 128 ] || break # end of output: the waiter exited
            [ "$w" -ge 0 ] || { out+="(no end in ${bound}s after stdin closed)|"; break; }
            exec {w}>&-
            w=-1
            out+="(nothing for ${bound}s, stdin closed)|"
            continue
        fi
        case $line in
        "ready "*)
            pid=${line#ready }
            case $pid in '' | *[!0-9]*) fail "$how $method: bad line [$line]" ;; esac
            pids+=("$pid")
            kill -TERM "$pid"
            line=ready
            ;;
        "jni handler")
            if [ "$how" = bare ] && [ "$w" -ge 0 ]; then
                exec {w}>&-
                w=-1
            fi
            ;;
        esac
        out+="$line|"
    done
    exec {r}<&-
    [ "$w" -lt 0 ] || exec {w}>&-
    r=-1 w=-1
    wait "${pids[0]}" 2>/dev/null
    pids=()
    res=${out%|}
}
runs=0

# Each mode stops at its first failing run; both modes always run.
failed=()
check() { # WHAT GOT WANTED
    [ "$2" = "$3" ] && return 0
    sed 's/^/    stderr: /' "$tmp/err$runs"
    echo "FAIL: $1: [$2], expected [$3]"
    failed+=("$1")
    return 1
}

# (a) the launcher's handler, then HotSpot's: identical without and with
want_a="ready|shutdown hook ran|exited 143"
for i in 1 2 3; do
    run bare launcher
    a=$res
    echo "launcher mode, run $i: without: $a"
    check "launcher mode without the shim" "$a" "$want_a" || break
    run with launcher
    b=$res
    echo "launcher mode, run $i: with:    $b"
    check "launcher mode with the shim (as without)" "$b" "$a" || break
done

# (b) a JNI library's handler installed late, without looking: chained
want_ref="ready|jni handler|stdin closed|shutdown hook ran|destroyed|exited 3"
want_b="ready|jni handler|shutdown hook ran|exited 143"
for i in 1 2 3; do
    run bare jniLate
    a=$res
    echo "jni-late mode, run $i: without (reference): $a"
    check "jni-late mode without the shim" "$a" "$want_ref" || break
    run with jniLate
    b=$res
    echo "jni-late mode, run $i: with:                $b"
    check "jni-late mode with the shim" "$b" "$want_b" || break
done
[ ${#failed[@]} -eq 0 ] || fail "$(IFS=';'; echo "${failed[*]}")"
echo "OK: the embedded JVM takes SIGTERM over as without the shim; a JNI handler installed without looking stays chained"
