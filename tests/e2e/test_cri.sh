#!/bin/bash
# Kubernetes' path to the runtime: kubelet -> CRI (gRPC) -> containerd 1.6's
# CRI plugin -> containerd-shim-runc-v2 -> the runtime under test (BinaryName).
# containerd runs with its own root, state, socket and runtime --root in a temp
# dir; cri/criclient.py plays kubelet (runtime.v1 over the socket, messages
# written by hand from the CRI API's field numbers, Exec's stream over a
# WebSocket). Images are imported with ctr: busybox, and a pause image built
# here from cri/pause.c. A bridge CNI config gives pods their own netns.
# E2E_RUNTIME=/usr/sbin/runc runs the same cases with runc.
# CRI_SYSTEMD_CGROUP=1: SystemdCgroup = true (a host with systemd as PID 1 and
# cgroup v2: tests/vm/systemd/cri_systemd.sh): pods get kubelet's systemd-style
# cgroup_parent (/cri.slice/cri-PID.slice/cri-PID-podN.slice), containerd makes
# the cgroupsPath SLICE:cri-containerd:ID of it, and the runtime runs
# --systemd-cgroup: each pod and container a scope unit under its pod's slice.
# CRI_PAUSE=FILE: a static pause binary made elsewhere (the guest has no gcc).
# CRI_CLIENT=oneshot: a python process per CRI call (the default: one
# `criclient.py serve` for the whole run, which cri() talks to).
# CRI_SLOW=N: the time bounds of the stop/exec cases N times longer (TCG).
. "$(dirname "$0")/lib.sh"
need_root
SYSTEMD_CG=${CRI_SYSTEMD_CGROUP:-0}
PAUSE_BIN=${CRI_PAUSE:-}
SLOW=${CRI_SLOW:-1}
e2e_install containerd:containerd ctr:containerd containerd-shim-runc-v2:containerd \
    /usr/lib/python3/dist-packages/grpc:python3-grpcio /usr/lib/cni/bridge:containernetworking-plugins \
    jq:jq /bin/busybox:busybox-static
[ -n "$PAUSE_BIN" ] || e2e_install gcc:gcc /usr/include/stdio.h:libc6-dev
if [ "$SYSTEMD_CG" = 1 ]; then
    [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && [ -d /run/systemd/system ] ||
        skip_all "CRI_SYSTEMD_CGROUP=1 needs systemd as PID 1 and cgroup v2 at /sys/fs/cgroup"
fi
PY3=/usr/bin/python3 # Debian's, which has python3-grpcio (not a pyenv's)

D=$WORK/containerd
SOCK=$D/containerd.sock
TAG=cri-$$                      # cgroup parent, bridge and pod names
BR=cri$$                        # the CNI bridge (IFNAMSIZ: short)
RROOT=$D/runtime-root           # the runtime's --root (runc options Root)
CG=/$TAG                        # pods' cgroup_parent: /$TAG/podN (cgroupfs driver)
SLICE=$TAG.slice                # systemd driver: pods' slices cri-PID-podN.slice in it
# pod_parent N: pod N's cgroup_parent, as kubelet passes it for each driver
pod_parent() { if [ "$SYSTEMD_CG" = 1 ]; then echo "/cri.slice/$SLICE/$TAG-pod$1.slice"; else echo "$CG/pod$1"; fi; }
# pod_cgdir N: the directory of pod N's cgroup (the pids hierarchy under v1)
pod_cgdir() { if [ "$SYSTEMD_CG" = 1 ]; then echo "/sys/fs/cgroup$(pod_parent "$1")"; else echo "/sys/fs/cgroup/pids$CG/pod$1"; fi; }
# cg_of PID: its cgroup (v2; the memory controller's under v1)
cg_of() { if [ "$SYSTEMD_CG" = 1 ]; then sed -n 's/^0:://p' "/proc/$1/cgroup"; else awk -F: '$2 == "memory" {print $3}' "/proc/$1/cgroup"; fi; }
mkdir -p "$D/cni" "$D/logs"
cat >"$D/cni/10-$TAG.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "$TAG", "plugins": [
  {"type": "bridge", "bridge": "$BR", "isGateway": false, "ipMasq": false,
   "ipam": {"type": "host-local", "dataDir": "$D/ipam", "ranges": [[{"subnet": "10.231.$(($$ % 250)).0/24"}]]}},
  {"type": "loopback"}]}
EOF
cat >"$D/config.toml" <<EOF
version = 2
root = "$D/root"
state = "$D/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/cri-pause:1"
  # no CAP_SYS_RESOURCE here: the sandbox's oomScoreAdj -998 would be refused
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$D/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$RUNTIME"
        Root = "$RROOT"
        SystemdCgroup = $([ "$SYSTEMD_CG" = 1 ] && echo true || echo false)
EOF
# what containerd and CNI make outside the temp dir, removed when made here
# (after a failed run too: shim sockets, CNI results, a pod's netns: containerd
# names them cni-UUID)
for d in /run/containerd /var/lib/cni /var/run/netns; do
    [ -d "$d" ] || e2e_defer "rm -rf --one-file-system $d/s $d/fifo $d/results; rmdir $d"
done
netns_list() { local n l=" "; for n in /var/run/netns/*; do [ -e "$n" ] && l+="${n##*/} "; done; echo "$l"; }
netns_at_start=$(netns_list)
e2e_defer "for n in \$(netns_list); do case '$netns_at_start' in *\" \$n \"*) ;; cni-*) umount /var/run/netns/\$n && rm -f /var/run/netns/\$n ;; esac; done"
e2e_defer "e2e_rm_cgroup $TAG"
e2e_defer "ip link del $BR"
e2e_defer "e2e_kill_procs_matching '$SOCK'"
# the pods' init (pause) and what was left in them: processes of our cgroups
e2e_defer "for f in /sys/fs/cgroup/pids/$TAG/*/*/cgroup.procs; do for p in \$(cat \$f); do kill -KILL \$p; done; done"
# (systemd driver: stopping the slice kills what is left in it and removes its
# units; cri.slice too when no other run uses it)
[ "$SYSTEMD_CG" = 1 ] && e2e_defer "systemctl stop $SLICE; compgen -G '/sys/fs/cgroup/cri.slice/*.slice' || systemctl stop cri.slice"
# the CRI client stays up (one python, one gRPC channel; its stop is deferred
# before the pods' cleanup, so it runs after it): cri() below talks to it over
# bash's /dev/tcp, a round trip per call where a python start costs 8-16 s
# under TCG. CRI_CLIENT=oneshot: a python process per call (the old way).
CRI_MODE=${CRI_CLIENT:-server}
[ "$CRI_MODE" = server ] &&
    e2e_bg_daemon CRI_SRV_PID "$D/criclient.log" "$PY3" "$E2E_DIR/cri/criclient.py" serve "$SOCK" "$D/criclient.port" $$
e2e_bg_daemon CTD_PID "$D/containerd.log" containerd --config "$D/config.toml"
e2e_defer "for p in \$(CRI_TIMEOUT=20 cri ListPodSandbox | jq -r '.items[]?.id'); do CRI_TIMEOUT=20 cri StopPodSandbox \"{\\\"pod_sandbox_id\\\": \\\"\$p\\\"}\"; CRI_TIMEOUT=20 cri RemovePodSandbox \"{\\\"pod_sandbox_id\\\": \\\"\$p\\\"}\"; done"

# cri METHOD [JSON]: one CRI call (CRI_TIMEOUT seconds, 120 unless set), the
# answer's JSON on stdout; a gRPC error on stderr, exit 1. cri_ws URL [STDIN]:
# Exec's/Attach's stream, the command's output and exit code.
# (each call's ms appended to $D/cri-calls, for the summary: most calls run in
# $(...) subshells)
cri() { cri_client "${CRI_TIMEOUT:-120}" "$@"; }
cri_ws() { cri_client 60 ws-exec "$@"; }
cri_client() {
    local tmo=$1 fd line rc=1 got=0 t0=${EPOCHREALTIME/./}
    shift
    if [ "$CRI_MODE" != server ]; then
        [ "$1" = ws-exec ] || set -- "$SOCK" "$@"   # (ws-exec URL: no socket)
        CRI_TIMEOUT=$tmo t $((tmo + 30)) "$PY3" "$E2E_DIR/cri/criclient.py" "$@"; rc=$?
    elif exec {fd}<>"/dev/tcp/127.0.0.1/$CRI_PORT"; then
        # the request: NUL-terminated COUNT TOKEN TIMEOUT ARG...; the answer:
        # "o|e TEXT" lines (stdout|stderr; O|E: no newline after), "rc N"
        printf '%s\0' $(($# + 2)) "$CRI_TOKEN" "$tmo" "$@" >&"$fd"
        while IFS= read -r -t $((tmo + 30)) -u "$fd" line; do
            case $line in
                "o "*) printf '%s\n' "${line:2}" ;;
                "O "*) printf '%s' "${line:2}" ;;
                "e "*) printf '%s\n' "${line:2}" >&2 ;;
                "E "*) printf '%s' "${line:2}" >&2 ;;
                "rc "*) rc=${line:3} got=1 ;;
            esac
        done
        exec {fd}<&-
        [ $got = 1 ] || echo "cri $1: no answer from the CRI client within $((tmo + 30)) s (pid ${CRI_SRV_PID:-}, $D/criclient.log)" >&2
    fi
    local ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
    echo "$ms" >>"$D/cri-calls"
    # a call of a minute or more (a hang): what containerd, its shims, the
    # runtime and the containers were doing (the ExecSync deadline case: 1 s)
    [ "$ms" -lt 60000 ] || { e2e_note "cri $1 took $ms ms (rc $rc); containerd's, the client's and the shims' process trees, containerd's log:"
        ps -eo pid=,ppid=,stat=,etimes=,wchan:24=,args= | S=$SOCK awk '
            {line[$1] = $0; up[$1] = $2; kids[$2] = kids[$2] " " $1; if (index($0, ENVIRON["S"])) root[$1] = 1}
            function tree(p, d,   k, n, i) { printf "#   %" d * 2 "s%s\n", "", substr(line[p], 1, 200)
                n = split(kids[p], k, " "); for (i = 1; i <= n; i++) tree(k[i], d + 1) }
            END {for (p in root) if (!(up[p] in root)) tree(p, 0)}' >&9
        tail -n 8 "$D/containerd.log" | cut -c1-240 | sed 's/^/#   containerd.log (with the shims\x27): /' >&9; }
    return "$rc"
}
CTR=(ctr --address "$SOCK" -n k8s.io)
# (up to 90 s: under TCG in the systemd guest it took more than 20)
if ! wait_secs 90 test -S "$SOCK"; then
    not_ok "containerd started: $(tail -5 "$D/containerd.log")"
    e2e_finish; exit
fi
ok "containerd started (pid $CTD_PID)"
if [ "$CRI_MODE" = server ]; then
    # (a python start: seconds under TCG)
    if check_true "CRI client up (pid $CRI_SRV_PID)" wait_secs 90 test -s "$D/criclient.port"; then
        read -r CRI_PORT CRI_TOKEN <"$D/criclient.port"
        e2e_note "CRI client up after $SECONDS s of the test"
    else
        e2e_note "criclient.py serve: $(tail -3 "$D/criclient.log"); a python process per call from here"
        CRI_MODE=oneshot
    fi
fi

# --- images: busybox, and the pause program ------------------------------------------
e2e_docker_archive "$WORK/bb.tar" localhost/cri-busybox:1
mkdir -p "$WORK/pause"
if [ -n "$PAUSE_BIN" ]; then cp "$PAUSE_BIN" "$WORK/pause/pause"
else gcc -static -O2 -o "$WORK/pause/pause" "$E2E_DIR/cri/pause.c" || skip_all "gcc -static failed (libc6-dev?)"; fi
tar -C "$WORK/pause" -cf "$WORK/pause-layer.tar" pause
e2e_layer_archive "$WORK/pause-layer.tar" "$WORK/pause.tar" localhost/cri-pause:1 '["/pause"]'
check_ok "ctr images import busybox" t 60 "${CTR[@]}" images import "$WORK/bb.tar"
check_ok "ctr images import pause" t 60 "${CTR[@]}" images import "$WORK/pause.tar"
e2e_defer "${CTR[*]} images rm localhost/cri-busybox:1 localhost/cri-pause:1"

out=$(cri Version '{"version": "v1"}')
check_eq "Version: runtime.v1 served" "containerd v1" "$(jq -r '.runtime_name + " " + .runtime_api_version' <<<"$out")"
out=$(cri Status)
check_eq "Status: RuntimeReady and NetworkReady (CNI config found)" "RuntimeReady=true NetworkReady=true" \
    "$(jq -r '[.status.conditions[] | "\(.type)=\(.status // false)"] | join(" ")' <<<"$out")"
out=$(cri ListImages)
check_contains "ListImages: the imported busybox" "localhost/cri-busybox:1" "$out"

# --- helpers ---------------------------------------------------------------------
# pod_config N NETWORK PID [LINUX_SECURITY_JSON [SYSCTLS_JSON]]: a PodSandboxConfig
pod_config() {
    local n=$1 net=$2 pid=$3 sec=${4:-} sysctls=${5:-{\}} host=$TAG-host$1 ipc=${POD_IPC:-POD}
    [ -n "$sec" ] && sec=", $sec"
    [ "$net" = NODE ] && host= # kubelet: a host-network pod has the node's name
    mkdir -p "$D/logs/pod$n"
    cat <<EOF
{"metadata": {"name": "$TAG-pod$n", "uid": "uid-$TAG-$n", "namespace": "$TAG"},
 "hostname": "$host", "log_directory": "$D/logs/pod$n",
 "labels": {"rrun-test": "$TAG"},
 "linux": {"cgroup_parent": "$(pod_parent "$n")", "sysctls": $sysctls,
   "security_context": {"namespace_options": {"network": "$net", "pid": "$pid", "ipc": "$ipc"}$sec}}}
EOF
}
# run_pod N NETWORK PID [...]: RunPodSandbox, the id in POD[N], the config in PODCFG[N]
# (POD_IPC=NODE: the host's IPC namespace, else the pod's)
declare -A POD PODCFG
run_pod() {
    local n=$1 out
    PODCFG[$n]=$(pod_config "$@")
    out=$(cri RunPodSandbox "{\"config\": ${PODCFG[$n]}}" 2>&1)
    POD[$n]=$(jq -r '.pod_sandbox_id // empty' <<<"$out" 2>/dev/null)
    [ -n "${POD[$n]}" ] || { echo "# RunPodSandbox $n: $out"; return 1; }
}
# ctr_config NAME LINUX_JSON ARGS_JSON [EXTRA_JSON]: a ContainerConfig
ctr_config() {
    local extra=${4:-}
    [ -n "$extra" ] && extra=", $extra"
    cat <<EOF
{"metadata": {"name": "$1"}, "image": {"image": "localhost/cri-busybox:1"},
 "command": ["/bin/sh", "-c"], "args": $3, "log_path": "$1.log",
 "linux": $2$extra}
EOF
}
# make_ctr POD_N NAME LINUX_JSON SHELL_CMD [EXTRA_JSON]: CreateContainer +
# StartContainer of `sh -c SHELL_CMD`; the id on stdout
make_ctr() {
    local n=$1 name=$2 linux=$3 cmd=$4 extra=${5:-} out id
    # kubelet gives each container its pod's namespace options
    linux=$(jq -c --argjson p "${PODCFG[$n]}" '.security_context.namespace_options = $p.linux.security_context.namespace_options' <<<"$linux")
    out=$(cri CreateContainer "{\"pod_sandbox_id\": \"${POD[$n]}\", \"sandbox_config\": ${PODCFG[$n]},
        \"config\": $(ctr_config "$name" "$linux" "$(jq -cn --arg c "$cmd" '[$c]')" "$extra")}" 2>&1)
    id=$(jq -r '.container_id // empty' <<<"$out" 2>/dev/null)
    [ -n "$id" ] || { echo "# CreateContainer $name: $out" >&2; return 1; }
    out=$(cri StartContainer "{\"container_id\": \"$id\"}" 2>&1) || { echo "# StartContainer $name: $out" >&2; echo "$id"; return 1; }
    echo "$id"
}
# xs ID SHELL_CMD: ExecSync `sh -c SHELL_CMD`; prints stdout then stderr,
# returns the exit code
xs() {
    local out
    out=$(cri ExecSync "$(jq -cn --arg id "$1" --arg c "$2" '{container_id: $id, cmd: ["sh", "-c", $c], timeout: 60}')") || return 255
    printf '%s' "$(jq -j '(.stdout // "") + (.stderr // "")' <<<"$out")"
    return "$(jq -r '.exit_code // 0' <<<"$out")"
}
state_of() { cri ContainerStatus "{\"container_id\": \"$1\"}" | jq -r '.status.state // 0'; }
state_is() { [ "$(state_of "$1")" = "$2" ]; }
pid_of_ctr() { cri ContainerStatus "{\"container_id\": \"$1\", \"verbose\": true}" | jq -r '.info.info | fromjson | .pid'; }
pid_of_pod() { cri PodSandboxStatus "{\"pod_sandbox_id\": \"$1\", \"verbose\": true}" | jq -r '.info.info | fromjson | .pid'; }
ns_of() { readlink "/proc/$1/ns/$2" 2>&1; }
# unit_props UNIT PROP...: the values, one a line in the order asked
unit_props() { local u=$1 p; shift; for p in "$@"; do systemctl show -P "$p" "$u" 2>&1; done; }
# shm_of MOUNTINFO: "DEV ro|rw" of its /dev/shm mount (the last one there)
shm_of() { awk '$5 == "/dev/shm" {d = $3; o = $6} END {sub(/,.*/, "", o); print d, o}' "$1" 2>&1; }
SLEEP='trap "exit 0" TERM; while :; do sleep 1 & wait; done'
NOSEC='{"security_context": {}}'

# --- pod 1: host network, per-container PID namespaces (kubelet's default) ------------
if ! check_true "RunPodSandbox (host network)" run_pod 1 NODE CONTAINER '"privileged": true'; then
    e2e_finish; exit
fi
out=$(cri PodSandboxStatus "{\"pod_sandbox_id\": \"${POD[1]}\"}")
check_eq "PodSandboxStatus: ready" "0" "$(jq -r '.status.state // 0' <<<"$out")"
ppid1=$(pid_of_pod "${POD[1]}")
check_eq "pod 1: the pause process runs /pause" "/pause" "$(tr -d '\0' <"/proc/${ppid1:-0}/cmdline" 2>&1)"
check_eq "pod 1: pause is in the host's network namespace" "$(ns_of self net)" "$(ns_of "${ppid1:-0}" net)"
c1=$(make_ctr 1 c1 "$NOSEC" "echo hello-log; echo err-log >&2; $SLEEP")
check_true "pod 1: container c1 running" wait_secs 10 state_is "$c1" 1
c2=$(make_ctr 1 c2 '{"security_context": {}, "resources": {"memory_limit_in_bytes": 33554432}}' "$SLEEP")
check_true "pod 1: container c2 running" wait_secs 10 state_is "$c2" 1
p1=$(pid_of_ctr "$c1"); p2=$(pid_of_ctr "$c2")
# the limit a container is created with, on the host; with the systemd driver
# the sandbox and each container a delegated scope unit in the pod's slice
c2cg=$(cg_of "$p2")
if [ "$SYSTEMD_CG" = 1 ]; then
    check_eq "systemd: pause and c2 in their scopes in the pod's slice" \
        "$(pod_parent 1)/cri-containerd-${POD[1]}.scope $(pod_parent 1)/cri-containerd-$c2.scope" "$(cg_of "$ppid1") $c2cg"
    check_eq "systemd: the sandbox's and c2's scope units active, in the pod's slice, delegated" \
        "active $TAG-pod1.slice yes active $TAG-pod1.slice yes" \
        "$(for u in "${POD[1]}" "$c2"; do unit_props "cri-containerd-$u.scope" ActiveState Slice Delegate; done | xargs)"
    check_eq "systemd: c2's memory limit in its unit and its cgroup" "33554432 33554432" \
        "$(unit_props "cri-containerd-$c2.scope" MemoryMax) $(cat "/sys/fs/cgroup$c2cg/memory.max" 2>&1)"
else
    check_eq "c2's memory limit in its cgroup under the pod's parent" "$CG/pod1/$c2 33554432" \
        "$c2cg $(cat "/sys/fs/cgroup/memory$c2cg/memory.limit_in_bytes" 2>&1)"
fi
for ns in net ipc uts; do
    check_eq "pod 1: c1 and c2 share the pod's $ns namespace" "$(ns_of "$ppid1" $ns) $(ns_of "$ppid1" $ns)" "$(ns_of "$p1" $ns) $(ns_of "$p2" $ns)"
done
check_true "pod 1: c1 and c2 have their own PID namespaces" \
    test "$(ns_of "$p1" pid)" != "$(ns_of "$p2" pid)" -a "$(ns_of "$p1" pid)" != "$(ns_of "$ppid1" pid)"
check_eq "pod 1 (host network): the node's hostname and UTS namespace" "$(hostname) $(ns_of self uts)" "$(xs "$c1" hostname) $(ns_of "$p1" uts)"
check_eq "pod 1: c1 is PID 1 of its namespace" "1" "$(xs "$c1" 'cat /proc/1/cmdline | tr "\0" " " | grep -q "while :" && echo 1')"

# ExecSync
out=$(xs "$c1" 'echo to-stdout; echo to-stderr >&2; exit 3'); rc=$?
check_eq "ExecSync: exit code" 3 "$rc"
check_eq "ExecSync: stdout and stderr" "$(printf 'to-stdout\nto-stderr')" "$out"
out=$(xs "$c1" 'id -u; pwd'); rc=$?
check_eq "ExecSync: exit 0, root in /" "0 $(printf '0\n/')" "$rc $out"
# Exec with a tty: the streaming URL, spoken over a WebSocket
out=$(cri Exec "$(jq -cn --arg id "$c1" '{container_id: $id, cmd: ["sh", "-c", "tty; test -t 0 && echo stdin-tty; read x; echo got-$x; exit 5"], tty: true, stdin: true, stdout: true}')")
url=$(jq -r '.url // empty' <<<"$out")
check_contains "Exec: a streaming URL" "http://127.0.0.1:" "$url"
out=$(cri_ws "$url" $'abc\n' 2>&1); rc=$?
out=$(nocr <<<"$out")
check_contains "Exec -t: a pty" "/dev/pts/" "$out"
check_contains "Exec -t: stdin is the terminal" "stdin-tty" "$out"
check_contains "Exec -t: stdin reached the command" "got-abc" "$out"
check_eq "Exec -t: exit code from the error channel" 5 "$rc"

# ExecSync with a timeout (kubelet's probes): the call returns at the deadline, the
# command is killed
t0=$(date +%s%N)
out=$(cri ExecSync "$(jq -cn --arg id "$c1" '{container_id: $id, cmd: ["sleep", "31"], timeout: 1}')" 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
check_contains "ExecSync timeout 1: a deadline error" "DEADLINE_EXCEEDED" "$out"
check_true "ExecSync timeout 1: returns in time ($ms ms < $((10000 * SLOW)))" test "$ms" -lt $((10000 * SLOW))
check_true "ExecSync timeout 1: the command was killed" wait_secs 5 sh -c "! pgrep -f '^sleep 31' >/dev/null"
# Attach to a container's tty (stdin, stdin_once, tty): what is typed reaches its shell
ca=$(make_ctr 1 att "$NOSEC" 'echo attach-ready; read line; echo "got-$line"; exit 4' '"stdin": true, "stdin_once": true, "tty": true')
check_true "Attach: tty container running" wait_secs 10 state_is "$ca" 1
url=$(cri Attach "$(jq -cn --arg id "$ca" '{container_id: $id, stdin: true, stdout: true, tty: true}')" | jq -r '.url // empty')
check_contains "Attach: a streaming URL" "http://127.0.0.1:" "$url"
out=$(cri_ws "$url" $'hello\n' 2>&1)
check_contains "Attach: the shell got the line typed" "got-hello" "$(nocr <<<"$out")"
check_true "Attach: the container exited" wait_secs 10 state_is "$ca" 2
check_eq "Attach: its exit code" 4 "$(cri ContainerStatus "{\"container_id\": \"$ca\"}" | jq -r '.status.exit_code')"
check_ok "RemoveContainer (attached, exited)" cri RemoveContainer "{\"container_id\": \"$ca\"}"
# ContainerStatus / ListContainers
out=$(cri ListContainers "{\"filter\": {\"pod_sandbox_id\": \"${POD[1]}\"}}")
check_eq "ListContainers: c1 and c2 running in pod 1" "c1:1 c2:1" \
    "$(jq -r '[.containers[] | "\(.metadata.name):\(.state // 0)"] | sort | join(" ")' <<<"$out")"
out=$(cri ContainerStatus "{\"container_id\": \"$c1\"}")
check_eq "ContainerStatus: running, started, log path" "1 true $D/logs/pod1/c1.log" \
    "$(jq -r '"\(.status.state) \(.status.started_at > 0) \(.status.log_path)"' <<<"$out")"
# logs: the CRI format, TIMESTAMP STREAM F|P LINE
log=$(cat "$D/logs/pod1/c1.log" 2>&1)
check_true "logs: stdout line in CRI format" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ stdout F hello-log$' <<<"$log"
check_true "logs: stderr line in CRI format" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ stderr F err-log$' <<<"$log"
# ContainerStats
out=$(cri ContainerStats "{\"container_id\": \"$c1\"}")
check_eq "ContainerStats: cpu and memory used" "c1 true true" \
    "$(jq -r '"\(.stats.attributes.metadata.name) \(.stats.cpu.usage_core_nano_seconds.value > 0) \(.stats.memory.working_set_bytes.value > 0)"' <<<"$out")"
# UpdateContainerResources: the host's cgroup files
check_ok "UpdateContainerResources" cri UpdateContainerResources \
    "{\"container_id\": \"$c1\", \"linux\": {\"memory_limit_in_bytes\": 67108864, \"cpu_period\": 100000, \"cpu_quota\": 50000, \"cpu_shares\": 512}}"
mcg=$(cg_of "$p1")
if [ "$SYSTEMD_CG" = 1 ]; then
    # runc's systemd driver: the unit's properties and the cgroup's files; cpu
    # shares 512 as cgroup v2's weight 1 + (512 - 2) * 9999 / 262142 = 20
    check_eq "UpdateContainerResources: the container's scope in its pod's slice" "$(pod_parent 1)/cri-containerd-$c1.scope" "$mcg"
    check_eq "UpdateContainerResources: memory.max, cpu.max, cpu.weight on the host" "67108864 50000 100000 20" \
        "$(cat "/sys/fs/cgroup$mcg/memory.max" "/sys/fs/cgroup$mcg/cpu.max" "/sys/fs/cgroup$mcg/cpu.weight" 2>&1 | xargs)"
    check_eq "UpdateContainerResources: the scope unit's MemoryMax, CPUQuota, CPUWeight" "67108864 500ms 20" \
        "$(unit_props "cri-containerd-$c1.scope" MemoryMax CPUQuotaPerSecUSec CPUWeight | xargs)"
else
    ccg=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}' "/proc/$p1/cgroup")
    check_eq "UpdateContainerResources: cgroup under the pod's parent" "$CG/pod1/$c1" "$mcg"
    check_eq "UpdateContainerResources: memory, quota, shares on the host" "67108864 50000 512" \
        "$(cat "/sys/fs/cgroup/memory$mcg/memory.limit_in_bytes" "/sys/fs/cgroup/cpu$ccg/cpu.cfs_quota_us" "/sys/fs/cgroup/cpu$ccg/cpu.shares" 2>&1 | xargs)"
fi
# StopContainer of a running container that ignores SIGTERM: killed at the deadline
c3=$(make_ctr 1 c3 "$NOSEC" 'trap "" TERM; while :; do sleep 1 & wait; done')
wait_secs 10 state_is "$c3" 1
t0=$(date +%s%N)
check_ok "StopContainer (running, ignores SIGTERM, timeout 2)" cri StopContainer "{\"container_id\": \"$c3\", \"timeout\": 2}"
ms=$((($(date +%s%N) - t0) / 1000000))
check_true "StopContainer: SIGKILL at the deadline ($ms ms, 2000..$((6000 * SLOW)))" test "$ms" -ge 2000 -a "$ms" -lt $((6000 * SLOW))
check_eq "StopContainer: exited, killed (137)" "2 137" "$(cri ContainerStatus "{\"container_id\": \"$c3\"}" | jq -r '"\(.status.state) \(.status.exit_code)"')"
# StopContainer of a running container that exits on SIGTERM
t0=$(date +%s%N)
check_ok "StopContainer (running, exits on SIGTERM)" cri StopContainer "{\"container_id\": \"$c2\", \"timeout\": $((30 * SLOW))}"
ms=$((($(date +%s%N) - t0) / 1000000))
check_true "StopContainer: done well before the deadline ($ms ms < $((3000 * SLOW)))" test "$ms" -lt $((3000 * SLOW))
check_eq "StopContainer: exit code 0 of the TERM trap" "2 0" "$(cri ContainerStatus "{\"container_id\": \"$c2\"}" | jq -r '"\(.status.state) \(.status.exit_code // 0)"')"
# StopContainer of a container that already exited (kubelet does it all the time)
c4=$(make_ctr 1 c4 "$NOSEC" 'exit 7')
check_true "exited container: EXITED" wait_secs 10 state_is "$c4" 2
check_eq "exited container: exit code 7" 7 "$(cri ContainerStatus "{\"container_id\": \"$c4\"}" | jq -r '.status.exit_code')"
t0=$(date +%s%N)
check_ok "StopContainer (already exited)" cri StopContainer "{\"container_id\": \"$c4\", \"timeout\": 10}"
ms=$((($(date +%s%N) - t0) / 1000000))
check_true "StopContainer (already exited): quick ($ms ms < $((3000 * SLOW)))" test "$ms" -lt $((3000 * SLOW))
check_ok "RemoveContainer (exited)" cri RemoveContainer "{\"container_id\": \"$c4\"}"
check_eq "RemoveContainer: gone from ListContainers" "" "$(cri ListContainers "{\"filter\": {\"id\": \"$c4\"}}" | jq -r '.containers[]?.id')"

# --- security contexts (pod 1) -------------------------------------------------------
cs=$(make_ctr 1 ids '{"security_context": {"run_as_user": {"value": 1000}, "run_as_group": {"value": 2000}, "supplemental_groups": [3000, 3001]}}' "$SLEEP")
wait_secs 10 state_is "$cs" 1
check_eq "runAsUser/runAsGroup/supplementalGroups: id inside" "1000 2000 2000 3000 3001" "$(xs "$cs" 'echo $(id -u) $(id -g) $(id -G)')"
cs=$(make_ctr 1 ro '{"security_context": {"readonly_rootfs": true}}' "$SLEEP")
wait_secs 10 state_is "$cs" 1
out=$(xs "$cs" 'touch /newfile 2>&1; awk "\$5 == \"/\" {print \$6}" /proc/self/mountinfo | cut -d, -f1')
check_eq "readOnlyRootFilesystem: / is ro, writes fail" "$(printf 'touch: /newfile: Read-only file system\nro')" "$out"
cs=$(make_ctr 1 caps '{"security_context": {"capabilities": {"add_capabilities": ["NET_ADMIN", "SYS_TIME"], "drop_capabilities": ["CHOWN", "KILL"]}}}' "$SLEEP")
wait_secs 10 state_is "$cs" 1
eff=$(xs "$cs" 'grep CapEff /proc/self/status | cut -f2')
check_eq "capabilities add NET_ADMIN,SYS_TIME drop CHOWN,KILL: CapEff bits 12,25 set, 0,5 clear" "1 1 0 0" \
    "$(( (0x${eff:-0} >> 12) & 1 )) $(( (0x${eff:-0} >> 25) & 1 )) $(( 0x${eff:-0} & 1 )) $(( (0x${eff:-0} >> 5) & 1 ))"
cs=$(make_ctr 1 priv '{"security_context": {"privileged": true}}' "$SLEEP")
wait_secs 10 state_is "$cs" 1
out=$(xs "$cs" 'grep -E "^(CapEff|Seccomp):" /proc/self/status | cut -f2 | xargs; test -e /dev/kmsg && echo host-devices; awk "\$5 == \"/sys\" {print \$6}" /proc/self/mountinfo | cut -d, -f1')
check_eq "privileged: all the host's capabilities, no seccomp, host devices, /sys rw" \
    "$(grep CapBnd /proc/self/status | cut -f2) 0 host-devices rw" "$(echo $out)"
cs=$(make_ctr 1 sd '{"security_context": {"seccomp": {"profile_type": "RuntimeDefault"}}}' "$SLEEP")
wait_secs 10 state_is "$cs" 1
out=$(xs "$cs" 'grep Seccomp: /proc/self/status | cut -f2; unshare -U true 2>&1 | grep -c "not permitted"')
check_eq "seccomp RuntimeDefault: a filter; unshare(CLONE_NEWUSER) refused" "$(printf '2\n1')" "$out"
# an older allowlist profile: none of close_range, clone3, faccessat2, openat2,
# pidfd_*, rseq, statx (the runtime must get to the exec and the shell run)
cat >"$D/seccomp-old.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"action": "SCMP_ACT_ALLOW", "names": [
"accept", "access", "alarm", "arch_prctl", "bind", "brk", "capget", "capset", "chdir", "chmod", "chown", "clock_getres",
"clock_gettime", "clock_nanosleep", "clone", "close", "connect", "dup", "dup2", "dup3", "epoll_create1", "epoll_ctl",
"epoll_pwait", "epoll_wait", "eventfd2", "execve", "exit", "exit_group", "faccessat", "fchdir", "fchmod", "fchmodat",
"fchown", "fchownat", "fcntl", "flock", "fork", "fstat", "fstatfs", "fsync", "ftruncate", "futex", "getcwd", "getdents",
"getdents64", "getegid", "geteuid", "getgid", "getgroups", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
"getrandom", "getresgid", "getresuid", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid",
"gettimeofday", "getuid", "getxattr", "ioctl", "kill", "lchown", "lgetxattr", "link", "linkat", "listen", "lseek", "lstat",
"madvise", "mkdir", "mkdirat", "mmap", "mprotect", "mremap", "munmap", "nanosleep", "newfstatat", "open", "openat",
"pause", "pipe", "pipe2", "poll", "ppoll", "prctl", "pread64", "prlimit64", "pselect6", "pwrite64", "read", "readlink",
"readlinkat", "readv", "recvfrom", "recvmsg", "rename", "renameat", "rmdir", "rt_sigaction", "rt_sigpending",
"rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "sched_getaffinity", "sched_yield", "select",
"sendmsg", "sendto", "set_robust_list", "set_tid_address", "setgid", "setgroups", "setitimer", "setpgid", "setresgid",
"setresuid", "setsid", "setsockopt", "setuid", "shutdown", "sigaltstack", "socket", "socketpair", "stat", "statfs",
"symlink", "symlinkat", "sysinfo", "tgkill", "time", "tkill", "umask", "uname", "unlink", "unlinkat", "utimensat",
"vfork", "wait4", "waitid", "write", "writev"]}]}
EOF
cs=$(make_ctr 1 sl "{\"security_context\": {\"seccomp\": {\"profile_type\": \"Localhost\", \"localhost_ref\": \"$D/seccomp-old.json\"}}}" "$SLEEP")
check_true "seccomp Localhost (old allowlist): container running" wait_secs 10 state_is "$cs" 1
out=$(xs "$cs" 'grep Seccomp: /proc/self/status | cut -f2; ls /proc/self/fd | wc -l; mount -t tmpfs x /mnt 2>&1 | grep -ciE "denied|not permitted"')
check_eq "seccomp Localhost: a filter, the shell runs, mount(2) refused" "$(printf '2\n4\n1')" "$out"
cs=$(make_ctr 1 mp '{"security_context": {"masked_paths": ["/proc/timer_list", "/sys/firmware", "/etc/hostname-masked"], "readonly_paths": ["/proc/sys", "/etc"]}}' "$SLEEP")
wait_secs 10 state_is "$cs" 1
out=$(xs "$cs" 'wc -c </proc/timer_list; ls -A /sys/firmware | wc -l; for m in /proc/sys /etc; do awk -v m=$m "\$5 == m {print \$6}" /proc/self/mountinfo | cut -d, -f1 | tail -1; done; echo x >/etc/passwd 2>&1')
check_eq "masked paths empty, readonly paths ro (an own list, as CRI passes it)" \
    "$(printf '0\n0\nro\nro\nsh: can'"'"'t create /etc/passwd: Read-only file system')" "$out"

# --- hostPath volumes: None / HostToContainer / Bidirectional -------------------------
for v in vn vh vb; do
    mkdir -p "$D/$v/inner" "$D/$v/hostmade"
    mount --bind "$D/$v" "$D/$v" && mount --make-shared "$D/$v"
done
e2e_defer "for v in vn vh vb; do umount -l $D/\$v/inner $D/\$v/hostmade $D/\$v; done"
cv=$(make_ctr 1 vol '{"security_context": {"privileged": true}}' "$SLEEP" \
    "\"mounts\": [{\"container_path\": \"/vn\", \"host_path\": \"$D/vn\", \"propagation\": \"PROPAGATION_PRIVATE\"},
                  {\"container_path\": \"/vh\", \"host_path\": \"$D/vh\", \"propagation\": \"PROPAGATION_HOST_TO_CONTAINER\"},
                  {\"container_path\": \"/vb\", \"host_path\": \"$D/vb\", \"propagation\": \"PROPAGATION_BIDIRECTIONAL\"}]")
check_true "hostPath volumes: container running" wait_secs 10 state_is "$cv" 1
check_eq "hostPath volumes: mounts made inside" "" "$(xs "$cv" 'for v in vn vh vb; do mount -t tmpfs in-$v /$v/inner || echo fail; done')"
for v in vn vh vb; do mount -t tmpfs "host-$v" "$D/$v/hostmade"; done
host_sees=$(for v in vn vh vb; do awk -v m="$D/$v/inner" '$5 == m {print v; exit}' v=$v /proc/self/mountinfo; done | xargs)
check_eq "hostPath: a mount made inside shows on the host only for Bidirectional" "vb" "$host_sees"
ctr_sees=$(xs "$cv" 'for v in vn vh vb; do awk -v m=/$v/hostmade "\$5 == m {print \"$v\"; exit}" /proc/self/mountinfo; done | xargs')
check_eq "hostPath: a mount made on the host shows inside for HostToContainer and Bidirectional" "vh vb" "$ctr_sees"

# --- pod 2: its own network namespace (CNI bridge), shared PID namespace, sysctls -------
if check_true "RunPodSandbox (pod network namespace, shared PID)" run_pod 2 POD POD "" '{"kernel.shm_rmid_forced": "1", "net.ipv4.ip_unprivileged_port_start": "81"}'; then
    out=$(cri PodSandboxStatus "{\"pod_sandbox_id\": \"${POD[2]}\"}")
    ip=$(jq -r '.status.network.ip // empty' <<<"$out")
    check_contains "PodSandboxStatus: an IP from the CNI range" "10.231.$(($$ % 250))." "$ip"
    ppid2=$(pid_of_pod "${POD[2]}")
    check_true "pod 2: pause in a network namespace of its own" test "$(ns_of "$ppid2" net)" != "$(ns_of self net)"
    a=$(make_ctr 2 a "$NOSEC" "sleep 1000 & $SLEEP")
    b=$(make_ctr 2 b "$NOSEC" "$SLEEP")
    wait_secs 10 state_is "$a" 1; wait_secs 10 state_is "$b" 1
    out=$(xs "$b" "ip -4 -o addr show eth0 | awk '{print \$4}' | cut -d/ -f1; cat /sys/class/net/lo/operstate")
    check_eq "pod 2: eth0 has the pod IP, lo is up" "$(printf '%s\nunknown' "$ip")" "$out"
    check_eq "pod 2: a and b share the pod's net, ipc, uts, pid namespaces" \
        "$(for n in net ipc uts pid; do ns_of "$ppid2" $n; done)" "$(for n in net ipc uts pid; do ns_of "$(pid_of_ctr "$b")" $n; done)"
    check_eq "pod 2 (shared PID): PID 1 is pause, b sees a's sleep 1000" "/pause 1" \
        "$(xs "$b" 'echo $(cat /proc/1/cmdline) $(ps -o args | grep -c "^sleep 1000")')"
    check_eq "sysctls: kernel.shm_rmid_forced and net.ipv4.ip_unprivileged_port_start set in the pod" "1 81" \
        "$(xs "$a" 'echo $(cat /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_unprivileged_port_start)')"
    check_eq "sysctls: the host's are unchanged" "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" "$(nsenter -t $$ -n cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
    # StopPodSandbox of a shared-PID pod: every process in it ends
    pa=$(pid_of_ctr "$a")
    t0=$(date +%s%N)
    check_ok "StopPodSandbox (pod 2)" cri StopPodSandbox "{\"pod_sandbox_id\": \"${POD[2]}\"}"
    ms=$((($(date +%s%N) - t0) / 1000000))
    check_true "StopPodSandbox (pod 2): within $((10 * SLOW)) s ($ms ms)" test "$ms" -lt $((10000 * SLOW))
    check_eq "StopPodSandbox: containers exited" "2 2" "$(state_of "$a") $(state_of "$b")"
    check_true "StopPodSandbox: no process left in the pod's cgroups" \
        bash -c "! cat $(pod_cgdir 2)/*/cgroup.procs 2>/dev/null | grep -q ."
    check_true "StopPodSandbox: pause and a's processes gone" bash -c "! kill -0 $ppid2 2>/dev/null && ! kill -0 ${pa:-0} 2>/dev/null"
    check_eq "PodSandboxStatus: not ready" "1" "$(cri PodSandboxStatus "{\"pod_sandbox_id\": \"${POD[2]}\"}" | jq -r '.status.state // 0')"
    check_ok "RemovePodSandbox (pod 2)" cri RemovePodSandbox "{\"pod_sandbox_id\": \"${POD[2]}\"}"
fi

# --- pod 3: the host's IPC namespace (hostIPC: NamespaceMode NODE) --------------------
# containerd binds the host's /dev/shm into the sandbox (ro) and its containers (rw)
if POD_IPC=NODE check_true "RunPodSandbox (host IPC, host network)" run_pod 3 NODE CONTAINER; then
    ppid3=$(pid_of_pod "${POD[3]}")
    check_eq "pod 3: pause is in the host's IPC namespace" "$(ns_of self ipc)" "$(ns_of "${ppid3:-0}" ipc)"
    h=$(make_ctr 3 h "$NOSEC" "$SLEEP")
    check_true "pod 3: container h running" wait_secs 10 state_is "$h" 1
    check_eq "pod 3: h is in the host's IPC namespace" "$(ns_of self ipc)" "$(ns_of "$(pid_of_ctr "$h")" ipc)"
    # a SysV segment the host makes is seen by h, not by c1 (pod 1: the pod's IPC)
    key=$((0x52520000 + $$ % 65536))
    shmid=$("$PY3" -c 'import ctypes, sys; print(ctypes.CDLL(None).shmget(int(sys.argv[1]), 4096, 0o1600))' "$key")
    rmshm="$PY3 -c 'import ctypes; ctypes.CDLL(None).shmctl($shmid, 0, None)'"
    e2e_defer "$rmshm"
    check_eq "hostIPC: the host's SysV segment seen in h, not in c1 (pod IPC)" "1 0" \
        "$(xs "$h" "awk '\$1 == $key' /proc/sysvipc/shm | wc -l") $(xs "$c1" "awk '\$1 == $key' /proc/sysvipc/shm | wc -l")"
    eval "$rmshm"
    check_eq "hostIPC: /dev/shm of the sandbox: the host's, read-only" "$(shm_of /proc/self/mountinfo | cut -d' ' -f1) ro" "$(shm_of "/proc/$ppid3/mountinfo")"
    check_eq "hostIPC: /dev/shm of the container: the host's, writable" "$(shm_of /proc/self/mountinfo | cut -d' ' -f1) rw" "$(shm_of "/proc/$(pid_of_ctr "$h")/mountinfo")"
    e2e_defer "rm -f /dev/shm/$TAG-h"
    check_eq "hostIPC: a file h writes in /dev/shm is on the host's" "from-h" "$(xs "$h" "echo from-h >/dev/shm/$TAG-h"; cat "/dev/shm/$TAG-h" 2>&1)"
    rm -f "/dev/shm/$TAG-h"
    check_true "pod IPC (pod 1): c1's /dev/shm is the sandbox's own, not the host's" \
        test "$(shm_of "/proc/$p1/mountinfo" | cut -d' ' -f1)" != "$(shm_of /proc/self/mountinfo | cut -d' ' -f1)"
    check_ok "StopPodSandbox (pod 3)" cri StopPodSandbox "{\"pod_sandbox_id\": \"${POD[3]}\"}"
    check_ok "RemovePodSandbox (pod 3)" cri RemovePodSandbox "{\"pod_sandbox_id\": \"${POD[3]}\"}"
    check_eq "hostIPC: no segment and no /dev/shm file of the test left on the host" "0 0" \
        "$(awk -v k="$key" '$1 == k' /proc/sysvipc/shm | wc -l) $(ls -A /dev/shm | grep -c "^$TAG")"
fi

# --- the end of pod 1 -------------------------------------------------------------------
t0=$(date +%s%N)
check_ok "StopPodSandbox (pod 1)" cri StopPodSandbox "{\"pod_sandbox_id\": \"${POD[1]}\"}"
ms=$((($(date +%s%N) - t0) / 1000000))
check_true "StopPodSandbox (pod 1): within $((10 * SLOW)) s ($ms ms)" test "$ms" -lt $((10000 * SLOW))
check_ok "StopPodSandbox again (idempotent)" cri StopPodSandbox "{\"pod_sandbox_id\": \"${POD[1]}\"}"
check_ok "RemovePodSandbox (pod 1)" cri RemovePodSandbox "{\"pod_sandbox_id\": \"${POD[1]}\"}"
check_eq "ListPodSandbox: none left" "" "$(cri ListPodSandbox | jq -r '.items[]?.id')"
check_eq "ListContainers: none left" "" "$(cri ListContainers | jq -r '.containers[]?.id')"

# --- nothing left behind ------------------------------------------------------------------
check_eq "no runtime state left" "" "$(ls -A "$RROOT/k8s.io" 2>/dev/null)"
check_eq "no shim left" "" "$(e2e_procs_matching "$SOCK" | grep shim)"
check_eq "no mount left under containerd's root and state" "" "$(e2e_mounts_under "$D/root"; e2e_mounts_under "$D/state")"
if [ "$SYSTEMD_CG" = 1 ]; then
    check_eq "no scope unit left in the pods' slices" "" \
        "$(systemctl list-units --all --plain --no-legend "cri-containerd-*" 2>&1 | awk '{print $1}' | while read -r u; do
            [ "$(systemctl show -P Slice "$u")" = "$TAG-pod1.slice" ] || [ "$(systemctl show -P Slice "$u")" = "$TAG-pod2.slice" ] && echo "$u"; done)"
    check_eq "no container cgroup left (only the empty pod slices)" "" \
        "$(find "/sys/fs/cgroup/cri.slice/$SLICE" -mindepth 2 -type d 2>/dev/null; cat "/sys/fs/cgroup/cri.slice/$SLICE"/*/cgroup.procs 2>/dev/null)"
else
    check_eq "no container cgroup left (only the empty pod parents)" "" \
        "$(find /sys/fs/cgroup/*/"$TAG" -mindepth 2 -type d 2>/dev/null; cat /sys/fs/cgroup/pids/"$TAG"/cgroup.procs /sys/fs/cgroup/pids/"$TAG"/*/cgroup.procs 2>/dev/null)"
fi
check_eq "no pod network namespace left" "$netns_at_start" "$(netns_list)"
check_eq "no CNI result left" "" "$(compgen -G "/var/lib/cni/results/$TAG-*")"
e2e_note "CRI client ($CRI_MODE), the test's $SECONDS s: $(awk '{n++; s += $1} END {printf "%d calls, %.1f s, %d ms a call", n, s / 1000, n ? s / n : 0}' "$D/cri-calls")"
e2e_finish
