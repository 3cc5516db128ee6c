#!/bin/bash
# podman 4.3 (rootful, through conmon) on top of the runtime under test:
# `podman --runtime $RUNTIME` with its own storage (vfs), runroot, tmpdir,
# cgroupfs manager and file events in a temp dir; nothing global is changed.
# E2E_RUNTIME=/usr/sbin/runc runs the same checks with runc.
. "$(dirname "$0")/lib.sh"
need_root
e2e_install podman:podman conmon:conmon script:bsdutils /bin/busybox:busybox-static

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
prun --privileged "$IMG" sh -c 'ls -A /dev | sort'
e2e_finish
