#!/bin/bash
# rrun as an unprivileged user on a pure cgroup v2 host (`rrun spec
# --rootless`): the container runs, sees a cgroup2 /sys/fs/cgroup, its own
# uid mapped to root, the configured hostname; several ranges go through the
# setuid newuidmap/newgidmap and the user's /etc/subuid range.
source "$(dirname "$0")/lib.sh"
need_user
ensure_rootless_user

check_eq "the host is pure cgroup v2" "$CGROUP2_MAGIC" "$(stat -f -c %t /sys/fs/cgroup)"
check_true "XDG_RUNTIME_DIR is set and ours" test -O "${XDG_RUNTIME_DIR:-/nonexistent}"

# The harness's delegation, as systemd's Delegate=yes leaves it.
check_contains "this script runs in the user's delegated cgroup" "$VM_DELEGATED_CGROUP/" "/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/"
controllers=" $(cat "$VM_DELEGATED_CGROUP/cgroup.controllers") "
check_contains "which has the memory controller" " memory " "$controllers"
check_contains "and the pids controller" " pids " "$controllers"
check_true "where the user can make a child cgroup" mkdir "$VM_DELEGATED_CGROUP/smoke-probe"
rmdir "$VM_DELEGATED_CGROUP/smoke-probe" 2>/dev/null

B=$WORK/bundle
make_bundle "$B" --rootless
set_config "$B" '.hostname = "vm-rootless"'
out=$(container_sees "$B" u1 'stat -f -c %t /sys/fs/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo | tail -n 1; cat /proc/self/uid_map /proc/self/gid_map; hostname; id -u'); rc=$?
mapfile -t L <<<"$out"
check_eq "a rootless busybox container runs" 0 $rc
check_eq "its /sys/fs/cgroup is cgroup2 (statfs)" "$CGROUP2_MAGIC" "${L[0]:-}"
check_contains "and mountinfo says cgroup2" " - cgroup2 " "${L[1]:-}"
check_eq "mounted from its own cgroup (namespace root)" / "$(field 4 "${L[1]:-}")"
check_eq "root inside is the user's uid" "0 $ROOTLESS_UID 1" "$(squash "${L[2]:-}")"
check_eq "and gid" "0 $ROOTLESS_GID 1" "$(squash "${L[3]:-}")"
check_eq "the hostname is the configured one" vm-rootless "${L[4]:-}"
check_eq "the program is root inside" 0 "${L[5]:-}"

# Default state dir: $XDG_RUNTIME_DIR/rrun, removed again after run.
set_args "$B" true
"$RRUN" run --bundle "$B" u2; rc=$?
check_eq "run with the default state dir exits 0" 0 $rc
check_true "state went to \$XDG_RUNTIME_DIR/rrun" test -d "$XDG_RUNTIME_DIR/rrun"
check_eq "and was removed after run" "" "$(ls "$XDG_RUNTIME_DIR/rrun" 2>/dev/null)"

# Several ranges: newuidmap/newgidmap (setuid) with the /etc/subuid range.
sub_uid=$(grep "^$ROOTLESS_USER:" /etc/subuid | cut -d: -f2)
sub_gid=$(grep "^$ROOTLESS_USER:" /etc/subgid | cut -d: -f2)
set_config "$B" ".linux.uidMappings = [{\"containerID\": 0, \"hostID\": $ROOTLESS_UID, \"size\": 1}, {\"containerID\": 1, \"hostID\": $sub_uid, \"size\": 65536}]
  | .linux.gidMappings = [{\"containerID\": 0, \"hostID\": $ROOTLESS_GID, \"size\": 1}, {\"containerID\": 1, \"hostID\": $sub_gid, \"size\": 65536}]
  | .process.user = {\"uid\": 5, \"gid\": 6, \"additionalGids\": [7]}"
out=$(container_sees "$B" u3 'cat /proc/self/uid_map; cat /proc/self/gid_map; id'); rc=$?
mapfile -t L <<<"$out"
check_eq "a multi-range rootless container runs" 0 $rc
check_eq "the subordinate uid range is mapped" "1 $sub_uid 65536" "$(squash "${L[1]:-}")"
check_eq "the subordinate gid range is mapped" "1 $sub_gid 65536" "$(squash "${L[3]:-}")"
check_contains "process.user applies" "uid=5 gid=6 groups=7" "$out"
finish
