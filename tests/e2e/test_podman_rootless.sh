#!/bin/bash
# podman 4.3 rootless on top of the runtime under test, as the unprivileged
# test user (subuid/subgid from useradd): cgroupfs manager, file events, vfs
# storage, --network=none|host; all config and storage in a temp dir through
# CONTAINERS_CONF / CONTAINERS_STORAGE_CONF (the user's ~/.config is untouched).
# E2E_RUNTIME=/usr/sbin/runc runs the same checks with runc.
. "$(dirname "$0")/lib.sh"
need_root
e2e_install podman:podman conmon:conmon /usr/libexec/podman/catatonit:catatonit newuidmap:uidmap /bin/busybox:busybox-static
ensure_rootless_user

IMG=localhost/busybox:latest
U=$WORK/rootless
mkdir -p "$U"/{storage,runroot,tmp,net}
cat >"$U/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
cat >"$U/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$U/storage"
runroot = "$U/runroot"
EOF
# the user's podman, with everything under $U
cat >"$U/podman" <<EOF
#!/bin/bash
export CONTAINERS_CONF=$U/containers.conf CONTAINERS_STORAGE_CONF=$U/storage.conf
exec podman --root $U/storage --runroot $U/runroot --tmpdir $U/tmp --storage-driver vfs \\
    --cgroup-manager cgroupfs --events-backend file --network-config-dir $U/net \\
    --runtime $RUNTIME "\$@"
EOF
chmod 755 "$U/podman"
chown -R "$ROOTLESS_USER" "$U"
[ -n "${RUNTIME_REAL:-}" ] && chmod 755 "$WORK/runtime-trace"

# up ARGS...: the user's podman (stdout+stderr)
up() { as_user "t() { timeout -k 5 120 \"\$@\"; }; t $U/podman $(printf '%q ' "$@")" 2>&1; }
urun() { up run --rm "$@"; }

# rootless podman keeps a pause process (holding its user namespace) alive
e2e_defer "e2e_kill_procs_matching '$U/'"
e2e_defer "e2e_kill_procs_with_env XDG_RUNTIME_DIR=$ROOTLESS_XDG"
e2e_defer "as_user '$U/podman rm -af -t 0'"

e2e_busybox_tar "$WORK/busybox.tar"
chmod 644 "$WORK/busybox.tar"
out=$(up import -q "$WORK/busybox.tar" "$IMG")
check_contains "import as $ROOTLESS_USER" "sha256:" "$(echo "$out"; up images --no-trunc -q "$IMG")"

# --- run ----------------------------------------------------------------------
out=$(urun --network none "$IMG" echo hello-rootless)
check_eq "run --rm --network none: output" "hello-rootless" "$out"
up run --rm --network none "$IMG" sh -c 'exit 7' >/dev/null
check_eq "run --rm: exit code propagated" 7 "$?"
out=$(urun --network none "$IMG" sh -c 'id -u; head -1 /proc/self/uid_map | tr -s " " | sed "s/^ //"')
check_eq "run: root in the container is the user on the host" "$(printf '0\n0 %s 1' "$ROOTLESS_UID")" "$out"
out=$(urun --network none "$IMG" sh -c 'ls /sys/class/net | tr "\n" " "')
check_eq "--network none: only lo" "lo " "$out"
# the runtime makes the netns (issue 16): lo up, a server on 127.0.0.1
# reachable; also under runc (podman --runtime runc) as the reference
urun_with() { local rt=$1; shift; up --runtime "$rt" run --rm --network none "$@"; }
check_like_runc "--network none: lo up, a server on 127.0.0.1 answers" "$E2E_LO_OK" \
    urun_with "$IMG" sh -c "$E2E_LO_PROBE"
host_ifs=$(ls /sys/class/net | tr '\n' ' ')
out=$(urun --network host "$IMG" sh -c 'ls /sys/class/net | tr "\n" " "')
check_eq "--network host: the host's interfaces" "$host_ifs" "$out"
out=$(urun --network none --userns=keep-id "$IMG" sh -c 'id -u; id -g')
check_eq "--userns=keep-id: the user's own uid/gid" "$(printf '%s\n%s' "$ROOTLESS_UID" "$(id -g "$ROOTLESS_USER")")" "$out"
out=$(urun --network none --user 1000:1000 "$IMG" sh -c 'id -u; touch /tmp/f && stat -c %u /tmp/f')
check_eq "--user 1000 (a subuid on the host)" "$(printf '1000\n1000')" "$out"

# -v :idmap: the kernel idmaps a filesystem only for CAP_SYS_ADMIN in the user
# namespace that mounted it (the initial one for the host's disks), which
# rootless podman lacks: the runtime must refuse with a clear error.
mkdir -p "$U/vol"; echo x >"$U/vol/in"; chown -R "$ROOTLESS_USER" "$U/vol"
out=$(urun --network none --uidmap 0:1:4096 --gidmap 0:1:4096 -v "$U/vol:/data:idmap" "$IMG" sh -c 'stat -c %u:%g /data/in; grep " /data " /proc/self/mountinfo')
if [[ "$out" == *idmapped* ]]; then
    check_eq "-v :idmap: the user's file is root's inside" "0:0" "$(echo "$out" | sed -n 1p)"
else
    echo "# skip -v :idmap rootless: the kernel needs CAP_SYS_ADMIN over the volume's filesystem (the host's)"
    check_contains "-v :idmap rootless: refused with a clear error" "needs CAP_SYS_ADMIN over its filesystem" "$out"
fi

# --- run -d, exec, stop, rm -------------------------------------------------------
out=$(up run -d --network none --name e2e-rl "$IMG" sh -c 'trap "exit 42" TERM; while :; do sleep 1 & wait; done')
check_true "run -d: prints the container id" grep -qE '^[0-9a-f]{64}$' <<<"$out"
check_eq "run -d: running" running "$(up inspect -f '{{.State.Status}}' e2e-rl)"
pid=$(up inspect -f '{{.State.Pid}}' e2e-rl)
check_eq "run -d: init runs as the user on the host" "$ROOTLESS_UID" "$(stat -c %u /proc/"${pid:-0}" 2>&1)"
out=$(up exec e2e-rl sh -c 'echo in-exec; id -u; cat /proc/1/cmdline | tr "\0" " "')
check_contains "exec: runs in the container" "in-exec" "$out"
check_contains "exec: sees the container's pid 1" "while :" "$out"
up exec e2e-rl sh -c 'exit 5' >/dev/null
check_eq "exec: exit code propagated" 5 "$?"
check_eq "exec --user" 65534 "$(up exec --user 65534 e2e-rl id -u)"
start=$(date +%s)
check_ok "stop" up stop -t 20 e2e-rl
check_true "stop: SIGTERM was enough" [ $(($(date +%s) - start)) -lt 15 ]
check_eq "stop: exit code from the TERM trap" 42 "$(up inspect -f '{{.State.ExitCode}}' e2e-rl)"
check_ok "rm" up rm e2e-rl

up run -d --network none --userns=keep-id --name e2e-kid "$IMG" sleep 1000 >/dev/null
check_eq "keep-id, detached: exec sees the user's uid" "$ROOTLESS_UID" "$(up exec e2e-kid id -u)"
check_ok "keep-id: rm -f" up rm -f -t 0 e2e-kid

# --- nothing left behind ------------------------------------------------------------
check_eq "no container left" "" "$(up ps -aq)"
check_eq "no conmon left" "" "$(e2e_procs_matching "$U/" | grep conmon)"
check_eq "no process of the user left but podman's pause process" "" "$(e2e_procs_with_env "XDG_RUNTIME_DIR=$ROOTLESS_XDG" | grep -v catatonit)"
e2e_finish
