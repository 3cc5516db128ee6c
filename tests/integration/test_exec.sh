#!/bin/bash
# exec: a process joins every namespace of the running container, gets its
# user/caps/env/cwd, returns its exit code; --detach + --pid-file; tty; errors.
source "$(dirname "$0")/lib.sh"
need_root
: "${CONSOLE_RECEIVER:?}"

B=$WORK/bundle
make_bundle "$B"
set_args "$B" sleep 1000
r run -d -b "$B" e1
init=$(r state e1 | json_field '["pid"]')

out=$(r exec e1 sh -c 'for n in pid mnt uts ipc net user cgroup; do readlink /proc/self/ns/$n; done')
want=$(for n in pid mnt uts ipc net user cgroup; do readlink /proc/$init/ns/$n; done)
check_eq "exec joins every namespace of the init" "$want" "$out"
check_eq "exec sees the container's hostname" rrun "$(r exec e1 hostname)"
check_eq "exec sees the container's root" "bin dev etc proc root sys tmp" "$(r exec e1 ls / | xargs)"
check_eq "exec sees the init as pid 1" "sleep 1000" "$(r exec e1 cat /proc/1/cmdline | tr '\0' ' ' | sed 's/ $//')"
r exec e1 sh -c 'exit 5'
check_eq "exec returns the program's exit code" 5 $?
r exec e1 sh -c 'kill -KILL $$'
check_eq "exec returns 128+N for a signal" 137 $?
check_contains "exec gets the container's capabilities" "CapBnd:	0000000020000420" "$(r exec e1 cat /proc/self/status)"
check_contains "exec gets noNewPrivileges" "NoNewPrivs:	1" "$(r exec e1 cat /proc/self/status)"
out=$(with_signals_muffled "$RRUN" --root "$STATE_ROOT" exec e1 cat /proc/self/status | signal_state)
check_eq "exec: signals the caller ignored or blocked are not the program's" "SigBlk: 0000000000000000 SigIgn: 0000000000000000" "$out"
check_eq "--env adds to the environment" "bar" "$(r exec -e FOO=bar e1 sh -c 'echo $FOO')"
check_contains "the container's env is kept" "PATH=/usr/local/sbin" "$(r exec e1 env)"
check_eq "--cwd sets the working directory" /tmp "$(r exec --cwd /tmp e1 pwd)"
check_eq "--user sets uid and gid" "uid=1000 gid=1001" "$(r exec --user 1000:1001 e1 id)"
check_contains "--cap adds a capability" "CapEff:	0000000020000460" "$(r exec --cap CAP_SETGID e1 grep CapEff /proc/self/status)"
check_eq "stdin reaches an exec'd program" "got hi" "$(echo hi | r exec e1 sh -c 'read l; echo got $l')"

# --process FILE (what conmon and containerd's shim pass), detached with a pid file.
cat >"$WORK/proc.json" <<JSON
{"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "echo from-process-json > /dev/shm/p; sleep 1000"],
 "env": ["PATH=/bin"], "cwd": "/"}
JSON
r exec --process "$WORK/proc.json" --detach --pid-file "$WORK/exec.pid" e1
check_eq "exec --detach exits 0" 0 $?
epid=$(cat "$WORK/exec.pid")
check_true "the pid file names a live process" pid_alive "$epid"
check_eq "that process is in the container's pid namespace" "$(readlink /proc/$init/ns/pid)" "$(readlink /proc/$epid/ns/pid)"
check_true "the --process program ran" wait_for r exec e1 grep -q from-process-json /dev/shm/p

# A terminal exec through a console socket.
SOCK=$WORK/console.sock
"$CONSOLE_RECEIVER" "$SOCK" "$WORK/console.out" &
recv=$!
wait_for test -S "$SOCK"
r exec --tty --console-socket "$SOCK" --detach e1 sh -c 'tty; echo tty-ok'
wait $recv
check_contains "exec --tty gets a pty of the container" "/dev/pts/" "$(cat "$WORK/console.out")"
check_contains "exec --tty output reaches the console socket" "tty-ok" "$(cat "$WORK/console.out")"

# Errors: missing program, stopped container, bad flags. Each exits 255 as
# runc's exec does when the process could not be started.
out=$(r exec e1 /no/such 2>&1); rc=$?
check_eq "exec of a missing program fails" 255 $rc
check_contains "and names it" "/no/such" "$out"
out=$(r exec e1 2>&1); rc=$?
check_eq "exec without a command fails" 255 $rc
out=$(r exec --user abc e1 id 2>&1); rc=$?
check_eq "exec --user abc fails" 255 $rc
check_contains "exec --user abc says why" "--user" "$out"
out=$(r exec --cap CAP_BOGUS e1 id 2>&1); rc=$?
check_contains "exec --cap CAP_BOGUS says why" "unknown capability CAP_BOGUS" "$out"
# A paused container: exec is refused unless --ignore-paused.
r pause e1
out=$(r exec e1 true 2>&1); rc=$?
check_eq "exec into a paused container fails" 255 $rc
check_contains "and says it is paused" "paused" "$out"
r resume e1

r kill e1 KILL
wait_for status_is e1 stopped
out=$(r exec e1 true 2>&1); rc=$?
check_eq "exec into a stopped container fails" 255 $rc
check_contains "and says it is stopped" "stopped" "$out"
r delete e1

# Rootless: exec joins the user namespace too.
ensure_rootless_user
RB=$WORK/rl
mkdir -p "$RB"; make_rootfs "$RB/rootfs"; chown -R "$ROOTLESS_USER" "$RB"
as_user "\$RRUN spec --rootless --bundle $RB"
set_config "$RB" "c['process']['terminal'] = False; c['process']['args'] = ['sleep', '1000']"
as_user "\$RRUN run -d -b $RB re1"
rinit=$(as_user "\$RRUN state re1" | json_field '["pid"]')
out=$(as_user "\$RRUN exec re1 sh -c 'id -u; readlink /proc/self/ns/user; cat /proc/self/uid_map'")
check_contains "rootless exec is root in the container" $'0\n' "$out"
check_contains "rootless exec joins the container's user namespace" "$(readlink /proc/$rinit/ns/user)" "$out"
as_user "\$RRUN delete -f re1"
finish
