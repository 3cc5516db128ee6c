#!/bin/bash
# PID 1 of the test guest (after the initramfs /init switch_roots to a tmpfs).
# Sets up a pure cgroup v2 host the way systemd leaves one, runs every guest
# script (root ones as root, *_rootless.sh as the unprivileged user inside its
# delegated cgroup), prints TAP and a "# N passed, M failed" summary on the
# serial console, then powers off. Built into the initramfs by run-in-vm.sh.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C
SCRIPT_TIMEOUT=120
. /etc/rrun-vm/config
. /usr/share/rrun-vm/tap-tally.sh

say() { echo "# rrun-vm: $*"; }
poweroff_now() {
    sync
    poweroff -f
    echo o >/proc/sysrq-trigger
    sleep 10
}

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /dev/shm
mount -t mqueue -o nosuid,nodev,noexec mqueue /dev/mqueue
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp
# As systemd: cgroup2 only, with nsdelegate, and every mount shared.
mount -t cgroup2 -o nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup
mount --make-rshared /
ln -sf /proc/self/mounts /etc/mtab
echo 1 >/proc/sys/kernel/printk
hostname rrun-vm
ip link set lo up 2>/dev/null

for m in $(cat /etc/rrun-vm/modules); do
    insmod "/lib/modules/$m.ko" || say "insmod $m failed"
done

# ---- cgroups: every controller enabled down to the user's delegated subtree.
CG=/sys/fs/cgroup
mkdir -p $CG/init.scope
echo $$ >$CG/init.scope/cgroup.procs
enable_all() {
    local c
    for c in $(cat $CG/cgroup.controllers); do
        echo "+$c" >"$1/cgroup.subtree_control" 2>/dev/null || say "cannot enable $c in $1"
    done
}
# delegate DIR UID: what systemd's Delegate=yes does.
delegate() {
    chown "$2:$2" "$1" "$1/cgroup.procs" "$1/cgroup.subtree_control" "$1/cgroup.threads"
}
ROOTLESS_USER=rrun-test
ROOTLESS_UID=1000
ROOTLESS_GID=1000
USER_SLICE=$CG/user.slice/user-$ROOTLESS_UID.slice
DELEGATED=$USER_SLICE/user@$ROOTLESS_UID.service
enable_all $CG
mkdir -p $DELEGATED $CG/system.slice
enable_all $CG/user.slice
enable_all $USER_SLICE
enable_all $CG/system.slice
delegate $DELEGATED $ROOTLESS_UID

chown -R $ROOTLESS_UID:$ROOTLESS_GID /home/$ROOTLESS_USER
mkdir -p /run/user/$ROOTLESS_UID
chown $ROOTLESS_UID:$ROOTLESS_GID /run/user/$ROOTLESS_UID
chmod 700 /run/user/$ROOTLESS_UID

export RRUN=/usr/local/bin/rrun TESTS_DIR=/tests/vm
export ROOTLESS_USER ROOTLESS_UID ROOTLESS_GID VM_DELEGATED_CGROUP=$DELEGATED

PASSED=0 FAILED=0 SKIPPED=0
# run_script NAME root|user
run_script() {
    local name=$1 who=$2 leaf out rc p f t0 us cmd wd
    t0=$EPOCHREALTIME
    out=/tmp/rrun-vm-out.$name.$who
    if [ "$who" = root ]; then
        leaf=$CG/system.slice/rrun-vm-${name%.sh}.scope
        mkdir -p "$leaf"
        cmd=(bash "/tests/vm/guest/$name")
    else
        # In the user's delegated subtree (as a systemd --user scope would be),
        # so the user can make and move into sibling cgroups itself.
        leaf=$DELEGATED/rrun-vm-${name%.sh}.scope
        mkdir -p "$leaf"
        delegate "$leaf" $ROOTLESS_UID
        cmd=(su -s /bin/bash $ROOTLESS_USER -c "cd /tmp && exec bash /tests/vm/guest/$name")
    fi
    echo "# --- $name as $who"
    # The watchdog kills the script's whole cgroup: a plain timeout would leave
    # its children (holding the console pipe) running.
    rm -f /tmp/rrun-vm-timed-out
    ( sleep "$SCRIPT_TIMEOUT" && : >/tmp/rrun-vm-timed-out && echo 1 >"$leaf/cgroup.kill" ) &
    wd=$!
    (
        echo $BASHPID >"$leaf/cgroup.procs"
        cd /tmp || exit 1
        if [ "$who" = user ]; then
            export HOME=/home/$ROOTLESS_USER USER=$ROOTLESS_USER LOGNAME=$ROOTLESS_USER
            export XDG_RUNTIME_DIR=/run/user/$ROOTLESS_UID
        fi
        export VM_SCRIPT_CGROUP=$leaf
        exec "${cmd[@]}"
    ) </dev/null 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    kill $wd 2>/dev/null
    echo 1 >"$leaf/cgroup.kill" 2>/dev/null   # whatever the script left behind
    [ -e /tmp/rrun-vm-timed-out ] && rc=124
    tap_tally "$name as $who" "$rc" "$out" " (its cgroup was killed)"
    us=$(( ${EPOCHREALTIME/./} - ${t0/./} ))
    echo "# --- $name as $who: exit $rc, $((us / 1000000)).$((us / 100000 % 10))s"
    for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$leaf" 2>/dev/null && break; sleep 0.1; done
}

say "begin"
read -r up _ </proc/uptime
echo "# kernel $(uname -r), up ${up}s, cgroup2 controllers: $(cat $CG/cgroup.controllers)"
for name in $(cat /etc/rrun-vm/scripts); do
    case $name in
        *_rootless.sh) run_script "$name" user ;;
        *) run_script "$name" root ;;
    esac
done
[ $SKIPPED -gt 0 ] && echo "# $SKIPPED script(s) skipped"
echo "# $PASSED passed, $FAILED failed"
read -r up _ </proc/uptime
say "end (guest up ${up}s)"
poweroff_now
