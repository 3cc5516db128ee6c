#!/bin/bash
# An engine that runs rrun inside its own user namespace, as rootless podman
# does (`podman unshare`, _CONTAINERS_USERNS_CONFIGURED set): rrun is uid 0
# of that namespace but not root of the host, the config asks for no user
# namespace of its own, and the user's delegated cgroup still carries the
# container's limits.
source "$(dirname "$0")/lib.sh"
need_user
ensure_rootless_user
CG=/sys/fs/cgroup
own=$(cut -d: -f3 /proc/self/cgroup)
parent=${own%/*}
unshare -U -r true 2>/dev/null || skip_all "unshare -U -r does not work in the guest"
# The engine: a user namespace mapping only the user's own id to 0.
engine() { _CONTAINERS_USERNS_CONFIGURED=1 unshare -U -r "$RRUN" --root "$STATE_ROOT" "$@"; }

B=$WORK/bundle
make_bundle "$B" --rootless
mkdir -p "$WORK/shared"
set_config "$B" 'del(.linux.uidMappings) | del(.linux.gidMappings)
  | .linux.namespaces |= map(select(.type != "user"))
  | .linux.resources = {"pids": {"limit": 25}}
  | .mounts += [{"destination": "/shared", "type": "bind", "source": "'"$WORK/shared"'", "options": ["rbind", "rw"]}]'
set_args "$B" sh -c 'cat /proc/self/uid_map /sys/fs/cgroup/pids.max > /shared/seen.tmp; mv /shared/seen.tmp /shared/seen; exec sleep 100'
# Not in $(...): the detached container keeps stdout, and $(...) would wait for it.
engine run -d --bundle "$B" e1 >"$WORK/run.out" 2>&1; rc=$?
out=$(cat "$WORK/run.out")
check_eq "rrun in the engine's user namespace starts a container with limits" 0 $rc
[ $rc -eq 0 ] || { echo "$out"; finish; }
pid=$(r state e1 | json_field '["pid"]')
check_eq "its cgroup is /ID beside ours, in the delegation" "0::$parent/e1" "$(cat /proc/$pid/cgroup 2>/dev/null)"
check_eq "host: pids.max" 25 "$(cat $CG$parent/e1/pids.max 2>/dev/null)"
check_true "the container wrote what it sees" wait_for test -e "$WORK/shared/seen"
mapfile -t L < "$WORK/shared/seen"
check_eq "the container's uid_map is the engine's (0 = the user)" "0 $ROOTLESS_UID 1" "$(squash "${L[0]:-}")"
check_eq "it sees its own pids.max" 25 "${L[1]:-}"
engine kill e1 KILL
check_true "kill from the engine's namespace stops it" wait_for status_is e1 stopped
engine delete e1
check_true "delete removes the cgroup" test ! -e "$CG$parent/e1"
check_true "and the state" test ! -e "$STATE_ROOT/e1"
finish
