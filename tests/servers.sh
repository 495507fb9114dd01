#!/bin/bash
# SPDX-License-Identifier: MIT
# Real servers must behave the same with the shim as without it. Each case
# runs one scenario twice, without the shim and then with it, writes what it
# observes (exit statuses, pid files, which processes live, client output,
# the server's log lines, normalised) to a transcript per run, and compares.
#
# Usage: servers.sh SHIM CASE [control]
#   CASE: postgres, postgres-hup-quit (MULTIEXIT_SIGNALS=TERM,INT,HUP,QUIT),
#         nginx, redis
#   control: the second run is without the shim too (checks that the
#         comparison itself is stable: it must pass)
# Exit 0 = same behaviour, 1 = difference (or the scenario went wrong
# without the shim), 77 = the server is not on this machine (ctest reports
# it as skipped). Loopback and Unix sockets only; every wait is bounded;
# every process started is stopped on exit, failure included.
set -u
shim=$1 case=$2 mode=${3:-}
case $shim in /*) ;; *) shim=$PWD/$shim ;; esac
case $mode in '' | control) ;; *) echo "unknown mode $mode"; exit 2 ;; esac

need() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || { echo "SKIPPED: $1 is not installed"; exit 77; }; }
fail() { echo "FAIL: $*"; exit 1; }

tmp=$(mktemp -d) || exit 1
chmod 755 "$tmp" # an unprivileged server user must reach its own subdirectory
groups_to_kill=() # process groups of the servers (each is a session leader)

# Kills every member of process group $1 whose executable is $2* (bounded:
# one pass over /proc; the members are the server and its children).
kill_group() {
    local g=$1 exe=$2 s p rest
    for s in /proc/[0-9]*/stat; do
        p=${s#/proc/}
        p=${p%/stat}
        read -r rest 2>/dev/null <"$s" || continue
        rest=${rest##*) } # after "pid (comm) ": state ppid pgrp ...
        set -- $rest
        [ "${3:-}" = "$g" ] || continue
        case $(readlink "/proc/$p/exe" 2>/dev/null) in "$exe"*) kill -KILL "$p" 2>/dev/null ;; esac
    done
}
cleanup() {
    local g
    {
        for g in "${groups_to_kill[@]}"; do kill_group ${g/:/ }; done
        kill $(jobs -p)
        wait
    } 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Polls "$@" until it succeeds: at most $tries tries, $tick seconds apart.
# For a server coming up or a child process going away, where there is no
# pipe to synchronise on.
tries=300 tick=0.05 # 15 s
# A condition that returns 2 will never hold: the poll ends there.
poll() {
    local i r
    for ((i = 0; i < tries; i++)); do
        "$@"
        r=$?
        [ $r = 0 ] && return 0
        [ $r = 2 ] && return 1
        sleep "$tick" # polling tick of a bounded wait for a server's state
    done
    return 1
}
# Progress on stdout, with the seconds since the start (not in transcripts).
step() { echo "-- $SECONDS s: $pass: $*"; }
alive() { [ -d "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
gone() { ! alive "$1"; }
# Children of pid $1 (from /proc, one pass).
children() {
    local s rest
    for s in /proc/[0-9]*/stat; do
        read -r rest 2>/dev/null <"$s" || continue
        local pid=${rest%% *}
        rest=${rest##*) }
        set -- $rest
        [ "$2" = "$P" ] && [ "$1" != Z ] && echo "$pid"
    done
}
kids() { P=$1 children | sort -n; }
# Whether process $1 has the shim mapped: "shim" or "no shim".
mapped() { grep -qF " $(readlink -f "$shim_used")" "/proc/$1/maps" 2>/dev/null && echo shim || echo "no shim"; }

# The two runs. $pass names the run; $preload is the shim or empty.
runs() {
    if [ "$mode" = control ]; then
        echo "bare:" "bare2:"
    else
        echo "bare:" "with:$shim_used"
    fi
}
# Environment prefix for the server commands of a run.
server_env() {
    if [ -n "$preload" ]; then
        echo env LD_PRELOAD="$preload" MULTIEXIT_SIGNALS="$signals"
    else
        echo env -u LD_PRELOAD MULTIEXIT_SIGNALS="$signals"
    fi
}
note() { printf '%s\n' "$*" >>"$obs"; }
# Normalises a log or client output: the run's directory, then what varies
# from run to run in this server's messages (times, pids, sizes), by the
# case's sed rules $norm_rules; exit codes and signal numbers stay.
norm() {
    sed -E -e "s#$dir#DIR#g" "${norm_rules[@]}"
}
# Log lines written since byte offset $2 of file $1, normalised and sorted
# (lines from different processes interleave in any order), each prefixed
# with "$3: ".
log_since() {
    tail -c +"$(($2 + 1))" "$1" 2>/dev/null | norm | LC_ALL=C sort | sed "s/^/$3: /"
}
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# Runs the scenario once per run, then compares the transcripts.
compare() {
    local a b r
    set -- $(runs)
    a=${1%%:*} b=${2%%:*}
    for r in "$@"; do
        pass=${r%%:*} preload=${r#*:}
        dir=$tmp/$pass obs=$tmp/$pass.txt
        mkdir -p "$dir"
        : >"$obs"
        echo "== $case, $pass run ($([ -n "$preload" ] && echo "LD_PRELOAD=$preload" || echo "no preload"), MULTIEXIT_SIGNALS=$signals)"
        "scenario_$case"
        check_run_$case
    done
    step "done"
    echo "== transcript of the $b run"
    cat "$tmp/$b.txt"
    local same=1
    if ! diff -u --label "$a" --label "$b" "$tmp/$a.txt" "$tmp/$b.txt" >"$tmp/diff"; then
        echo "== differences ($a -> $b)"
        cat "$tmp/diff"
        same=0
    fi
    if [ ${#bad[@]} -gt 0 ]; then
        echo "== checks that failed"
        printf '%s\n' "${bad[@]}"
    fi
    [ "$same" = 1 ] || fail "$case behaves differently in the $b run"
    [ ${#bad[@]} = 0 ] || fail "$case: ${#bad[@]} checks failed"
    echo "OK: $case behaves the same in the $b run as in the $a run"
}
# Checks that the server of a run has the shim mapped exactly when it should.
expect_mapped() {
    local want="no shim"
    [ -n "$preload" ] && want=shim
    [ "$(mapped "$1")" = "$want" ] || fail "$2 ($1) has $(mapped "$1") mapped in the $pass run"
}

# ---------------------------------------------------------------- PostgreSQL
# the newest PostgreSQL installed (13 on Debian 11, 15 on 12, 17 on 13)
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
pgbin=${pgbin:-/usr/lib/postgresql/15/bin}
pg_setup() {
    need "$pgbin/initdb"
    need "$pgbin/pg_ctl"
    need "$pgbin/postgres"
    need "$pgbin/psql"
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || { echo "SKIPPED: no postgres user"; exit 77; }
        as_pg="setpriv --reuid=postgres --regid=postgres --init-groups --"
        chown postgres: "$tmp"
        # psql complains on stderr when it cannot enter the directory it was
        # started in (a build directory under /root): start everything here
        cd "$tmp"
    else
        as_pg="" # the server only refuses to run as root
    fi
    shim_used=$shim
    if ! $as_pg test -r "$shim"; then # /work may be closed to the postgres user
        cp "$shim" "$tmp/$(basename "$shim")" && chmod 644 "$tmp/$(basename "$shim")"
        shim_used=$tmp/$(basename "$shim")
        echo "the postgres user cannot read $shim: using a copy, $shim_used"
    fi
    # one cluster, copied for each run
    $as_pg "$pgbin/initdb" -D "$tmp/template" -A trust -U postgres -E UTF8 --locale=C --no-sync \
        >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log"; fail "initdb"; }
    cat >>"$tmp/template/postgresql.conf" <<EOF
listen_addresses = ''          # Unix socket only
port = 5432
log_line_prefix = '%b: '        # the process type, no time or pid
log_checkpoints = on
fsync = off
EOF
    norm_rules=(-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]+ [A-Z]+/TIME/g' -e 's#\b[0-9A-F]+/[0-9A-F]+\b#LSN#g'
        -e 's/PID [0-9]+/PID N/g' -e 's/(checkpoint complete|system usage):.*/\1: .../')
    [ "${#tmp}" -lt 80 ] || fail "temporary directory path too long for a Unix socket: $tmp"
}
pg_ctl() { timeout 120 $as_pg $(server_env) "$pgbin/pg_ctl" -D "$pgdata" -t 60 "$@" >>"$dir/pg_ctl.out" 2>&1; }
# A client, never preloaded: it only observes the server.
pq() {
    timeout 60 $as_pg env -u LD_PRELOAD PGHOST="$dir" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres \
        PGCONNECT_TIMEOUT=10 "$pgbin/psql" -X -At -v ON_ERROR_STOP=1 "$@"
}
# Runs a client and notes its status and normalised output.
pq_note() {
    local what=$1 out st
    shift
    out=$(pq "$@" 2>&1)
    st=$?
    note "$what: status=$st $(printf '%s' "$out" | norm | tr '\n' '|')"
}
pidfile() { echo "$pgdata/postmaster.pid"; }
# A fresh copy of the cluster, $dir/data$1, its socket in $dir.
fresh_cluster() {
    pgdata=$dir/data$1
    cp -a "$tmp/template" "$pgdata"
    echo "unix_socket_directories = '$dir'" >>"$pgdata/postgresql.conf"
}
# The postmaster.pid status line, and whether the postmaster is the one started.
pg_state() {
    local f st pm
    f=$(pidfile)
    if [ -f "$f" ]; then
        st=$(sed -n 8p "$f" | tr -d ' ')
        pm=$(sed -n 1p "$f")
        [ "$pm" = "$postmaster" ] && pm=same || pm="another ($pm)"
        note "$1: postmaster.pid status=${st:-none}, postmaster $pm, $(alive "$postmaster" && echo alive || echo gone)"
    else
        note "$1: no postmaster.pid, postmaster $(alive "$postmaster" && echo alive || echo gone)"
    fi
}
pg_start() {
    pg_ctl -l "$dir/log" -w start
    note "$1: pg_ctl start status=$?"
    postmaster=$(sed -n 1p "$(pidfile)" 2>/dev/null)
    postmaster=${postmaster:-none}
    groups_to_kill+=("$postmaster:$pgbin/")
    [ "$postmaster" != none ] && expect_mapped "$postmaster" postmaster
    pg_state "$1"
}
# Stops with pg_ctl stop -m $1, then waits (bounded) for the postmaster to go.
pg_stop() {
    pg_ctl -w stop -m "$1"
    note "stop -m $1: pg_ctl status=$?"
    poll gone "$postmaster"
    pg_state "stop -m $1"
}
# Backend pid of the session whose application_name is $1 and whose state is
# $2, once there is one (bounded; none once the postmaster is gone).
session_pid() {
    local p
    has() {
        alive "$postmaster" || return 2
        p=$(pq -c "select pid from pg_stat_activity where application_name = '$1' and state = '$2'" 2>/dev/null) && [ -n "$p" ]
    }
    poll has "$1" "$2" && echo "$p"
}
backend_gone() {
    alive "$postmaster" || return 2
    [ "$(pq -c "select count(*) from pg_stat_activity where pid = $1" 2>/dev/null)" = 0 ]
}
# An idle session: psql reading from a fifo, after one query. Sets $idle_w
# (the fifo's write end) and $idle_job.
idle_session() {
    mkfifo "$dir/$1.in"
    PGAPPNAME=$1 pq -f - <"$dir/$1.in" >"$dir/$1.out" 2>&1 &
    idle_job=$!
    exec {idle_w}>"$dir/$1.in"
    echo "select 'connected';" >&$idle_w
}
# Sends the idle session one more query and ends it; notes how it ended.
end_idle() {
    echo "select 'still connected';" >&$idle_w
    exec {idle_w}>&-
    wait "$idle_job"
    note "$1: idle session status=$? $(norm <"$dir/$2.out" | tr '\n' '|')"
}
# A session in pg_sleep(30), as $1; sets $sleep_job.
sleeping_session() {
    PGAPPNAME=$1 pq -c 'select pg_sleep(30)' >"$dir/$1.out" 2>&1 &
    sleep_job=$!
}

scenario_postgres() {
    local pos p
    mkdir -p "$dir"
    [ -n "$as_pg" ] && chown postgres: "$dir"
    : >"$dir/log"
    [ -n "$as_pg" ] && chown postgres: "$dir/log"

    # Each part on a fresh copy of the cluster, so that it shows its own
    # outcome.
    # 1. sessions come and go; the server must stay up throughout
    pos=0
    step start
    fresh_cluster 1
    pg_start start
    pq_note query -c "select 'up'"
    pq_note checkpoint -c checkpoint
    pg_state checkpoint

    step cancel
    sleeping_session sleeper1
    if p=$(session_pid sleeper1 active); then
        pq_note cancel -c "select pg_cancel_backend($p)"
    else
        note "cancel: the pg_sleep session never became active"
    fi
    wait "$sleep_job"
    note "cancel: sleeping session status=$? $(norm <"$dir/sleeper1.out" | tr '\n' '|')"
    pq_note "after cancel" -c "select 'up'"
    pg_state "after cancel"

    step "terminate idle"
    idle_session idle1
    if p=$(session_pid idle1 idle); then
        pq_note "terminate idle" -c "select pg_terminate_backend($p)"
        poll backend_gone "$p"
        note "terminate idle: backend gone=$?"
    else
        note "terminate idle: the session never became idle"
    fi
    end_idle "terminate idle" idle1
    pq_note "after terminate idle" -c "select 'up'"
    pg_state "after terminate idle"

    step "terminate sleeping"
    sleeping_session sleeper2
    if p=$(session_pid sleeper2 active); then
        pq_note "terminate sleeping" -c "select pg_terminate_backend($p)"
        wait "$sleep_job"
        note "terminate sleeping: sleeping session status=$? $(norm <"$dir/sleeper2.out" | tr '\n' '|')"
        poll backend_gone "$p"
        note "terminate sleeping: backend gone=$?"
    else
        note "terminate sleeping: the pg_sleep session never became active"
        kill "$sleep_job" 2>/dev/null
        wait "$sleep_job"
    fi
    pq_note "after terminate sleeping" -c "select 'up'"
    pg_state "after terminate sleeping"

    step reload
    echo "work_mem = '8MB'" >>"$pgdata/postgresql.conf"
    pq_note reload -c 'select pg_reload_conf()'
    reloaded() {
        alive "$postmaster" || return 2
        [ "$(pq -c 'show work_mem' 2>/dev/null)" = 8MB ]
    }
    poll reloaded
    note "reload: new setting seen=$?"
    pq_note "after reload" -c "select 'up'"
    pg_state "after reload"

    step "stop -m smart"
    pg_stop smart
    log_since "$dir/log" "$pos" "log 1 (sessions, smart stop)" >>"$obs"

    # 2. fresh start, fast stop with a session open
    pos=$(size "$dir/log")
    step "start 2, stop -m fast"
    fresh_cluster 2
    pg_start "start 2"
    idle_session idle2
    session_pid idle2 idle >/dev/null || note "start 2: the session never became idle"
    pg_stop fast
    end_idle "stop -m fast" idle2
    log_since "$dir/log" "$pos" "log 2 (fast stop)" >>"$obs"

    # 3. fresh start, immediate stop
    pos=$(size "$dir/log")
    step "start 3, stop -m immediate"
    fresh_cluster 3
    pg_start "start 3"
    pq_note "start 3: query" -c "select 'up'"
    pg_stop immediate
    log_since "$dir/log" "$pos" "log 3 (immediate stop)" >>"$obs"

    # 4. the start after the immediate stop recovers
    pos=$(size "$dir/log")
    step "start 4 (recovery), stop -m fast"
    pg_start "start 4"
    pq_note "start 4: query" -c "select 'up'"
    pg_stop fast
    log_since "$dir/log" "$pos" "log 4 (recovery, fast stop)" >>"$obs"
    note "pg_ctl: $(norm <"$dir/pg_ctl.out" | grep -vE '^waiting for|^ *done$|^\.+' | tr '\n' '|')"
}
scenario_postgres-hup-quit() { scenario_postgres; }
# What must hold of any run, the bare one included (else the scenario itself
# is broken), and what the shim must not add to the log.
check_run_postgres() {
    local l
    for l in "after terminate idle: status=0 up" "after terminate sleeping: status=0 up" \
        "after terminate sleeping: postmaster.pid status=ready, postmaster same, alive" \
        "after reload: postmaster.pid status=ready, postmaster same, alive" "reload: new setting seen=0"; do
        grep -qxF "$l" "$obs" || bad+=("$pass: no line \"$l\"")
    done
    if [ "$pass" != bare ]; then
        local pat='abnormal|crash|terminating any other active server processes'
        while IFS= read -r l; do
            grep -qxF "$l" "$tmp/bare.txt" || bad+=("$pass: log line not in the bare run: $l")
        done < <(grep -iE "^log [0-9].*($pat)" "$obs")
    fi
}
check_run_postgres-hup-quit() { check_run_postgres; }

# --------------------------------------------------------------------- nginx
nginx_setup() {
    need nginx
    shim_used=$shim
    user_line=""
    [ "$(id -u)" = 0 ] && user_line="user nobody $(id -gn nobody);"
    # "yyyy/mm/dd hh:mm:ss [level] pid#tid: message"; SIGIO (a worker's
    # channel) and SIGALRM (the master's timer while workers exit: whether
    # they did before it fires; a worker it then kills is logged as such)
    # come or not with timing
    norm_rules=(-e 's#^[0-9/]+ [0-9:]+ (\[[a-z]+\]) [0-9]+\#[0-9]+: #\1 #' -e 's/(process|from) [0-9]+/\1 N/g'
        -e '/\((SIGIO|SIGALRM)\) received$/d')
}
# A free loopback port (one not listed in /proc/net/tcp; ng_start tries
# another if it was taken meanwhile).
free_port() {
    local p
    for ((p = 20000 + RANDOM % 20000; ; p++)); do
        grep -qi ":$(printf '%04X' "$p") " /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$p"; return; }
    done
}
# One HTTP request over bash's /dev/tcp: prints the body (the worker's pid).
get() {
    timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$port"' && printf "GET / HTTP/1.0\r\nHost: t\r\n\r\n" >&3 && cat <&3' 2>/dev/null |
        tr -d '\r' | sed -n '/^$/,$p' | sed 1d
}
workers() { kids "$master"; }
# Whether the error log since $pos has a line ending in each of "$@" (the
# master writes its lines about a worker after the fact: a part of the log
# is read once they are all there).
in_log() {
    local chunk s
    chunk=$(tail -c +"$((pos + 1))" "$dir/error.log")
    for s in "$@"; do
        grep -qE ": $s\$" <<<"$chunk" || return 1
    done
}
# The lines the master writes once it has reaped the workers $old and
# started those running now that were not in $before.
workers_logged() {
    local w
    alive "$master" || return 2
    set --
    for w in $old; do set -- "$@" "worker process $w exited with code [0-9]+"; done
    for w in $(workers); do
        case " $before " in *" $w "*) ;; *) set -- "$@" "start worker process $w" ;; esac
    done
    in_log "$@"
}
nworkers() { [ "$(workers | wc -l)" = "$1" ]; }
# Two workers, none of them in $old.
new_workers() {
    local w
    nworkers 2 || return 1
    for w in $(workers); do case " $old " in *" $w "*) return 1 ;; esac; done
}
# Starts nginx (a new port if the one picked was taken meanwhile: at most 3
# tries); $start_pos is where the error log of the start that came up begins.
ng_start() {
    local try r w
    # -e (the log before the configuration is read): nginx 1.19.5 and later;
    # an older one (Debian 11's 1.18) takes error_log from the configuration
    ng_elog=(-e "$dir/error.log")
    nginx -h 2>&1 | grep -q -- '-e filename' || ng_elog=()
    up() {
        alive "$master" || return 2
        nworkers 2 && [ -n "$(get)" ]
    }
    for ((try = 0; try < 3; try++)); do
        start_pos=$(size "$dir/error.log")
        port=$(free_port)
        sed "s/PORT/$port/" "$dir/nginx.conf.in" >"$dir/nginx.conf"
        setsid $(server_env) nginx -p "$dir" -c "$dir/nginx.conf" "${ng_elog[@]}" &
        master=$!
        groups_to_kill+=("$master:$(readlink -f "$(command -v nginx)")")
        poll up
        r=$?
        alive "$master" || wait "$master"
        tail -c +"$((start_pos + 1))" "$dir/error.log" | grep -q 'Address already in use' || break
    done
    note "$1: up=$r workers=$(workers | wc -l) pidfile=$([ "$(cat "$dir/nginx.pid" 2>/dev/null)" = "$master" ] && echo master || echo other)"
    expect_mapped "$master" "nginx master"
    for w in $(workers); do expect_mapped "$w" "nginx worker"; done
}
ng_end() {
    local st
    poll gone "$master"
    wait "$master"
    st=$?
    note "$1: master status=$st pidfile=$([ -e "$dir/nginx.pid" ] && echo present || echo removed)"
}
answer() {
    local b
    b=$(get)
    case " $(workers | tr '\n' ' ') " in *" $b "*) note "$1: answered by a worker" ;; *) note "$1: answer [$b]" ;; esac
}
scenario_nginx() {
    local pos old before w
    mkdir -p "$dir/logs"
    cat >"$dir/nginx.conf.in" <<EOF
$user_line
worker_processes 2;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/error.log notice;
events { worker_connections 64; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    server {
        listen 127.0.0.1:PORT;
        location / { return 200 "\$pid\n"; }
    }
}
EOF
    step start
    ng_start start
    answer start

    # HUP: reload, new workers, the same master
    step HUP
    pos=$(size "$dir/error.log")
    old=$(workers | tr '\n' ' ') before=$old
    kill -HUP "$master"
    poll new_workers
    note "HUP: new workers=$? master $(alive "$master" && echo alive || echo gone)"
    poll workers_logged
    note "HUP: logged=$?"
    answer HUP
    log_since "$dir/error.log" "$pos" "log HUP" | sort -u >>"$obs"

    # USR1: reopen the logs
    step USR1
    pos=$(size "$dir/error.log")
    mv "$dir/access.log" "$dir/access.log.old"
    kill -USR1 "$master"
    # the master, then each worker: "reopening logs"
    reopened() {
        alive "$master" || return 2
        [ -e "$dir/access.log" ] &&
            [ "$(tail -c +"$((pos + 1))" "$dir/error.log" | grep -c ': reopening logs$')" = 3 ]
    }
    poll reopened
    note "USR1: logs reopened=$?"
    answer USR1
    # each request goes to either worker: the new log has one line per request
    logged() {
        get >/dev/null
        [ "$(wc -l <"$dir/access.log")" -ge 2 ]
    }
    poll logged
    note "USR1: requests logged in the new access.log=$?"
    log_since "$dir/error.log" "$pos" "log USR1" | sort -u >>"$obs"

    # TERM to one worker: the master starts another
    step "TERM to a worker"
    pos=$(size "$dir/error.log")
    before=$(workers | tr '\n' ' ')
    w=${before%% *}
    kill -TERM "$w"
    replaced() { gone "$w" && nworkers 2; }
    poll replaced
    note "TERM to a worker: replaced=$? master $(alive "$master" && echo alive || echo gone)"
    old=$w
    poll workers_logged
    note "TERM to a worker: logged=$?"
    answer "TERM to a worker"
    log_since "$dir/error.log" "$pos" "log TERM to a worker" | sort -u >>"$obs"

    # QUIT: graceful shutdown
    step QUIT
    pos=$(size "$dir/error.log")
    kill -QUIT "$master"
    ng_end QUIT
    log_since "$dir/error.log" "$pos" "log QUIT" | sort -u >>"$obs"

    # TERM: fast shutdown, on a fresh start
    step "start 2, TERM"
    ng_start "start 2"
    pos=$start_pos
    kill -TERM "$master"
    ng_end TERM
    log_since "$dir/error.log" "$pos" "log TERM" | sort -u >>"$obs"
}
check_run_nginx() {
    local l
    for l in "HUP: new workers=0 master alive" "HUP: logged=0" "USR1: logs reopened=0" \
        "USR1: requests logged in the new access.log=0" "TERM to a worker: replaced=0 master alive" "TERM to a worker: logged=0" \
        "QUIT: master status=0 pidfile=removed" "TERM: master status=0 pidfile=removed"; do
        grep -qxF "$l" "$obs" || bad+=("$pass: no line \"$l\"")
    done
}

# --------------------------------------------------------------------- redis
redis_setup() {
    need redis-server
    need redis-cli
    shim_used=$shim
    # "pid:role dd Mon yyyy hh:mm:ss.mmm level message" -> "level message";
    # numbers vary (versions, sizes, ages, times)
    norm_rules=(-e 's/^[0-9]+:[A-Z] [0-9]+ [A-Za-z]+ [0-9]+ [0-9:.]+ //' -e 's/[0-9]+/N/g' -e '/^$/d')
}
rcli() { timeout 10 redis-cli -s "$dir/redis.sock" "$@" 2>&1; }
rd_start() {
    setsid $(server_env) redis-server --port 0 --bind 127.0.0.1 --unixsocket "$dir/redis.sock" \
        --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --daemonize no \
        --save "3600 1" --appendonly no &
    server=$!
    groups_to_kill+=("$server:$(readlink -f "$(command -v redis-server)")")
    up() { [ "$(rcli ping)" = PONG ]; }
    poll up
    note "$1: up=$? pidfile=$([ "$(cat "$dir/redis.pid" 2>/dev/null)" = "$server" ] && echo server || echo other)"
    expect_mapped "$server" redis-server
}
rd_end() {
    local st
    poll gone "$server"
    wait "$server"
    st=$?
    note "$1: status=$st pidfile=$([ -e "$dir/redis.pid" ] && echo present || echo removed) dump.rdb=$([ -s "$dir/dump.rdb" ] && echo written || echo missing)"
}
scenario_redis() {
    local sig pos
    pos=0
    for sig in TERM INT; do
        step "$sig"
        rm -f "$dir/dump.rdb"
        rd_start "$sig: start"
        note "$sig: set=$(rcli set key "value-$sig")"
        kill -"$sig" "$server"
        rd_end "$sig"
        # the saved data comes back
        rd_start "$sig: restart"
        note "$sig: get=$(rcli get key)"
        note "$sig: shutdown nosave=[$(rcli shutdown nosave)]"
        rd_end "$sig: shutdown nosave"
        log_since "$dir/redis.log" "$pos" "log $sig" >>"$obs"
        pos=$(size "$dir/redis.log")
    done
}
check_run_redis() {
    local sig
    # Redis 7 saves its data on SIGTERM and SIGINT (save points set), and
    # the restart reads it back; Redis 6.0 (Debian 11) saves nothing there.
    # Either way the run without the shim and the run with it must agree
    # (the transcripts are compared as a whole).
    for sig in TERM INT; do
        if grep -qxF "$sig: status=0 pidfile=removed dump.rdb=written" "$obs"; then
            grep -qxF "$sig: get=value-$sig" "$obs" || bad+=("$pass: $sig: saved, but not read back")
        elif grep -qxF "$sig: status=0 pidfile=removed dump.rdb=missing" "$obs" &&
            [ "$(redis-server --version | sed -n 's/.* v=\([0-9]*\).*/\1/p')" -lt 7 ]; then
            grep -qxF "$sig: get=" "$obs" || bad+=("$pass: $sig: nothing saved, yet read back")
        else
            bad+=("$pass: no line \"$sig: status=0 pidfile=removed dump.rdb=written\"")
        fi
    done
}

bad=()
signals=TERM,INT
case $case in
postgres) pg_setup ;;
postgres-hup-quit) signals=TERM,INT,HUP,QUIT; pg_setup ;;
nginx) nginx_setup ;;
redis) redis_setup ;;
*) echo "unknown case $case"; exit 2 ;;
esac
[ -r "$shim" ] || fail "no shim at $shim"
compare
