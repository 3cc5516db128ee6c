#!/bin/bash
# cgroup v2 rootless with a delegated subtree (systemd's Delegate=yes): the
# container gets its own cgroup beside ours, limits apply, pause/resume and
# update work; outside the delegation: a warning, or an error with limits.
source "$(dirname "$0")/lib.sh"
need_user
ensure_rootless_user
CG=/sys/fs/cgroup
own=$(cut -d: -f3 /proc/self/cgroup)
parent=${own%/*}

B=$WORK/bundle
make_bundle "$B" --rootless
mkdir -p "$WORK/shared"
set_config "$B" '.linux.resources = {"pids": {"limit": 20}, "memory": {"limit": 67108864}}
  | .mounts += [{"destination": "/shared", "type": "bind", "source": "'"$WORK/shared"'", "options": ["rbind", "rw"]}]'
set_args "$B" sh -c 'cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max > /shared/seen.tmp; mv /shared/seen.tmp /shared/seen; while :; do echo . >> /shared/count; sleep 0.05; done'
r run -d --bundle "$B" u1
check_eq "a rootless container with limits runs" 0 $?
pid=$(r state u1 | json_field .pid)
check_eq "its cgroup is /ID beside ours, in the delegation" "0::$parent/u1" "$(cat /proc/$pid/cgroup)"
check_eq "host: pids.max" 20 "$(cat $CG$parent/u1/pids.max)"
check_eq "host: memory.max" 67108864 "$(cat $CG$parent/u1/memory.max)"
wait_for test -e "$WORK/shared/seen"
check_eq "the container sees its own cgroup's limits at /sys/fs/cgroup" "20 67108864" "$(tr '\n' ' ' < "$WORK/shared/seen" 2>/dev/null | sed 's/ $//')"
r pause u1
check_eq "rootless pause: paused" paused "$(status_of u1)"
c1=$(wc -l < "$WORK/shared/count"); sleep 1; c2=$(wc -l < "$WORK/shared/count")
check_eq "the counter stands still" "$c1" "$c2"
r resume u1
check_eq "rootless resume: running" running "$(status_of u1)"
r update --pids-limit 30 u1
check_eq "rootless update" 30 "$(cat $CG$parent/u1/pids.max)"
check_contains "ps lists the init" "$pid" "$(r ps --format json u1)"
r delete --force u1
check_true "delete removes the cgroup" test ! -e "$CG$parent/u1"

# Outside the delegation.
set_config "$B" '.linux.cgroupsPath = "/not-delegated/u2" | .linux.resources = {"pids": {"limit": 20}}'
out=$(container_sees "$B" u2 'echo hello'); rc=$?
check_eq "limits without a delegated cgroup fail" 1 $rc
check_contains "with a clear error" "no cgroup is delegated" "$out"
set_config "$B" 'del(.linux.resources)'
out=$(container_sees "$B" u3 'echo hello'); rc=$?
check_eq "without limits it runs" 0 $rc
check_contains "the program ran" "hello" "$out"
check_not_contains "and says nothing else (conmon passes the container's stderr)" "warning" "$out"
finish
