#!/bin/bash
# Where the spec is silent rrun does what runc does (issue #16): loopback up
# in a new network namespace, HOME from the container's /etc/passwd, a
# missing process.cwd made, hooks without env inheriting the runtime's
# environment, a tmpfs's mode with and without tmpcopyup. Each case runs the
# same bundle under runc and rrun in this run and compares what the container
# saw, and also checks the value runc shows, so the test fails if either drifts.
source "$(dirname "$0")/lib.sh"
need_root

need_runc
make_test_bundle rc
U=$$  # container ids (and so runc's cgroup names) are this run's own

# same DESCRIPTION CMD: runs `sh -c CMD` in the bundle under runc and under
# rrun (each on a fresh copy of the rootfs's changes: RESET_PATHS are removed
# before each run), checks both printed the same, and leaves runc's output in $OUT.
RESET_PATHS=()
same() {
    local desc=$1 cmd=$2 p ours
    set_args "$B" sh -c "$cmd"
    for p in "${RESET_PATHS[@]}"; do rm -rf "${B:?}/rootfs/$p"; done
    OUT=$(rc_ run -b "$B" "rc-runc$RANDOM" 2>&1)
    for p in "${RESET_PATHS[@]}"; do rm -rf "${B:?}/rootfs/$p"; done
    ours=$(r run -b "$B" "rc-rrun$RANDOM" 2>&1)
    check_eq "$desc: rrun sees what runc sees" "$OUT" "$ours"
}

# 1. Loopback is up in a network namespace the runtime creates. The listener's
# stdin stays open (busybox nc -l quits on its own stdin's end, sometimes
# before it read the line), and it is given up to 5 s to write it.
reset
same "lo in a new network namespace" 'cat /sys/class/net/lo/flags; sleep 5 | nc -l -p 8080 >/dev/shm/got & for i in $(seq 50); do echo hi | nc 127.0.0.1 8080 2>/dev/null && break; sleep 0.1; done; for i in $(seq 50); do grep -q . /dev/shm/got && break; sleep 0.1; done; cat /dev/shm/got'
check_eq "runc: lo is up (IFF_UP) and a server on 127.0.0.1 answers" "0x9 hi" "$(echo $OUT)"

# ... and left as it is in one the config joins.
unshare -n sleep 100 &
netns_holder=$!
on_exit "kill $netns_holder"
wait_for test "$(readlink /proc/$netns_holder/ns/net)" != "$(readlink /proc/self/ns/net)"
set_config "$B" "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/proc/$netns_holder/ns/net'}]"
same "lo in a joined network namespace" 'cat /sys/class/net/lo/flags'
check_eq "runc: lo of a joined namespace stays down" "0x8" "$OUT"
kill $netns_holder
reset

# 2. HOME from /etc/passwd when env has none (or an empty one), "/" without an entry.
echo 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin' >>"$B/rootfs/etc/passwd"
cp "$B/config.json" "$WORK/base.json"
show_home='echo "HOME=[${HOME-unset}]"; env | grep -c "^HOME="'
reset
same "HOME for uid 0" "$show_home"
check_eq "runc: HOME for uid 0 is root's home" "HOME=[/root] 1" "$(echo $OUT)"
set_config "$B" "c['process']['user'] = {'uid': 1, 'gid': 1}"
same "HOME for a uid with an entry" "$show_home"
check_eq "runc: HOME is the entry's home" "HOME=[/usr/sbin] 1" "$(echo $OUT)"
set_config "$B" "c['process']['user'] = {'uid': 4242, 'gid': 4242}"
same "HOME for a uid with no entry" "$show_home"
check_eq "runc: HOME is / without an entry" "HOME=[/] 1" "$(echo $OUT)"
set_config "$B" "c['process']['env'].append('HOME=/custom')"
same "HOME given in env" "$show_home"
check_eq "runc: a HOME in env is kept" "HOME=[/custom] 1" "$(echo $OUT)"
reset
set_config "$B" "c['process']['env'].append('HOME=')"
same "an empty HOME in env" "$show_home"
check_eq "runc: an empty HOME is replaced, not added twice" "HOME=[/root] 1" "$(echo $OUT)"
reset
rm "$B/rootfs/etc/passwd"
same "HOME without /etc/passwd" "$show_home"
check_eq "runc: HOME is / without /etc/passwd" "HOME=[/] 1" "$(echo $OUT)"
mkfifo "$B/rootfs/etc/passwd"
out=$(set_args "$B" sh -c "$show_home"; timeout 20 "$RRUN" --root "$STATE_ROOT" run -b "$B" rc-fifo$U 2>&1)
check_eq "a FIFO as /etc/passwd does not block the init" "HOME=[/] 1" "$(echo $out)"
rm "$B/rootfs/etc/passwd"
echo 'root:x:0:0:root:/root:/bin/sh' >"$B/rootfs/etc/passwd"
echo 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin' >>"$B/rootfs/etc/passwd"

# ... and for exec, into a running container of each runtime.
reset
set_args "$B" sleep 100
rc_ create -b "$B" rc-exec-runc$U && rc_ start rc-exec-runc$U
r create -b "$B" rc-exec-rrun$U && r start rc-exec-rrun$U
for user in 0 1 4242; do
    theirs=$(rc_ exec --user "$user" rc-exec-runc$U sh -c "$show_home" 2>&1)
    ours=$(r exec --user "$user" rc-exec-rrun$U sh -c "$show_home" 2>&1)
    check_eq "exec --user $user: HOME as under runc" "$theirs" "$ours"
done
check_eq "runc exec --user 4242: HOME is /" "HOME=[/] 1" "$(echo $theirs)"
theirs=$(rc_ exec --env HOME=/x rc-exec-runc$U sh -c "$show_home" 2>&1)
ours=$(r exec --env HOME=/x rc-exec-rrun$U sh -c "$show_home" 2>&1)
check_eq "exec --env HOME=/x is kept, as under runc" "$theirs" "$ours"

# 3. A missing process.cwd is made (mkdir -p, 0755, root's), also under a
# read-only root; exec's cwd is not made (both runtimes refuse it).
theirs=$(rc_ exec --cwd /no/such/dir rc-exec-runc$U true >/dev/null 2>&1 && echo started || echo refused)
ours=$(r exec --cwd /no/such/dir rc-exec-rrun$U true >/dev/null 2>&1 && echo started || echo refused)
check_eq "exec into a missing cwd: as under runc" "$theirs" "$ours"
check_eq "runc refused it" refused "$theirs"
rc_ delete -f rc-exec-runc$U
r delete -f rc-exec-rrun$U
check_true "exec left no /no in the rootfs" test ! -e "$B/rootfs/no"
reset
RESET_PATHS=(w)
set_config "$B" "c['process']['cwd'] = '/w/x/y'"
same "a missing cwd" 'pwd; stat -c "%n %a %u:%g" /w /w/x /w/x/y'
check_eq "runc: the cwd is made" "/w/x/y /w 755 0:0 /w/x 755 0:0 /w/x/y 755 0:0" "$(echo $OUT)"
set_config "$B" "c['root']['readonly'] = True; c['process']['user'] = {'uid': 1, 'gid': 1}"
same "a missing cwd under a read-only root, a user's process" 'pwd; stat -c "%n %a %u:%g" /w/x/y; touch /w/x/y/f 2>/dev/null || echo read-only'
check_eq "runc: made before the root went read-only" "/w/x/y /w/x/y 755 0:0 read-only" "$(echo $OUT)"
reset
set_config "$B" "c['process']['cwd'] = '/data/sub'; c['mounts'].append({'destination': '/data', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['mode=700']})"
same "a missing cwd inside a tmpfs mount" 'pwd; stat -c "%n %a" /data/sub'
check_eq "runc: made inside the mount" "/data/sub /data/sub 755" "$(echo $OUT)"
check_true "not on the rootfs under it" test ! -e "$B/rootfs/data/sub"
reset
ln -s ../../../../../../"$WORK"/escape "$B/rootfs/link"
set_config "$B" "c['process']['cwd'] = '/link/d'"
r run -b "$B" rc-escape$U >/dev/null 2>&1
check_true "a cwd through a symlink is made inside the root, never on the host" test ! -e "$WORK/escape"
rm "$B/rootfs/link"
RESET_PATHS=()

# 4. Hooks without "env" inherit the runtime's environment; "env": [] is empty.
reset
cat >"$WORK/envhook.sh" <<'SH'
#!/bin/sh
env | grep -v '^PWD=\|^SHLVL=\|^_=' | sort > "$1"
SH
chmod +x "$WORK/envhook.sh"
hook_env() {  # hook_env ENV_JSON RUNTIME_CMD...: the env a prestart hook saw
    set_config "$B" "c['hooks'] = {'prestart': [dict({'path': '$WORK/envhook.sh', 'args': ['envhook.sh', '$WORK/hook.env']}, **$1)]}"
    shift
    set_args "$B" true
    rm -f "$WORK/hook.env"
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin RRUN_TEST_MARK=inherited "$@" >/dev/null 2>&1
    cat "$WORK/hook.env" 2>/dev/null
}
theirs=$(hook_env "{}" "$RUNC" --root "$RUNC_ROOT" run -b "$B" rc-hr$U)
ours=$(hook_env "{}" "$RRUN" --root "$STATE_ROOT" run -b "$B" rc-hh$U)
check_eq "a hook without env: as under runc" "$theirs" "$ours"
check_contains "runc: it inherits the runtime's environment" "RRUN_TEST_MARK=inherited" "$theirs"
check_contains "... PATH included" "PATH=/usr/sbin" "$ours"
theirs=$(hook_env "{'env': ['A=1']}" "$RUNC" --root "$RUNC_ROOT" run -b "$B" rc-hr$U)
ours=$(hook_env "{'env': ['A=1']}" "$RRUN" --root "$STATE_ROOT" run -b "$B" rc-hh$U)
check_eq "a hook with env: only its own, as under runc" "$theirs" "$ours"
check_eq "runc: only A=1" "A=1" "$(echo $theirs)"
theirs=$(hook_env "{'env': []}" "$RUNC" --root "$RUNC_ROOT" run -b "$B" rc-hr$U)
ours=$(hook_env "{'env': []}" "$RRUN" --root "$STATE_ROOT" run -b "$B" rc-hh$U)
check_eq "a hook with an empty env: as under runc" "$theirs" "$ours"

# 5. tmpfs modes: over a directory the runtime makes, mode= holds (tmpcopyup
# or not); over an existing directory runc applies that directory's mode.
reset
RESET_PATHS=(new new2)
mkdir -p "$B/rootfs/exist/sub" "$B/rootfs/exist2"
chmod 700 "$B/rootfs/exist" "$B/rootfs/exist2"
chown 1000:1000 "$B/rootfs/exist" "$B/rootfs/exist/sub"
set_config "$B" "
for d, opts in (('/exist', ['mode=1777', 'tmpcopyup']), ('/new', ['mode=1777', 'tmpcopyup']),
                ('/exist2', ['mode=1777']), ('/new2', ['mode=1777', 'ro'])):
    c['mounts'].append({'destination': d, 'type': 'tmpfs', 'source': 'tmpfs', 'options': opts})
"
same "tmpfs modes" 'stat -c "%n %a %u:%g" /exist /exist/sub /new /exist2 /new2'
check_eq "runc: the modes" "/exist 700 0:0 /exist/sub 755 1000:1000 /new 1777 0:0 /exist2 700 0:0 /new2 1777 0:0" "$(echo $OUT)"
set_config "$B" "c['process']['user'] = {'uid': 1000, 'gid': 1000}"
same "a user writes a tmpcopyup tmpfs made with mode=1777" 'touch /new/f && echo written'
check_eq "runc: written" "written" "$OUT"
RESET_PATHS=()

# 6. Found by tests/differential: a name twice in env keeps its first place
# and last value; additionalGids are set once each; entries without '=' or a
# name are refused; a poststop hook's state has no pid.
reset
set_config "$B" "c['process']['env'] += ['DUP=1', 'A=x', 'DUP=2']; c['process']['user']['additionalGids'] = [5, 3, 5, 0]"
# (The order is not compared: busybox sh rebuilds the environment it passes on.)
same "a name twice in env, a gid twice" 'env | grep "^DUP=" | xargs; id -G'
check_eq "runc: DUP once, with its last value; each group once" "DUP=2 0 3 5" "$(echo $OUT)"
for bad in NOEQ =x; do
    reset
    set_config "$B" "c['process']['env'].append('$bad')"
    theirs=$(rc_ run -b "$B" rc-env-runc$U >/dev/null 2>&1 && echo ran || echo refused)
    ours=$(r run -b "$B" rc-env-rrun$U 2>&1)
    check_eq "env entry [$bad]: refused by runc" refused "$theirs"
    check_contains "env entry [$bad]: refused by rrun, naming the field" "process.env" "$ours"
    check_eq "env entry [$bad]: no state left" "" "$(ls "$STATE_ROOT")"
done
reset
cat >"$WORK/statehook.sh" <<'SH'
#!/bin/sh
cat > "$1"
SH
chmod +x "$WORK/statehook.sh"
set_config "$B" "c['hooks'] = {'poststop': [{'path': '$WORK/statehook.sh', 'args': ['statehook.sh', '$WORK/poststop.json']}]}"
set_args "$B" true
rc_ run -b "$B" rc-ps-runc$U >/dev/null 2>&1
theirs=$(json_field '.get("pid", "none")' <"$WORK/poststop.json")
r run -b "$B" rc-ps-rrun$U >/dev/null 2>&1
ours=$(json_field '.get("pid", "none")' <"$WORK/poststop.json")
check_eq "poststop hook state: pid as under runc" "$theirs" "$ours"
check_eq "runc: a poststop hook's state has no pid" none "$theirs"

# 7. linux.rootfsPropagation takes the place of the first rslave (issue #18,
# Kubernetes' Bidirectional volumes): with rshared, a mount made in the
# container on an rshared volume reaches the runtime's namespace; without it,
# it does not. Inside a private mount namespace, so the machine's mount table
# and peer groups stay as they were.
reset
cat >"$WORK/bidir.sh" <<'SH'
# bidir.sh RUNTIME_CMD...: the volume's source is a shared tmpfs here; prints
# the volume's propagation in the container and whether its mount came back.
mkdir -p "$WORK/vol" && mount -t tmpfs bidir "$WORK/vol" && mount --make-shared "$WORK/vol"
"$@" >"$WORK/bidir.out" 2>&1 &
for i in $(seq 100); do grep -q inner-done "$WORK/bidir.out" 2>/dev/null && break; sleep 0.05; done
grep -q " $WORK/vol/inner " /proc/self/mountinfo && echo "reached the host" || echo "stayed inside"
wait
grep -v inner-done "$WORK/bidir.out"
SH
bidir() {  # bidir ROOTFS_PROPAGATION RUNTIME...: as bidir.sh
    local prop=$1; shift
    reset
    set_config "$B" "
c['mounts'].append({'destination': '/vol', 'type': 'bind', 'source': '$WORK/vol', 'options': ['rbind', 'rw', 'rshared']})
c['process']['capabilities'] = {k: ['CAP_SYS_ADMIN'] for k in ['bounding', 'effective', 'permitted']}
if '$prop': c['linux']['rootfsPropagation'] = '$prop'"
    set_args "$B" sh -c 'mkdir -p /vol/inner && mount -t tmpfs inner /vol/inner && echo inner-done; sleep 1'
    unshare -m --propagation private env WORK="$WORK" bash "$WORK/bidir.sh" "$@"
}
for prop in rshared ""; do
    theirs=$(bidir "$prop" "$RUNC" --root "$RUNC_ROOT" run -b "$B" rc-bd-runc$U)
    ours=$(bidir "$prop" "$RRUN" --root "$STATE_ROOT" run -b "$B" rc-bd-rrun$U)
    check_eq "rootfsPropagation [${prop:-none}], an rshared volume: as under runc" "$theirs" "$ours"
done
check_eq "runc: with rshared the volume's mount reaches the host" "reached the host" "$(bidir rshared "$RUNC" --root "$RUNC_ROOT" run -b "$B" rc-bd-runc$U)"
check_eq "runc: without it, it stays inside" "stayed inside" "$(bidir "" "$RUNC" --root "$RUNC_ROOT" run -b "$B" rc-bd-runc$U)"

# The same points rootless, against rootless runc.
ensure_rootless_user
RB=$WORK/rootless
make_rootless_bundle "$RB"
echo 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin' >>"$RB/rootfs/etc/passwd"
set_config "$RB" "
c['process']['cwd'] = '/w/x'
c['process']['user'] = {'uid': 0, 'gid': 0}
c['linux']['namespaces'].append({'type': 'network'})
c['mounts'].append({'destination': '/scratch', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['mode=1777', 'tmpcopyup']})
"
set_args "$RB" sh -c 'pwd; echo HOME=$HOME; cat /sys/class/net/lo/flags; stat -c "%n %a" /w/x /scratch'
chown -R "$ROOTLESS_USER" "$RB"
theirs=$(as_user "$RUNC --root $ROOTLESS_XDG/runc run -b $RB rc-rl$U" 2>&1)
rm -rf "$RB/rootfs/w" "$RB/rootfs/scratch"
ours=$(as_user "\$RRUN --root $ROOTLESS_XDG/rrun run -b $RB rc-rl$U" 2>&1)
check_eq "rootless: rrun sees what runc sees" "$theirs" "$ours"
check_eq "rootless runc: cwd, HOME, lo up, tmpfs mode" "/w/x HOME=/root 0x9 /w/x 755 /scratch 1777" "$(echo $theirs)"

finish
