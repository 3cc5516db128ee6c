#!/bin/bash
# Container setup as root: what the process sees of its mounts, /dev, ids,
# limits and attributes; mount destinations cannot escape the rootfs.
source "$(dirname "$0")/lib.sh"
need_root

make_test_bundle s

# Mounts and their flags, from the container's own mountinfo.
mi=$(in_container 'cat /proc/self/mountinfo')
check_contains "/ is read-only (root.readonly)" "ro," "$(echo "$mi" | awk '$5=="/" {print $6","}')"
check_true "/proc is a proc mount" grep -q ' /proc .* - proc ' <<<"$mi"
check_true "/dev is a tmpfs with nosuid" grep -qE ' /dev rw,nosuid.* - tmpfs ' <<<"$mi"
check_true "/dev/pts is devpts newinstance" grep -qE ' /dev/pts .* - devpts .*ptmxmode=666' <<<"$mi"
check_true "/dev/shm is nosuid,nodev,noexec" grep -qE ' /dev/shm rw,nosuid,nodev,noexec' <<<"$mi"
check_true "/sys is read-only" grep -qE ' /sys ro,' <<<"$mi"
check_true "/sys/fs/cgroup is mounted" grep -q ' /sys/fs/cgroup ' <<<"$mi"

# maskedPaths and readonlyPaths really are.
masked=$(for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do [ -e $f ] && echo $f && break; done)
out=$(in_container "cat $masked | wc -c; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/hostname && echo WROTE; echo h > /proc/sysrq-trigger && echo SYSRQ; true")
check_eq "$masked reads as empty (masked)" 0 "$(echo "$out" | sed -n 1p)"
check_eq "/sys/firmware is an empty dir (masked)" 0 "$(echo "$out" | sed -n 2p)"
check_not_contains "/proc/sys is not writable (readonly)" "WROTE" "$out"
check_not_contains "/proc/sysrq-trigger is not writable" "SYSRQ" "$out"

# /dev: default nodes with the right types and modes, links, and linux.devices.
set_config "$B" "c['linux']['devices'] = [{'path': '/dev/mynull', 'type': 'c', 'major': 1, 'minor': 3, 'fileMode': 0o600, 'uid': 5, 'gid': 6}]"
out=$(in_container 'for f in null zero full random urandom tty mynull; do stat -c "%n %F %a %t:%T %u:%g" /dev/$f; done; readlink /dev/ptmx; readlink /dev/fd')
check_contains "/dev/null is char 1:3 mode 666" "/dev/null character special file 666 1:3 0:0" "$out"
check_contains "/dev/urandom is char 1:9" "/dev/urandom character special file 666 1:9" "$out"
check_contains "/dev/tty is char 5:0" "/dev/tty character special file 666 5:0" "$out"
check_contains "linux.devices gets type, numbers, mode, uid and gid" "/dev/mynull character special file 600 1:3 5:6" "$out"
check_contains "/dev/ptmx links to pts/ptmx" "pts/ptmx" "$out"
check_contains "/dev/fd links to /proc/self/fd" "/proc/self/fd" "$out"
reset

# Process attributes.
set_config "$B" "
c['process']['user'] = {'uid': 1000, 'gid': 1000, 'umask': 0o027, 'additionalGids': [20, 30]}
c['process']['capabilities']['inheritable'] = c['process']['capabilities']['bounding']
c['process']['cwd'] = '/work/dir'
c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 256, 'hard': 512}, {'type': 'RLIMIT_CORE', 'soft': 0, 'hard': 0}]
c['process']['oomScoreAdj'] = 500
c['process']['env'] = ['PATH=/bin', 'ONE=1']
c['hostname'] = 'inside'
c['domainname'] = 'example.org'
c['root']['readonly'] = False
"
out=$(in_container 'id; pwd; umask; ulimit -n; ulimit -Hn; ulimit -c; cat /proc/self/oom_score_adj; hostname; cat /proc/sys/kernel/domainname; echo $ONE; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status')
check_contains "user uid/gid/additionalGids" "uid=1000 gid=1000 groups=20,30" "$out"
check_contains "cwd is created and entered" "/work/dir" "$out"
check_contains "umask" "0027" "$out"
check_eq "rlimit NOFILE soft and hard" "256 512" "$(echo "$out" | sed -n 4,5p | xargs)"
check_eq "rlimit CORE" 0 "$(echo "$out" | sed -n 6p)"
check_eq "oomScoreAdj" 500 "$(echo "$out" | sed -n 7p)"
check_eq "hostname" inside "$(echo "$out" | sed -n 8p)"
check_eq "domainname" example.org "$(echo "$out" | sed -n 9p)"
check_eq "env" 1 "$(echo "$out" | sed -n 10p)"
check_contains "a non-root user keeps the configured capabilities (ambient)" "CapEff:	0000000020000420" "$out"
check_contains "noNewPrivileges" "NoNewPrivs:	1" "$out"
reset

# Capabilities: an empty set really is empty; unknown names are refused (test_errors).
set_config "$B" "c['process']['capabilities'] = {'bounding': [], 'effective': [], 'permitted': []}"
out=$(in_container 'grep -E "^Cap(Prm|Eff|Bnd)" /proc/self/status | xargs')
check_eq "empty capability sets" "CapPrm: 0000000000000000 CapEff: 0000000000000000 CapBnd: 0000000000000000" "$out"
reset

# sysctl: namespaced ones are set, others refused with a clear error.
set_config "$B" "c['linux']['sysctl'] = {'kernel.shmmax': '12345678', 'net.ipv4.ip_forward': '1'}; c['linux']['readonlyPaths'] = []"
out=$(in_container 'cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward')
check_eq "linux.sysctl sets ipc and net sysctls" "12345678 1" "$(echo $out)"
set_config "$B" "c['linux']['sysctl'] = {'vm.swappiness': '10'}"
out=$(r create -b "$B" bad1 2>&1)
check_contains "a host-wide sysctl is refused" 'linux.sysctl: "vm.swappiness" is not namespaced' "$out"
reset

# personality, scheduler, ioPriority, execCPUAffinity.
set_config "$B" "
c['linux']['personality'] = {'domain': 'LINUX32'}
c['process']['scheduler'] = {'policy': 'SCHED_BATCH', 'nice': 5}
c['process']['ioPriority'] = {'class': 'IOPRIO_CLASS_BE', 'priority': 3}
c['process']['execCPUAffinity'] = {'final': '0'}
"
out=$(in_container 'uname -m; cat /proc/self/stat | cut -d" " -f19,41; ionice -p $$; taskset -p $$')
check_eq "personality LINUX32 makes uname -m i686" i686 "$(echo "$out" | sed -n 1p)"
check_eq "scheduler: nice 5 and policy SCHED_BATCH (3)" "5 3" "$(echo "$out" | sed -n 2p)"
check_contains "ioPriority best-effort 3" "prio 3" "$(echo "$out" | sed -n 3p)"
check_contains "execCPUAffinity.final pins to cpu 0" "mask: 1" "$(echo "$out" | sed -n 4p)"
reset

# Propagation and recursive attributes on a bind mount with a submount.
mkdir -p "$WORK/tree/sub"
mount --bind "$WORK/tree" "$WORK/tree"; mount --make-rshared "$WORK/tree"; on_exit "umount -l $WORK/tree"
mount -t tmpfs tmpfs "$WORK/tree/sub"
set_config "$B" "c['mounts'].append({'destination': '/tree', 'type': 'bind', 'source': '$WORK/tree', 'options': ['rbind', 'rro', 'rnosuid', 'rslave']})"
out=$(in_container 'grep -E " /tree(/sub)? " /proc/self/mountinfo; touch /tree/sub/x && echo WROTE')
check_true "rro makes the submount read-only too" grep -qE ' /tree/sub ro,nosuid' <<<"$out"
check_true "rslave propagation is applied" grep -qE ' /tree .*master:' <<<"$out"
check_not_contains "the submount cannot be written" WROTE "$out"
reset

# tmpcopyup (podman --read-only, --tmpfs): the tmpfs starts with what was underneath.
mkdir -p "$B/rootfs/seed/sub"; echo seeded >"$B/rootfs/seed/sub/f"; chmod 0751 "$B/rootfs/seed"
ln -s sub/f "$B/rootfs/seed/link"
set_config "$B" "c['mounts'].append({'destination': '/seed', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['tmpcopyup', 'nosuid']})"
out=$(in_container 'grep " /seed " /proc/self/mountinfo | cut -d" " -f9; cat /seed/link; stat -c %a /seed; echo new > /seed/x && echo WROTE')
check_eq "tmpcopyup mounts a tmpfs" tmpfs "$(echo "$out" | sed -n 1p)"
check_eq "tmpcopyup copies files and symlinks" seeded "$(echo "$out" | sed -n 2p)"
check_eq "tmpcopyup keeps the directory's mode" 751 "$(echo "$out" | sed -n 3p)"
check_eq "the tmpfs is writable" WROTE "$(echo "$out" | sed -n 4p)"
check_true "the rootfs underneath is untouched" test ! -e "$B/rootfs/seed/x"
reset

# A symlink in the rootfs pointing at a host directory cannot redirect a mount.
mkdir -p "$WORK/hostdir"
ln -s "$WORK/hostdir" "$B/rootfs/evil"
mkdir -p "$WORK/src"; echo secret >"$WORK/src/file"
set_config "$B" "c['mounts'].append({'destination': '/evil/m', 'type': 'bind', 'source': '$WORK/src', 'options': ['bind']})"
out=$(in_container 'cat /evil/m/file')
check_eq "the mount is visible inside" secret "$out"
check_true "the host directory the symlink names got nothing" test -z "$(ls -A "$WORK/hostdir")"
check_true "the destination was made inside the rootfs" test -d "$B/rootfs/$WORK/hostdir/m"
rm -f "$B/rootfs/evil"
reset

# Joining a namespace by path.
set_args "$B" sleep 1000
r run -d -b "$B" owner
opid=$(r state owner | json_field '["pid"]')
set_config "$B" "c['linux']['namespaces'] = [n if n['type'] != 'network' else {'type': 'network', 'path': '/proc/$opid/ns/net'} for n in c['linux']['namespaces']]"
set_config "$B" "c['linux']['namespaces'] = [n if n['type'] != 'pid' else {'type': 'pid', 'path': '/proc/$opid/ns/pid'} for n in c['linux']['namespaces']]"
out=$(in_container 'readlink /proc/self/ns/net; readlink /proc/self/ns/pid; tr "\\0" " " </proc/1/cmdline')
check_eq "joined network namespace by path" "$(readlink /proc/$opid/ns/net)" "$(echo "$out" | sed -n 1p)"
check_eq "joined pid namespace by path" "$(readlink /proc/$opid/ns/pid)" "$(echo "$out" | sed -n 2p)"
check_contains "and sees the other container's init as pid 1" "sleep" "$out"
r delete -f owner
reset

# --no-pivot still confines the process to the rootfs.
out=$(set_args "$B" sh -c 'cat /etc/passwd; ls /bin/busybox'; r run --no-pivot -b "$B" np1)
check_eq "--no-pivot shows the rootfs as /" "root:x:0:0:root:/root:/bin/sh /bin/busybox" "$(echo $out)"
check_eq "no state left" "" "$(ls "$STATE_ROOT")"
finish
