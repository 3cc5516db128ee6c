#!/bin/bash
# Issue #17: containerd's runc shim with rrun as its binary and the systemd
# cgroup driver (ctr run --runc-binary --runc-systemd-cgroup: the options
# the CRI plugin passes for BinaryName and SystemdCgroup = true): the task
# runs in a delegated scope unit with its memory limit; all gone after
# delete. runc the same way, in the same run, as the comparison.
source "$(dirname "$0")/lib.sh"
need_root
systemctl start containerd 2>/dev/null && wait_for test -S /run/containerd/containerd.sock ||
    skip_all "containerd did not start"
CR=$WORK/ctr-rootfs
make_rootfs "$CR"

# ctr_case RT NAME: a task of RT as the scope sdbus-NAME.scope.
ctr_case() {
    local rt=$1 name=$2 unit=sdbus-$2.scope id=sdbus-$2
    local cgdir=/sys/fs/cgroup/system.slice/$unit
    on_exit "ctr task kill -s KILL $id; ctr task delete $id; ctr container delete $id"
    ctr run -d --runc-binary "$rt" --runc-systemd-cgroup --cgroup "system.slice:sdbus:$name" \
        --memory-limit 67108864 --rootfs "$CR" "$id" /bin/sleep 1000 >"$WORK/ctr-$name.log" 2>&1
    check_eq "$name: the task runs under $rt" RUNNING "$(ctr task ls 2>&1 | awk -v id="$id" '$1 == id {print $3}')"
    check_eq "$name: its scope unit, delegated, with the memory limit" "active yes 67108864" \
        "$(squash "$(systemctl show -P ActiveState "$unit"; systemctl show -P Delegate "$unit"; systemctl show -P MemoryMax "$unit")")"
    check_eq "$name: the limit in the cgroup" 67108864 "$(cat "$cgdir/memory.max" 2>&1)"
    ctr task kill -s KILL "$id" >/dev/null 2>&1
    wait_for test -z "$(ctr task ls 2>/dev/null | awk -v id="$id" '$1 == id && $3 == "RUNNING"')"
    ctr task delete "$id" >/dev/null 2>&1
    ctr container delete "$id" >/dev/null 2>&1
    wait_for unit_gone "$unit"
    check_true "$name: the unit is gone after task delete" unit_gone "$unit"
    check_true "$name: the cgroup is gone" test ! -d "$cgdir"
    [ $FAILED -eq 0 ] || sed "s/^/# ctr ($name) says: /" "$WORK/ctr-$name.log"
}
ctr_case /usr/sbin/runc runc2
ctr_case "$RRUN" rrun2

finish
