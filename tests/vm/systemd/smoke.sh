#!/bin/bash
# The systemd guest is what issue #17 needs: systemd as PID 1, pure cgroup v2,
# user@1000 with its session bus; and the baseline the systemd cgroup driver
# is measured against: `runc --systemd-cgroup` and `crun --systemd-cgroup`
# with cgroupsPath system.slice:rrun-test:NAME and a pids limit make the scope
# unit rrun-test-NAME.scope (Delegate=yes, TasksMax, the init in it, the limit
# surviving a daemon-reload, all gone after delete; crun 1.8 sets only
# Delegate=yes and puts the init and its limits in the sub cgroup
# `container`, see runc issue #4072). rrun is run the same way;
# its checks are TODO (recorded, not failing) until its features say
# systemd: true.
source "$(dirname "$0")/lib.sh"
need_root

# ---- the host
check_eq "PID 1 is systemd" systemd "$(cat /proc/1/comm)"
check_eq "/sys/fs/cgroup is cgroup2" cgroup2fs "$(stat -f -c %T /sys/fs/cgroup)"
check_eq "no cgroup v1 hierarchy is mounted" "" "$(awk '$3 == "cgroup" {print $2}' /proc/mounts)"
check_eq "user@1000.service is active" active "$(systemctl show -P ActiveState user@1000.service)"
check_true "the user's session bus is up" test -S "$USER_RUNTIME_DIR/bus"
check_eq "the user manager answers on it" running "$(as_user 'systemctl --user is-system-running' 2>&1)"
check_contains "as_user runs in a login session" "/user.slice/user-1000.slice/session-" "$(as_user 'cat /proc/self/cgroup')"
check_eq "user@1000's cgroup is delegated" "$ROOTLESS_USER" "$(stat -c %U "$VM_DELEGATED_CGROUP/cgroup.procs")"
check_eq "memory and pids are enabled for system.slice" "memory pids" \
    "$(tr ' ' '\n' </sys/fs/cgroup/system.slice/cgroup.subtree_control | grep -xE 'memory|pids' | paste -sd' ')"

# ---- the systemd cgroup driver, by runtime
B=$WORK/bundle
make_bundle "$B"
# ociVersion 1.0.2: crun 1.8.1 refuses rrun spec's newer one ("unknown version specified").
set_config "$B" '.ociVersion = "1.0.2" | .linux.resources.pids.limit = 20 | .process.args = ["sleep", "1000"]'
check_scope_driver runc "$B" runc1
SUBGROUP=container check_scope_driver crun "$B" crun1
if rrun_has_systemd_driver; then
    check_scope_driver "$RRUN" "$B" rrun1
else
    TODO="rrun's features say systemd: false (#17)" check_scope_driver "$RRUN" "$B" rrun1
fi
finish
