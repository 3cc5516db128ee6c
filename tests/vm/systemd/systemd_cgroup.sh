#!/bin/bash
# Issue #17, as root on a systemd host: `--systemd-cgroup` makes a transient
# scope unit over D-Bus (Delegate=yes, the limits as unit properties, the init
# in it), the limits survive `systemctl daemon-reload`, delete removes unit
# and cgroup; runc and crun run the same bundle in the same run as the
# comparison. Then update, errors, and kill -9 of `create` at any point
# (podman: systemd_cgroup_podman.sh; containerd: systemd_cgroup_containerd.sh).
source "$(dirname "$0")/lib.sh"
need_root

B=$WORK/bundle
make_bundle "$B"
# 64 MiB, 20 tasks, half a CPU (quota 50000 of 100000), weight from 512 shares.
set_config "$B" '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 20},
    "cpu": {"quota": 50000, "period": 100000, "shares": 512}, "devices": [{"allow": false, "access": "rwm"}]} | .process.args = ["sleep", "1000"] |
    .ociVersion = "1.0.2"'  # crun 1.8.1 refuses newer versions ("unknown version specified")

# driver RT NAME: RT --systemd-cgroup of the bundle as scope sdbus-NAME.scope.
driver() {
    local rt=$1 name=$2 root=$WORK/state-$2 unit=sdbus-$2.scope pid rc
    local cgdir=/sys/fs/cgroup/system.slice/sdbus-$2.scope
    # crun 1.8.1 (the comparison) puts the init and its limits in SCOPE/container
    # and leaves them off the unit: its property checks are recorded, not failed.
    local sub="" todo=""
    [ "$rt" = crun ] && sub=/container todo="crun 1.8.1 sets the limits in the scope's container/ sub-cgroup, not on the unit"
    set_config "$B" ".linux.cgroupsPath = \"system.slice:sdbus:$name\""
    on_exit "$rt --root $root delete --force $name"
    RT_FLAGS=(--systemd-cgroup)
    pid=$(runtime_start "$rt" "$root" "$B" "$name"); rc=$?
    check_eq "$name: $rt --systemd-cgroup create+start" 0 $rc
    [ $rc -eq 0 ] || sed 's/^/#   /' "$root/$name.log"
    check_eq "$name: the unit is active" active "$(systemctl show -P ActiveState "$unit")"
    check_eq "$name: Delegate=yes" yes "$(systemctl show -P Delegate "$unit")"
    TODO=$todo check_eq "$name: TasksMax is the pids limit" 20 "$(systemctl show -P TasksMax "$unit")"
    TODO=$todo check_eq "$name: MemoryMax is the memory limit" 67108864 "$(systemctl show -P MemoryMax "$unit")"
    TODO=$todo check_eq "$name: CPUQuotaPerSecUSec is half a second" 500ms "$(systemctl show -P CPUQuotaPerSecUSec "$unit")"
    check_eq "$name: systemctl status knows it" 0 "$(systemctl status "$unit" >/dev/null 2>&1; echo $?)"
    check_eq "$name: the init is in the unit's cgroup" "0::/system.slice/$unit$sub" "$(cat "/proc/${pid:-0}/cgroup" 2>&1)"
    local files="pids.max memory.max cpu.max cpu.weight"
    local want="20 67108864 50000 100000 20"
    check_eq "$name: the files hold the limits" "$want" "$(cd "$cgdir$sub" 2>/dev/null && squash "$(cat $files 2>&1)")"
    systemctl daemon-reload
    check_eq "$name: the limits hold after daemon-reload" "$want" "$(cd "$cgdir$sub" 2>/dev/null && squash "$(cat $files 2>&1)")"
    # linux.resources.devices (the spec's default: deny all but the standard
    # nodes) still holds after the reload: a block device made in /dev (the
    # root is read-only) cannot
    # be opened (the cgroup's device filter says EPERM; allowed, loop0 would
    # read nothing or say ENXIO).
    check_contains "$name: a denied device stays denied after daemon-reload" "Operation not permitted" \
        "$("$rt" --root "$root" exec --cap CAP_MKNOD "$name" sh -c 'mknod /dev/loop-t b 7 0 && head -c1 /dev/loop-t' 2>&1)"
    check_eq "$name: the container sees its memory limit" 67108864 "$(cat /proc/${pid:-0}/root/sys/fs/cgroup/memory.max 2>&1 ||
        echo unreadable)"
    "$rt" --root "$root" delete --force "$name" >/dev/null 2>&1
    wait_for unit_gone "$unit"
    check_true "$name: delete stops the unit" unit_gone "$unit"
    wait_for test ! -d "$cgdir"
    check_true "$name: delete removes the cgroup" test ! -d "$cgdir"
    check_eq "$name: no failed unit is left" "" "$(systemctl list-units --failed --plain --no-legend "$unit" 2>&1)"
}
driver runc runc1
driver crun crun1
driver "$RRUN" rrun1

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
