#!/bin/bash
# Container setup where runc 1.1.5 sets the precedent (issue #16, points 9
# and 10): a config without a mount namespace, process.scheduler on a cgroup
# v1 host, linux.devices in a user namespace, the options of bound device
# nodes, and the kernel.hostname/domainname sysctls. Each case runs the same
# bundle under runc in this run where runc can run it, and checks what the
# container and the host saw.
source "$(dirname "$0")/lib.sh"
need_root

need_runc

make_test_bundle rcs
echo marker >"$B/rootfs/marker"
state_count() { ls "$STATE_ROOT" 2>/dev/null | wc -l; }

# ---- 9. No mount namespace: the container shares the runtime's. runc and
# crun make the config's mounts there, inside the rootfs, and chroot (runc
# also binds the rootfs on itself and makes "/" rslave), and leave the mounts
# after the container is gone. rrun makes the same mounts, changes nothing
# else, and delete takes them down; what would change more (maskedPaths,
# readonlyPaths, root.readonly, rootfsPropagation) is refused. The "host"
# here is a private mount namespace made for the test (shared inside, so a
# propagation change shows), so that other tests' mounts do not move its
# mount table and runc's leftovers and rslave go away with it: runc runs
# these bundles only in there.
NOMNT="c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'mount']"
NOMNT_CLEAN="$NOMNT; c['mounts'] = []; c['root']['readonly'] = False; c['linux'].pop('maskedPaths', None); c['linux'].pop('readonlyPaths', None)"
# mi_changes BEFORE AFTER (two mountinfo copies): "mountinfo unchanged" or
# the lines that changed. A mount that went away because its mount point is
# gone is left out: another test removing its temp dir detaches that dir's
# mounts from every namespace, this throwaway one included (rmdir(2) of a
# mount point in another namespace, Linux 3.18).
cat >"$WORK/mi.sh" <<'SH'
mi_changes() {
    diff "$1" "$2" | awk '/^</ { if (system("test -e \"" $6 "\"") != 0) next } /^[<>]/' >"$2.changed"
    if [ -s "$2.changed" ]; then cat "$2.changed"; else echo "mountinfo unchanged"; fi
}
SH
# in_host_ns RUNTIME ID: `RUNTIME run -b $B ID` in a throwaway mount
# namespace; prints what the container printed and "mountinfo unchanged" or
# the lines it added.
in_host_ns() {
    unshare -m --propagation private bash -c '
        source "$1/mi.sh"
        mount --make-rshared /
        cat /proc/self/mountinfo >"$1/mi.before"
        "${@:4}" run -b "$2" "$3" </dev/null 2>&1
        echo "rc=$?"
        cat /proc/self/mountinfo >"$1/mi.after"
        mi_changes "$1/mi.before" "$1/mi.after" | grep -v "^<"
    ' _ "$WORK" "$B" "$@"
}
reset
set_config "$B" "$NOMNT_CLEAN"
set_args "$B" sh -c 'cat /marker; ls -ld /bin/busybox | cut -c1; stat -c "%F %t,%T" /dev/null'
rm -rf "$B/rootfs/dev"/*
out=$(in_host_ns rcs-nomnt "$RRUN" --root "$STATE_ROOT")
check_eq "no mount namespace: runs chrooted in the rootfs, /dev/null made with mknod (as runc), the host's mount table untouched" \
    "marker - character special file 1,3 rc=0 mountinfo unchanged" "$(echo $out)"
rm -rf "$B/rootfs/dev"/*
out=$(in_host_ns rcs-runc-nomnt "$RUNC" --root "$RUNC_ROOT")
check_contains "runc on that bundle: still mounts in the host's mount namespace (the rootfs on itself)" "$B/rootfs $B/rootfs" "$out"
check_contains "runc on that bundle: and fails without /proc" "/proc/self/fd" "$out"

# The container is in our mount namespace; its root is the rootfs, for exec too.
set_args "$B" sleep 30
r create -b "$B" rcs-nomnt-exec >/dev/null 2>&1
pid=$(r state rcs-nomnt-exec 2>/dev/null | json_field '["pid"]' 2>/dev/null)
check_eq "no mount namespace: the init shares the runtime's mount namespace" "$(readlink /proc/self/ns/mnt)" "$(readlink /proc/$pid/ns/mnt 2>&1)"
check_eq "no mount namespace: the init's root is the rootfs" "$B/rootfs" "$(readlink /proc/$pid/root 2>&1)"
r start rcs-nomnt-exec
check_eq "no mount namespace: exec runs in the container's root, not the host's (runc's exec lands in the host's /)" \
    "marker" "$(r exec rcs-nomnt-exec cat /marker 2>&1)"
r delete -f rcs-nomnt-exec >/dev/null 2>&1

# The default `rrun spec` config without the mount namespace, the masked and
# read-only paths and the read-only root (all refused without one, below).
NOMNT_DEFAULT="$NOMNT; c['root']['readonly'] = False; c['linux'].pop('maskedPaths', None); c['linux'].pop('readonlyPaths', None)"
# What the container sees of its mounts (mount point, options, type, source,
# superblock options: no ids, no propagation, no root of a bind) and of /dev.
SEEN='for m in /proc /dev /dev/pts /dev/shm /dev/mqueue /sys; do awk -v m=$m '"'"'$5 == m { o = $6; while ($7 != "-") { $7 = ""; $0 = $0 }; print $5, o, $8, $9, $10 }'"'"' /proc/self/mountinfo; done; cd /dev && stat -c "%n %F %a %u:%g %t,%T %N" * | sort'
reset
set_config "$B" "$NOMNT_DEFAULT"
set_args "$B" sh -c "$SEEN"
rm -rf "$B/rootfs/dev"/*
theirs=$(in_host_ns rcs-runc-nomnt-mounts "$RUNC" --root "$RUNC_ROOT")
ours=$(in_host_ns rcs-nomnt-mounts "$RRUN" --root "$STATE_ROOT")
check_contains "runc, no mount namespace, the default mounts: runs" "rc=0" "$theirs"
check_contains "runc, no mount namespace: leaves the config's mounts in the runtime's mount namespace" " $B/rootfs/dev/pts " "$theirs"
check_eq "no mount namespace, the default mounts: the container sees /proc, /dev and its nodes, /dev/pts, /dev/shm, /dev/mqueue and /sys as under runc" \
    "$(echo "$theirs" | sed '/^rc=/,$d')" "$(echo "$ours" | sed '/^rc=/,$d')"
check_contains "no mount namespace, the default mounts: a tmpfs /dev with its nodes, devpts, proc, sysfs" \
    "/dev rw,nosuid tmpfs tmpfs rw,size=65536k,mode=755" "$ours"
check_eq "no mount namespace, the default mounts: run exits 0 and, once deleted, the runtime's mount table is as before (\"/\" propagation included)" \
    "rc=0 mountinfo unchanged" "$(echo $(echo "$ours" | sed -n '/^rc=/,$p'))"

# in_private_ns SCRIPT: SCRIPT in such a throwaway mount namespace, with $R
# (rrun with the test's state root), `mi_diff` ("mountinfo unchanged" or the
# lines that changed since the start) and `root_prop` ("/"'s propagation).
cat >"$WORK/ns.sh" <<'SH'
source "$WORK/mi.sh"
mount --make-rshared /
R="$RRUN --root $STATE_ROOT"
cat /proc/self/mountinfo >"$WORK/mi.start"
mi_diff() {
    cat /proc/self/mountinfo >"$WORK/mi.now"
    mi_changes "$WORK/mi.start" "$WORK/mi.now"
}
root_prop() { awk '$5 == "/" { s = ""; for (i = 7; $i != "-"; i++) s = s $i " "; print "/:" s }' /proc/self/mountinfo; }
SH
in_private_ns() { unshare -m --propagation private env RRUN="$RRUN" STATE_ROOT="$STATE_ROOT" WORK="$WORK" B="$B" bash -c "source $WORK/ns.sh; $1" 2>&1; }

# create, start, kill, delete: the mounts are in the runtime's mount
# namespace while the container lives, gone after delete.
set_args "$B" sleep 30
out=$(in_private_ns '
    before=$(root_prop)
    $R create -b "$B" rcs-nomnt-life </dev/null && $R start rcs-nomnt-life
    grep -c " $B/rootfs/" /proc/self/mountinfo
    $R kill rcs-nomnt-life KILL; sleep 0.2
    $R delete rcs-nomnt-life; echo "delete rc=$?"
    mi_diff
    [ "$before" = "$(root_prop)" ] && echo "/ propagation unchanged (${before%%:[0-9]* })"
    ls "$STATE_ROOT"')
nmounts=$(python3 -c "import json; print(len(json.load(open('$B/config.json'))['mounts']))")
check_true "no mount namespace: while the container runs, its mounts (at least one per config mount) are in the runtime's mount table" \
    [ "$(echo "$out" | head -1)" -ge "$nmounts" ]
check_eq "no mount namespace: create, start, kill, delete: nothing left in the runtime's mount table, \"/\" keeps its propagation, no state" \
    "delete rc=0 mountinfo unchanged / propagation unchanged (/:shared)" "$(echo $(echo "$out" | sed 1d))"

# delete --force of a created container; a create whose later mount fails.
out=$(in_private_ns '
    $R create -b "$B" rcs-nomnt-force </dev/null; $R delete --force rcs-nomnt-force; echo "delete rc=$?"; mi_diff')
check_eq "no mount namespace: create, delete --force: nothing left in the runtime's mount table" \
    "delete rc=0 mountinfo unchanged" "$(echo $out)"
out=$(in_private_ns '
    $R create -b "$B" rcs-nomnt-lost </dev/null; rm "$STATE_ROOT/rcs-nomnt-lost/state.json"
    $R delete --force rcs-nomnt-lost >/dev/null 2>&1; echo "delete rc=$?"; mi_diff; ls "$STATE_ROOT"')
check_eq "no mount namespace: delete --force of a container whose state.json is gone: its mounts are taken down too" \
    "delete rc=0 mountinfo unchanged" "$(echo $out)"
set_config "$B" "c['mounts'].append({'destination': '/rcs-bad', 'type': 'rcsnosuchfs', 'source': 'none'})"
out=$(in_private_ns '$R create -b "$B" rcs-nomnt-bad </dev/null; echo "create rc=$?"; mi_diff; ls "$STATE_ROOT"')
check_eq "no mount namespace: a mount that fails after others: a one-line error naming it, the mounts made before taken down, no state" \
    "rrun: mount rcsnosuchfs on /rcs-bad: No such device create rc=1 mountinfo unchanged" "$(echo $out)"

# The init killed at its third attach of a mount (move_mount(2): rrun makes
# each mount detached, issue #22), the two before it made: create's cleanup
# finds them in the record (each noted before its mount) and takes them down.
reset
set_config "$B" "$NOMNT_DEFAULT"
# (strace and script: scripts/deps.sh installs them.)
out=$(in_private_ns 'strace -f -o /dev/null -e inject=move_mount:signal=SIGKILL:when=3 $R create -b "$B" rcs-nomnt-killed </dev/null >/dev/null 2>&1; echo "create rc=$?"; mi_diff; ls "$STATE_ROOT"')
check_eq "no mount namespace: the init killed during its mounts: create fails, the mounts it made are taken down, no state" \
    "create rc=1 mountinfo unchanged" "$(echo $out)"

# A destination through a symlink of the image is resolved inside the rootfs,
# as with a mount namespace; the terminal's /dev/console bind goes too.
reset
set_config "$B" "$NOMNT_DEFAULT; c['mounts'].append({'destination': '/rcs-link/sub', 'type': 'tmpfs', 'source': 'rcs'}); c['process']['terminal'] = True"
ln -sfn /tmp "$B/rootfs/rcs-link"
set_args "$B" sh -c 'awk "\$5 == \"/tmp/sub\" { print \"seen\", \$5, \$(NF-1) }" /proc/self/mountinfo; test -c /dev/console && echo seen console'
out=$(in_private_ns 'script -qec "$R run -b $B rcs-nomnt-tty" /dev/null </dev/null | grep -ao "seen.*" | tr -d "\r"; mi_diff; ls "$B/rootfs/tmp"')
check_eq "no mount namespace: a destination through an absolute symlink lands inside the rootfs; with a terminal, /dev/console; all gone after run" \
    "seen /tmp/sub rcs seen console mountinfo unchanged sub" "$(echo $out)"
rm -f "$B/rootfs/rcs-link"; rm -rf "$B/rootfs/tmp/sub"

# A user namespace (rootless, or asked for) cannot mount in the runtime's mount namespace.
reset
set_config "$B" "$NOMNT_DEFAULT; c['linux']['namespaces'].append({'type': 'user'}); c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]; c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]"
out=$(r run -b "$B" rcs-nomnt-userns 2>&1)
check_eq "no mount namespace, a user namespace and mounts: refused, one line naming mounts, no state" \
    "1 0" "$(echo "$out" | wc -l) $(state_count)"
check_contains "no mount namespace, a user namespace and mounts: the error says why" \
    "rrun: mounts: in a user namespace without a mount namespace of its own nothing can be mounted" "$out"

# What would need a mount: a one-line error naming the field, no state left.
refused() {
    local desc=$1 field=$2 stmt=$3 out
    reset
    set_config "$B" "$NOMNT_CLEAN; $stmt"
    out=$(r run -b "$B" rcs-refused 2>&1)
    local rc=$?
    check_true "no mount namespace, $desc: refused" [ "$rc" -ne 0 ]
    check_contains "no mount namespace, $desc: the error names $field" "rrun: $field: needs a mount namespace" "$out"
    check_eq "no mount namespace, $desc: one line, no state left" "1 0" "$(echo "$out" | wc -l) $(state_count)"
}
refused "a read-only root" root.readonly "c['root']['readonly'] = True"
refused "masked paths (runc refuses them too)" linux.maskedPaths "c['linux']['maskedPaths'] = ['/proc/kcore']"
refused "readonly paths (runc refuses them too)" linux.readonlyPaths "c['linux']['readonlyPaths'] = ['/proc/sys']"
refused "rootfsPropagation" linux.rootfsPropagation "c['linux']['rootfsPropagation'] = 'shared'"
reset
set_config "$B" "$NOMNT; c['linux']['maskedPaths'] = ['/proc/kcore']"
check_contains "runc also refuses masked paths without a mount namespace" "without a private MNT namespace" "$(rc_ run -b "$B" rcs-runc-masked 2>&1)"

# Rootless: runc fails ("mount /": EPERM, it cannot make the host's / rslave); rrun runs it.
ensure_rootless_user
RB=$WORK/rootless
make_rootless_bundle "$RB"
echo marker >"$RB/rootfs/marker"
cp "$RB/config.json" "$WORK/rootless-base.json"
set_config "$RB" "$NOMNT_CLEAN; c['process']['args'] = ['sh', '-c', 'cat /marker; id -u']"
chown -R "$ROOTLESS_USER" "$RB"
touch "$WORK/stdin" && chown "$ROOTLESS_USER" "$WORK/stdin"
out=$(as_user "\$RRUN --root $ROOTLESS_XDG/rrun run -b $RB rcs-rootless-nomnt <$WORK/stdin" 2>&1)
check_eq "rootless, no mount namespace: runs chrooted in the rootfs as root of its user namespace" "marker 0" "$(echo $out)"
out=$(as_user "$RUNC --root $ROOTLESS_XDG/runc run -b $RB rcs-rootless-runc <$WORK/stdin" 2>&1)
check_contains "rootless runc fails on that bundle (it mounts on the host's /)" "operation not permitted" "$out"
cp "$WORK/rootless-base.json" "$RB/config.json"
set_config "$RB" "$NOMNT_DEFAULT"
out=$(as_user "\$RRUN --root $ROOTLESS_XDG/rrun run -b $RB rcs-rootless-nomnt-mounts <$WORK/stdin" 2>&1)
check_contains "rootless, no mount namespace, the default mounts: refused naming mounts (nothing can be mounted in the runtime's mount namespace)" \
    "rrun: mounts: in a user namespace without a mount namespace of its own nothing can be mounted" "$out"
check_eq "rootless, no mount namespace, the default mounts: one line, no state" "1 " "$(echo "$out" | wc -l) $(ls $ROOTLESS_XDG/rrun 2>/dev/null)"
out=$(as_user "$RUNC --root $ROOTLESS_XDG/runc run -b $RB rcs-rootless-runc-mounts <$WORK/stdin" 2>&1)
check_contains "rootless runc fails on that bundle too" "operation not permitted" "$out"

# ---- 10a. process.scheduler SCHED_FIFO on cgroup v1: a new cpu cgroup has
# cpu.rt_runtime_us 0, where the kernel refuses realtime policies. runc 1.1.5
# and crun 1.8.1 do not implement process.scheduler (the process stays
# SCHED_OTHER); rrun sets it, and says what the cgroup needs when refused.
if [ -f /sys/fs/cgroup/cpu/cpu.rt_runtime_us ]; then
    reset
    set_config "$B" "c['process']['scheduler'] = {'policy': 'SCHED_FIFO', 'priority': 10}"
    set_args "$B" sh -c 'grep -E "^policy" /proc/self/sched | tr -d " "'
    out=$(r run -b "$B" rcs-fifo 2>&1)
    check_contains "SCHED_FIFO in a cpu cgroup without realtime time: the error says to set realtimeRuntime" \
        "process.scheduler: sched_setattr (SCHED_FIFO and SCHED_RR need realtime time in the cpu cgroup: on cgroup v1 set linux.resources.cpu.realtimeRuntime): Operation not permitted" "$out"
    set_config "$B" "c['linux'].setdefault('resources', {})['cpu'] = {'realtimeRuntime': 10000, 'realtimePeriod': 1000000}"
    check_eq "SCHED_FIFO with linux.resources.cpu.realtimeRuntime: the process runs SCHED_FIFO" "policy:1" "$(r run -b "$B" rcs-fifo-rt 2>&1)"
else
    echo "# skip 10a: no cgroup v1 cpu controller with realtime group scheduling here"
fi

# ---- 10b/10c. linux.devices in a user namespace: no mknod, the node is a
# bind of a host node. runc binds the host path of the same name and fails
# where there is none; rrun binds the host's node for those numbers.
USERNS="c['linux']['namespaces'].append({'type': 'user'}); c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]; c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]"
reset
set_config "$B" "$USERNS; c['linux']['devices'] = [{'path': '/dev/rcsfoo', 'type': 'c', 'major': 1, 'minor': 3, 'fileMode': 0o666, 'uid': 0, 'gid': 0}]"
set_args "$B" sh -c 'stat -c "%F %t,%T" /dev/rcsfoo; echo x >/dev/rcsfoo && echo written'
chown -R 100000:100000 "$B/rootfs"
check_eq "user namespace, a linux.devices node with no host node of that path: the host's node for 1:3 is bound" \
    "character special file 1,3 written" "$(echo $(r run -b "$B" rcs-dev-userns 2>&1))"
check_contains "runc fails on that bundle (it binds /dev/rcsfoo of the host)" "no such file or directory" "$(rc_ run -b "$B" rcs-runc-dev 2>&1)"
set_config "$B" "c['linux']['devices'] = [{'path': '/dev/rcsfoo', 'type': 'c', 'major': 4095, 'minor': 4095}]"
out=$(r run -b "$B" rcs-dev-none 2>&1)
check_eq "user namespace, a device the host has no node for: one line naming the field" \
    "rrun: linux.devices[0]: the host has no node for char device 4095:4095 to bind at /dev/rcsfoo (a user namespace cannot mknod) 0" \
    "$out $(state_count)"
# The options of the bound nodes are runc's (both leave them as the host's /dev mount has them).
set_config "$B" "c['linux']['devices'] = [{'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229}]"
set_args "$B" sh -c 'for d in null zero full random urandom tty fuse; do grep " /dev/$d " /proc/self/mountinfo | cut -d" " -f4-6; done'
theirs=$(rc_ run -b "$B" rcs-runc-devopts 2>&1)
check_eq "user namespace: the bound device nodes have runc's mount options" "$theirs" "$(r run -b "$B" rcs-devopts 2>&1)"
chown -R 0:0 "$B/rootfs"

# ---- readonlyPaths, /dev/mqueue in a user namespace, a relative mount
# destination: as runc 1.1.5, compared with runc in this run.
# readonlyPaths: runc binds the path on itself and remounts it read-only with
# the flags the mount has (a user namespace locks them): nosuid, nodev and
# noexec are not added. The rootfs is on a nosuid,nodev mount so that they show
# (not read-only: its remount would drop them).
ensure_rootless_user
RO=$WORK/dx-ro
make_bundle "$RO"
mount --bind "$RO/rootfs" "$RO/rootfs" && on_exit "umount -l $RO/rootfs"
mount -o remount,bind,nosuid,nodev "$RO/rootfs"
cp "$RO/config.json" "$WORK/dx-ro.json"
RO_SEEN='for p in /etc /bin; do awk -v p=$p '"'"'$5 == p { print $5, $6 }'"'"' /proc/self/mountinfo; done; /bin/true && echo "runs from /bin"; touch /etc/dx 2>/dev/null || echo "/etc not writable"'
for mode in root userns; do
    cp "$WORK/dx-ro.json" "$RO/config.json"
    set_config "$RO" "c['linux']['readonlyPaths'] = ['/etc', '/bin']; c['root']['readonly'] = False"
    if [ $mode = userns ]; then set_config "$RO" "$USERNS"; chown -R 100000:100000 "$RO/rootfs"; fi
    set_args "$RO" sh -c "$RO_SEEN"
    theirs=$(rc_ run -b "$RO" dx-runc-ro 2>&1)
    check_eq "runc, readonlyPaths ($mode): read-only with the rootfs mount's flags" \
        "/etc ro,nosuid,nodev,relatime /bin ro,nosuid,nodev,relatime runs from /bin /etc not writable" "$(echo $theirs)"
    check_eq "readonlyPaths ($mode): runc's mount options (no noexec: programs run from a read-only /bin)" "$theirs" "$(r run -b "$RO" dx-ro 2>&1)"
done
chown -R 0:0 "$RO/rootfs"
RL=$WORK/dx-rootless
make_rootless_bundle "$RL"
cp "$RL/config.json" "$WORK/dx-rootless.json"
touch "$WORK/dx-stdin" && chown "$ROOTLESS_USER" "$WORK/dx-stdin"
set_config "$RL" "c['linux']['readonlyPaths'] = ['/etc', '/bin']; c['root']['readonly'] = False"
set_args "$RL" sh -c "$RO_SEEN"
theirs=$(as_user "$RUNC --root $ROOTLESS_XDG/runc run -b $RL dx-rl-runc-ro <$WORK/dx-stdin" 2>&1)
check_contains "rootless runc, readonlyPaths: runs, /etc read-only" "/etc ro," "$theirs"
check_eq "rootless, readonlyPaths: runc's mount options" "$theirs" \
    "$(as_user "\$RRUN --root $ROOTLESS_XDG/rrun run -b $RL dx-rl-ro <$WORK/dx-stdin" 2>&1)"

# /dev/mqueue in a user namespace: runc makes the ipc namespace (and with it
# the mqueue filesystem, whose root gets the creator's ids) after setresuid(0)
# there, before its gid changes: root's uid, and as root of the host the
# group nobody; rootless (own ids mapped to 0) 0:0.
MQ_SEEN='stat -c "%n %u:%g %a" /dev/mqueue; readlink /proc/self/ns/ipc'
reset
set_config "$B" "$USERNS"
set_args "$B" sh -c "$MQ_SEEN"
chown -R 100000:100000 "$B/rootfs"
theirs=$(rc_ run -b "$B" dx-runc-mq 2>&1)
ours=$(r run -b "$B" dx-mq 2>&1)
check_eq "runc, a user namespace made by root: /dev/mqueue owned by its root" "/dev/mqueue 0:65534 1777" "$(echo "$theirs" | head -1)"
check_eq "a user namespace made by root: /dev/mqueue owned as under runc" "$(echo "$theirs" | head -1)" "$(echo "$ours" | head -1)"
check_true "a user namespace made by root: the ipc namespace is a new one" \
    [ -n "$(echo "$ours" | sed -n 2p)" -a "$(echo "$ours" | sed -n 2p)" != "$(readlink /proc/self/ns/ipc)" ]
set_args "$B" sleep 30
r create -b "$B" dx-mq-exec >/dev/null 2>&1 && r start dx-mq-exec
pid=$(r state dx-mq-exec 2>/dev/null | json_field '["pid"]' 2>/dev/null)
check_eq "a user namespace made by root: exec joins the init's ipc namespace" \
    "$(readlink /proc/$pid/ns/ipc 2>&1)" "$(r exec dx-mq-exec readlink /proc/self/ns/ipc 2>&1)"
r delete -f dx-mq-exec >/dev/null 2>&1
chown -R 0:0 "$B/rootfs"
cp "$WORK/dx-rootless.json" "$RL/config.json"
set_args "$RL" sh -c "$MQ_SEEN"
theirs=$(as_user "$RUNC --root $ROOTLESS_XDG/runc run -b $RL dx-rl-runc-mq <$WORK/dx-stdin" 2>&1)
check_eq "rootless runc: /dev/mqueue owned by root of the container" "/dev/mqueue 0:0 1777" "$(echo "$theirs" | head -1)"
check_eq "rootless: /dev/mqueue owned as under runc" "$(echo "$theirs" | head -1)" \
    "$(as_user "\$RRUN --root $ROOTLESS_XDG/rrun run -b $RL dx-rl-mq <$WORK/dx-stdin" 2>&1 | head -1)"

# A relative mount destination: deprecated, and "MUST be interpreted as
# relative to "/"" (runtime-spec config.md, Linux); runc mounts it there
# (with a warning). ".." cannot climb out of the rootfs. An empty one is refused.
reset
set_config "$B" "c['mounts'] += [{'destination': 'dxrel/sub', 'type': 'tmpfs', 'source': 'dxrel'}, {'destination': '../../dxup', 'type': 'tmpfs', 'source': 'dxup'}]"
set_args "$B" sh -c 'awk '"'"'$5 ~ /^\/dx/ { i = 7; while ($i != "-") i++; print $5, $(i+1), $(i+2) }'"'"' /proc/self/mountinfo'
theirs=$(rc_ run -b "$B" dx-runc-rel 2>/dev/null)
check_eq "runc: relative mount destinations are mounted relative to /" "/dxrel/sub tmpfs dxrel /dxup tmpfs dxup" "$(echo $theirs)"
check_eq "relative mount destinations: mounted relative to \"/\", inside the rootfs, as under runc" "$theirs" "$(r run -b "$B" dx-rel 2>&1)"
check_true "relative mount destinations: nothing made outside the rootfs" [ ! -e "$WORK/dxup" -a ! -e "$B/dxup" ]
set_config "$B" "c['mounts'].append({'destination': '', 'type': 'tmpfs', 'source': 'dx'})"
out=$(r run -b "$B" dx-rel-empty 2>&1)
n=$(python3 -c "import json; print(len(json.load(open('$B/config.json'))['mounts']) - 1)")
check_eq "an empty mount destination: refused, one line naming the field, no state" \
    "rrun: $B/config.json: mounts[$n].destination: must not be empty 0" "$out $(state_count)"

# ---- 10d. kernel.hostname / kernel.domainname in linux.sysctl (runc's rules):
# domainname needs a uts namespace; hostname is refused even in one, as it
# conflicts with the "hostname" field.
reset
set_config "$B" "c['linux']['sysctl'] = {'kernel.domainname': 'rcs.example'}"
set_args "$B" cat /proc/sys/kernel/domainname
theirs=$(rc_ run -b "$B" rcs-runc-domain 2>&1)
check_eq "kernel.domainname in a uts namespace: set, as under runc" "rcs.example rcs.example" "$theirs $(r run -b "$B" rcs-domain 2>&1)"
for hostname in runc ""; do
    set_config "$B" "c['linux']['sysctl'] = {'kernel.hostname': 'x'}; c['hostname'] = '$hostname'"
    check_contains "runc refuses kernel.hostname in a uts namespace (hostname \"$hostname\")" 'conflicts with the OCI \"hostname\" field' "$(rc_ run -b "$B" rcs-runc-host 2>&1)"
    out=$(r run -b "$B" rcs-host 2>&1)
    check_eq "kernel.hostname in a uts namespace (hostname \"$hostname\"): refused, one line naming the field, no state" \
        'rrun: linux.sysctl: "kernel.hostname" conflicts with the "hostname" field: set the hostname there 0' "$out $(state_count)"
done
set_config "$B" "c['linux']['sysctl'] = {'kernel.domainname': 'x'}; c['hostname'] = ''; c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'uts']"
check_contains "runc refuses kernel.domainname without a uts namespace" "is not in a separate kernel namespace" "$(rc_ run -b "$B" rcs-runc-nouts 2>&1)"
check_eq "kernel.domainname without a uts namespace: refused naming the field" \
    'rrun: linux.sysctl: "kernel.domainname" needs a uts namespace' "$(r run -b "$B" rcs-nouts 2>&1)"

finish
