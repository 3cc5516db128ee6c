#!/bin/bash
# The rootless half of smoke.sh: as rrun-test in a login session, the user
# manager and its bus are there, and `runc --systemd-cgroup` and `crun
# --systemd-cgroup` of a rootless bundle with cgroupsPath
# user.slice:rrun-test:NAME make the scope under user@1000.service (the
# baseline of rootless podman's default configuration). rrun's checks are TODO
# until its features say systemdUser: true.
source "$(dirname "$0")/lib.sh"
need_user

check_eq "XDG_RUNTIME_DIR is the user's" "$USER_RUNTIME_DIR" "${XDG_RUNTIME_DIR:-}"
check_eq "DBUS_SESSION_BUS_ADDRESS is the user's bus" "$USER_BUS" "${DBUS_SESSION_BUS_ADDRESS:-}"
check_contains "in a login session" "/user.slice/user-1000.slice/session-" "$(cat /proc/self/cgroup)"
check_eq "the user manager answers" running "$(systemctl --user is-system-running 2>&1)"
check_contains "pids is delegated to the user manager" pids "$(cat "$VM_DELEGATED_CGROUP/cgroup.controllers")"

B=$WORK/bundle
make_bundle "$B" --rootless
set_config "$B" '.ociVersion = "1.0.2" | .linux.resources.pids.limit = 20 | .process.args = ["sleep", "1000"]'
check_scope_driver runc "$B" runc2 --user
SUBGROUP=container check_scope_driver crun "$B" crun2 --user
if rrun_has_systemd_driver --user; then
    check_scope_driver "$RRUN" "$B" rrun2 --user
else
    TODO="rrun's features say systemdUser: false (#17)" check_scope_driver "$RRUN" "$B" rrun2 --user
fi
finish
