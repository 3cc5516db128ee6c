#!/bin/bash
# Time namespaces with linux.timeOffsets (new and joined by path), and joining
# a user namespace by path while creating the other namespaces: as root and
# rootless, from what the container's process sees.
source "$(dirname "$0")/lib.sh"
need_root
[ -e /proc/self/ns/time ] || skip_all "this kernel has no time namespaces"

make_test_bundle n
host_time=$(readlink /proc/self/ns/time)
host_uptime=$(cut -d. -f1 /proc/uptime)

# A new time namespace with offsets: the program sees them from its first instruction.
set_config "$B" "
c['linux']['namespaces'].append({'type': 'time'})
c['linux']['timeOffsets'] = {'monotonic': {'secs': 86400, 'nanosecs': 5}, 'boottime': {'secs': 1000000}}
"
set_args "$B" sh -c 'cat /proc/self/timens_offsets; readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime'
out=$(r run -b "$B" t1 2>&1)
check_contains "monotonic offset" "monotonic 86400 5" "$(echo "$out" | sed -n 1p | xargs)"
check_contains "boottime offset" "boottime 1000000 0" "$(echo "$out" | sed -n 2p | xargs)"
ns=$(echo "$out" | sed -n 3p)
check_true "the time namespace is not the host's ($ns)" test -n "$ns" -a "$ns" != "$host_time"
up=$(echo "$out" | sed -n 4p)
check_true "/proc/uptime is boottime shifted by 1000000 s ($up vs $host_uptime)" test "${up:-0}" -ge $((host_uptime + 1000000))

# exec joins it; a second container joins it by path and sees the same offsets.
set_args "$B" sleep 60
r run -d -b "$B" t2
pid=$(r state t2 | json_field '["pid"]')
out=$(r exec t2 sh -c 'readlink /proc/self/ns/time; cat /proc/self/timens_offsets' 2>&1)
check_eq "exec joins the container's time namespace" "$(readlink /proc/$pid/ns/time)" "$(echo "$out" | sed -n 1p)"
check_contains "and sees its offsets" "monotonic 86400 5" "$(echo "$out" | sed -n 2p | xargs)"
reset
set_config "$B" "c['linux']['namespaces'].append({'type': 'time', 'path': '/proc/$pid/ns/time'})"
set_args "$B" sh -c 'readlink /proc/self/ns/time; cat /proc/self/timens_offsets'
out=$(r run -b "$B" t3 2>&1)
check_eq "joined by path: the same time namespace" "$(readlink /proc/$pid/ns/time)" "$(echo "$out" | sed -n 1p)"
check_contains "joined by path: the same offsets" "boottime 1000000 0" "$(echo "$out" | xargs)"
r delete --force t2

# Bad input: a clear error naming the field, nothing left.
expect_error() {  # DESCRIPTION EXPECTED
    local out rc
    out=$(r create -b "$B" bad 2>&1); rc=$?
    check_eq "$1: create fails" 1 $rc
    check_contains "$1: the error names it" "$2" "$out"
    check_eq "$1: nothing left" "" "$(ls "$STATE_ROOT" 2>/dev/null)"
    r delete --force bad >/dev/null 2>&1
}
reset
set_config "$B" "c['linux']['timeOffsets'] = {'monotonic': {'secs': 1}}"
expect_error "timeOffsets without a time namespace" "linux.timeOffsets: needs a new time namespace"
set_config "$B" "c['linux']['namespaces'].append({'type': 'time'}); c['linux']['timeOffsets'] = {'monotonic': {'secs': 1, 'nanosecs': 1000000000}}"
expect_error "nanosecs out of range" "linux.timeOffsets.monotonic.nanosecs"
set_config "$B" "c['linux']['timeOffsets'] = {'realtime': {'secs': 1}}"
expect_error "a clock that has no offset" "linux.timeOffsets: unknown clock \"realtime\""
reset

# Joining a running container's user namespace while creating mount, pid,
# uts and ipc namespaces: they belong to that user namespace (proc mounts,
# the hostname is set), and the uid map is the other container's.
userns_config="
c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
"
set_config "$B" "$userns_config"
set_args "$B" sleep 60
r run -d -b "$B" a1
apid=$(r state a1 | json_field '["pid"]')
B2=$WORK/joiner
make_bundle "$B2"
joiner_config() {  # USERNS_PATH
    set_config "$B2" "
c['linux']['namespaces'] = [{'type': 'user', 'path': '$1'}, {'type': 'mount'}, {'type': 'pid'}, {'type': 'uts'}, {'type': 'ipc'}]
c['hostname'] = 'joiner'
# no network namespace of its own: sysfs and cgroup cannot be mounted fresh
c['mounts'] = [m for m in c['mounts'] if m['destination'] not in ('/sys', '/sys/fs/cgroup')]
"
    set_args "$B2" sh -c 'cat /proc/self/uid_map; for n in user mnt pid uts; do readlink /proc/self/ns/$n; done; echo pid=$$; hostname; id -u; grep -c . /proc/self/mountinfo'
}
joiner_config "/proc/$apid/ns/user"
out=$(r run -b "$B2" b1 2>&1); rc=$?
check_eq "joining a user namespace while creating others: exit 0" 0 $rc
check_eq "the uid map is the other container's" "$(cat /proc/$apid/uid_map | xargs)" "$(echo "$out" | sed -n 1p | xargs)"
check_eq "the same user namespace" "$(readlink /proc/$apid/ns/user)" "$(echo "$out" | sed -n 2p)"
for n in mnt pid uts; do
    seen=$(echo "$out" | grep "^$n:")
    check_true "a new $n namespace ($seen)" test -n "$seen" -a "$seen" != "$(readlink /proc/$apid/ns/$n)" -a "$seen" != "$(readlink /proc/self/ns/$n)"
done
check_contains "pid 1 in its pid namespace (proc mounted from inside the user namespace)" "pid=1" "$out"
check_contains "the hostname is set in its uts namespace" "joiner" "$out"
check_eq "root inside" 0 "$(echo "$out" | sed -n 8p)"
r delete --force a1

# Rootless: the same, as an unprivileged user whose containers map its own ids.
if command -v newuidmap >/dev/null && { id rrun-test >/dev/null 2>&1 || command -v useradd >/dev/null; }; then
    ensure_rootless_user
    RB=$WORK/rootless
    make_rootless_bundle "$RB"
    cp "$RB/config.json" "$WORK/rootless.json"
    rr() { as_user "\$RRUN $*"; }
    set_config "$RB" "c['linux']['namespaces'].append({'type': 'time'})
c['linux']['timeOffsets'] = {'boottime': {'secs': 3600}}"
    set_args "$RB" sh -c 'cat /proc/self/timens_offsets; readlink /proc/self/ns/time'
    out=$(rr run -b "$RB" rt1 2>/dev/null)
    check_contains "rootless: time offsets" "boottime 3600 0" "$(echo "$out" | sed -n 2p | xargs)"
    check_true "rootless: a new time namespace" test "$(echo "$out" | sed -n 3p)" != "$host_time"

    cp "$WORK/rootless.json" "$RB/config.json"
    set_args "$RB" sleep 60
    rr run -d -b "$RB" ra 2>/dev/null
    rapid=$(rr state ra | json_field '["pid"]')
    RB2=$WORK/rootless-joiner
    make_rootless_bundle "$RB2"
    B2=$RB2 joiner_config "/proc/$rapid/ns/user"
    set_config "$RB2" "c['linux'].pop('uidMappings', None); c['linux'].pop('gidMappings', None)"
    out=$(rr run -b "$RB2" rb 2>&1); rc=$?
    check_eq "rootless: joining a user namespace while creating others: exit 0" 0 $rc
    check_eq "rootless: the uid map is the other container's" "$(cat /proc/$rapid/uid_map | xargs)" "$(echo "$out" | grep -v warning | sed -n 1p | xargs)"
    check_contains "rootless: pid 1 in its own pid namespace" "pid=1" "$out"
    check_contains "rootless: its hostname" "joiner" "$out"
    rr delete --force ra
else
    echo "# skip rootless cases: no newuidmap or no way to create the test user"
fi
finish
