#!/bin/bash
# containerd 1.6 (containerd-shim-runc-v2) on top of the runtime under test:
# a containerd started by hand with its own config (root, state, sockets in a
# temp dir), `ctr run --runc-binary $RUNTIME`. The shim calls the runtime with
# --root /run/containerd/runc/NAMESPACE --log BUNDLE/log.json --log-format json
# (a namespace of our own, removed at the end).
# E2E_RUNTIME=/usr/sbin/runc runs the same checks with runc.
. "$(dirname "$0")/lib.sh"
need_root
e2e_install containerd:containerd ctr:containerd containerd-shim-runc-v2:containerd script:bsdutils /bin/busybox:busybox-static

IMG=localhost/busybox:latest
D=$WORK/containerd
NS=rrun-e2e-$$
mkdir -p "$D"
cat >"$D/config.toml" <<EOF
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$D/containerd.sock"
[ttrpc]
  address = "$D/containerd.sock.ttrpc"
[debug]
  level = "debug"
EOF
# the shim keeps sockets under /run/containerd and the runtime's state under
# /run/containerd/runc/$NS: remove what we created
had_run_containerd=0; [ -d /run/containerd ] && had_run_containerd=1
e2e_defer "rm -rf --one-file-system /run/containerd/runc/$NS; [ $had_run_containerd = 1 ] || { rmdir /run/containerd/runc /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null; }"
e2e_defer "e2e_rm_cgroup $NS"
e2e_defer "e2e_kill_procs_matching '$D/containerd.sock'"
e2e_bg_daemon CTD_PID "$D/containerd.log" containerd --config "$D/config.toml"
e2e_defer "for c in \$(ctr --address $D/containerd.sock -n $NS tasks ls -q); do ctr --address $D/containerd.sock -n $NS tasks kill -a -s SIGKILL \$c; done; sleep 1; for c in \$(ctr --address $D/containerd.sock -n $NS c ls -q); do ctr --address $D/containerd.sock -n $NS tasks delete -f \$c; ctr --address $D/containerd.sock -n $NS c delete \$c; done"

CTR=(ctr --address "$D/containerd.sock" -n "$NS")
CTR_Q=$(printf '%q ' "${CTR[@]}")
c() { t 60 "${CTR[@]}" "$@"; }
# crun_ ID ARGS...: ctr run --rm with the runtime under test
crun_() { local id=$1; shift; t 60 "${CTR[@]}" run --fifo-dir "$D/fifo" --rm --runc-binary "$RUNTIME" "$IMG" "$id" "$@"; }
task_status() { c tasks ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}'; }
task_is() { [ "$(task_status "$1")" = "$2" ]; }
task_pid() { c tasks ls 2>/dev/null | awk -v id="$1" '$1 == id {print $2}'; }

if ! wait_for test -S "$D/containerd.sock"; then
    not_ok "containerd started: $(tail -5 "$D/containerd.log")"
    e2e_finish; exit
fi
ok "containerd started (pid $CTD_PID)"

e2e_docker_archive "$WORK/bb.tar" "$IMG"
check_ok "images import" c images import "$WORK/bb.tar"
check_contains "images ls" "$IMG" "$(c images ls -q 2>&1)"

# --- ctr run --rm --------------------------------------------------------------
out=$(crun_ r1 echo hello-from-containerd 2>&1)
check_eq "run --rm: output" "hello-from-containerd" "$out"
crun_ r2 sh -c 'exit 7' >/dev/null 2>&1
check_eq "run --rm: exit code propagated" 7 "$?"
out=$(crun_ r3 sh -c 'echo pid=$$; ls /proc/1/ns >/dev/null && echo proc-ok' 2>&1)
check_eq "run --rm: pid 1 and /proc" "$(printf 'pid=1\nproc-ok')" "$out"
out=$(t 60 "${CTR[@]}" run --fifo-dir "$D/fifo" --rm --runc-binary "$RUNTIME" --seccomp "$IMG" r4 grep Seccomp: /proc/self/status 2>&1)
check_eq "run --seccomp: containerd's default profile is a filter" "$(printf 'Seccomp:\t2')" "$out"
out=$(under_tty "$CTR_Q run --fifo-dir $D/fifo --rm -t --runc-binary $RUNTIME $IMG r5 sh -c 'tty; test -t 0 && echo stdin-tty; exit 3'")
rc=$?
check_contains "run -t: a pty" "/dev/pts/0" "$out"
check_contains "run -t: stdin is the terminal" "stdin-tty" "$out"
check_eq "run -t: exit code propagated" 3 "$rc"
check_eq "run --rm: no container left" "" "$(c containers ls -q 2>&1)"

# --- detached: exec, task ps, pause/resume, kill, delete ------------------------
c run --fifo-dir "$D/fifo" -d --runc-binary "$RUNTIME" "$IMG" d1 sh -c '
    : >/tmp/signals
    trap "echo got-usr1 >>/tmp/signals" USR1
    trap "echo got-term >>/tmp/signals; exit 42" TERM
    while :; do sleep 1 & wait; done' >/dev/null 2>&1
check_true "run -d: task running" wait_secs 15 task_is d1 RUNNING
pid=$(task_pid d1)
check_true "run -d: task pid alive on the host" pid_alive "${pid:-0}"

out=$(c tasks exec --fifo-dir "$D/fifo" --exec-id e1 d1 sh -c 'echo in-exec; cat /proc/1/cmdline | tr "\0" " "' 2>&1)
check_contains "exec: runs in the container" "in-exec" "$out"
check_contains "exec: sees the container's pid 1" "while :" "$out"
c tasks exec --fifo-dir "$D/fifo" --exec-id e2 d1 sh -c 'exit 4' >/dev/null 2>&1
check_eq "exec: exit code propagated" 4 "$?"
out=$(c tasks exec --fifo-dir "$D/fifo" --exec-id e3 --cwd /bin --user 65534 d1 sh -c 'pwd; id -u' 2>&1)
check_eq "exec --cwd --user" "$(printf '/bin\n65534')" "$out"
out=$(under_tty "$CTR_Q tasks exec --fifo-dir $D/fifo -t --exec-id e4 d1 sh -c 'tty; test -t 0 && echo stdin-tty'")
check_contains "exec -t: a pty" "/dev/pts/" "$out"
check_contains "exec -t: stdin is the terminal" "stdin-tty" "$out"

c tasks exec --fifo-dir "$D/fifo" -d --exec-id e5 d1 sleep 1000 >/dev/null 2>&1
sleep 0.5
out=$(c tasks ps d1 2>&1)
check_contains "task ps: lists the init pid" "${pid:-none}" "$out"
check_eq "task ps: init, its sleep and the exec'd sleep" 3 "$(echo "$out" | grep -cE '^[0-9]+ ')"

check_ok "task pause" c tasks pause d1
check_eq "task pause: PAUSED" PAUSED "$(task_status d1)"
cg_frz=$(awk -F: '$2 == "freezer" {print $3}' /proc/"${pid:-0}"/cgroup 2>/dev/null)
check_eq "task pause: host freezer.state FROZEN" FROZEN "$(cat "/sys/fs/cgroup/freezer$cg_frz/freezer.state" 2>&1)"
check_ok "task resume" c tasks resume d1
check_eq "task resume: RUNNING" RUNNING "$(task_status d1)"

check_ok "task kill -s SIGUSR1" c tasks kill -s SIGUSR1 d1
wait_secs 15 sh -c "${CTR_Q} tasks exec --fifo-dir $D/fifo --exec-id w\$\$ d1 grep -q got-usr1 /tmp/signals >/dev/null 2>&1"
check_eq "task kill -s SIGUSR1: the trap ran" got-usr1 "$(c tasks exec --fifo-dir "$D/fifo" --exec-id e6 d1 cat /tmp/signals 2>&1)"
check_ok "task kill (SIGTERM)" c tasks kill d1
check_true "task kill: STOPPED" wait_secs 15 task_is d1 STOPPED
out=$(c tasks delete d1 2>&1)
check_contains "task delete: exit code 42 from the TERM trap" "exit code 42" "$out"
check_true "task delete: init gone" bash -c "! kill -0 ${pid:-0} 2>/dev/null"
check_ok "container delete" c containers delete d1

c run --fifo-dir "$D/fifo" -d --runc-binary "$RUNTIME" "$IMG" d2 sh -c 'sleep 1000 & sleep 1000 & wait' >/dev/null 2>&1
wait_secs 15 task_is d2 RUNNING
check_ok "task kill -a -s SIGKILL" c tasks kill -a -s SIGKILL d2
check_true "task kill -a: STOPPED" wait_secs 15 task_is d2 STOPPED
check_ok "task delete" c tasks delete d2
check_ok "container delete" c containers delete d2

# force delete of a running task
c run --fifo-dir "$D/fifo" -d --runc-binary "$RUNTIME" "$IMG" d3 sleep 1000 >/dev/null 2>&1
wait_secs 15 task_is d3 RUNNING
check_ok "task delete -f of a running task" c tasks delete -f d3
check_ok "container delete" c containers delete d3

# --- where the spec is silent, as runc does (issue 16); each case also runs
# with --runc-binary runc in this session as the reference ------------------------
# ctr_run_with RUNTIME [FLAGS... --] ID ARGS...: ctr run --rm with that runtime
ctr_run_with() {
    local rt=$1 fl=(); shift
    if [[ " $* " == *" -- "* ]]; then while [ "$1" != -- ]; do fl+=("$1"); shift; done; shift; fi
    local id=$1-$(basename "$rt"); shift
    t 60 "${CTR[@]}" run --fifo-dir "$D/fifo" --rm --runc-binary "$rt" "${fl[@]}" "$IMG" "$id" "$@"
}
# no CNI (containerd's default): a new netns made by the runtime, lo up
check_like_runc "run (new netns, no CNI): lo up, a server on 127.0.0.1 answers" "$E2E_LO_OK" \
    ctr_run_with ee-lo sh -c "$E2E_LO_PROBE"
# containerd sets no HOME: the runtime takes it from the image's /etc/passwd
check_like_runc "run: HOME from /etc/passwd (root: /root)" "HOME=/root" \
    ctr_run_with ee-home sh -c 'echo "HOME=${HOME-unset}"'
check_like_runc "run --env HOME=/custom: kept" "HOME=/custom" \
    ctr_run_with --env HOME=/custom -- ee-home2 sh -c 'echo "HOME=${HOME-unset}"'
# a missing cwd: runc makes it (mkdir -p in the container's root) before it
# makes the root read-only
check_like_runc "run --read-only --cwd /does/not/exist: created" "/does/not/exist" \
    ctr_run_with --read-only --cwd /does/not/exist -- ee-cwd pwd
# ctr_exec_homes RUNTIME: HOME in `tasks exec --user U` for root, nobody (home
# /), 1000 (no passwd entry) and ee (home /home/ee)
ctr_exec_homes() {
    local id=ee-xh-$(basename "$1") u
    c run --fifo-dir "$D/fifo" -d --runc-binary "$1" "$IMG" "$id" sleep 1000 >/dev/null 2>&1
    wait_secs 15 task_is "$id" RUNNING
    # An empty answer is retried (twice at most, said on stderr): under load a
    # short exec's output was once lost on its way through ctr (seen in CI, 1
    # exec of 4; not reproduced in 3 runs alone).
    local out try
    for u in 0 65534 1000 1001; do
        for try in 1 2 3; do
            out=$(c tasks exec --fifo-dir "$D/fifo" --exec-id h$u-$try --user $u "$id" sh -c 'echo ${HOME-unset}' 2>&1)
            [ -n "$out" ] && break
            e2e_note "tasks exec --user $u under $(basename "$1"): no output, again"
        done
        echo "$u:$out"
    done
    c tasks kill -s SIGKILL "$id" >/dev/null 2>&1; wait_secs 15 task_is "$id" STOPPED
    c tasks delete "$id" >/dev/null 2>&1; c containers delete "$id" >/dev/null 2>&1
}
check_like_runc "tasks exec --user: HOME from /etc/passwd, / without an entry" "$(printf '0:/root\n65534:/\n1000:/\n1001:/home/ee')" \
    ctr_exec_homes
# ctr_kill_exited RUNTIME: kill, kill -a and delete -f of a task that already exited
# (the shim matches the runtime's error text; Kubernetes stops pods this way)
ctr_kill_exited() {
    local id=ee-ex-$(basename "$1") out
    c run --fifo-dir "$D/fifo" -d --runc-binary "$1" "$IMG" "$id" true >/dev/null 2>&1
    wait_secs 15 task_is "$id" STOPPED
    # a plain kill: the shim reads the runtime's "container not running" as not found
    out=$(t 30 "${CTR[@]}" tasks kill -s SIGTERM "$id" 2>&1); echo "kill: rc=$? ${out:0:300}"
    out=$(t 30 "${CTR[@]}" tasks kill -a -s SIGKILL "$id" 2>&1) && echo "kill -a: ok" || echo "kill -a: failed: ${out:0:300}"
    out=$(t 30 "${CTR[@]}" tasks delete -f "$id" 2>&1) && echo "delete -f: ok" || echo "delete -f: failed: ${out:0:300}"
    echo "task left: [$(task_status "$id")]"
    c tasks delete "$id" >/dev/null 2>&1; c containers delete "$id" >/dev/null 2>&1
}
check_like_runc "tasks kill, kill -a, delete -f of an exited task" "$(printf 'kill: rc=1 ctr: process already finished: not found\nkill -a: ok\ndelete -f: ok\ntask left: []')" \
    ctr_kill_exited

# --- the runtime's json log reaches ctr ----------------------------------------
out=$(crun_ f1 /nonexistent-program 2>&1)
rc=$?
check_true "missing executable: ctr run fails" [ "$rc" -ne 0 ]
check_contains "missing executable: shim reports an OCI create failure" "OCI runtime create failed" "$out"
check_contains "missing executable: the message names the program" "/nonexistent-program" "$out"
check_not_contains "missing executable: a message, not raw json" '{"' "$out"
echo "# ctr said: $out"
c containers delete f1 >/dev/null 2>&1

# --- nothing left behind ---------------------------------------------------------
check_eq "no fifo left outside the test dir" "" "$(ls -A /run/containerd/fifo 2>/dev/null)"
check_eq "no container left" "" "$(c containers ls -q 2>&1)"
check_eq "no runtime state left" "" "$(ls -A /run/containerd/runc/$NS 2>/dev/null)"
check_eq "no cgroup left but the namespace's parent" "" "$(ls /sys/fs/cgroup/pids/$NS 2>/dev/null | grep -v -e '^cgroup\.' -e '^pids\.' -e notify_on_release -e tasks)"
check_eq "no shim left" "" "$(e2e_procs_matching "$D/containerd.sock" | grep shim)"
e2e_finish
