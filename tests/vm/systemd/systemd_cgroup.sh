#!/bin/bash
# Issue #17, as root on a systemd host: `--systemd-cgroup` makes a transient
# scope unit over D-Bus (Delegate=yes, the limits as unit properties, the init
# in it), the limits survive `systemctl daemon-reload`, delete removes unit
# and cgroup; runc and crun run the same bundle in the same run as the
# comparison. Then update, errors, and kill -9 of `create` at any point
# (podman: systemd_cgroup_podman.sh; containerd: systemd_cgroup_containerd.sh).
source "$(dirname "$0")/lib.sh"
need_root
# runc's tun/tap rule reaches systemd only when the host has the 10:200 node
# (udev's /dev/char link): load the module so that case is always compared.
modprobe tun 2>/dev/null && udevadm settle 2>/dev/null

B=$WORK/bundle
make_bundle "$B"
# 64 MiB, 20 tasks, half a CPU (quota 50000 of 100000), weight from 512
# shares; devices: the spec's default (deny all but the standard nodes) and
# read access to the block device 7:0.
set_config "$B" '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 20},
    "cpu": {"quota": 50000, "period": 100000, "shares": 512}, "devices": [{"allow": false, "access": "rwm"},
    {"allow": true, "type": "b", "major": 7, "minor": 0, "access": "r"}]} | .process.args = ["sleep", "1000"] |
    .ociVersion = "1.0.2"'  # crun 1.8.1 refuses newer versions ("unknown version specified")

# Around the daemon-reload: the device filter (scope_devices_hook), and the
# memory limit as the container sees it.
hook() {
    scope_devices_hook "$@"
    [ "$1" = before ] && check_eq "$4: the container sees its memory limit" 67108864 \
        "$(cat /proc/${5:-0}/root/sys/fs/cgroup/memory.max 2>&1 || echo unreadable)"
}
props="TasksMax=20;MemoryMax=67108864;CPUQuotaPerSecUSec=500ms"
files="pids.max=20;memory.max=67108864;cpu.max=50000 100000;cpu.weight=20"
# crun 1.8.1 (the comparison) puts the init and its limits in SCOPE/container
# and leaves them off the unit: its property checks are recorded, not failed.
for rt in runc crun "$RRUN"; do
    sub=; [ "$rt" = crun ] && sub=container
    SCOPE_PREFIX=sdbus UNIT_PROPS=$props CG_FILES=$files SUBGROUP=$sub SCOPE_HOOK=hook \
        check_scope_driver "$rt" "$B" "$(basename "$rt")1"
done
check_eq "rrun's DevicePolicy and DeviceAllow are runc's" "${DEVPROPS[runc]}" "${DEVPROPS[rrun]}"
check_contains "runc's: strict, 7:0 for reading" "strict" "${DEVPROPS[runc]}"

# ---- DefaultDependencies=no whatever the slice (given, none, another), as
# runc (its Slice= and Wants= too)
dd_case() {  # RT ID CGROUPSPATH UNIT
    set_config "$B" ".linux.cgroupsPath = \"$3\""
    RT_FLAGS=(--systemd-cgroup)
    runtime_start "$1" "$WORK/state-dd" "$B" "$2" >/dev/null || { echo "create failed: $(cat "$WORK/state-dd/$2.log")"; return; }
    squash "$(systemctl show -P DefaultDependencies "$4"; systemctl show -P Slice "$4"; systemctl show -P Wants "$4")"
    "$1" --root "$WORK/state-dd" delete --force "$2" >/dev/null 2>&1
}
for c in ":sdbus:ddX" "machine.slice:sdbus:ddX"; do
    unit=sdbus-ddX.scope
    want=$(dd_case runc ddr "${c//ddX/ddr}" "${unit//ddX/ddr}")
    echo "# runc, cgroupsPath $c: DefaultDependencies Slice Wants: $want"
    check_eq "cgroupsPath $c: DefaultDependencies, Slice, Wants as runc's" "$want" \
        "$(dd_case "$RRUN" ddq "${c//ddX/ddq}" "${unit//ddX/ddq}")"
done

# ---- update: SetUnitProperties plus the files (a daemon-reload keeps it)
set_config "$B" '.linux.cgroupsPath = "system.slice:sdbus:upd"'
RT_FLAGS=(--systemd-cgroup)
on_exit "$RRUN --root $WORK/state-upd delete --force upd"
runtime_start "$RRUN" "$WORK/state-upd" "$B" upd >/dev/null
"$RRUN" --root "$WORK/state-upd" --systemd-cgroup update --memory 33554432 --pids-limit 15 upd
check_eq "update: the unit's properties" "33554432 15" \
    "$(squash "$(systemctl show -P MemoryMax sdbus-upd.scope; systemctl show -P TasksMax sdbus-upd.scope)")"
systemctl daemon-reload
check_eq "update: the files after daemon-reload" "33554432 15" \
    "$(cd /sys/fs/cgroup/system.slice/sdbus-upd.scope 2>/dev/null && squash "$(cat memory.max pids.max 2>&1)")"
"$RRUN" --root "$WORK/state-upd" delete --force upd

# ---- errors name the bus, the unit and what systemd answered; nothing left
set_config "$B" '.linux.cgroupsPath = "system.slice:sdbus:busy"'
systemd-run --unit sdbus-busy.scope --scope sleep 1000 >/dev/null 2>&1 &
wait_for test "$(systemctl show -P ActiveState sdbus-busy.scope)" = active
err=$("$RRUN" --root "$WORK/state-err" --systemd-cgroup run --bundle "$B" busy 2>&1 </dev/null); rc=$?
check_true "a unit that exists (and runs): create fails" test $rc -ne 0
echo "# rrun says: $err"
check_contains "the error names the bus and the unit" "system bus (/run/dbus/system_bus_socket): StartTransientUnit sdbus-busy.scope" "$err"
check_contains "the error says what systemd answered" "org.freedesktop.systemd1.UnitExists" "$err"
check_eq "the error is one line" 1 "$(printf '%s\n' "$err" | wc -l)"
check_eq "no state is left" "" "$(ls "$WORK/state-err" 2>/dev/null)"
check_eq "the other scope of that name is left running" active "$(systemctl show -P ActiveState sdbus-busy.scope)"
systemctl stop sdbus-busy.scope >/dev/null 2>&1

# ---- kill -9 of create at any point: delete --force leaves no unit
for delay in 0.01 0.05 0.15 0.4; do
    id=k${delay#0.}
    set_config "$B" ".linux.cgroupsPath = \"system.slice:sdbus:$id\""
    "$RRUN" --root "$WORK/state-k" --systemd-cgroup create --bundle "$B" "$id" </dev/null >/dev/null 2>&1 &
    cpid=$!
    sleep "$delay"
    kill -9 $cpid 2>/dev/null
    wait $cpid 2>/dev/null
    "$RRUN" --root "$WORK/state-k" delete --force "$id" >/dev/null 2>&1
    wait_for unit_gone "sdbus-$id.scope"
    check_true "kill -9 of create after ${delay}s, delete --force: no unit" unit_gone "sdbus-$id.scope"
    check_true "kill -9 of create after ${delay}s, delete --force: no cgroup" test ! -d "/sys/fs/cgroup/system.slice/sdbus-$id.scope"
    check_eq "kill -9 of create after ${delay}s, delete --force: no state" "" "$(ls "$WORK/state-k" 2>/dev/null)"
done

finish
