#!/bin/bash
# runtime.md lifecycle as root: create leaves the program unstarted, start
# runs it, state follows the real process, delete leaves no trace.
source "$(dirname "$0")/lib.sh"
need_root

B=$WORK/bundle
make_bundle "$B"
mkdir -p "$WORK/shared"
set_config "$B" "c['mounts'].append({'destination': '/shared', 'type': 'bind', 'source': '$WORK/shared', 'options': ['rbind', 'rw']})"
# The program leaves a marker, then waits for /shared/go so we can see it running.
set_args "$B" sh -c 'echo ran > /shared/marker; while [ ! -e /shared/go ]; do sleep 0.05; done; exit 0'

r create --bundle "$B" --pid-file "$WORK/pid" lc1
check_eq "create exits 0" 0 $?
check_eq "state after create is created" created "$(status_of lc1)"
pid=$(r state lc1 | json_field '["pid"]')
check_eq "pid file holds the init pid" "$pid" "$(cat "$WORK/pid")"
check_true "init process exists after create" pid_alive "$pid"
sleep 0.3
check_true "user program has not run before start" test ! -e "$WORK/shared/marker"
check_eq "state JSON has the bundle" "$B" "$(r state lc1 | json_field '["bundle"]')"
check_eq "state JSON has ociVersion" "1.3.0" "$(r state lc1 | json_field '["ociVersion"]')"

# The init is in its own namespaces.
for ns in pid mnt uts ipc net; do
    check_true "init has its own $ns namespace" test "$(readlink /proc/$pid/ns/$ns)" != "$(readlink /proc/self/ns/$ns)"
done

r start lc1
check_eq "start exits 0" 0 $?
check_true "user program ran after start" wait_for test -e "$WORK/shared/marker"
check_eq "state after start is running" running "$(status_of lc1)"
out=$(r start lc1 2>&1); rc=$?
check_eq "second start fails" 1 "$rc"
check_contains "second start says why, in runc's words" "cannot start an already running container" "$out"

out=$(r delete lc1 2>&1); rc=$?
check_eq "delete of a running container fails" 1 "$rc"
check_contains "delete of a running container says why" "not stopped" "$out"
check_true "a refused delete leaves the container running" pid_alive "$pid"

touch "$WORK/shared/go"
check_true "container stops when its program exits" wait_for status_is lc1 stopped
check_eq "pid is 0 once stopped" 0 "$(r state lc1 | json_field '["pid"]')"
out=$(r kill lc1 KILL 2>&1); rc=$?
check_eq "kill of a stopped container fails" 1 "$rc"
check_contains "kill of a stopped container says why, in runc's words (containerd's shim matches them)" "container not running" "$out"

r delete lc1
check_eq "delete of a stopped container exits 0" 0 $?
check_true "delete removed the state dir" test ! -e "$STATE_ROOT/lc1"
out=$(r state lc1 2>&1); rc=$?
check_eq "state of a deleted container fails" 1 "$rc"
check_contains "state of a deleted container says it does not exist" "does not exist" "$out"

# kill with every accepted signal spelling, on a running container. As pid 1
# of its namespace the program only gets signals it has a handler for.
set_args "$B" sh -c 'trap "exit 0" TERM; while :; do sleep 0.05; done'

for sig in TERM SIGTERM 15; do
    r run -d --bundle "$B" k1 >/dev/null
    pid=$(r state k1 | json_field '["pid"]')
    r kill k1 "$sig"
    check_true "kill $sig stops the container" wait_for status_is k1 stopped
    r delete k1
done
r run -d --bundle "$B" k2
pid=$(r state k2 | json_field '["pid"]')
r kill k2
check_true "kill without a signal sends SIGTERM" wait_for status_is k2 stopped
r delete k2

# delete --force kills a running container and removes everything.
r run -d --bundle "$B" f1
pid=$(r state f1 | json_field '["pid"]')
r delete --force f1
check_eq "delete --force exits 0" 0 $?
check_true "delete --force killed the init" wait_for test ! -d "/proc/$pid"
check_true "delete --force removed the state dir" test ! -e "$STATE_ROOT/f1"

# delete of a created container kills its waiting init (runc's behaviour).
r create --bundle "$B" c2
pid=$(r state c2 | json_field '["pid"]')
r delete c2
check_true "delete of a created container kills the init" wait_for test ! -d "/proc/$pid"

# list shows containers in both formats.
r create --bundle "$B" l1
r create --bundle "$B" l2
check_eq "list -q prints the ids" "l1 l2" "$(r list -q | xargs)"
check_eq "list --format json" "l1:created l2:created" \
    "$(r list --format json | python3 -c 'import json,sys; print(" ".join(c["id"]+":"+c["status"] for c in json.load(sys.stdin)))')"
check_contains "list table has a header" "STATUS" "$(r list)"
r delete --force l1; r delete --force l2
check_eq "no state left" "" "$(ls "$STATE_ROOT")"
finish
