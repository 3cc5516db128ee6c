#!/bin/bash
# Crashes, races and damaged state: kill -9 of `create` at many points, then
# `delete --force` leaves no process, mount, cgroup or state; 50 create/start/
# delete cycles in parallel leak nothing; a damaged state.json gives a clear
# error and `delete --force` still cleans up what it names.
source "$(dirname "$0")/lib.sh"
need_root

B=$WORK/bundle
make_bundle "$B"
mkdir -p "$WORK/out"
set_config "$B" "c['mounts'].append({'destination': '/out', 'type': 'bind', 'source': '$WORK/out', 'options': ['rbind', 'rw']})"
cp "$B/config.json" "$WORK/base.json"

cgroups_named() { find /sys/fs/cgroup -maxdepth 6 -type d -name "$1" 2>/dev/null; }
mounts_of_test() { grep -c "$WORK" /proc/self/mountinfo; }
# nothing_left DESC ID MARK: no state dir, cgroup, process or mount of ID (MARK: the program's args).
nothing_left() {
    check_true "$1: no state dir" test ! -e "$STATE_ROOT/$2"
    check_eq "$1: no cgroup" "" "$(cgroups_named "$2")"
    check_eq "$1: no process" "" "$(pgrep -f "$3|create -b $B $2\$")"
    check_eq "$1: no mount" 0 "$(mounts_of_test)"
}

# --- kill -9 of create at chosen syscalls (strace injects SIGKILL on entry),
# from "the state dir exists" to "the init is ready", then delete --force.
set_args "$B" sleep 4242
if command -v strace >/dev/null; then
    # renameat:1 is the cleanup record (the cgroup path) before the first
    # cgroup directory, mkdir:4 is halfway through the cgroups, sendmsg:1 the
    # init's go (no state.json yet: the init dies of its parent-death signal),
    # renameat:2 state.json with the init's pid (written while the init
    # mounts), recvmsg:1 the wait for its setup.
    for point in mknodat:1 renameat:1 mkdir:4 clone3:1 sendmsg:1 renameat:2 recvmsg:1 exit_group:1; do
        id=k${point//:/_}
        (strace -o /dev/null -e inject="${point%:*}:signal=SIGKILL:when=${point#*:}" \
            "$RRUN" --root "$STATE_ROOT" create -b "$B" "$id") >/dev/null 2>&1
        check_eq "create was killed at $point" 137 $?
        out=$(r delete --force "$id" 2>&1); rc=$?
        check_eq "kill -9 at $point: delete --force succeeds ($out)" 0 $rc
        nothing_left "kill -9 at $point" "$id" "sleep 4242"
    done
else
    echo "# strace is not installed: the kill points by syscall are skipped"
fi

# And at moments chosen by time, wherever they fall.
for d in 0.001 0.003 0.006 0.01 0.02 0.04 0.08 0.15; do
    id=kt${d#0.}
    "$RRUN" --root "$STATE_ROOT" create -b "$B" "$id" >/dev/null 2>&1 &
    p=$!
    sleep $d
    kill -9 $p 2>/dev/null
    wait $p 2>/dev/null
    out=$(r delete --force "$id" 2>&1); rc=$?
    check_eq "kill -9 after ${d}s: delete --force succeeds ($out)" 0 $rc
    nothing_left "kill -9 after ${d}s" "$id" "sleep 4242"
done

# --- 50 create/start/delete cycles, five at a time.
set_args "$B" sh -c 'ls /proc/self/fd | xargs >> /out/fds'
procs_before=$(pgrep -c -f "$WORK" || true)
cycle() {
    local id=$1
    r create -b "$B" "$id" || return 1
    r start "$id" || return 1
    wait_for status_is "$id" stopped || return 1
    r delete "$id"
}
for w in 1 2 3 4 5; do
    (for j in $(seq 1 10); do cycle "p${w}x$j" >/dev/null 2>&1 || echo "p${w}x$j" >>"$WORK/failed"; done) &
done
wait
check_eq "50 parallel cycles: none failed" "" "$(cat "$WORK/failed" 2>/dev/null)"
check_eq "50 parallel cycles: each program saw only fds 0-2 (and ls's own)" "50 0 1 2 3" "$(sort "$WORK/out/fds" | uniq -c | xargs)"
check_eq "50 parallel cycles: no state dir left" "" "$(ls "$STATE_ROOT")"
check_eq "50 parallel cycles: no cgroup left" "" "$(cgroups_named 'p[1-5]x*')"
check_eq "50 parallel cycles: no process left" "$procs_before" "$(pgrep -c -f "$WORK" || true)"
check_eq "50 parallel cycles: no mount left" 0 "$(mounts_of_test)"
cp "$WORK/base.json" "$B/config.json"

# --- A damaged state.json: a clear error, and delete --force removes what
# it still names (rrun writes the pid and cgroup first).
set_args "$B" sleep 4343
damage() {  # ID HOW: python statement on the file's text `t`
    python3 - "$STATE_ROOT/$1/state.json" "$2" <<'PY'
import sys
path, stmt = sys.argv[1], sys.argv[2]
t = open(path, 'rb').read()
exec(stmt)
open(path, 'wb').write(t)
PY
}
for how in "t = t[:t.index(b'\"ociVersion\"')]" "t = t[:-1]" "t = t.replace(b'\"id\"', b'\\xff\\xfe')" "t = t + b'garbage'"; do
    r create -b "$B" dmg
    pid=$(r state dmg | json_field '["pid"]')
    damage dmg "$how"
    out=$(r state dmg 2>&1); rc=$?
    check_eq "damaged ($how): state fails" 1 $rc
    check_contains "damaged ($how): state says the file is corrupt" "corrupt container state $STATE_ROOT/dmg/state.json" "$out"
    out=$(r delete dmg 2>&1); rc=$?
    check_contains "damaged ($how): delete without --force says to use it" "use --force" "$out"
    out=$(r delete --force dmg 2>&1); rc=$?
    check_eq "damaged ($how): delete --force succeeds" 0 $rc
    check_true "damaged ($how): the init is gone" wait_for eval "! pid_alive $pid"
    nothing_left "damaged ($how)" dmg "sleep 4343"
done

# Emptied or deleted from outside: rrun also keeps the cgroup path in a
# record beside state.json, so delete --force still finds the cgroup, and
# through it the init.
for how in empty missing; do
    r create -b "$B" gone
    pid=$(r state gone | json_field '["pid"]')
    check_true "$how state.json: the container has a cgroup to find" test -n "$(cgroups_named gone)"
    if [ $how = empty ]; then : >"$STATE_ROOT/gone/state.json"; else rm "$STATE_ROOT/gone/state.json"; fi
    out=$(r state gone 2>&1); rc=$?
    check_eq "$how state.json: state fails with one line" "1 1" "$rc $(echo "$out" | grep -c '^rrun: ')"
    out=$(r delete --force gone 2>&1); rc=$?
    check_eq "$how state.json: delete --force succeeds" 0 $rc
    check_true "$how state.json: the init is gone" wait_for eval "! pid_alive $pid"
    nothing_left "$how state.json" gone "sleep 4343"
done

# Beyond repair (both files emptied): the state dir goes, and rrun says what
# it could not find; the init is cleaned up here.
r create -b "$B" lost
pid=$(r state lost | json_field '["pid"]')
: >"$STATE_ROOT/lost/state.json"; : >"$STATE_ROOT/lost/cleanup"
out=$(r delete --force lost 2>&1); rc=$?
check_eq "both records empty: delete --force succeeds" 0 $rc
check_contains "both records empty: delete --force says what it could not find" "cannot be found" "$out"
check_true "both records empty: the state dir is gone" test ! -e "$STATE_ROOT/lost"
check_true "both records empty: the init was left (rrun cannot know it)" pid_alive "$pid"
kill -9 "$pid"
wait_for eval "! pid_alive $pid"
for d in $(cgroups_named lost); do rmdir "$d"; done

check_eq "no state left" "" "$(ls "$STATE_ROOT")"
finish
