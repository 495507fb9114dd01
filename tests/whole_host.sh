#!/bin/bash
# SPDX-License-Identifier: MIT
# Whole-host use (issue 17): the library named in /etc/ld.so.preload, so
# that every dynamic program gets it, as an administrator would set it up.
#
#   whole_host.sh SHIM PROGS_DIR privileged
#       an ordinary program gets its cleanup on SIGTERM; a setuid-root copy
#       and a copy with a file capability, run by uid 65534, behave exactly
#       as without the library (no cleanup, death by SIGTERM, sigaction
#       returning what the kernel holds, no MULTIEXIT_* read); `env -i`
#       gets the defaults
#   whole_host.sh SHIM PROGS_DIR workload SOURCE_DIR
#       the same jobs without and with the library in every process give
#       the same result: configure, build and unit tests of a small C
#       project with make; this project's own CMake configure, build and
#       two unit-test suites; python3 -m test test_subprocess test_signal
#
# Needs root. Runs in a private mount namespace (unshare -m): /etc is
# covered by an overlay (or /etc/ld.so.preload by a bind mount) whose
# changes live in a temporary directory; nothing outside the namespace is
# touched, and leaving the namespace undoes every mount, whatever happens.
# Exit 77 (skipped) when not root.
set -euo pipefail

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

if [ "${ME_WHOLE_HOST_INNER:-}" != 1 ]; then
    [ $# -ge 3 ] || { echo "usage: $0 SHIM PROGS_DIR privileged|workload [SOURCE_DIR]" >&2; exit 2; }
    if [ "$(id -u)" != 0 ]; then
        echo "whole_host: needs root (mount namespace, setuid and setcap): skipped" >&2
        exit 77
    fi
    had_preload=no
    [ -e /etc/ld.so.preload ] && had_preload=$(sha256sum </etc/ld.so.preload)
    rc=0
    ME_WHOLE_HOST_INNER=1 unshare --mount --propagation private -- "$0" "$@" || rc=$?
    now=no
    [ -e /etc/ld.so.preload ] && now=$(sha256sum </etc/ld.so.preload)
    [ "$now" = "$had_preload" ] || fail "/etc/ld.so.preload outside the namespace changed"
    [ $rc = 0 ] && echo "whole_host $3: 1 passed, 0 failed"
    exit $rc
fi

shim=$1 progs=$2 mode=$3 src=${4:-}
for v in $(env | sed -n 's/^\(MULTIEXIT_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
unset LD_PRELOAD
tmp=$(mktemp -d /tmp/me-host-XXXXXX)
chmod 755 "$tmp"
cleanup() {
    umount /etc 2>/dev/null || umount /etc/ld.so.preload 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
# readable by uid 65534 whatever the build directory's modes
install -d -m 755 "$tmp/lib"
install -m 644 "$shim" "$tmp/lib/libmultiexit.so.0"

# /etc/ld.so.preload naming the library, for this namespace only
preload_on() {
    local list="$tmp/ld.so.preload"
    echo "$tmp/lib/libmultiexit.so.0" >"$list"
    if [ -e /etc/ld.so.preload ]; then
        cat /etc/ld.so.preload >>"$list"
        mount --bind "$list" /etc/ld.so.preload
    else
        mkdir -p "$tmp/upper" "$tmp/work"
        if ! mount -t overlay overlay -o "lowerdir=/etc,upperdir=$tmp/upper,workdir=$tmp/work" /etc
        then
            cp -a /etc "$tmp/etc" # no overlayfs: a private copy of /etc
            mount --bind "$tmp/etc" /etc
        fi
        cp "$list" /etc/ld.so.preload
    fi
    # every dynamic program now maps the library: grep itself shows it
    grep -q "$tmp/lib/libmultiexit.so.0" /proc/self/maps ||
        fail "/etc/ld.so.preload is not in effect"
}

checks=0
ok() {
    checks=$((checks + 1))
    echo "ok $checks - $*"
}

# run_probe CMD...: runs tests/progs/hostprobe (or a copy) with fd 3 on a
# fifo, reads its report, sends SIGTERM, reaps it. Sets REPORT, STATUS, OUT, ERR.
run_probe() {
    rm -f "$tmp/fifo"
    mkfifo -m 600 "$tmp/fifo"
    "$@" >"$tmp/out" 2>"$tmp/err" 3>"$tmp/fifo" &
    local pid=$!
    REPORT=
    IFS= read -r -t 60 REPORT <"$tmp/fifo" || true
    kill -TERM "$pid" 2>/dev/null || true
    STATUS=0
    wait "$pid" || STATUS=$?
    OUT=$(cat "$tmp/out")
    ERR=$(cat "$tmp/err")
    [ -n "$REPORT" ] || fail "$*: no report (status $STATUS, stderr: $ERR)"
}

# a plain command (not a function), so that the background job execs it
# and $! is the program's own pid
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

privileged() {
    local probe="$tmp/probe" suid="$tmp/probe-suid" cap="$tmp/probe-cap"
    install -m 755 "$progs/hostprobe" "$probe"
    install -o root -g root -m 4755 "$progs/hostprobe" "$suid"
    install -m 755 "$progs/hostprobe" "$cap"
    setcap cap_net_bind_service+ep "$cap"
    # variables a privileged program must not read
    local envs=(env MULTIEXIT_VERBOSE=1 MULTIEXIT_SIGNALS=HUP,USR1)

    # ---- without the library: what the kernel and libc alone give ----
    run_probe "${envs[@]}" "$probe"
    local base_plain=$REPORT
    [ "$STATUS" = 143 ] && [ -z "$OUT" ] || fail "bare: status $STATUS, output '$OUT'"
    run_probe "${nobody[@]}" "${envs[@]}" "$suid"
    local base_suid=$REPORT base_suid_out=$OUT base_suid_err=$ERR base_suid_status=$STATUS
    case $base_suid in *secure=1*) ;; *) fail "setuid copy without AT_SECURE: $base_suid" ;; esac
    run_probe "${nobody[@]}" "${envs[@]}" "$cap"
    local base_cap=$REPORT base_cap_out=$OUT base_cap_err=$ERR base_cap_status=$STATUS
    case $base_cap in *secure=1*) ;; *) fail "capability copy without AT_SECURE: $base_cap" ;; esac
    [ "$base_suid_status" = 143 ] && [ "$base_cap_status" = 143 ] ||
        fail "bare privileged copies: status $base_suid_status, $base_cap_status"

    preload_on

    # ---- an ordinary program: cleanup on SIGTERM, then death by it ----
    run_probe "$probe"
    [[ $REPORT == "shim=1 secure=0 term=default int=differ "* ]] || fail "ordinary: $REPORT"
    [ "$STATUS" = 143 ] || fail "ordinary: status $STATUS"
    [ "$OUT" = cleanup ] || fail "ordinary: output '$OUT'"
    [ "$REPORT" != "${base_plain/shim=0/shim=1}" ] || fail "ordinary: the dispatcher is not installed"
    local with_plain=$REPORT
    ok "ordinary program: cleanup on SIGTERM, status 143 ($REPORT)"
    run_probe "${nobody[@]}" "$probe"
    [ "$REPORT" = "$with_plain" ] && [ "$STATUS" = 143 ] && [ "$OUT" = cleanup ] ||
        fail "ordinary program as uid 65534: $REPORT, status $STATUS, output '$OUT'"
    ok "ordinary program run by uid 65534: cleanup on SIGTERM"

    # ---- chaining: a library's handler and the program's both run ----
    # (tests/progs/chain two: comp1's library installs one, then main)
    rm -f "$tmp/cin" "$tmp/c3"
    mkfifo -m 600 "$tmp/cin" "$tmp/c3"
    "$progs/chain" two <"$tmp/cin" >"$tmp/cout" 3>"$tmp/c3" &
    local cpid=$! cin c3 line
    exec {cin}>"$tmp/cin"
    exec {c3}<"$tmp/c3"
    IFS= read -r -t 60 line <&$c3 && [ "$line" = ready ] || fail "chain: not ready ($line)"
    kill -TERM "$cpid"
    printf x >&$cin # answered once the signal's handlers have run
    IFS= read -r -t 60 line <&$c3 && [ "$line" = alive ] || fail "chain: no answer ($line)"
    exec {cin}>&- {c3}<&-
    STATUS=0
    wait "$cpid" || STATUS=$?
    [ "$STATUS" = 0 ] && [ "$(cat "$tmp/cout")" = "$(printf 'main handler\ncomp1 handler\nexitfn')" ] ||
        fail "chain: status $STATUS, output '$(cat "$tmp/cout")'"
    ok "a library's SIGTERM handler and the program's both run, newest first"

    # ---- privileged programs: exactly as without the library ----
    run_probe "${nobody[@]}" "${envs[@]}" "$suid"
    [ "$REPORT" = "${base_suid/shim=0/shim=1}" ] ||
        fail "setuid: '$REPORT', without the library '$base_suid'"
    [ "$STATUS" = "$base_suid_status" ] && [ "$OUT" = "$base_suid_out" ] &&
        [ "$ERR" = "$base_suid_err" ] ||
        fail "setuid: status $STATUS, output '$OUT', stderr '$ERR'"
    ok "setuid-root program: left alone ($REPORT, status $STATUS, no cleanup, nothing on stderr)"
    run_probe "${nobody[@]}" "${envs[@]}" "$cap"
    [ "$REPORT" = "${base_cap/shim=0/shim=1}" ] ||
        fail "capability: '$REPORT', without the library '$base_cap'"
    [ "$STATUS" = "$base_cap_status" ] && [ "$OUT" = "$base_cap_out" ] &&
        [ "$ERR" = "$base_cap_err" ] ||
        fail "capability: status $STATUS, output '$OUT', stderr '$ERR'"
    ok "program with a file capability: left alone ($REPORT, status $STATUS, no cleanup)"

    # ---- a scrubbed environment: the defaults (TERM,INT managed) ----
    run_probe env -i "$probe"
    [ "$REPORT" = "$with_plain" ] && [ "$STATUS" = 143 ] && [ "$OUT" = cleanup ] ||
        fail "env -i: $REPORT, status $STATUS, output '$OUT'"
    run_probe env -i MULTIEXIT_SIGNALS=none "$probe"
    [ "$REPORT" = "${base_plain/shim=0/shim=1}" ] && [ "$STATUS" = 143 ] && [ -z "$OUT" ] ||
        fail "MULTIEXIT_SIGNALS=none: $REPORT, status $STATUS, output '$OUT'"
    ok "env -i: the defaults (and a variable set after it is read)"

    # ---- start-up never fails: a bad variable, a closed stderr ----
    local o
    o=$(MULTIEXIT_SIGNALS=BOGUS MULTIEXIT_TIMEOUT=x /bin/echo started 2>/dev/null) &&
        [ "$o" = started ] || fail "bad variables stopped a program"
    o=$(MULTIEXIT_SIGNALS=BOGUS /bin/echo started 2>&-) && [ "$o" = started ] ||
        fail "a closed stderr stopped a program"
    ok "bad variables and a closed stderr do not stop a program from starting"
}

# ---- workload: the same jobs without and with the library ----
# summary lines of each job go to $1
make_project() { # DIR OUT
    "$src/tests/workload/mkproject.sh" "$1"
    (
        cd "$1"
        ./configure 2>&1
        cat config.h
        make -j2 >/dev/null 2>&1 || echo "make failed"
        make check 2>&1 | grep -E '^(PASS|FAIL|[0-9]+ passed|[0-9 ]+$)'
    ) >"$2"
}

own_project() { # BUILD_DIR OUT
    (
        cmake -S "$src" -B "$1" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null 2>&1 ||
            echo "configure failed"
        nice cmake --build "$1" -j2 --target test_config test_registry >/dev/null 2>&1 ||
            echo "build failed"
        cd "$1" && ctest -R '^(test_config|test_registry)$' 2>&1 |
            grep -E 'tests passed|Passed|Failed' | sed 's/ *[0-9.]* sec$//'
    ) >"$2"
}

pick_python() {
    local p
    for p in python3 /usr/bin/python3; do
        if command -v "$p" >/dev/null && "$p" -c 'import test.test_subprocess' 2>/dev/null; then
            command -v "$p"
            return
        fi
    done
    fail "no python3 with its test suite (scripts/deps installs libpython3.X-testsuite)"
}

python_tests() { # OUT
    "$PY" -m test test_subprocess test_signal >"$1.log" 2>&1 || true
    grep -E '^(Total tests|Result|All [0-9]+ tests|[0-9]+ tests? failed)' "$1.log" >"$1" || true
    [ -s "$1" ] || { tail -20 "$1.log" >&2; fail "python3 -m test printed no summary"; }
}

compare() { # NAME WITHOUT WITH
    if ! diff -u "$2" "$3" >&2; then
        fail "$1: different results with the library in every process"
    fi
    ! grep -qE '^FAIL|(make|configure|build) failed|Result: FAILURE|[1-9][0-9]* (tests? )?failed' "$2" ||
        fail "$1: fails even without the library: $(cat "$2")"
    ok "$1: same result ($(tail -1 "$3"))"
}

workload() {
    [ -n "$src" ] || fail "workload needs SOURCE_DIR"
    PY=$(pick_python)
    local t0 t1 t2
    t0=$(date +%s)
    make_project "$tmp/p0" "$tmp/make.without"
    own_project "$tmp/b0" "$tmp/own.without"
    python_tests "$tmp/py.without"
    t1=$(date +%s)
    preload_on
    make_project "$tmp/p1" "$tmp/make.with"
    own_project "$tmp/b1" "$tmp/own.with"
    python_tests "$tmp/py.with"
    t2=$(date +%s)
    echo "without the library: $((t1 - t0)) s; with it in every process: $((t2 - t1)) s"
    compare "small C project: configure, make, make check" "$tmp/make.without" "$tmp/make.with"
    compare "this project: cmake, build, unit tests" "$tmp/own.without" "$tmp/own.with"
    compare "python3 -m test test_subprocess test_signal" "$tmp/py.without" "$tmp/py.with"
}

case $mode in
privileged) privileged ;;
workload) workload ;;
*) fail "unknown mode $mode" ;;
esac
echo "$checks checks passed"
