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
uprop() { systemctl --user show -P "$2" "$1"; }
ugone() {
    local s
    s=$(uprop "$1" ActiveState 2>/dev/null)
    [ -z "$s" ] || [ "$s" = inactive ]
}

driver() {
    local rt=$1 name=$2 root=$WORK/state-$2 unit=sdbus-$2.scope pid rc
    local cgdir=$MGR/user.slice/sdbus-$2.scope
    # crun 1.8.1 (the comparison) puts the init and its limits in SCOPE/container
    # and leaves them off the unit: its property checks are recorded, not failed.
    local sub="" todo=""
    [ "$rt" = crun ] && sub=/container todo="crun 1.8.1 sets the limits in the scope's container/ sub-cgroup, not on the unit"
    set_config "$B" ".linux.cgroupsPath = \"user.slice:sdbus:$name\""
    on_exit "$rt --root $root delete --force $name"
    RT_FLAGS=(--systemd-cgroup)
    pid=$(runtime_start "$rt" "$root" "$B" "$name"); rc=$?
    check_eq "$name: $rt --systemd-cgroup create+start (rootless)" 0 $rc
    [ $rc -eq 0 ] || sed 's/^/#   /' "$root/$name.log"
    check_eq "$name: the user manager's unit is active" active "$(uprop "$unit" ActiveState)"
    check_eq "$name: Delegate=yes" yes "$(uprop "$unit" Delegate)"
    TODO=$todo check_eq "$name: TasksMax, MemoryMax" "20 67108864" "$(squash "$(uprop "$unit" TasksMax; uprop "$unit" MemoryMax)")"
    check_eq "$name: the init is in the unit's cgroup" "0::${MGR#/sys/fs/cgroup}/user.slice/$unit$sub" "$(cat "/proc/${pid:-0}/cgroup" 2>&1)"
    local want="20 67108864 50000 100000"
    check_eq "$name: the files hold the limits" "$want" "$(cd "$cgdir$sub" 2>/dev/null && squash "$(cat pids.max memory.max cpu.max 2>&1)")"
    systemctl --user daemon-reload
    check_eq "$name: the limits hold after daemon-reload" "$want" "$(cd "$cgdir$sub" 2>/dev/null && squash "$(cat pids.max memory.max cpu.max 2>&1)")"
    "$rt" --root "$root" delete --force "$name" >/dev/null 2>&1
    wait_for ugone "$unit"
    check_true "$name: delete stops the unit" ugone "$unit"
    wait_for test ! -d "$cgdir"
    check_true "$name: delete removes the cgroup" test ! -d "$cgdir"
}
driver runc runc1
driver crun crun1
driver "$RRUN" rrun1

# ---- rootless podman, default configuration (cgroup_manager = "systemd")
check_podman_systemd "rootless podman" "$MGR/user.slice" systemctl --user
finish
