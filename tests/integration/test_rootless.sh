#!/bin/bash
# Rootless: an unprivileged user runs containers with `spec --rootless`, its
# own id mapped directly, and more ranges through newuidmap/newgidmap.
source "$(dirname "$0")/lib.sh"
need_root
ensure_rootless_user

B=$WORK/bundle
mkdir -p "$B"
make_rootfs "$B/rootfs"
chown -R "$ROOTLESS_USER" "$B"
as_user "\$RRUN spec --rootless --bundle $B"
set_config "$B" "c['process']['terminal'] = False"
set_args "$B" sh -c 'id -u; cat /proc/self/uid_map /proc/self/gid_map; grep CapEff /proc/self/status; hostname; readlink /proc/self/ns/user'

# stderr apart: without a delegated cgroup rrun warns there.
out=$(as_user "\$RRUN run -b $B u1" 2>"$WORK/err"); rc=$?
check_eq "rootless run exits 0" 0 $rc
check_contains "the program is root inside" $'0\n' "$out"
check_contains "uid 0 maps to the user's uid" "0 $ROOTLESS_UID 1" "$(echo "$out" | sed -n 2p | xargs)"
check_contains "hostname is set in the container's uts namespace" rrun "$out"
check_not_contains "the user namespace is not the host's" "$(readlink /proc/self/ns/user)" "$out"
check_true "state went to \$XDG_RUNTIME_DIR/rrun" test -d "$ROOTLESS_XDG/rrun"
check_eq "and was removed after run" "" "$(ls "$ROOTLESS_XDG/rrun")"

# The state's owner is the user's name from /etc/passwd (read without NSS), as `list` shows it.
as_user "\$RRUN create -b $B own" 2>"$WORK/err"
check_eq "the state names the user as owner" "$ROOTLESS_USER" "$(as_user "\$RRUN state own" | json_field '["owner"]')"
check_contains "and list shows it" "$ROOTLESS_USER" "$(as_user "\$RRUN list" | grep -w own)"
as_user "\$RRUN delete -f own"

# Several ranges: needs the setuid helpers and the user's /etc/subuid range.
sub_start=$(grep "^$ROOTLESS_USER:" /etc/subuid | cut -d: -f2)
subg_start=$(grep "^$ROOTLESS_USER:" /etc/subgid | cut -d: -f2)
set_config "$B" "c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': $ROOTLESS_UID, 'size': 1}, {'containerID': 1, 'hostID': $sub_start, 'size': 1000}]"
set_config "$B" "c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': $(id -g "$ROOTLESS_USER"), 'size': 1}, {'containerID': 1, 'hostID': $subg_start, 'size': 1000}]"
set_config "$B" "c['process']['user'] = {'uid': 5, 'gid': 6, 'additionalGids': [7]}"
set_args "$B" sh -c 'id; cat /proc/self/uid_map'
out=$(as_user "\$RRUN run -b $B u2" 2>"$WORK/err"); rc=$?
check_eq "multi-range rootless run exits 0" 0 $rc
check_contains "the second range is mapped" "1 $sub_start 1000" "$(echo "$out" | sed -n 3p | xargs)"
check_contains "process.user uid/gid/additionalGids apply" "uid=5 gid=6 groups=7" "$out"

# A range the user was not given: a clear error naming the helper, nothing left.
set_config "$B" "c['linux']['uidMappings'][1]['hostID'] = 1"
out=$(as_user "\$RRUN run -b $B u3" 2>&1); rc=$?
check_eq "an undelegated range fails" 1 $rc
check_contains "the error names newuidmap" "newuidmap" "$out"
check_eq "no state left" "" "$(ls "$ROOTLESS_XDG/rrun")"
check_eq "no process of the user left" 0 "$(pgrep -c -u "$ROOTLESS_USER" -f "$B" || true)"

# Without XDG_RUNTIME_DIR and --root: a clear error.
out=$(su "$ROOTLESS_USER" -s /bin/bash -c "unset XDG_RUNTIME_DIR; $RRUN list" 2>&1); rc=$?
check_eq "no XDG_RUNTIME_DIR fails" 1 $rc
check_contains "and says what to do" "XDG_RUNTIME_DIR is not set" "$out"
finish
