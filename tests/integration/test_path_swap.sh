#!/bin/bash
# Issue #22 (runc's 2025 advisories CVE-2025-31133/52565/52881, and
# CVE-2021-30465): the runtime tricked into writing or mounting the wrong file
# because a path it trusted was replaced while it set the container up. Each
# attack here is the advisories' own; against the rrun before the defence
# (a build of cd82d0a: RRUN=that binary) the sysctl ones changed the host's
# kernel.core_uses_pid (static, and in 27 of 200 racing creates), the rename
# race made the read-only bind writable (rootless: 3 of 41, 6 of 68 creates),
# and these checks fail. oom_score_adj, uid_map, gid_map and setgroups are
# written by the parent through the host's /proc, and timens_offsets before
# the container has any mount: no config mount can be put over them.
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

CORE=/proc/sys/kernel/core_uses_pid
host_core=$(cat $CORE)
on_exit "echo $host_core > $CORE"
# The value the attacks try to give the host's core_uses_pid: its other one.
want=$((1 - host_core))
proc_bind="{'destination': '/proc/sys/net/ipv4/ip_forward', 'type': 'bind', 'source': '$CORE', 'options': ['bind']}"

make_test_bundle sec-
# --- (a) a procfs file bound over the sysctl's path (config mount after /proc)
if part a; then
reset
set_config "$B" "c['mounts'].append($proc_bind); c['linux']['sysctl'] = {'net.ipv4.ip_forward': '$want'}"
set_args "$B" cat /proc/sys/net/ipv4/conf/all/forwarding
out=$(r run -b "$B" sec-a1 2>&1)
rc=$?
check_eq "sysctl over a bound core_uses_pid: the host's core_uses_pid is untouched" "$host_core" "$(cat $CORE)"
echo "$host_core" > $CORE
if [ $rc -eq 0 ]; then
    check_eq "the write reached the container's own ip_forward (seen as conf/all/forwarding)" "$want" "$(echo "$out" | tr -d '\r' | tail -1)"
else
    check_contains "or the create failed naming the file" "/proc/sys/net/ipv4/ip_forward" "$out"
fi
check_eq "no state left" "" "$(ls "$STATE_ROOT" 2>/dev/null)"

# The same with /proc/self/... files rrun writes: the file over /proc/1/fd,
# which the close-on-exec fallback lists, cannot make it skip an fd, and a
# rootfs with no /proc at all still gets its sysctl written.
reset
set_config "$B" "c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/proc']; c['linux']['sysctl'] = {'net.ipv4.ip_forward': '$want'}; c['linux']['maskedPaths'] = []; c['linux']['readonlyPaths'] = []"
rmdir "$B/rootfs/proc"
set_args "$B" sh -c 'ls -d /proc 2>&1 | head -1; echo done'
out=$(r run -b "$B" sec-a2 2>&1)
check_contains "(b) a rootfs without /proc and no proc mount: the sysctl is written and the container runs" "done" "$out"
check_eq "the host's core_uses_pid is untouched" "$host_core" "$(cat $CORE)"
echo "$host_core" > $CORE
mkdir -p "$B/rootfs/proc"
fi

# --- (b) the rootfs's /dev parts as symlinks to host paths
if part b; then
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
while [ $tries -lt 200 ] && [ $((SECONDS - start)) -lt 60 ]; do
    tries=$((tries + 1))
    r create -b "$B" sec-c >/dev/null 2>&1 && created=$((created + 1))
    r delete -f sec-c >/dev/null 2>&1
    if [ "$(cat $CORE)" != "$host_core" ]; then
        hits=$((hits + 1))
        echo "$host_core" > $CORE
    fi
done
r delete -f sec-racer >/dev/null 2>&1
echo "# (c) $tries creates, $created succeeded, $hits wrote the host's core_uses_pid"
check_eq "(c) racing mounts under /proc never send the sysctl to the host's core_uses_pid" 0 "$hits"
check_true "(c) and the creates succeed (the write goes to the private procfs)" [ "$created" -eq "$tries" ]
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
    # Two racers: the names change more often than one alone swaps them.
    local racers=() k
    for k in 1 2; do
        if [ -n "$as" ]; then as_user "$SWAP_EXCHANGE $SV d l 70 $stop" >/dev/null & else "$SWAP_EXCHANGE" "$SV" d l 70 "$stop" >/dev/null & fi
        racers+=($!)
    done
    while [ $tries -lt 200 ] && [ $((SECONDS - start)) -lt 60 ]; do
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
    echo "# (d) $label: $tries creates, $made made, $rw with the read-only bind writable"
    check_eq "(d) $label: the read-only bind never comes out writable under the rename race" 0 "$rw"
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
    # The sysctl of (a) rootless: core_uses_pid belongs to the host's root,
    # so the redirected write was refused (the previous rrun failed the create
    # there); through the private procfs it reaches the container's ip_forward.
    set_config "$RLB" "c['mounts'] = [m for m in c['mounts'] if m['destination'] not in ('/vol', '/vol/d')]; c['mounts'].append($proc_bind); c['linux']['sysctl'] = {'net.ipv4.ip_forward': '$want'}; c['linux']['namespaces'].append({'type': 'network'})"
    set_args "$RLB" cat /proc/sys/net/ipv4/conf/all/forwarding
    out=$(as_user "\$RRUN run -b $RLB sec-ra" 2>&1)
    check_eq "rootless: the sysctl over a bound core_uses_pid reaches the container's ip_forward" "$want" "$(echo "$out" | tail -1)"
    check_eq "rootless: the host's core_uses_pid is untouched" "$host_core" "$(cat $CORE)"
fi
finish
