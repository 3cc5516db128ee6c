#!/bin/bash
# rrun as root on a pure cgroup v2 host: a busybox container runs, sees a
# cgroup2 /sys/fs/cgroup of its own, and its uid map and hostname as configured.
source "$(dirname "$0")/lib.sh"
need_root

check_eq "the host is pure cgroup v2" "$CGROUP2_MAGIC" "$(stat -f -c %t /sys/fs/cgroup)"

B=$WORK/bundle
make_bundle "$B"
set_config "$B" '.hostname = "vm-smoke"'
out=$(container_sees "$B" c1 'stat -f -c %t /sys/fs/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo | tail -n 1; cat /proc/self/uid_map; hostname; cat /proc/self/cgroup; id -u'); rc=$?
mapfile -t L <<<"$out"
check_eq "a busybox container runs as root" 0 $rc
check_eq "its /sys/fs/cgroup is cgroup2 (statfs)" "$CGROUP2_MAGIC" "${L[0]:-}"
check_contains "and mountinfo says cgroup2" " - cgroup2 " "${L[1]:-}"
check_eq "mounted from its own cgroup (namespace root)" / "$(field 4 "${L[1]:-}")"
check_eq "no user namespace: the identity uid map" "0 0 4294967295" "$(squash "${L[2]:-}")"
check_eq "the hostname is the configured one" vm-smoke "${L[3]:-}"
check_eq "the cgroup namespace makes its cgroup the root" "0::/" "${L[4]:-}"
check_eq "the program runs as uid 0" 0 "${L[5]:-}"
check_true "no state left after run" test -z "$(ls "$STATE_ROOT" 2>/dev/null)"

# With a user namespace mapping the guest's subordinate range.
set_config "$B" '.linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .hostname = "vm-userns"'
chown -R 100000:100000 "$B/rootfs"
out=$(container_sees "$B" c2 'cat /proc/self/uid_map /proc/self/gid_map; hostname; stat -f -c %t /sys/fs/cgroup'); rc=$?
mapfile -t L <<<"$out"
check_eq "a container with a user namespace runs" 0 $rc
check_eq "its uid map is the configured one" "0 100000 65536" "$(squash "${L[0]:-}")"
check_eq "its gid map is the configured one" "0 100000 65536" "$(squash "${L[1]:-}")"
check_eq "its hostname is the configured one" vm-userns "${L[2]:-}"
check_eq "its /sys/fs/cgroup is cgroup2" "$CGROUP2_MAGIC" "${L[3]:-}"
finish
