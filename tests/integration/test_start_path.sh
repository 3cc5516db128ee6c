#!/bin/bash
# The start path's cgroup join (#21): the init of `create` and the process of
# `exec` join the v1 hierarchies themselves, writing "0" to each `tasks` file,
# and are born in their cgroup2 cgroup (clone3's CLONE_INTO_CGROUP), never by
# rrun writing their pid to a cgroup.procs (which takes the kernel's global
# cgroup_threadgroup_rwsem for writing: an RCU grace period, 1-15 ms on these
# VMs, inside every create). Asserted on what the host sees of the processes'
# cgroups and on the writes and clones strace saw.
source "$(dirname "$0")/lib.sh"
need_root
grep -qE '^[^ ]+ /sys/fs/cgroup/[^ ]+ cgroup ' /proc/self/mounts ||
    skip_all "no cgroup v1 hierarchy is mounted here (the v1 join is what is tested)"
command -v strace >/dev/null || skip_all "strace is not installed (scripts/deps.sh installs it)"

make_test_bundle spd-
B2=$WORK/true
mkdir -p "$B2"
cp "$B/config.json" "$B2/config.json"
set_config "$B2" "c['root']['path'] = '$B/rootfs'; c['process']['args'] = ['true']"
set_args "$B" sleep 1000

# The v1 lines of /proc/PID/cgroup (hierarchy id:controllers:path).
v1_cgroups() { grep -v '^0::' "/proc/$1/cgroup"; }
# strace's writes to cgroup.procs files (-y names each fd's path).
procs_writes() { grep -E 'write\([0-9]+</sys/fs/cgroup/[^>]+/cgroup\.procs>' "$1" || true; }
# The hybrid host's cgroup2 hierarchy, where there is one.
V2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
# The clone3 calls that put their child in a cgroup2 directory and succeeded
# (strace does not name the fd: no pid written and the process's 0:: line
# below say which cgroup it was).
into_cgroup_clones() { grep -E '^[0-9]+ +clone3\(.*CLONE_INTO_CGROUP.*cgroup=[0-9]+' "$1" | grep -vc '= -1' || true; }
# The tasks files one process wrote "0" to (strace pads a pid to 5 columns:
# "1331  write", "13310 write"; it splits a write that
# another process's line interrupted: "<unfinished ...>", its result later).
tasks_self_writes() {
    grep -E '^[0-9]+ +write\([0-9]+</sys/fs/cgroup/[^>]+/tasks>, "0", 1' "$1" | grep -vc '= -1' || true
}

# create under strace (it follows the init: it ends once `start` let the init run true).
ID=spd-sp$$
strace -f -qq -y -e trace=write,clone3 -o "$WORK/create.strace" "$RRUN" --root "$STATE_ROOT" create -b "$B2" "$ID" &
tracer=$!
wait_for status_is "$ID" created 2>/dev/null
r start "$ID"
wait $tracer
check_eq "create: no pid written to a cgroup.procs" "" "$(procs_writes "$WORK/create.strace")"
nv1=$(grep -cE '^[^ ]+ /sys/fs/cgroup/[^ ]+ cgroup ' /proc/self/mounts)
check_eq "create: the init wrote \"0\" to the tasks file of each v1 hierarchy ($nv1)" "$nv1" "$(tasks_self_writes "$WORK/create.strace")"
if [ -n "$V2" ]; then
    check_eq "create: the init was cloned into its cgroup2 cgroup (CLONE_INTO_CGROUP)" 1 "$(into_cgroup_clones "$WORK/create.strace")"
else
    echo "# no cgroup2 hierarchy here: CLONE_INTO_CGROUP is checked in the v2 guest (cgroups_v2.sh)"
fi
r delete "$ID"

# What the host sees: the init in the container's cgroup in every hierarchy.
ID=spd-sp$$b
r run -d -b "$B" "$ID"
pid=$(r state "$ID" | json_field '["pid"]')
init_cg=$(v1_cgroups "$pid")
check_eq "the init is in $ID's cgroup in every v1 hierarchy" "" "$(echo "$init_cg" | grep -v "/$ID\$")"
check_contains "the init's pids cgroup lists it" "$pid" "$(cat /sys/fs/cgroup/pids/$ID/cgroup.procs 2>/dev/null || echo "(no pids hierarchy)")"
[ -n "$V2" ] && check_eq "the init is in $ID's cgroup2 cgroup" "0::/$ID" "$(grep '^0::' "/proc/$pid/cgroup")"

# exec: the same join, and the process lands where the init is.
strace -f -qq -y -e trace=write,clone3 -o "$WORK/exec.strace" "$RRUN" --root "$STATE_ROOT" exec "$ID" true
check_eq "exec: no pid written to a cgroup.procs" "" "$(procs_writes "$WORK/exec.strace")"
check_eq "exec: its intermediate wrote \"0\" to each v1 tasks file" "$nv1" "$(tasks_self_writes "$WORK/exec.strace")"
[ -n "$V2" ] && check_eq "exec: its intermediate was cloned into the container's cgroup2 cgroup" 1 "$(into_cgroup_clones "$WORK/exec.strace")"
r exec -d --pid-file "$WORK/exec.pid" "$ID" sleep 1000
epid=$(cat "$WORK/exec.pid")
check_eq "the exec'd process is in the init's v1 cgroups" "$init_cg" "$(v1_cgroups "$epid")"
[ -n "$V2" ] && check_eq "the exec'd process is in the init's cgroup2 cgroup" "0::/$ID" "$(grep '^0::' "/proc/$epid/cgroup")"
out=$(r exec "$ID" cat /proc/self/cgroup)
check_eq "inside, the exec'd process sees itself at its cgroup namespace's root" "" "$(echo "$out" | grep -v ':/$')"
r delete -f "$ID"
check_true "delete removed the cgroup" test ! -e "/sys/fs/cgroup/pids/$ID"


# run: its start releases the init it has just created without reading back
# the state create wrote (the init waits on that read); its delete reads it.
ID=spd-run$$
strace -f -qq -e trace=openat -o "$WORK/run.strace" "$RRUN" --root "$STATE_ROOT" run -b "$B2" "$ID"
check_eq "run: true ran and exited 0" 0 "$?"
check_eq "run: state.json read once (by its delete, not by its start)" 1 \
    "$(grep -E 'openat\([0-9A-Z_]+, "state\.json", O_RDONLY' "$WORK/run.strace" | grep -vc '= -1' || true)"
check_true "run: nothing left of $ID" test ! -e "$STATE_ROOT/$ID" -a ! -e "/sys/fs/cgroup/pids/$ID"


# The init's directories made in what it has just opened (#21): each v1
# hierarchy's in the tmpfs it mounted on /sys/fs/cgroup, the default devices
# in one open of /dev; no path resolved again from the root for them
# (before: two openat2 per hierarchy and one per device). The container
# still sees every hierarchy and every device.
ID=spd-dirs$$
B4=$WORK/dirs
mkdir -p "$B4"
cp "$B2/config.json" "$B4/config.json"
set_config "$B4" "c['process']['args'] = ['sh', '-c', 'ls /sys/fs/cgroup; cd /dev && stat -c \"%n %F %t,%T\" null zero full random urandom tty']"
seen=$(strace -f -qq -e trace=openat2,mkdirat,mknodat -o "$WORK/dirs.strace" "$RRUN" --root "$STATE_ROOT" run -b "$B4" "$ID" 2>&1)
check_eq "dirs: no openat2 of a path under /sys/fs/cgroup/" "" "$(grep -E 'openat2\([0-9]+, "/sys/fs/cgroup/' "$WORK/dirs.strace" || true)"
devices='mknodat\([0-9]+, "(null|zero|full|random|urandom|tty)"'
nodes=$(grep -nE "$devices" "$WORK/dirs.strace" | cut -d: -f1 | sed -n '1p;$p' | paste -sd,)
check_eq "dirs: the six default devices made by mknodat" 6 "$(grep -cE "$devices" "$WORK/dirs.strace" || true)"
check_eq "dirs: no openat2 between the first and the last mknodat (lines $nodes)" "" \
    "$(sed -n "${nodes}p" "$WORK/dirs.strace" | grep 'openat2(' || true)"
# What the container sees: the host's hierarchies (the hybrid tree too, as a
# cgroup namespace of its own has it), the six character devices.
host_h=$(awk '$2 ~ "^/sys/fs/cgroup/" && ($3 == "cgroup" || $3 == "cgroup2") { sub("^/sys/fs/cgroup/", "", $2); print $2 }' /proc/self/mounts | sort)
check_eq "dirs: the container sees every hierarchy of the host under /sys/fs/cgroup" "$(echo $host_h)" "$(echo "$seen" | grep -v '^[a-z]* character' | sort | paste -sd' ')"
check_eq "dirs: the container sees the default devices" \
    "null character special file 1,3 zero character special file 1,5 full character special file 1,7 random character special file 1,8 urandom character special file 1,9 tty character special file 5,0" \
    "$(echo $(echo "$seen" | grep ' character '))"


# The v1 cgroups are made after the clone, while the init mounts, and the
# init joins them before its first cgroup mount (cgroup_setup's MAY_DEFER); a
# cgroup2 directory is made before, for clone3. Checked on the host as it is
# and where every hierarchy is v1 (a v1 host; here a mount namespace of ours
# without the hybrid host's cgroup2 mount, as in bench/run's namespace
# section). The container sees what it sees under runc.
as_is() { "$@"; }
v1_only() { unshare -m --propagation private sh -c 'umount "$0" && exec "$@"' "$V2" "$@"; }
RUNC=$(command -v runc || true)
B3=$WORK/limits
mkdir -p "$B3"
cp "$B2/config.json" "$B3/config.json"
set_config "$B3" "c['process']['args'] = ['sh', '-c', 'grep -v ^0:: /proc/self/cgroup | sort; cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes']
c['linux'].setdefault('resources', {}).update({'pids': {'limit': 77}, 'memory': {'limit': 104857600}})"
cp "$B3/config.json" "$WORK/limits.json"
# late_join LABEL WRAPPER
late_join() {
    local label=$1 wrap=$2 id=spd-late$$$2 seen first_clone first_v1_mkdir first_v2_mkdir
    seen=$($wrap strace -f -qq -y -e trace=mkdir,clone3,write -o "$WORK/late.strace" "$RRUN" --root "$STATE_ROOT" run -b "$B3" "$id" 2>&1)
    first_clone=$(grep -nm1 'clone3(' "$WORK/late.strace" | cut -d: -f1)
    first_v1_mkdir=$(grep -n 'mkdir("/sys/fs/cgroup/' "$WORK/late.strace" | grep -v "mkdir(\"${V2:-/nowhere}/" | head -1 | cut -d: -f1)
    check_true "$label: the v1 cgroups are made after the init's clone (clone3 line ${first_clone:-none}, first v1 mkdir line ${first_v1_mkdir:-none})" \
        test "${first_clone:-0}" -gt 0 -a "${first_v1_mkdir:-0}" -gt "${first_clone:-0}"
    if [ -n "$V2" ] && [ "$wrap" = as_is ]; then
        first_v2_mkdir=$(grep -nm1 "mkdir(\"$V2/" "$WORK/late.strace" | cut -d: -f1)
        check_true "$label: the cgroup2 one before it (line ${first_v2_mkdir:-none}), for CLONE_INTO_CGROUP" \
            test "${first_v2_mkdir:-0}" -gt 0 -a "${first_v2_mkdir:-0}" -lt "${first_clone:-0}"
        check_eq "$label: the init was cloned into its cgroup2 cgroup" 1 "$(into_cgroup_clones "$WORK/late.strace")"
    fi
    check_eq "$label: the init wrote \"0\" to the tasks file of each v1 hierarchy ($nv1)" "$nv1" "$(tasks_self_writes "$WORK/late.strace")"
    check_eq "$label: no pid written to a cgroup.procs" "" "$(procs_writes "$WORK/late.strace")"
    check_eq "$label: inside, the init is at its cgroup namespace's root in every v1 hierarchy" "" "$(echo "$seen" | grep -E '^[0-9]+:' | grep -v ':/$')"
    check_eq "$label: inside, one cgroup line per v1 hierarchy" "$nv1" "$(echo "$seen" | grep -cE '^[0-9]+:')"
    check_eq "$label: the limits were in place (pids.max, memory.limit_in_bytes)" "77 104857600" "$(echo "$seen" | grep -vE '^[0-9]+:' | paste -sd' ')"
    check_true "$label: nothing left of $id" test ! -e "$STATE_ROOT/$id" -a ! -e "/sys/fs/cgroup/pids/$id" -a ! -e "${V2:-/nowhere}/$id"
    if [ -n "$RUNC" ]; then
        check_eq "$label: the container saw what it sees under runc" "$($wrap "$RUNC" --root "$WORK/runc-state" run -b "$B3" "$id-runc" 2>&1)" "$seen"
    else
        echo "# runc is not installed: what the container saw is not compared with it"
    fi

    # A failure after the clone, in the parent's mkdir ("tasks" is a file in
    # each v1 hierarchy's root): one error naming the directory; no state,
    # process or cgroup left (of the cgroup2 tree: not even the "tasks" parent).
    id=spd-latefail$$$2
    set_config "$B3" "c['linux']['cgroupsPath'] = '/tasks/$id'"
    out=$($wrap "$RRUN" --root "$STATE_ROOT" run -b "$B3" "$id" 2>&1)
    check_eq "$label: a cgroup that cannot be made fails run" 1 "$?"
    check_contains "$label: the error names the cgroup" "create cgroup /sys/fs/cgroup/" "$out"
    check_eq "$label: the error is one line" 1 "$(echo "$out" | wc -l)"
    check_true "$label: no state left" test ! -e "$STATE_ROOT/$id"
    check_eq "$label: no process left" "" "$(pgrep -f -- "$id" || true)"
    check_true "$label: no cgroup2 directory left" test ! -e "${V2:-/nowhere}/tasks"
    # The init fails before its join (at its first mount) while the parent
    # makes the cgroups: the init's error, and the cgroups made are gone.
    id=spd-initfail$$$2
    cp "$WORK/limits.json" "$B3/config.json"
    set_config "$B3" "c['mounts'].insert(0, {'destination': '/mnt', 'type': 'bind', 'source': '$WORK/no-such-dir', 'options': ['bind']})"
    out=$($wrap "$RRUN" --root "$STATE_ROOT" run -b "$B3" "$id" 2>&1)
    check_eq "$label: a mount that fails before the join fails run" 1 "$?"
    check_contains "$label: the error is the init's, naming the mount's source" "$WORK/no-such-dir" "$out"
    check_true "$label: no state, no cgroup left" \
        test ! -e "$STATE_ROOT/$id" -a ! -e "/sys/fs/cgroup/pids/$id" -a ! -e "/sys/fs/cgroup/memory/$id" -a ! -e "${V2:-/nowhere}/$id"
    check_eq "$label: no process left" "" "$(pgrep -f -- "$id" || true)"
    cp "$WORK/limits.json" "$B3/config.json"
}
late_join "host as it is" as_is
if [ -n "$V2" ]; then late_join "v1 only" v1_only; fi

finish
