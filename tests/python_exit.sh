#!/bin/bash
# SPDX-License-Identifier: MIT
# CPython unwinds on a managed signal (issue 24): the same unmodified
# programs (tests/python/subject.py MODE, and tests/python/embed.c), run
# without the shim and with it, get the same signal when they say "ready";
# what their hooks printed, their exit status as their parent sees it and
# the time from the signal to their end are checked.
#   where the shim must change things (the program left SIGTERM at SIG_DFL
#   in Python): without it, death by SIGTERM at once and no hook; with it,
#   finally, with, atexit, logging's shutdown and the final flush of
#   sys.stdout, then death by SIGTERM (-15 to subprocess, 143 in a shell),
#   promptly (a C call ends first; tgkill to another thread too); a
#   multiprocessing child that its parent terminate()s runs its finally and
#   still reads -15;
#   where it must not (the program's own handler, SIG_IGN, explicit
#   SIG_DFL, SIGINT's KeyboardInterrupt, asyncio's add_signal_handler,
#   getsignal()/signal()'s values, MULTIEXIT_PYTHON=off, an interpreter
#   embedded in a C program's own loop): the same output and status both
#   ways;
#   where only MULTIEXIT_TIMEOUT ends the unwinding (SystemExit swallowed,
#   a non-daemon thread that never ends; MULTIEXIT_TIMEOUT=1): death by
#   SIGTERM after about that second.
# Each program runs under tests/python/waiter.py, which prints "exit N"
# with subprocess's returncode: -15 for a death by SIGTERM, 143 for
# exit(143). Synchronisation is by the program's "ready" line, and for a
# program that then blocks in a system call, by that call showing in
# /proc/PID/syscall; every wait is bounded (read -t, the waiter's own
# limit, a bounded poll of /proc), no sleep stands for one.
#
# Usage: python_exit.sh SHIM [TRIALS]   (every case TRIALS times, default 1)
# PYTHON: the interpreter (default: python3's, resolved past a pyenv shim).
# Exit 0 = as promised, 1 = not, 77 = no python3 (ctest: skipped). The
# embedded case alone is skipped (with the reason) when the interpreter's
# pythonX-config is missing (Debian: python3-dev).
set -u
shim=${1:?usage: python_exit.sh SHIM [TRIALS]} trials=${2:-1}
case $shim in /*) ;; *) shim=$PWD/$shim ;; esac
dir=$(cd "$(dirname "$0")" && pwd)/python

need() { command -v "$1" >/dev/null 2>&1 || { echo "SKIPPED: $1 is not installed"; exit 77; }; }
fail() {
    echo "FAIL: $*"
    if [ -s "${errfile:-/dev/null}" ]; then
        echo "-- its stderr"
        cat "$errfile"
    fi
    exit 1
}

need "${PYTHON:-python3}"
[ -f "$shim" ] || fail "no shim $shim"
shim_file=$(readlink -f "$shim") # as /proc/PID/maps names it
case $trials in '' | *[!0-9]* | 0) fail "TRIALS must be a positive number: $trials" ;; esac
# the interpreter itself, not a wrapper script (pyenv's shims are bash)
py=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)') && [ -x "$py" ] ||
    fail "cannot find the interpreter of ${PYTHON:-python3}"
# the settings under test are the cases', not the caller's (MULTIEXIT_VERBOSE passes)
unset MULTIEXIT_PYTHON MULTIEXIT_TIMEOUT MULTIEXIT_SIGNALS MULTIEXIT_CHAIN

tmp=$(mktemp -d) || exit 1
current= # the process group of the program running now (the waiter gives it one)
trap '[ -n "$current" ] && kill -KILL -- "-$current" 2>/dev/null
      kill -KILL $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

hang=45  # seconds: the waiter's limit for one program (over MULTIEXIT_TIMEOUT's 30)
bound=60 # seconds: each read of the program's output (over the waiter's limit)
fast=2000    # ms: the most a death by the signal at once may take (about 20 ms here)
prompt=10000 # ms: the most an unwinding may take (some 50 ms; clong's C call of 0.3 s ends first)

# a thread of another process is reached by tgkill only
printf '%s\n' '#include <stdlib.h>' '#include <sys/syscall.h>' '#include <unistd.h>' \
    'int main(int c, char **v) { return c == 4 && syscall(SYS_tgkill, atoi(v[1]), atoi(v[2]), atoi(v[3])) == 0 ? 0 : 1; }' |
    ${CC:-cc} -x c -o "$tmp/tgkill" - || fail "cannot build the tgkill helper (is a C compiler installed?)"

# The numbers of the system calls named, those this machine has, from
# <sys/syscall.h> through the C preprocessor: never a literal.
sysnos() {
    local n
    for n; do printf '#ifdef SYS_%s\nSYS_%s\n#endif\n' "$n" "$n"; done |
        ${CC:-cc} -E -P -include sys/syscall.h - 2>/dev/null | grep -E '^[0-9]+$' | tr '\n' ' '
}
# time.sleep: clock_nanosleep from 3.11, select before; input(): read
nr_sleep=$(sysnos clock_nanosleep nanosleep select pselect6) nr_read=$(sysnos read)
nr_accept=$(sysnos accept accept4)
[ -n "$nr_sleep" ] && [ -n "$nr_read" ] && [ -n "$nr_accept" ] ||
    fail "no system call numbers from <sys/syscall.h>"

# Waits (bounded) until the main thread of process $1 is blocked in one of
# the system calls numbered $2: a signal sent before would be seen by
# CPython only once that call returns (its C code between the "ready" and
# the call checks no signal: input() writes its prompt, then reads), with
# its own handler as with the shim's.
wait_blocked() {
    local i nr
    for ((i = 0; i < 2000; i++)); do
        read -r nr _ <"/proc/$1/syscall" 2>/dev/null || return 1
        case " $2 " in *" $nr "*) return 0 ;; esac
        sleep 0.005 # polling tick of a bounded wait for a /proc condition
    done
    return 1
}

# the interpreter embedded in a C program (its pythonX.Y-config: python3-dev)
embed=
if [ -x "$py-config" ]; then
    cfg=$py-config
    ldflags=$("$cfg" --embed --ldflags 2>/dev/null) || ldflags=$("$cfg" --ldflags) # --embed: 3.8+
    # shellcheck disable=SC2046,SC2086 # the config's words are flags
    if ${CC:-cc} $("$cfg" --includes) -o "$tmp/embed" "$dir/embed.c" $ldflags 2>"$tmp/embed.err"; then
        embed=$tmp/embed
    else
        cat "$tmp/embed.err"
        fail "cannot build tests/python/embed.c with $cfg"
    fi
fi

# run HOW SIGNAL COMMAND...: runs COMMAND (HOW: bare, or with the shim) with
# the case's variables (cenv) under the waiter, collects the lines it prints
# until "ready PID TID", checks that the shim is loaded (with) or not
# (bare), waits until the program is blocked in one of the system calls
# numbered in $blocked (unless empty), sends SIGNAL (TERM, INT; tgkill:
# SIGTERM to thread TID; TERM+line: SIGTERM, then a line on stdin; line: a
# line on stdin only), and collects the rest. Sets got (the lines but
# ready, joined by ';'), status (the waiter's: -15, 0, 3...) and ms (from
# the signal to the end).
run() {
    local how=$1 sig=$2 pre line pid='' tid='' t0 t1 out=() inw outr waiter
    shift 2
    if [ "$how" = with ]; then
        pre=(env LD_PRELOAD="$shim" "${cenv[@]}")
    else
        pre=(env -u LD_PRELOAD "${cenv[@]}")
    fi
    rm -f "$tmp/out" "$tmp/in"
    mkfifo "$tmp/out" "$tmp/in" || fail "mkfifo"
    exec {inw}<>"$tmp/in" # stdin: a pipe kept open
    errfile=$tmp/err.$how
    env -u LD_PRELOAD "$py" -E "$dir/waiter.py" "$hang" "${pre[@]}" "$@" \
        <"$tmp/in" >"$tmp/out" 2>"$errfile" &
    waiter=$!
    exec {outr}<"$tmp/out"
    while read -r -t "$bound" -u "$outr" line; do
        case $line in
        "ready "*)
            read -r _ pid tid <<<"$line"
            break
            ;;
        "exit "*) break ;;
        *) out+=("$line") ;;
        esac
    done
    [ -n "$pid" ] || fail "$label ($how): never said ready [$(IFS=';'; echo "${out[*]}")] ${line:-}"
    current=$pid
    # the shim is there with it only (a preload that failed would pass the
    # cases where nothing must change)
    if grep -qF "$shim_file" "/proc/$pid/maps"; then
        [ "$how" = with ] || fail "$label ($how): the shim is loaded"
    else
        [ "$how" = bare ] || fail "$label ($how): the shim is not loaded"
    fi
    if [ -n "$blocked" ]; then
        wait_blocked "$pid" "$blocked" ||
            fail "$label ($how): never blocked in system call $blocked ($(cat "/proc/$pid/syscall" 2>&1))"
    fi
    t0=$EPOCHREALTIME
    case $sig in
    TERM | INT) kill -s "$sig" "$pid" || fail "$label ($how): kill -$sig $pid" ;;
    tgkill)
        [ "$tid" != "$pid" ] && [ -d "/proc/$pid/task/$tid" ] || fail "$label ($how): $tid is no other thread of $pid"
        "$tmp/tgkill" "$pid" "$tid" 15 || fail "$label ($how): tgkill $pid $tid"
        ;;
    TERM+line)
        kill -TERM "$pid" || fail "$label ($how): kill -TERM $pid"
        echo hello >&"$inw"
        ;;
    line) echo go >&"$inw" ;;
    esac
    status=
    while read -r -t "$bound" -u "$outr" line; do
        case $line in
        "exit "*)
            status=${line#exit }
            break
            ;;
        *) out+=("$line") ;;
        esac
    done
    t1=$EPOCHREALTIME
    exec {outr}<&- {inw}>&-
    [ -n "$status" ] || fail "$label ($how): no end within ${bound}s [$(IFS=';'; echo "${out[*]}")]"
    wait "$waiter"
    current=
    [ "$status" != hung ] || fail "$label ($how): still running ${hang}s after the signal [$(IFS=';'; echo "${out[*]}")]"
    t0=${t0//[.,]/} t1=${t1//[.,]/}
    ms=$(((10#$t1 - 10#$t0) / 1000))
    got=$(IFS=';'; echo "${out[*]}")
}

# expect HOW OUTPUT STATUS MIN_MS MAX_MS: the last run's
expect() {
    [ "$got" = "$2" ] || fail "$label ($1): printed [$got], expected [$2] (exit $status, ${ms} ms after the signal)"
    [ "$status" = "$3" ] || fail "$label ($1): exit $status, expected $3 [$got]"
    [ "$ms" -ge "$4" ] && [ "$ms" -le "$5" ] || fail "$label ($1): ended ${ms} ms after the signal, expected $4..$5 ms"
    errfile=
}

note() { # one line per case and way, on the first trial
    [ "$trial" = 1 ] && printf '  %-5s exit %-3s %6s ms  [%s]\n' "$1" "$status" "$ms" "$got"
    maxms[$label.$1]=$((ms > ${maxms[$label.$1]:-0} ? ms : ${maxms[$label.$1]:-0}))
}

subject=("$py" -E "$dir/subject.py")
H='pending;finally;with-exit SystemExit;atexit;logging-flushed' # the unwinding's markers

# differs MODE SIGNAL WANT_WITH [WANT_BARE]: the shim's case: nothing (or
# WANT_BARE) and -15 at once without the shim; WANT_WITH and -15 promptly
# with it
differs() {
    run bare "$2" "${subject[@]}" "$1"
    expect bare "${4:-}" -15 0 "$fast"
    note bare
    run with "$2" "${subject[@]}" "$1"
    expect with "$3" -15 0 "$prompt"
    note with
}

# same MODE SIGNAL WANT STATUS MAX_MS: unchanged: WANT and STATUS both ways
same() {
    local how
    for how in bare with; do
        run $how "$2" "${subject[@]}" "$1"
        expect $how "$3" "$4" 0 "$5"
        note $how
    done
}

cases=(sleep input accept busy clong thread tgkill mp-fork mp-spawn thread-stuck swallow
    own-handler sig-dfl sig-ign sigint asyncio getsignal signal-return off embed)
[ -z "${CASES:-}" ] || read -ra cases <<<"$CASES" # some of them only (a debugging aid)
if [ -z "$embed" ]; then
    echo "case embed skipped: no $py-config to build tests/python/embed.c (Debian: python3-dev)"
    for i in "${!cases[@]}"; do [ "${cases[$i]}" != embed ] || unset "cases[$i]"; done
    cases=("${cases[@]}")
fi

one() {
    label=$1
    cenv=() blocked=$nr_sleep
    case $1 in
    sleep) differs sleep TERM "$H" ;;
    input)
        blocked=$nr_read
        differs input TERM "${H#pending;}"
        ;;
    accept)
        blocked=$nr_accept
        differs accept TERM "$H"
        ;;
    busy | clong)
        blocked=
        differs "$1" TERM "$H"
        ;;
    thread) differs thread TERM "pending;worker-finally;finally;with-exit SystemExit;atexit;logging-flushed" ;;
    tgkill) differs tgkill tgkill "$H" ;;
    mp-fork | mp-spawn)
        blocked=
        # the program is the child's parent: it ends normally, the child
        # reads -15 both ways, and has run its finally with the shim
        run bare line "${subject[@]}" "$1"
        expect bare "child-exitcode -15" 0 0 "$prompt"
        note bare
        run with line "${subject[@]}" "$1"
        expect with "child-finally;child-exitcode -15" 0 0 "$prompt"
        note with
        ;;
    thread-stuck | swallow)
        # the unwinding never ends: MULTIEXIT_TIMEOUT's second ends it
        cenv=(MULTIEXIT_TIMEOUT=1)
        local want="pending;finally;with-exit SystemExit"
        [ "$1" = swallow ] && want="pending;swallowed SystemExit"
        run bare TERM "${subject[@]}" "$1"
        expect bare "" -15 0 "$fast"
        note bare
        run with TERM "${subject[@]}" "$1"
        expect with "$want" -15 900 6000
        note with
        ;;
    own-handler) same own-handler TERM "pending;own-handler 15;finally;with-exit SystemExit;atexit;logging-flushed" 3 "$prompt" ;;
    sig-dfl) same sig-dfl TERM "" -15 "$fast" ;;
    sig-ign)
        blocked=$nr_read
        same sig-ign TERM+line "pending;got hello;finally;with-exit None;atexit;logging-flushed" 0 "$prompt"
        ;;
    sigint) same sigint INT "pending;finally;with-exit KeyboardInterrupt;atexit;logging-flushed" -2 "$prompt" ;;
    asyncio)
        blocked= # its signal wakes the loop up (a wakeup fd)
        same asyncio TERM "pending;asyncio-handler;finally;with-exit None;atexit;logging-flushed" 0 "$prompt"
        ;;
    getsignal)
        # what the program sees is the same both ways; then SIGTERM
        run bare TERM "${subject[@]}" getsignal
        local seen=$got
        case ";$seen;" in *": False"*) fail "getsignal (bare): [$seen]" ;; esac
        expect bare "$seen" -15 0 "$fast"
        note bare
        run with TERM "${subject[@]}" getsignal
        expect with "$seen;$H" -15 0 "$prompt"
        note with
        ;;
    signal-return)
        blocked=
        run bare line "${subject[@]}" signal-return
        local seen=$got
        case ";$seen;" in *": False"*) fail "signal-return (bare): [$seen]" ;; esac
        expect bare "$seen" 0 0 "$prompt"
        note bare
        run with line "${subject[@]}" signal-return
        expect with "$seen" 0 0 "$prompt"
        note with
        ;;
    off)
        cenv=(MULTIEXIT_PYTHON=off)
        same sleep TERM "" -15 "$fast"
        ;;
    embed)
        blocked=$nr_read
        local how want="getsignal(SIGTERM) is SIG_DFL: True;python-ran"
        for how in bare with; do
            run $how TERM "$embed"
            expect $how "$want" -15 0 "$fast"
            note $how
        done
        ;;
    *) fail "no case $1" ;;
    esac
}

declare -A maxms=()
echo "python: $py ($("$py" -c 'import platform; print(platform.python_version())')), $trials trial(s)"
start=$SECONDS
for ((trial = 1; trial <= trials; trial++)); do
    for c in "${cases[@]}"; do
        [ "$trial" = 1 ] && echo "== $c"
        one "$c"
    done
done
if [ "$trials" -gt 1 ]; then
    echo "== slowest end after the signal over $trials trials (ms)"
    for c in "${cases[@]}"; do
        [ -n "${maxms[$c.bare]:-}" ] && printf '  %-14s bare %6s  with %6s\n' "$c" "${maxms[$c.bare]}" "${maxms[$c.with]}"
    done
fi
echo "OK: ${#cases[@]} cases x $trials, without and with the shim, in $((SECONDS - start)) s"
