#!/bin/bash
# Issue #17, rootless on a systemd host (uid 1000 in a login session, its
# user manager user@1000.service and session bus): `--systemd-cgroup` asks
# the user's manager for a scope (Delegate=yes, the limits its delegation
# allows: memory, pids, cpu), limits survive a daemon-reload, delete removes
# unit and cgroup; runc and crun in the same run as the comparison. Then
# rootless podman with its default configuration on rrun.
source "$(dirname "$0")/lib.sh"
need_user

B=$WORK/bundle
make_bundle "$B" --rootless
set_config "$B" '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 20},
    "cpu": {"quota": 50000, "period": 100000}} | .process.args = ["sleep", "1000"] |
    .ociVersion = "1.0.2"'  # crun 1.8.1 refuses newer versions ("unknown version specified")
MGR=/sys/fs/cgroup/user.slice/user-$(id -u).slice/user@$(id -u).service

# crun 1.8.1 (the comparison) puts the init and its limits in SCOPE/container
# and leaves them off the unit: its property checks are recorded, not failed.
for rt in runc crun "$RRUN"; do
    sub=; [ "$rt" = crun ] && sub=container
    SCOPE_PREFIX=sdbus UNIT_PROPS="TasksMax=20;MemoryMax=67108864" CG_FILES="pids.max=20;memory.max=67108864;cpu.max=50000 100000" \
        SUBGROUP=$sub check_scope_driver "$rt" "$B" "$(basename "$rt")1" --user
done

# ---- DefaultDependencies=no with the slice given or not, as runc (and its
# DevicePolicy: a user manager cannot load a device program, ours neither)
dd_case() {  # RT ID CGROUPSPATH
    set_config "$B" ".linux.cgroupsPath = \"$3\""
    RT_FLAGS=(--systemd-cgroup)
    runtime_start "$1" "$WORK/state-dd" "$B" "$2" >/dev/null || { echo "create failed: $(cat "$WORK/state-dd/$2.log")"; return; }
    squash "$(systemctl --user show -P DefaultDependencies "sdbus-$2.scope"; systemctl --user show -P Slice "sdbus-$2.scope"
        systemctl --user show -P DevicePolicy "sdbus-$2.scope")"
    "$1" --root "$WORK/state-dd" delete --force "$2" >/dev/null 2>&1
}
for c in ":sdbus:" "user.slice:sdbus:"; do
    want=$(dd_case runc ddr "${c}ddr")
    echo "# runc rootless, cgroupsPath ${c}ID: DefaultDependencies Slice DevicePolicy: $want"
    check_eq "rootless, cgroupsPath ${c}ID: DefaultDependencies, Slice, DevicePolicy as runc's" "$want" "$(dd_case "$RRUN" ddq "${c}ddq")"
done

# ---- rootless podman, default configuration (cgroup_manager = "systemd")
check_podman_systemd "rootless podman" "$MGR/user.slice" systemctl --user
finish
