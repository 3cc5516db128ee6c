#!/bin/bash
# checkpoint and restore on a host where CRIU cannot work (issue #20): CRIU
# 3.17 fails `criu check` on this 6.18 kernel ("vdso"), so here only the error
# paths: a kernel CRIU does not support, CRIU missing, bad flags, a missing
# image, an image of another container, rootless. Each is one line naming the
# cause, exit 1, and changes nothing: the running container runs on with the
# same pid, no image directory or container state or cgroup is left.
# The checkpoint/restore itself is tested in the systemd guest
# (tests/vm/systemd/checkpoint.sh, checkpoint_podman.sh), where CRIU works.
source "$(dirname "$0")/lib.sh"
need_root

make_test_bundle criu-
set_args "$B" sleep 1000
ID=criu-c1
r run -d -b "$B" $ID </dev/null >/dev/null 2>&1 || { not_ok "run -d of the test container"; finish; exit 1; }
on_exit "r delete -f $ID"
PID=$(r state $ID | json_field '["pid"]')
CG=$(sed -n 's/^0:://p' /proc/$PID/cgroup)
cgroups_of() { find /sys/fs/cgroup -type d -name "*$1*" 2>/dev/null; }

# untouched DESC: the container still runs as before, no image was made.
untouched() {
    check_eq "$1: the container still runs" running "$(status_of $ID)"
    check_eq "$1: with the same pid" "$PID" "$(r state $ID | json_field '["pid"]')"
    check_true "$1: no image directory left" test ! -e "$WORK/img"
}
# fails DESC TEXT CMD...: exit 1, one rrun line holding TEXT.
fails() {
    local desc=$1 text=$2 out rc; shift 2
    out=$("$@" 2>&1); rc=$?
    check_eq "$desc: exit code" 1 $rc
    check_contains "$desc: message" "$text" "$out"
    check_eq "$desc: one line" 1 "$(printf '%s\n' "$out" | grep -c '^rrun: ')"
}

if criu check >/dev/null 2>&1; then
    echo "# criu check passes on this kernel: the unsupported-kernel checks are skipped"
elif command -v criu >/dev/null; then
    fails "checkpoint, kernel unsupported" "CRIU does not work on this kernel (\`criu check\` fails: Error" \
        r checkpoint --image-path "$WORK/img" $ID
    untouched "checkpoint, kernel unsupported"
    mkdir -p "$WORK/fake" && : >"$WORK/fake/inventory.img"
    fails "restore, kernel unsupported" "CRIU does not work on this kernel" r restore -d -b "$B" --image-path "$WORK/fake" criu-r1
    check_eq "restore, kernel unsupported: no container left" "$ID" "$(r list -q)"
    check_eq "restore, kernel unsupported: no cgroup left" "" "$(cgroups_of criu-r1)"
    check_eq "restore, kernel unsupported: no mount left" "" "$(grep criu-r1 /proc/self/mountinfo)"
else
    echo "# criu is not installed: the unsupported-kernel checks are skipped"
fi

fails "CRIU missing" "cannot run CRIU (/nonexistent/criu): No such file or directory (install criu, or name it with --criu PATH)" \
    r --criu /nonexistent/criu checkpoint --image-path "$WORK/img" $ID
untouched "CRIU missing"
fails "bad --manage-cgroups-mode" 'invalid value "bogus" for --manage-cgroups-mode: soft, full, strict or ignore' \
    r checkpoint --manage-cgroups-mode bogus --image-path "$WORK/img" $ID
fails "bad --status-fd" 'invalid value "x1" for --status-fd: must be a number from 0 to 1048576' r checkpoint --lazy-pages --status-fd x1 --image-path "$WORK/img" $ID
fails "--status-fd not open" "--status-fd 9: Bad file descriptor" \
    r --criu /nonexistent/criu checkpoint --lazy-pages --page-server 127.0.0.1:27277 --status-fd 9 --image-path "$WORK/img" $ID
fails "--status-fd read-only" "--status-fd 9: not open for writing" \
    r --criu /nonexistent/criu checkpoint --lazy-pages --page-server 127.0.0.1:27277 --status-fd 9 --image-path "$WORK/img" $ID 9</dev/null
fails "--empty-ns ipc" 'invalid value "ipc" for --empty-ns: only network is supported' r checkpoint --empty-ns ipc --image-path "$WORK/img" $ID
fails "bad --page-server" "--page-server nocolon: want ADDRESS:PORT" r --criu /nonexistent/criu checkpoint --page-server nocolon --image-path "$WORK/img" $ID
untouched "bad flags"
fails "checkpoint of a missing container" 'container "criu-none" does not exist' r checkpoint --image-path "$WORK/img" criu-none
r create -b "$B" criu-c2 </dev/null >/dev/null 2>&1
on_exit "r delete -f criu-c2"
fails "checkpoint of a created container" "cannot checkpoint container criu-c2: container not running (created)" \
    r checkpoint --image-path "$WORK/img" criu-c2
r delete -f criu-c2

fails "restore of a missing image" "--image-path $WORK/nothing: no checkpoint image there (no inventory.img)" \
    r restore -d -b "$B" --image-path "$WORK/nothing" criu-r2
mkdir -p "$WORK/other" && : >"$WORK/other/inventory.img"
echo '{"id": "criu-elsewhere", "mounts": ["/data"], "stdio": ["", "", ""]}' >"$WORK/other/rrun-checkpoint.json"
fails "restore of another container's image" "the checkpoint has a bind mount on /data that $B/config.json does not have (an image of another container?)" \
    r --criu /nonexistent/criu restore -d -b "$B" --image-path "$WORK/other" criu-r3
fails "restore onto an existing id" "$ID" r --criu /nonexistent/criu restore -d -b "$B" --image-path "$WORK/fake" $ID
untouched "restore onto an existing id"
check_eq "failed restores leave no container" "$ID" "$(r list -q)"
check_eq "failed restores leave no cgroup" "" "$(cgroups_of criu-r)"

ensure_rootless_user
out=$(as_user "\$RRUN checkpoint --image-path $WORK/img x" 2>&1)
check_contains "rootless checkpoint: refused" "rootless checkpoint/restore is not supported (CRIU needs root)" "$out"
finish
