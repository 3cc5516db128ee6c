#!/bin/bash
# Issue #17 on cgroup v1 under systemd (the guest booted with
# systemd.unified_cgroup_hierarchy=0: RRUN_SYSD_CGROUP=v1, test_vm_systemd_v1),
# as root, beside runc: `--systemd-cgroup` makes the scope unit with v1's unit
# properties (MemoryLimit, CPUShares, CPUQuotaPerSecUSec, TasksMax,
# DevicePolicy/DeviceAllow), the init in it in every hierarchy, the limits
# in the v1 files before and after a daemon-reload (systemd rewrites what it
# manages from the unit's properties), the device filter holding, unit and
# cgroups gone after delete; update sets the unit's properties too.
source "$(dirname "$0")/lib.sh"
need_root
# runc's tun/tap rule reaches systemd only when the host has the 10:200 node
# (udev's /dev/char link): load the module so that case is always compared.
modprobe tun 2>/dev/null && udevadm settle 2>/dev/null
[ -n "$V1" ] || skip_all "/sys/fs/cgroup is cgroup2: this script is for a cgroup v1 boot (RRUN_SYSD_CGROUP=v1)"
check_true "the memory controller is a v1 hierarchy" test -f /sys/fs/cgroup/memory/memory.limit_in_bytes
check_true "systemd's own hierarchy is there" test -d /sys/fs/cgroup/systemd/system.slice

B=$WORK/bundle
make_bundle "$B"
# 64 MiB, 20 tasks, half a CPU, 512 shares; devices: the spec's default plus
# read access to the block device 7:0 (scope_devices_hook).
set_config "$B" '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 20},
    "cpu": {"quota": 50000, "period": 100000, "shares": 512}, "devices": [{"allow": false, "access": "rwm"},
    {"allow": true, "type": "b", "major": 7, "minor": 0, "access": "r"}]} | .process.args = ["sleep", "1000"] |
    .ociVersion = "1.0.2"'
props="MemoryLimit=67108864;CPUShares=512;CPUQuotaPerSecUSec=500ms;TasksMax=20"
files="memory/memory.limit_in_bytes=67108864;pids/pids.max=20;cpu,cpuacct/cpu.cfs_quota_us=50000;cpu,cpuacct/cpu.shares=512"
for rt in runc "$RRUN"; do
    SCOPE_PREFIX=sdv1 UNIT_PROPS=$props CG_FILES=$files SCOPE_HOOK=scope_devices_hook \
        check_scope_driver "$rt" "$B" "$(basename "$rt")1"
    check_true "$(basename "$rt")1: delete removes the memory cgroup" test ! -d "/sys/fs/cgroup/memory/system.slice/sdv1-$(basename "$rt")1.scope"
done
check_eq "rrun's DevicePolicy and DeviceAllow are runc's" "${DEVPROPS[runc]}" "${DEVPROPS[rrun]}"

# ---- update: SetUnitProperties (v1's names) plus the files; a daemon-reload keeps them
set_config "$B" '.linux.cgroupsPath = "system.slice:sdv1:upd"'
RT_FLAGS=(--systemd-cgroup)
on_exit "$RRUN --root $WORK/state-upd delete --force upd"
runtime_start "$RRUN" "$WORK/state-upd" "$B" upd >/dev/null
"$RRUN" --root "$WORK/state-upd" --systemd-cgroup update --memory 33554432 --pids-limit 15 --cpu-share 256 upd
check_eq "update: the unit's properties" "33554432 15 256" \
    "$(squash "$(systemctl show -P MemoryLimit sdv1-upd.scope; systemctl show -P TasksMax sdv1-upd.scope; systemctl show -P CPUShares sdv1-upd.scope)")"
systemctl daemon-reload
cg=system.slice/sdv1-upd.scope
check_eq "update: the files after daemon-reload" "33554432 15 256" \
    "$(squash "$(cat /sys/fs/cgroup/memory/$cg/memory.limit_in_bytes /sys/fs/cgroup/pids/$cg/pids.max /sys/fs/cgroup/cpu,cpuacct/$cg/cpu.shares 2>&1)")"
"$RRUN" --root "$WORK/state-upd" delete --force upd
finish
