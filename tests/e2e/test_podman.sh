#!/bin/bash
# podman 4.3 (rootful, through conmon) on top of the runtime under test:
# `podman --runtime $RUNTIME` with its own storage (vfs), runroot, tmpdir,
# cgroupfs manager and file events in a temp dir; nothing global is changed.
# E2E_RUNTIME=/usr/sbin/runc runs the same checks with runc.
. "$(dirname "$0")/lib.sh"
need_root
e2e_install podman:podman conmon:conmon /usr/libexec/podman/catatonit:catatonit script:bsdutils /bin/busybox:busybox-static

IMG=localhost/busybox:latest
P_ROOT=$WORK/podman
mkdir -p "$P_ROOT"/{storage,runroot,tmp,net,vol}
cat >"$P_ROOT/containers.conf" <<'EOF'
[containers]
# CAP_SYS_RESOURCE is missing here: podman's default ulimits cannot be set
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
cat >"$P_ROOT/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$P_ROOT/storage"
runroot = "$P_ROOT/runroot"
EOF
export CONTAINERS_CONF=$P_ROOT/containers.conf CONTAINERS_STORAGE_CONF=$P_ROOT/storage.conf
PODMAN=(podman --root "$P_ROOT/storage" --runroot "$P_ROOT/runroot" --tmpdir "$P_ROOT/tmp"
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend file
    --network-config-dir "$P_ROOT/net" --runtime "$RUNTIME")
p() { t 120 "${PODMAN[@]}" "$@"; }
# prun ARGS...: podman run --rm --network none ARGS (stdout+stderr)
prun() { p run --rm --network none "$@" 2>&1; }
PODMAN_Q=$(printf '%q ' "${PODMAN[@]}")

# podman (cgroupfs) puts containers under libpod_parent/ and conmon in
# libpod_parent/conmon: remove them if this test created them
e2e_cgroup_existed libpod_parent || e2e_defer "e2e_rm_cgroup libpod_parent"
e2e_defer "e2e_kill_procs_matching '$P_ROOT'"
e2e_defer "${PODMAN_Q} rm -af -t 0"

e2e_busybox_tar "$WORK/busybox.tar"
p import -q "$WORK/busybox.tar" "$IMG" >/dev/null 2>&1 || { not_ok "podman import"; e2e_finish; exit; }

# --- run --rm ---------------------------------------------------------------
out=$(prun "$IMG" echo hello-from-podman)
check_eq "run --rm: output" "hello-from-podman" "$out"
p run --rm --network none "$IMG" sh -c 'exit 7' >/dev/null 2>&1
check_eq "run --rm: exit code propagated" 7 "$?"
out=$(prun "$IMG" sh -c 'echo pid=$$; hostname; cat /proc/self/uid_map | tr -s " "')
check_contains "run --rm: the program is pid 1" "pid=1" "$out"
check_true "run --rm: own uts namespace (hostname = short container id)" grep -qxE '[0-9a-f]{12}' <<<"$(echo "$out" | sed -n 2p)"
out=$(prun "$IMG" sh -c 'ulimit -n; ulimit -u')
check_eq "run --rm: containers.conf default_ulimits applied" "$(printf '1024\n4096')" "$out"
check_eq "run --rm: no container left" "" "$(p ps -aq 2>&1)"

# --- run -t -------------------------------------------------------------------
out=$(under_tty "$PODMAN_Q run --rm -t --network none $IMG sh -c 'tty; test -t 0 && test -t 1 && echo both-ttys; exit 3'")
check_contains "run -t: stdin is a pty" "/dev/pts/0" "$out"
check_contains "run -t: stdin and stdout are the terminal" "both-ttys" "$out"
out=$(under_tty "$PODMAN_Q run --rm -t --network none $IMG sh -c 'exit 3'"; echo "rc=$?")
check_contains "run -t: exit code propagated" "rc=3" "$out"

# --- run -d, exec, top, pause/unpause, update, kill -s, stop, rm ---------------
cid=$(p run -d --network none --name e2e-d "$IMG" sh -c '
    trap "echo got-usr1 >>/tmp/signals" USR1
    trap "echo got-term >>/tmp/signals; exit 42" TERM
    echo ready >/tmp/ready
    while :; do sleep 1 & wait; done' 2>&1)
check_true "run -d: prints the container id" [ "${#cid}" -eq 64 ]
wait_secs 15 sh -c "${PODMAN_Q} exec e2e-d test -f /tmp/ready >/dev/null 2>&1"
check_eq "run -d: running" "running" "$(p inspect -f '{{.State.Status}}' e2e-d 2>&1)"
hostpid=$(p inspect -f '{{.State.Pid}}' e2e-d 2>&1)
check_true "run -d: inspect gives the host pid of init" pid_alive "${hostpid:-0}"

out=$(p exec e2e-d sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "' 2>&1)
check_contains "exec: runs in the container" "exec-ok" "$out"
check_contains "exec: sees the container's pid 1" "while :" "$out"
p exec e2e-d sh -c 'exit 5' >/dev/null 2>&1
check_eq "exec: exit code propagated" 5 "$?"
out=$(p exec -e FOO=bar -w /tmp e2e-d sh -c 'echo $FOO; pwd' 2>&1)
check_eq "exec -e -w: env and cwd" "$(printf 'bar\n/tmp')" "$out"
out=$(p exec --user 65534:65534 e2e-d sh -c 'id -u; id -g' 2>&1)
check_eq "exec --user" "$(printf '65534\n65534')" "$out"
out=$(under_tty "$PODMAN_Q exec -t e2e-d sh -c 'tty; test -t 0 && echo exec-tty'")
check_contains "exec -t: a pty" "/dev/pts/" "$out"
check_contains "exec -t: stdin is the terminal" "exec-tty" "$out"
out=$(echo piped-in | p exec -i e2e-d cat 2>&1)
check_eq "exec -i: stdin reaches the process" "piped-in" "$out"

out=$(p top e2e-d 2>&1)
check_contains "top: lists the container's processes" "sleep 1" "$out"

check_ok "pause" p pause e2e-d
check_eq "pause: state paused" "paused" "$(p inspect -f '{{.State.Status}}' e2e-d 2>&1)"
cg_frz=$(awk -F: '$2 == "freezer" {print $3}' /proc/"${hostpid:-0}"/cgroup 2>/dev/null)
check_eq "pause: host freezer.state FROZEN" "FROZEN" "$(cat "/sys/fs/cgroup/freezer$cg_frz/freezer.state" 2>&1)"
check_ok "unpause" p unpause e2e-d
check_eq "unpause: state running" "running" "$(p inspect -f '{{.State.Status}}' e2e-d 2>&1)"
check_eq "unpause: host freezer.state THAWED" "THAWED" "$(cat "/sys/fs/cgroup/freezer$cg_frz/freezer.state" 2>&1)"
check_ok "exec after unpause" p exec e2e-d true

cg_mem=$(awk -F: '$2 == "memory" {print $3}' /proc/"${hostpid:-0}"/cgroup 2>/dev/null)
check_ok "update --memory 96m" p update --memory 96m e2e-d
check_eq "update: host memory.limit_in_bytes" 100663296 "$(cat "/sys/fs/cgroup/memory$cg_mem/memory.limit_in_bytes" 2>&1)"
check_eq "update: limit seen inside the container" 100663296 "$(p exec e2e-d cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1)"

check_ok "kill -s USR1" p kill -s USR1 e2e-d
wait_secs 15 sh -c "${PODMAN_Q} exec e2e-d grep -q got-usr1 /tmp/signals >/dev/null 2>&1"
check_eq "kill -s USR1: the trap ran" "got-usr1" "$(p exec e2e-d cat /tmp/signals 2>&1)"
check_eq "kill -s USR1: still running" "running" "$(p inspect -f '{{.State.Status}}' e2e-d 2>&1)"

start=$(date +%s)
check_ok "stop (SIGTERM)" p stop -t 20 e2e-d
check_true "stop: SIGTERM was enough (well under the 20 s timeout)" [ $(($(date +%s) - start)) -lt 15 ]
check_eq "stop: state exited" "exited" "$(p inspect -f '{{.State.Status}}' e2e-d 2>&1)"
check_eq "stop: exit code from the TERM trap" 42 "$(p inspect -f '{{.State.ExitCode}}' e2e-d 2>&1)"
check_true "stop: init is gone" bash -c "! kill -0 ${hostpid:-0} 2>/dev/null"
check_ok "rm" p rm e2e-d
check_eq "rm: no container left" "" "$(p ps -aq 2>&1)"

# stop escalating to SIGKILL: a pid 1 with no TERM handler ignores SIGTERM
p run -d --network none --name e2e-k "$IMG" sleep 1000 >/dev/null 2>&1
check_ok "stop -t 1 (SIGTERM ignored, then SIGKILL)" p stop -t 1 e2e-k
check_eq "stop -t 1: exit code 137" 137 "$(p inspect -f '{{.State.ExitCode}}' e2e-k 2>&1)"
check_ok "rm -f" p rm -f e2e-k

# --- resources --------------------------------------------------------------
out=$(prun --pids-limit 77 --memory 48m "$IMG" sh -c 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes')
check_eq "--pids-limit/--memory: seen in the container's cgroup files" "$(printf '77\n50331648')" "$out"
p run -d --network none --name e2e-r --pids-limit 33 --memory 40m "$IMG" sleep 1000 >/dev/null 2>&1
rpid=$(p inspect -f '{{.State.Pid}}' e2e-r 2>&1)
cg_pids=$(awk -F: '$2 == "pids" {print $3}' /proc/"${rpid:-0}"/cgroup 2>/dev/null)
cg_mem=$(awk -F: '$2 == "memory" {print $3}' /proc/"${rpid:-0}"/cgroup 2>/dev/null)
check_contains "--pids-limit: container in its own libpod cgroup" "libpod" "$cg_pids"
check_eq "--pids-limit: host pids.max" 33 "$(cat "/sys/fs/cgroup/pids$cg_pids/pids.max" 2>&1)"
check_eq "--memory: host memory.limit_in_bytes" 41943040 "$(cat "/sys/fs/cgroup/memory$cg_mem/memory.limit_in_bytes" 2>&1)"
out=$(p exec e2e-r sh -c 'for i in $(seq 1 40); do sleep 5 & done 2>&1; wait' 2>&1)
check_contains "--pids-limit: fork fails past the limit" "Resource temporarily unavailable" "$out"
p rm -f -t 0 e2e-r >/dev/null 2>&1

# --- user, capabilities, read-only, volumes ----------------------------------
out=$(prun --user 1000:1000 "$IMG" sh -c 'id -u; id -g; grep CapEff /proc/self/status')
check_eq "--user 1000:1000" "$(printf '1000\n1000\nCapEff:\t0000000000000000')" "$out"
out=$(prun "$IMG" grep CapEff /proc/self/status)
check_eq "default capabilities (podman's default set)" "$(printf 'CapEff:\t00000000a80425fb')" "$out"
out=$(prun --cap-drop ALL "$IMG" sh -c 'grep -E "CapEff|CapBnd" /proc/self/status; touch /tmp/f; chown 1:1 /tmp/f && echo chown-ok')
check_eq "--cap-drop ALL: no capability" "$(printf 'CapEff:\t0000000000000000\nCapBnd:\t0000000000000000')" "$(echo "$out" | grep Cap)"
check_contains "--cap-drop ALL: chown fails" "Operation not permitted" "$out"
out=$(prun --cap-drop ALL --cap-add CHOWN --cap-add NET_ADMIN "$IMG" sh -c 'grep CapEff /proc/self/status; touch /tmp/f; chown 1:1 /tmp/f && echo chown-ok')
check_eq "--cap-drop ALL --cap-add CHOWN,NET_ADMIN" "$(printf 'CapEff:\t0000000000001001\nchown-ok')" "$out"

out=$(prun --read-only "$IMG" sh -c 'touch /x 2>&1; touch /tmp/x && echo tmp-writable')
check_contains "--read-only: / is read-only" "Read-only file system" "$out"
check_contains "--read-only: /tmp is a writable tmpfs" "tmp-writable" "$out"

out=$(prun --tmpfs /scratch:size=1m "$IMG" sh -c 'df -k /scratch | awk "NR==2 {print \$1, \$2}"; touch /scratch/x && echo scratch-writable')
check_eq "--tmpfs (podman adds tmpcopyup)" "$(printf 'tmpfs 1024\nscratch-writable')" "$out"

# --- where the spec is silent, as runc does (issue 16); each case also runs
# under runc (podman --runtime runc) in this session as the reference ---------
# prun_with RUNTIME ARGS...: prun with that runtime binary
prun_with() { local rt=$1; shift; t 120 "${PODMAN[@]}" --runtime "$rt" run --rm --network none "$@" 2>&1; }
# the runtime makes the netns: lo must be up, a server on 127.0.0.1 reachable
check_like_runc "--network=none: lo up, a server on 127.0.0.1 answers" "$E2E_LO_OK" \
    prun_with "$IMG" sh -c "$E2E_LO_PROBE"
# podman adds tmpcopyup to every tmpfs: the copy-up must keep mode=
check_like_runc "--tmpfs /scratch:mode=1777 (tmpcopyup): mode kept, a user writes it" "$(printf '1777\nuser-wrote')" \
    prun_with --user 1000:1000 --tmpfs /scratch:mode=1777 "$IMG" sh -c 'stat -c %a /scratch; touch /scratch/f && echo user-wrote'
check_like_runc "--mount type=tmpfs,tmpfs-mode=1777 (tmpcopyup): mode kept, a user writes it" "$(printf '1777\nuser-wrote')" \
    prun_with --user 1000:1000 --mount type=tmpfs,destination=/x,tmpfs-mode=1777 "$IMG" sh -c 'stat -c %a /x; touch /x/f && echo user-wrote'
out=$(prun --sysctl net.ipv4.ip_unprivileged_port_start=0 "$IMG" cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
check_eq "--sysctl (written although /proc/sys is a readonly path)" "0" "$out"
out=$(prun --privileged "$IMG" sh -c 'grep -E "CapEff|Seccomp:" /proc/self/status; test -c /dev/fuse -o -c /dev/loop-control && echo host-devices')
host_bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
check_eq "--privileged: all (host) caps, no seccomp, host devices" "$(printf 'CapEff:\t%s\nSeccomp:\t0\nhost-devices' "$host_bnd")" "$out"
out=$(prun --security-opt no-new-privileges --hostname e2e-host "$IMG" sh -c 'grep NoNewPrivs /proc/self/status; hostname')
check_eq "--security-opt no-new-privileges, --hostname" "$(printf 'NoNewPrivs:\t1\ne2e-host')" "$out"
out=$(prun --init "$IMG" sh -c 'cat /proc/1/cmdline | tr "\0" " "')
check_contains "--init: podman's init is pid 1" "/run/podman-init" "$out"

echo from-host >"$P_ROOT/vol/in"
out=$(prun -v "$P_ROOT/vol:/data" "$IMG" sh -c 'cat /data/in; echo from-container >/data/out')
check_eq "-v: host file seen in the container" "from-host" "$out"
check_eq "-v: container write seen on the host" "from-container" "$(cat "$P_ROOT/vol/out" 2>&1)"
out=$(prun -v "$P_ROOT/vol:/data:ro" "$IMG" sh -c 'echo x >/data/out2')
check_contains "-v :ro: read-only bind" "Read-only file system" "$out"
# -v :idmap with a user namespace: the volume is idmapped with the container's
# mappings, so a file of host root is root's inside (not nobody's).
out=$(prun --uidmap 0:100000:65536 --gidmap 0:100000:65536 -v "$P_ROOT/vol:/data:idmap" "$IMG" \
    sh -c 'stat -c %u:%g /data/in; touch /data/by-root; grep " /data " /proc/self/mountinfo')
if [[ "$out" == *"does not support idmapped mounts"* ]]; then
    echo "# skip -v :idmap: the filesystem of $P_ROOT cannot be idmapped here: $out"
else
    check_eq "-v :idmap: host root's file is root's inside" "0:0" "$(echo "$out" | sed -n 1p)"
    check_contains "-v :idmap: the mount is idmapped" "idmapped" "$out"
    check_eq "-v :idmap: root inside writes as host root" "0:0" "$(stat -c %u:%g "$P_ROOT/vol/by-root" 2>&1)"
fi

# --- seccomp (podman's default profile) --------------------------------------
out=$(prun "$IMG" grep Seccomp: /proc/self/status)
check_eq "seccomp: default profile is a filter" "$(printf 'Seccomp:\t2')" "$out"
out=$(prun --security-opt seccomp=unconfined "$IMG" grep Seccomp: /proc/self/status)
check_eq "seccomp=unconfined: no filter" "$(printf 'Seccomp:\t0')" "$out"
# swapon is denied (EPERM) by the profile even with CAP_SYS_ADMIN
swap='dd if=/dev/zero of=/tmp/sw bs=1k count=64 2>/dev/null; swapon /tmp/sw'
out=$(prun --cap-add SYS_ADMIN "$IMG" sh -c "$swap")
check_contains "seccomp: swapon denied with EPERM by the default profile" "Operation not permitted" "$out"
out=$(prun --cap-add SYS_ADMIN --security-opt seccomp=unconfined "$IMG" sh -c "$swap")
check_contains "seccomp=unconfined: swapon reaches the kernel (EINVAL)" "Invalid argument" "$out"
# a syscall missing from the profile gets its default errno (ENOSYS)
out=$(prun --cap-add SYS_ADMIN "$IMG" sh -c 'unshare -m true 2>&1; echo rc=$?')
check_contains "seccomp: allowed syscalls still work (unshare -m with SYS_ADMIN)" "rc=0" "$out"

# --- nothing left behind ------------------------------------------------------
p rm -af -t 0 >/dev/null 2>&1
check_eq "no container left" "" "$(p ps -aq 2>&1)"
check_eq "no conmon left" "" "$(e2e_procs_matching "$P_ROOT/" | grep conmon)"
check_eq "no mount left under the test dir" "" "$(e2e_mounts_under "$P_ROOT")"
e2e_finish
