#!/bin/bash
# Escapes that hit runc and crun, each attempted from inside a container
# (SECURITY.md names the defence each one checks): the rrun binary through
# /proc/PID/exe (CVE-2019-5736), the runtime's own process through ptrace and
# /proc, leaked fds and a cwd outside the rootfs (CVE-2024-21626), symlinks in
# the rootfs aimed at host paths (CVE-2021-30465 and kin), writes through
# masked and read-only /proc paths, and an exec with more privilege than the
# container has.
source "$(dirname "$0")/lib.sh"
need_root

# masked_null_attack (CVE-2025-31133): an image whose /dev/null is a symlink
# to a procfs file (with no /dev tmpfs over it) has a masked file bound over
# with that file by a runtime that follows it. rrun refuses the config, and the
# masked path never becomes that file; the undefended rrun
# (HARDENING_EXPECT=escape) binds the host's core_pattern read-write over
# /proc/keys, and the container writes it (its own value back: harmless).
HARDENING_ESCAPE=0
[ "${HARDENING_EXPECT:-}" = escape ] && HARDENING_ESCAPE=1
masked_null_attack() {
    local core out
    core=$(cat /proc/sys/kernel/core_pattern)
    set_config "$B" "c['mounts'] = [m for m in c['mounts'] if not m['destination'].startswith('/dev')]
c['linux']['maskedPaths'] = ['/proc/keys']; c['linux']['readonlyPaths'] = []"
    mv "$B/rootfs/dev" "$WORK/dev.saved"
    mkdir "$B/rootfs/dev"
    ln -s /proc/sys/kernel/core_pattern "$B/rootfs/dev/null"
    out=$(in_container 'v=$(cat /proc/keys); echo "keys: $v"; echo "$v" > /proc/keys && echo WROTE')
    if [ $HARDENING_ESCAPE = 1 ]; then
        check_contains "the undefended rrun bound core_pattern over the masked /proc/keys" "keys: $core" "$out"
        check_contains "and the container wrote the host's core_pattern through it" WROTE "$out"
    else
        check_not_contains "a masked file is not bound to what /dev/null points at" WROTE "$out"
        check_contains "the config is refused, naming maskedPaths" "maskedPaths: /dev/null of the container is not the null device" "$out"
    fi
    check_eq "the host's core_pattern is unchanged" "$core" "$(cat /proc/sys/kernel/core_pattern)"
    check_eq "and no state is left" "" "$(ls "$STATE_ROOT")"
    rm -rf "$B/rootfs/dev"
    mv "$WORK/dev.saved" "$B/rootfs/dev"
}

make_test_bundle h
# The undefended rrun (test_path_swap_undefended) runs only this attack: the
# other defences here are older than its commit.
if [ $HARDENING_ESCAPE = 1 ]; then masked_null_attack; finish; exit; fi

# --- CVE-2019-5736: no container process reaches a writable rrun binary
# through /proc/PID/exe.
rrun_sum=$(sha256sum <"$RRUN")
# The init of a created container waits, as rrun, for start: nothing in the
# container can open its exe link (it is undumpable until it execs).
set_args "$B" sleep 1000
r create -b "$B" exe1
out=$(r exec exe1 sh -c 'exec 3</proc/1/exe && echo OPENED' 2>&1)
check_contains "the waiting init's exe link is closed to the container" "Permission denied" "$out"
check_not_contains "and was not opened" OPENED "$out"
r delete -f exe1

# The process that execs the program is what a "#!/proc/self/exe" program
# runs again. Exec'd processes run such a program: once each, a hundred
# times, and once running itself again per argument (5000 times), while the
# container's program takes a handle on every exe link that is not
# busybox's and, once no process runs that file, appends a byte through it
# (what the CVE's exploit does; harmless to an ELF file).
set_config "$B" "c['root']['readonly'] = False"
printf '#!/proc/self/exe\n' >"$B/rootfs/loop"
chmod 755 "$B/rootfs/loop"
set_args "$B" sh -c 'while :; do for p in /proc/[0-9]*; do
    t=$(readlink $p/exe) || continue; [ "$t" = /bin/busybox ] && continue
    echo "$t" >> /tmp/seen
    ( exec 3<$p/exe || exit; for i in $(seq 30); do sleep 0.1; printf x 2>/dev/null >>/proc/self/fd/3 && exec echo "WROTE $t" >> /tmp/seen; done
      printf x >>/proc/self/fd/3 ) 2>> /tmp/refused &
done; done'
r run -d -b "$B" exe2 </dev/null >/dev/null 2>&1
r exec -d exe2 /loop $(seq 5000)
for i in $(seq 100); do r exec exe2 /loop 1 >/dev/null 2>&1; done
# Then no rrun runs on the host for a while (a binary in use is ETXTBSY).
sleep 3.5
r delete -f exe2
seen=$(sort -u "$B/rootfs/tmp/seen")
refused=$(sed 's/.*: //' "$B/rootfs/tmp/refused" | sort -u | tr '\n' ' ')
check_true "the container reached the exe link of a process running the program (saw: $(echo "$seen" | tr '\n' ' '))" test -n "$seen"
check_not_contains "and could write through none of them" WROTE "$seen"
check_true "every write was refused ($refused)" test -s "$B/rootfs/tmp/refused"
rm -f "$B/rootfs/loop" "$B/rootfs/tmp/seen" "$B/rootfs/tmp/refused"
check_eq "the rrun binary is unchanged" "$rrun_sum" "$(sha256sum <"$RRUN")"
reset

# A seccomp profile may refuse execveat, which execs rrun-exec: the filter
# is loaded before it when noNewPrivileges is false. rrun-exec is then exec'd
# through /proc/self/fd, and the program still runs.
set_config "$B" "c['process']['noNewPrivileges'] = False
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['execveat'], 'action': 'SCMP_ACT_ERRNO'}]}"
set_args "$B" sh -c 'echo ran; grep ^Seccomp: /proc/self/status'
out=$(r run -b "$B" "h$RANDOM" 2>&1)
check_eq "a profile refusing execveat: the program runs, filtered" "ran Seccomp: 2" "$(echo $out)"
if command -v strace >/dev/null; then
    out=$(strace -f -e trace=execve,execveat "$RRUN" --root "$STATE_ROOT" run -b "$B" "h$RANDOM" 2>&1)
    check_contains "and rrun-exec was exec'd through /proc/self/fd" 'execve("/proc/self/fd/' "$out"
fi
reset

# --- rrun is not dumpable while it sets a container up: a startContainer
# hook (a container process, child of the init) cannot read the init's /proc
# files or ptrace it.
set_config "$B" "c['hooks'] = {'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'ls -l /proc/\$PPID/exe > /tmp/exe 2>&1; cat /proc/\$PPID/environ > /tmp/env 2>&1; grep ^TracerPid /proc/\$PPID/status > /tmp/tracer']}]}
c['root']['readonly'] = False"
out=$(in_container 'grep -c "Permission denied" /tmp/exe /tmp/env')
check_contains "the init's exe link is closed to the container" "/tmp/exe:1" "$out"
check_contains "the init's environ is closed to the container" "/tmp/env:1" "$out"
reset

# An exec'd process is not dumpable either until it execs: a scanner in the
# container never resolves an exe link to anything but busybox.
set_config "$B" "c['root']['readonly'] = False"
set_args "$B" sh -c 'while :; do for p in /proc/[0-9]*; do readlink $p/exe; done; done | grep -v "^/bin/busybox$" >> /tmp/seen'
r run -d -b "$B" scan
for i in 1 2 3 4 5 6 7 8; do r exec scan true; done
seen=$(r exec scan cat /tmp/seen)
check_eq "no exe link of an exec'd rrun was readable from the container" "" "$seen"
r delete -f scan
reset

# --- CVE-2024-21626: no runtime fd reaches the container, in run and in exec.
set_args "$B" sleep 1000
r run -d -b "$B" fd2 </dev/null >/dev/null 2>&1
out=$(r exec fd2 sh -c 'for f in /proc/1/fd/*; do echo "${f##*/} $(readlink $f)"; done' </dev/null 2>&1)
check_eq "the program holds only fds 0-2" "0 1 2" "$(echo "$out" | awk '{print $1}' | xargs)"
check_not_contains "no fd of the program names the state dir" "$STATE_ROOT" "$out"
check_not_contains "no fd of the program names the bundle" "$B" "$out"
check_not_contains "no fd of the program names a cgroup" "cgroup" "$out"
out=$(r exec fd2 sh -c 'for f in /proc/self/fd/*; do echo "${f##*/} $(readlink $f)"; done' </dev/null 2>&1)
check_eq "an exec'd process holds only fds 0-2 (and the shell's own)" "0 1 2 3" "$(echo "$out" | awk '{print $1}' | xargs)"
check_not_contains "no exec fd names the state dir" "$STATE_ROOT" "$out"
check_not_contains "no exec fd names a cgroup" "cgroup" "$out"

# A cwd through /proc/self/fd/N (a leaked fd's directory) is refused, in
# config.json and in exec.
for n in 3 4 5 6 7 8; do
    out=$(r exec --cwd /proc/self/fd/$n fd2 pwd 2>&1); rc=$?
    [ $rc -ne 0 ] && [[ "$out" == *"cwd"* ]] || break
done
check_eq "exec --cwd /proc/self/fd/N is refused (exit 255, as runc) for N=3..8" "255 8" "$rc $n"
r delete -f fd2
set_args "$B" pwd
for n in 3 4 5 6 7 8; do
    set_config "$B" "c['process']['cwd'] = '/proc/self/fd/$n'"
    out=$(r run -b "$B" cwd$n 2>&1); rc=$?
    [ $rc -ne 0 ] && [[ "$out" == *"process.cwd"* ]] || break
done
check_eq "process.cwd /proc/self/fd/N is refused for N=3..8" "1 8" "$rc $n"
check_eq "and leaves no state" "" "$(ls "$STATE_ROOT")"
reset

# A cwd that climbs out, or is a symlink to a host directory, stays in the rootfs.
mkdir -p "$WORK/hostcwd"
ln -s "$WORK/hostcwd" "$B/rootfs/evilcwd"
set_config "$B" "c['process']['cwd'] = '/../../../etc'; c['root']['readonly'] = False"
check_eq "a cwd with .. stays in the rootfs" "/etc root:x:0:0:root:/root:/bin/sh" "$(in_container 'pwd; cat passwd' | xargs)"
set_config "$B" "c['process']['cwd'] = '/evilcwd'"
in_container 'touch planted' >/dev/null
check_true "a cwd symlinked to a host directory does not reach it" test -z "$(ls -A "$WORK/hostcwd")"
rm -rf "$B/rootfs/evilcwd" "$B/rootfs/$WORK"
reset

# --- Symlinks in the rootfs aimed at host paths redirect none of the
# runtime's writes: /proc (with a sysctl written through it), /dev/null
# (with the image's own /dev), and /dev as a whole.
host_dev_null=$(stat -c '%i %t:%T %a %U %Y %Z' /dev/null)
ipf=$(cat /proc/sys/net/ipv4/ip_forward)
mkdir -p "$WORK/hostproc"
rmdir "$B/rootfs/proc" && ln -s "$WORK/hostproc" "$B/rootfs/proc"
set_config "$B" "c['linux']['sysctl'] = {'net.ipv4.ip_forward': '1'}; c['root']['readonly'] = False"
out=$(in_container 'cat /proc/sys/net/ipv4/ip_forward')
check_true "a /proc symlinked to a host directory gets nothing there" test -z "$(ls -A "$WORK/hostproc")"
# The sysctl goes through rrun's private procfs (issue #22): it reaches the
# container's own ip_forward, never a file the symlink names.
check_eq "a sysctl with a symlinked /proc is written to the container's own file" "1" "$out"
check_eq "the host's ip_forward is untouched" "$ipf" "$(cat /proc/sys/net/ipv4/ip_forward)"
rm -f "$B/rootfs/proc"; rm -rf "$B/rootfs/$WORK"; mkdir "$B/rootfs/proc"
reset

echo secret >"$WORK/victim"
ln -s "$WORK/victim" "$B/rootfs/dev/null"
set_config "$B" "c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/dev']; c['root']['readonly'] = False"
in_container 'echo overwritten > /dev/null; echo x > /dev/zero' >/dev/null
check_eq "a /dev/null symlinked to a host file leaves the file alone" secret "$(cat "$WORK/victim")"
rm -f "$B/rootfs/dev/null"; rm -rf "$B/rootfs/$WORK"
# /dev itself a symlink climbing to the host's /dev: resolved in the rootfs.
rmdir "$B/rootfs/dev" && ln -s "/../../../../dev" "$B/rootfs/dev"
in_container 'true' >/dev/null
rm -f "$B/rootfs/dev"; mkdir "$B/rootfs/dev"
reset

# The host's /dev bind-mounted whole, with extra linux.devices: rrun creates
# nothing in it (runc skips device setup for a bind-mounted /dev).
set_config "$B" "
c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/dev']
c['mounts'].insert(1, {'destination': '/dev', 'type': 'bind', 'source': '/dev', 'options': ['rbind', 'nosuid']})
c['linux']['devices'] = [{'path': '/dev/rrun-hardening-test', 'type': 'c', 'major': 1, 'minor': 3},
                         {'path': '/dev/null', 'type': 'c', 'major': 1, 'minor': 5}]"
out=$(in_container 'echo x > /dev/null; ls -A /dev | wc -l')
check_true "the container saw the host's /dev ($out entries)" test "${out:-0}" -gt 5
check_eq "the host's /dev/null is the same node" "$host_dev_null" "$(stat -c '%i %t:%T %a %U %Y %Z' /dev/null)"
check_true "no linux.devices node was made in the host's /dev" test ! -e /dev/rrun-hardening-test
reset
check_eq "the host's /dev/null is untouched by all of the above" "$host_dev_null" "$(stat -c '%i %t:%T %a %U %Y %Z' /dev/null)"

# --- /proc and /sys: the default masked and read-only paths hold. Each write
# is of a harmless value (sysrq 'h' prints help; core_pattern its own value).
core=$(cat /proc/sys/kernel/core_pattern)
out=$(in_container 'cat /proc/sys/kernel/core_pattern > /tmp/c 2>/dev/null; cat /tmp/c > /proc/sys/kernel/core_pattern && echo CORE
echo h > /proc/sysrq-trigger && echo SYSRQ
echo 1 > /proc/sys/kernel/sysrq && echo SYSCTL
echo 1 > /sys/kernel/profiling && echo SYSFS
cat /proc/kcore /proc/keys /proc/timer_list 2>/dev/null | wc -c
mount -o remount,rw /proc/sys 2>/dev/null && echo REMOUNT
umount /proc/kcore 2>/dev/null && echo UNMASKED; true')
check_not_contains "core_pattern is not writable" CORE "$out"
check_not_contains "sysrq-trigger is not writable" SYSRQ "$out"
check_not_contains "/proc/sys is read-only" SYSCTL "$out"
check_not_contains "/sys is read-only" SYSFS "$out"
check_not_contains "/proc/sys cannot be remounted read-write" REMOUNT "$out"
check_not_contains "a masked path cannot be unmounted" UNMASKED "$out"
check_contains "masked /proc files read as empty" 0 "$(echo "$out" | grep -x '[0-9]*')"
check_eq "the host's core_pattern is unchanged" "$core" "$(cat /proc/sys/kernel/core_pattern)"

# --- Masked files are bound over with the container's /dev/null, once it is
# checked to be the null device (CVE-2025-31133): masked_null_attack above.
reset
masked_null_attack
reset

# --- exec never runs with more than the container: a --process without
# capabilities gets the container's, noNewPrivileges cannot be switched off,
# and the container's seccomp filter applies.
set_config "$B" "c['process']['noNewPrivileges'] = True
c['process']['capabilities'] = {k: ['CAP_KILL'] for k in ['bounding', 'effective', 'permitted']}
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdirat', 'mkdir'], 'action': 'SCMP_ACT_ERRNO'}]}"
set_args "$B" sleep 1000
r run -d -b "$B" ex1
want=$(r exec ex1 grep -E '^(CapBnd|CapEff|CapPrm|NoNewPrivs|Seccomp):' /proc/1/status | xargs)
cat >"$WORK/p.json" <<'EOF'
{"args": ["sh", "-c", "grep -E '^(CapBnd|CapEff|CapPrm|NoNewPrivs|Seccomp):' /proc/self/status | xargs; mkdir /tmp/d 2>&1 || true"],
 "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": false}
EOF
out=$(r exec --process "$WORK/p.json" ex1 2>&1)
check_eq "exec --process without capabilities gets exactly the container's, NoNewPrivs and seccomp" "$want" "$(echo "$out" | head -n1)"
check_contains "the container's seccomp filter refuses mkdir in the exec" "Operation not permitted" "$out"
check_contains "the container's own process had CAP_KILL only" "CapBnd: 0000000000000020" "$want"
r delete -f ex1
reset

check_eq "no state left" "" "$(ls "$STATE_ROOT")"
finish
