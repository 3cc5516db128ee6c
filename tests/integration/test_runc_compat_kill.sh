#!/bin/bash
# kill, start, pause, resume, exec, events, update, state, ps and delete of
# missing, created, running, paused and stopped containers, under runc 1.1.5
# (the reference: engines were written against it) and rrun in the same run:
# the same exit code and runc's key words in the message, which containerd's
# shim matches (checkKillError: "container not running" = already exited,
# "does not exist" = no such container; `kill --all` of an exited container
# exits 0). Then `update` with each of runc's flags: the same cgroup files.
source "$(dirname "$0")/lib.sh"
need_root
RUNC=${RUNC:-/usr/sbin/runc}
[ -x "$RUNC" ] || skip_all "runc is not installed ($RUNC): it is the reference here"
[ -d /sys/fs/cgroup/pids ] && [ -d /sys/fs/cgroup/freezer ] ||
    skip_all "needs the v1 pids and freezer hierarchies (a v1 or hybrid host; v2 is tested in tests/vm)"

RUNC_ROOT=$WORK/runc-state
PFX=kl-compat-$$
on_exit "for id in \$(ls $RUNC_ROOT 2>/dev/null); do $RUNC --root $RUNC_ROOT delete --force \$id; done"
on_exit "for d in /sys/fs/cgroup/*/$PFX-*; do [ -d \"\$d\" ] && rmdir \"\$d\"; done"
# under WHO ARGS...: the runtime WHO (runc or rrun), each with its own state root
under() {
    local who=$1; shift
    if [ "$who" = runc ]; then "$RUNC" --root "$RUNC_ROOT" "$@"; else r "$@"; fi
}
B=$WORK/bundle
make_bundle "$B"
# the host's pid namespace: what an init leaves behind outlives it in the cgroup
set_config "$B" "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'pid']"
mkdir -p "$WORK/shared"
set_config "$B" "c['mounts'].append({'destination': '/shared', 'type': 'bind', 'source': '$WORK/shared', 'options': ['rbind', 'rw']})"
cp "$B/config.json" "$WORK/base.json"
# prepare WHO ID ARGS...: a config for container ID (its own cgroup) running ARGS
prepare() {
    local who=$1 id=$2; shift 2
    cp "$WORK/base.json" "$B/config.json"
    set_config "$B" "c['linux']['cgroupsPath'] = '/$PFX-$id'"
    set_args "$B" "$@"
}
runtime_status() { under "$1" state "$2" 2>/dev/null | json_field '["status"]'; }
runtime_pid() { under "$1" state "$2" 2>/dev/null | json_field '["pid"]'; }

# The states, made under WHO as container ID
st_created() { prepare "$1" "$2" sleep 1000; under "$1" create -b "$B" "$2"; }
st_running() { st_created "$@"; under "$1" start "$2"; }
st_paused() { st_running "$@"; under "$1" pause "$2"; }
st_stopped() { # ran its program to the end
    prepare "$1" "$2" true
    under "$1" create -b "$B" "$2" && under "$1" start "$2"
    wait_for eval '[ "$(runtime_status '"$1 $2"')" = stopped ]'
}
st_died_created() { # created, then its init was killed before start
    st_created "$@"
    kill -9 "$(runtime_pid "$1" "$2")"
    wait_for eval '[ "$(runtime_status '"$1 $2"')" = stopped ]'
}
st_missing() { :; }

N=0
# same DESC STATE WANT WORDS ARGS...: puts a container in STATE under runc and
# under rrun, runs ARGS (the word ID stands for the container) with each;
# WANT is runc's exit code (or "fail": non-zero), WORDS what both messages
# contain ("" for nothing to check).
same() {
    local desc=$1 state=$2 want=$3 words=$4; shift 4
    local who id out rc
    declare -A rcs outs
    for who in runc rrun; do
        N=$((N + 1))
        id=kl-$who-$N
        "st_$state" "$who" "$id" >/dev/null 2>&1
        out=$(under "$who" "${@/#ID/$id}" 2>&1 </dev/null)
        rcs[$who]=$?
        outs[$who]=$out
        under "$who" delete --force "$id" >/dev/null 2>&1
    done
    if [ "$want" = fail ]; then
        # runc's exec exits 255 for its own failures, rrun 1: both only fail
        check_true "$desc ($state): runc fails (the reference)" [ "${rcs[runc]}" -ne 0 ]
        check_true "$desc ($state): rrun fails too" [ "${rcs[rrun]}" -ne 0 ]
    else
        check_eq "$desc ($state): runc exits $want (the reference)" "$want" "${rcs[runc]}"
        check_eq "$desc ($state): rrun exits as runc" "${rcs[runc]}" "${rcs[rrun]}"
    fi
    if [ -n "$words" ]; then
        check_contains "$desc ($state): runc says [$words] (the reference)" "$words" "${outs[runc]}"
        check_contains "$desc ($state): rrun says [$words] as runc does" "$words" "${outs[rrun]}"
    fi
}

# --- a missing container: "does not exist" everywhere
for cmd in "kill ID" "kill --all ID KILL" "delete ID" "state ID" "start ID" "pause ID" "resume ID" \
    "ps ID" "events --stats ID" "update --memory 100m ID"; do
    # shellcheck disable=SC2086
    same "$cmd" missing 1 "does not exist" $cmd
done
same "exec ID true" missing fail "does not exist" exec ID true

# --- a stopped container, one that ran and one whose init died before start
for state in stopped died_created; do
    same "kill ID" $state 1 "container not running" kill ID
    same "kill ID KILL" $state 1 "container not running" kill ID KILL
    same "kill ID 0" $state 1 "container not running" kill ID 0
    same "kill --all ID" $state 0 "" kill --all ID
    same "kill --all ID KILL" $state 0 "" kill --all ID KILL
    same "kill -a ID 9" $state 0 "" kill -a ID 9
    same "start ID" $state 1 "cannot start a container that has stopped" start ID
    same "pause ID" $state 1 "container not running" pause ID
    same "exec ID true" $state fail "cannot exec in a stopped container" exec ID true
    same "delete ID" $state 0 "" delete ID
done
same "resume ID" stopped 1 "container not paused" resume ID
same "update --memory 100m ID" stopped 1 "container not running" update --memory 100m ID
same "events --stats ID" stopped 1 "is not running" events --stats ID
same "ps ID" stopped 0 "PID" ps ID
same "state ID" stopped 0 '"status": "stopped"' state ID

# --- created, running, paused
same "kill ID KILL" created 0 "" kill ID KILL
same "kill --all ID KILL" created 0 "" kill --all ID KILL
same "pause ID" created 0 "" pause ID
same "kill ID 0" running 0 "" kill ID 0
same "start ID" running 1 "cannot start an already running container" start ID
same "resume ID" running 1 "container not paused" resume ID
same "delete ID" running 1 "not stopped" delete ID
same "pause ID" paused 1 "container not running" pause ID
same "exec ID true" paused fail "cannot exec in a paused container" exec ID true
same "kill ID USR1" paused 0 "" kill ID USR1

# --- what the host sees: kill 0 signals nothing; kill --all of a stopped
# container kills what its init left in its cgroup, runc and rrun alike
for who in runc rrun; do
    id=kl-$who-alive
    st_running $who $id >/dev/null 2>&1
    under $who kill $id 0
    sleep 0.2
    check_eq "$who: kill ID 0: still running" running "$(runtime_status $who $id)"
    under $who delete --force $id

    id=kl-$who-left
    prepare $who $id sh -c 'sleep 1000 & echo $! >/shared/left'
    rm -f "$WORK/shared/left"
    under $who create -b "$B" $id && under $who start $id
    wait_for eval "[ \"\$(runtime_status $who $id)\" = stopped ]"
    left=$(cat "$WORK/shared/left" 2>/dev/null)
    check_true "$who: the init exited, its sleep lives on (host pid ${left:-none})" pid_alive "${left:-0}"
    check_true "$who: it is still in the container's cgroup" grep -qx "${left:-none}" /sys/fs/cgroup/pids/$PFX-$id/cgroup.procs
    under $who kill $id KILL >/dev/null 2>&1
    check_eq "$who: kill ID KILL of the stopped container fails" 1 $?
    check_true "$who: and leaves the sleep alone" pid_alive "${left:-0}"
    under $who kill --all $id KILL
    check_eq "$who: kill --all ID KILL of the stopped container exits 0" 0 $?
    check_true "$who: and kills the sleep it left" wait_for eval "! pid_alive ${left:-0}"
    under $who delete $id
    check_true "$who: delete removes the cgroup" test ! -e /sys/fs/cgroup/pids/$PFX-$id
done

# --- with --log FILE --log-format json (the shim's flags) the message is JSON
for who in runc rrun; do
    id=kl-$who-log
    st_stopped $who $id >/dev/null 2>&1
    under $who --log "$WORK/$who.log" --log-format json kill $id KILL 2>/dev/null
    check_eq "$who: kill of a stopped container with --log-format json exits 1" 1 $?
    msg=$(python3 -c 'import json,sys
lines = [l for l in open(sys.argv[1]).read().replace("}{", "}\n{").splitlines() if l.strip()]
d = json.loads(lines[-1]); print(d["level"], d["msg"])' "$WORK/$who.log" 2>&1)
    check_contains "$who: the log's last JSON object is the error" "error " "$msg"
    check_contains "$who: with runc's words" "container not running" "$msg"
    under $who delete --force $id
done

# --- update: runc's flag names, the same cgroup files as runc writes
# cg WHO ID FILE: a cgroup v1 file of the container
cgfile() { local f=${3/@/$PFX-$2}; cat "/sys/fs/cgroup/$f" 2>/dev/null | head -1; }
blkio_file=blkio/@/blkio.weight
[ -e /sys/fs/cgroup/blkio/blkio.weight ] || blkio_file=blkio/@/blkio.bfq.weight
for who in runc rrun; do st_running $who kl-$who-up >/dev/null 2>&1; done
# upd FLAG VALUE FILE: update with FLAG under both; same exit code, same FILE
upd() {
    local flag=$1 value=$2 file=$3 who
    declare -A rcs vals outs
    for who in runc rrun; do
        outs[$who]=$(under $who update "$flag" "$value" kl-$who-up 2>&1)
        rcs[$who]=$?
        [ -z "$file" ] || vals[$who]=$(cgfile $who kl-$who-up "$file")
    done
    check_eq "update $flag $value: rrun exits as runc (${outs[runc]:0:80})" "${rcs[runc]}" "${rcs[rrun]}"
    [ -z "$file" ] || check_eq "update $flag $value: ${file#*/@/} as runc sets it" "${vals[runc]}" "${vals[rrun]}"
}
upd --blkio-weight 300 "$blkio_file"
upd --cpu-period 50000 cpu/@/cpu.cfs_period_us
upd --cpu-quota 25000 cpu/@/cpu.cfs_quota_us
upd --cpu-share 300 cpu/@/cpu.shares
upd --cpu-rt-period 900000 cpu/@/cpu.rt_period_us
upd --cpu-rt-runtime 0 cpu/@/cpu.rt_runtime_us
upd --cpuset-cpus 0 cpuset/@/cpuset.cpus
upd --cpuset-mems 0 cpuset/@/cpuset.mems
upd --memory 100m memory/@/memory.limit_in_bytes
upd --memory-reservation 50m memory/@/memory.soft_limit_in_bytes
upd --memory-swap 300m memory/@/memory.memsw.limit_in_bytes
upd --pids-limit 42 pids/@/pids.max
upd --pids-limit 0 pids/@/pids.max
upd --blkio-weight 0 "$blkio_file"
upd --kernel-memory 10m ""
upd --l3-cache-schema "" ""
upd --mem-bw-schema "" ""
upd --l3-cache-schema "L3:0=f" ""
upd --mem-bw-schema "MB:0=50" ""
check_eq "runc's value of cpu.shares was set (the reference)" 300 "$(cgfile runc kl-runc-up cpu/@/cpu.shares)"
r update --cpu-shares 400 kl-rrun-up
check_eq "update --cpu-shares (docker's spelling) is an alias of --cpu-share" 400 "$(cgfile rrun kl-rrun-up cpu/@/cpu.shares)"
out=$(r update --l3-cache-schema "L3:0=f" kl-rrun-up 2>&1)
check_contains "update --l3-cache-schema: the error names the flag" "--l3-cache-schema" "$out"
check_contains "update --l3-cache-schema: and says why" "Intel RDT" "$out"
out=$(r update --mem-bw-schema "MB:0=50" kl-rrun-up 2>&1)
check_contains "update --mem-bw-schema: the error names the flag" "--mem-bw-schema" "$out"
for who in runc rrun; do under $who delete --force kl-$who-up; done
finish
