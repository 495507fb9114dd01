#!/bin/bash
# SPDX-License-Identifier: MIT
# Real programs must behave the same with the shim as without it, except for
# the promised cleanup. Usage: real_programs.sh SHIM CASE
# Exit 0 = same behaviour, 1 = difference, 77 = the program is not on this
# machine (ctest reports it as skipped, not passed).
set -u
shim=$1 case=$2
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

need() { command -v "$1" >/dev/null 2>&1 || { echo "SKIPPED: $1 is not installed"; exit 77; }; }
fail() { echo "FAIL: $*"; exit 1; }
# env execs the program: $! of "$with cmd &" is the program's own pid
with="env LD_PRELOAD=$shim"
bare="env -u LD_PRELOAD"
with() { $with "$@"; }
bare() { $bare "$@"; }

# The number of system call $1 on this machine, from <sys/syscall.h>
# through the C preprocessor: never a literal.
sysno() {
    printf '#include <sys/syscall.h>\nSYS_%s\n' "$1" | ${CC:-cc} -E -P - 2>/dev/null | tail -n 1
}
nr_clock_nanosleep=$(sysno clock_nanosleep) nr_read=$(sysno read)
case $nr_clock_nanosleep$nr_read in
'' | *[!0-9]*) fail "no system call numbers from <sys/syscall.h> (is a C compiler installed?)" ;;
esac

# Waits (bounded) until process $1 is blocked in system call number $2.
wait_syscall() {
    local i
    for ((i = 0; i < 2000; i++)); do
        [ "$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)" = "$2" ] && return 0
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.005 # polling tick of a bounded wait for a /proc condition
    done
    return 1
}

# Runs "$@" in the background (both ways), waits until it blocks in syscall
# $SYSCALL, sends SIGTERM, prints "status=N".
term_status() {
    local how=$1
    shift
    ${!how} "$@" >"$tmp/out" 2>&1 &
    local pid=$!
    wait_syscall "$pid" "${SYSCALL:-$nr_clock_nanosleep}" || fail "$* never blocked"
    kill -TERM "$pid"
    wait "$pid"
    echo "status=$?"
}

case $case in
python)
    need python3
    python3 -c 'import test.support' 2>/dev/null || { echo "SKIPPED: python3 test package missing"; exit 77; }
    # 3.11+: "Total tests:" and "Result:"; 3.9: "N tests OK." and "Tests result:"
    summary() { grep -E '^(Total tests|Result|Tests result):|^[0-9]+ tests? (OK|failed)' ; }
    a=$(bare python3 -m test test_signal test_atexit test_threadsignals test_os 2>&1 | summary)
    b=$(with python3 -m test test_signal test_atexit test_threadsignals test_os 2>&1 | summary)
    echo "without: $a" | tr '\n' ' '; echo; echo "with:    $b" | tr '\n' ' '; echo
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "python3 test_signal/test_atexit/test_threadsignals/test_os differ"
    ;;
bash)
    need bash
    script='trap "echo TERM trapped" TERM; trap "echo INT trapped" INT; trap "echo HUP trapped" HUP
            kill -TERM $$; kill -INT $$; kill -HUP $$; echo done; exit 4'
    a=$(bare bash -c "$script"; echo "status=$?")
    b=$(with bash -c "$script"; echo "status=$?")
    echo "$b"
    [ "$a" = "$b" ] || fail "bash traps differ: [$a] vs [$b]"
    a=$(bare bash -c 'kill -TERM $$; echo not reached'; echo "status=$?")
    b=$(with bash -c 'kill -TERM $$; echo not reached'; echo "status=$?")
    [ "$a" = "$b" ] && [ "$b" = "status=143" ] || fail "bash killing itself: [$a] vs [$b]"
    ;;
perl)
    need perl
    script='$| = 1; $SIG{TERM} = sub { print "perl TERM handler\n"; exit 3 }; kill "TERM", $$;
            select(undef, undef, undef, 5); print "not reached\n"'
    a=$(bare perl -e "$script"; echo "status=$?")
    b=$(with perl -e "$script"; echo "status=$?")
    echo "$b"
    [ "$a" = "$b" ] || fail "perl differs: [$a] vs [$b]"
    ;;
java)
    need javac
    need java
    cat >"$tmp/Hook.java" <<'JAVA'
public class Hook {
    public static void main(String[] a) throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("shutdown hook ran")));
        System.out.println("ready");
        System.out.flush();
        Thread.currentThread().join(); // waits until killed
    }
}
JAVA
    javac -d "$tmp" "$tmp/Hook.java" || fail "javac"
    for how in bare with; do
        mkfifo "$tmp/jout.$how"
        ${!how} java -Xshare:auto -cp "$tmp" Hook >"$tmp/jout.$how" &
        pid=$!
        exec {fd}<"$tmp/jout.$how"
        read -r line <&"$fd"
        kill -TERM "$pid"
        rest=$(cat <&"$fd")
        exec {fd}<&-
        wait "$pid"
        st=$?
        echo "$how: status=$st output=[$line $rest]"
        [ "$st" = 143 ] && [ "$rest" = "shutdown hook ran" ] || fail "java ($how)"
    done
    ;;
coreutils)
    need sleep
    need tail
    for how in bare with; do
        r=$(SYSCALL=$nr_clock_nanosleep term_status $how sleep 30)
        [ "$r" = "status=143" ] || fail "the sleep command, $how: $r"
        r=$(SYSCALL=$nr_clock_nanosleep term_status $how tail -f /dev/null)   # polls /dev/null with a sleep
        [ "$r" = "status=143" ] || fail "tail -f ($how): $r"
        echo "$how: sleep and tail -f die by SIGTERM (143)"
    done
    ;;
mawk)
    need mawk
    for how in bare with; do
        mkfifo "$tmp/in.$how"
        ${!how} mawk '{ print "got", $0 }' <"$tmp/in.$how" >"$tmp/mawk.$how" &
        pid=$!
        exec {w}>"$tmp/in.$how"
        # far more than mawk's input block (mawk 1.3.4-2025 reads more than
        # the 55 KB that 5,000 lines make), so that it processes lines and
        # holds part of its output in its stdout buffer while it waits
        seq -f 'line%05g' 1 50000 >&$w
        wait_syscall "$pid" "$nr_read" || fail "mawk never waited for input"
        kill -TERM "$pid"
        wait "$pid"
        st=$?
        exec {w}>&-
        echo "$how: status=$st, $(wc -l <"$tmp/mawk.$how") lines written"
        [ "$st" = 143 ] || fail "mawk ($how) status $st"
    done
    # mawk holds back its last partial input block, so it has processed K
    # lines when the signal comes. With the shim the file must hold exactly
    # lines 1..K, complete, and more than without (which loses its buffer).
    nb=$(wc -l <"$tmp/mawk.bare") nw=$(wc -l <"$tmp/mawk.with")
    [ "$(cat "$tmp/mawk.with")" = "$(seq -f 'got line%05g' 1 "$nw")" ] ||
        fail "mawk's output with the shim is not lines 1..$nw"
    [ "$(tail -c1 "$tmp/mawk.with" | od -An -c | tr -d ' ')" = '\n' ] || fail "last line cut"
    [ "$nw" -gt "$nb" ] || fail "the shim saved nothing ($nw lines vs $nb)"
    echo "mawk had processed $nw lines: all $nw in the file with the shim, $nb without"
    ;;
*)
    echo "unknown case $case"
    exit 2
    ;;
esac
echo "OK: $case behaves the same (plus the cleanup)"
