# config-linux.md: namespaces, id mappings, devices, cgroups, sysctl,
# seccomp, propagation, masked/readonly paths, labels, personality, time.

ns_new() {
    local type=$1 link=$2 b
    b=$(bundle)
    add_ns "$b" "$type"
    probe "$b"
    local got
    got=$(j "$b/out" "d['ns'].get('$link')")
    [ -n "$got" ] && [ "$got" != None ] || fail "no /proc/self/ns/$link in the container"
    [ "$got" != "$(host_ns "$link")" ] || fail "$link namespace is the runtime's ($got), not a new one"
    pass
}
for _ns in pid:pid network:net ipc:ipc uts:uts mount:mnt cgroup:cgroup; do
    eval "t_ns_new_${_ns%%:*}() { ns_new ${_ns%%:*} ${_ns##*:}; }"
    t "config-linux.namespaces.new-${_ns%%:*}" "config-linux.md#namespaces" "type ${_ns%%:*} without path: the runtime MUST create a new namespace" "t_ns_new_${_ns%%:*}"
done
unset _ns

t_ns_inherit() {
    local b
    b=$(bundle)
    del_ns "$b" network
    del_ns "$b" ipc
    probe "$b"
    [ "$(j "$b/out" 'd["ns"]["net"]')" = "$(host_ns net)" ] || fail "net namespace not inherited: $(j "$b/out" 'd["ns"]["net"]') vs $(host_ns net)"
    [ "$(j "$b/out" 'd["ns"]["ipc"]')" = "$(host_ns ipc)" ] || fail "ipc namespace not inherited"
    pass
}
t config-linux.namespaces.inherit "config-linux.md#namespaces" "a namespace type not listed MUST be inherited from the runtime" t_ns_inherit

# a running container to join
sleeper_for_join() {
    local b
    b=$(bundle target)
    args "$b" /probe sleep 600
    add_ns "$b" cgroup
    TARGET_ID=$(newid target)
    create_c "$b" "$TARGET_ID" || fail "create of the target container failed: $(errtext "$b")"
    TARGET_PID=$(pid_of "$TARGET_ID")
    [ -n "$TARGET_PID" ] || fail "no pid for the target container"
}

ns_join() {
    local type=$1 link=$2 b
    sleeper_for_join
    b=$(bundle)
    add_ns "$b" "$type" "/proc/$TARGET_PID/ns/$link"
    probe "$b"
    local want
    want=$(readlink "/proc/$TARGET_PID/ns/$link")
    [ "$(j "$b/out" "d['ns']['$link']")" = "$want" ] || fail "$link is $(j "$b/out" "d['ns']['$link']"), not the target's $want"
    pass
}
# (mount is left out: joining another mount namespace and then setting up a
# rootfs in it is not a meaningful configuration)
for _ns in network:net ipc:ipc uts:uts pid:pid cgroup:cgroup; do
    eval "t_ns_join_${_ns%%:*}() { ns_join ${_ns%%:*} ${_ns##*:}; }"
    t "config-linux.namespaces.join-${_ns%%:*}" "config-linux.md#namespaces" "type ${_ns%%:*} with path: the runtime MUST place the process in that namespace" "t_ns_join_${_ns%%:*}"
done
unset _ns

t_ns_join_wrong_type() {
    local b id
    sleeper_for_join
    b=$(bundle)
    add_ns "$b" network "/proc/$TARGET_PID/ns/ipc"
    id=$(newid)
    if run_c "$b" "$id"; then fail "a network namespace path that is an ipc namespace was accepted"; fi
    pass
}
t config-linux.namespaces.wrong-type "config-linux.md#namespaces" "a path not associated with a namespace of that type MUST generate an error" t_ns_join_wrong_type

t_ns_duplicate() {
    local b id
    b=$(bundle)
    cfg "$b" "c['linux']['namespaces'].append({'type': 'ipc'})"
    id=$(newid)
    if run_c "$b" "$id"; then fail "duplicated namespace entries were accepted"; fi
    pass
}
t config-linux.namespaces.duplicate "config-linux.md#namespaces" "duplicated namespace types MUST generate an error" t_ns_duplicate

userns_bundle() {
    local b
    b=$(bundle "${1:-bundle}")
    add_ns "$b" user
    cfg "$b" "c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]; c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 300000, 'size': 65536}]"
    echo "$b"
}

t_userns_maps() {
    local b
    b=$(userns_bundle)
    probe "$b"
    [ "$(j "$b/out" 'd["ns"]["user"]')" != "$(host_ns user)" ] || fail "no new user namespace"
    [ "$(j "$b/out" 'd["uid_map"].split()')" = '["0", "200000", "65536"]' ] || fail "uid_map is [$(j "$b/out" 'd["uid_map"]')]"
    [ "$(j "$b/out" 'd["gid_map"].split()')" = '["0", "300000", "65536"]' ] || fail "gid_map is [$(j "$b/out" 'd["gid_map"]')]"
    [ "$(j "$b/out" '[d["uid"], d["gid"]]')" = "[0, 0]" ] || fail "uid/gid inside: $(j "$b/out" '[d["uid"], d["gid"]]')"
    pass
}
t config-linux.user-mappings "config-linux.md#user-namespace-mappings" "uidMappings/gidMappings are written for the new user namespace" t_userns_maps

t_userns_no_chown() {
    local b
    b=$(userns_bundle)
    probe "$b"
    [ "$(stat -c %u:%g "$b/rootfs/probe")" = 0:0 ] || fail "the rootfs was chowned to $(stat -c %u:%g "$b/rootfs/probe")"
    pass
}
t config-linux.user-mappings.no-chown "config-linux.md#user-namespace-mappings" "the runtime SHOULD NOT change the ownership of the rootfs to realize the mapping" t_userns_no_chown

t_devices() {
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['devices'] = [{'path': '/dev/conformance-null', 'type': 'c', 'major': 1, 'minor': 3, 'fileMode': 0o640, 'uid': 12, 'gid': 34}]"
    probe "$b" stat /dev/conformance-null
    local got
    got=$(j "$b/out" '[d.get("type"), d.get("major"), d.get("minor"), oct(d.get("mode", 0)), d.get("uid"), d.get("gid")]')
    [ "$got" = '["c", 1, 3, "0o640", 12, 34]' ] || fail "[type, major, minor, mode, uid, gid] = $got"
    pass
}
t config-linux.devices "config-linux.md#devices" "listed devices MUST be available with type, numbers, fileMode, uid, gid" t_devices

t_devices_fifo() {
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['devices'] = [{'path': '/dev/conformance-fifo', 'type': 'p', 'fileMode': 0o600}]"
    probe "$b" stat /dev/conformance-fifo
    [ "$(j "$b/out" 'd.get("type")')" = p ] || fail "not a fifo: $(cat "$b/out")"
    pass
}
t config-linux.devices.fifo "config-linux.md#devices" "a device of type p (fifo) MUST be available" t_devices_fifo

t_devices_conflict() {
    local b id
    b=$(bundle)
    echo not-a-device >"$b/rootfs/etc/conflict"
    cfg "$b" "c['linux']['devices'] = [{'path': '/etc/conflict', 'type': 'c', 'major': 1, 'minor': 3}]"
    id=$(newid)
    if run_c "$b" "$id"; then fail "a regular file at a device path was accepted"; fi
    pass
}
t config-linux.devices.conflict "config-linux.md#devices" "a file at path that does not match the device MUST generate an error" t_devices_conflict

t_default_devices() {
    local b
    b=$(bundle)
    args "$b" /bin/sh -c 'for d in null zero full random urandom tty; do /probe stat /dev/$d; done; /probe stat /dev/ptmx'
    local id
    id=$(newid)
    run_c "$b" "$id" || fail "the container failed: $(errtext "$b")"
    "$PY" - "$b/out" <<'PY' >"$TDIR/verdict" || fail "$(cat "$TDIR/verdict")"
import json, sys
want = {"/dev/null": (1, 3), "/dev/zero": (1, 5), "/dev/full": (1, 7), "/dev/random": (1, 8), "/dev/urandom": (1, 9), "/dev/tty": (5, 0)}
bad = []
for line in open(sys.argv[1]):
    d = json.loads(line)
    p = d["path"]
    if p == "/dev/ptmx":
        ok = (d.get("type") == "l" and d.get("target") in ("pts/ptmx", "/dev/pts/ptmx")) or (d.get("type") == "c" and (d.get("major"), d.get("minor")) == (5, 2))
        if not ok: bad.append("%s: %s" % (p, d))
    elif d.get("type") != "c" or (d.get("major"), d.get("minor")) != want[p]:
        bad.append("%s: %s" % (p, d))
if bad:
    print("; ".join(bad)); sys.exit(1)
PY
    pass
}
t config-linux.devices.default "config-linux.md#default-devices" "the runtime MUST supply /dev/null, zero, full, random, urandom, tty and /dev/ptmx" t_default_devices

cgroup_container() {
    # cgroup_container CONTROLLER PYTHON-RESOURCES: a running sleeper with
    # cgroupsPath /oci-conformance/ID and the given linux.resources
    v1_mounted "$1" || skip "no cgroup v1 $1 hierarchy on this host"
    B=$(bundle)
    ID=$(newid)
    CG=/oci-conformance-$SUITE_PID/$ID
    args "$B" /probe sleep 600
    cfg "$B" "c['linux']['cgroupsPath'] = '$CG'; c['linux']['resources'] = $2"
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    PID=$(pid_of "$ID")
    on_cleanup_rmdir "$CG"
}
on_cleanup_rmdir() {
    # the runtime should remove the cgroup on delete; remove leftovers (empty dirs only)
    echo "$1" >>"$TDIR/.cgroups"
}

t_cgroups_path() {
    cgroup_container pids "{}"
    local got
    got=$(cgroup_v1_path "$PID" pids)
    [ "$got" = "$CG" ] || fail "the container is in pids:$got, not $CG"
    pass
}
t config-linux.cgroups-path "config-linux.md#cgroups-path" "an absolute cgroupsPath MUST be taken relative to the cgroups mount point" t_cgroups_path

t_res_pids() {
    cgroup_container pids "{'pids': {'limit': 77}}"
    local f="/sys/fs/cgroup/pids$(cgroup_v1_path "$PID" pids)/pids.max"
    [ "$(cat "$f" 2>/dev/null)" = 77 ] || fail "pids.max is [$(cat "$f" 2>/dev/null)], not 77"
    pass
}
t config-linux.resources.pids "config-linux.md#pids" "resources.pids.limit sets the pids controller's limit" t_res_pids

t_res_pids_zero() {
    # 1.3.0: "0 is a valid limit value ... and SHOULD be treated as such"
    cgroup_container pids "{'pids': {'limit': 0}}; c['ociVersion'] = '1.3.0'"
    local f="/sys/fs/cgroup/pids$(cgroup_v1_path "$PID" pids)/pids.max"
    [ "$(cat "$f" 2>/dev/null)" = 0 ] || fail "pids.max is [$(cat "$f" 2>/dev/null)], not 0"
    pass
}
t config-linux.resources.pids-zero "config-linux.md#pids" "a pids limit of 0 SHOULD be treated as a limit (1.3.0)" t_res_pids_zero

t_res_memory() {
    cgroup_container memory "{'memory': {'limit': 67108864}}"
    local f="/sys/fs/cgroup/memory$(cgroup_v1_path "$PID" memory)/memory.limit_in_bytes"
    [ "$(cat "$f" 2>/dev/null)" = 67108864 ] || fail "memory.limit_in_bytes is [$(cat "$f" 2>/dev/null)], not 67108864"
    pass
}
t config-linux.resources.memory "config-linux.md#memory" "resources.memory.limit sets the memory controller's limit" t_res_memory

t_res_cpu() {
    cgroup_container cpu "{'cpu': {'shares': 512, 'quota': 20000, 'period': 100000}}"
    local d="/sys/fs/cgroup/cpu$(cgroup_v1_path "$PID" cpu)"
    local got
    got="$(cat "$d/cpu.shares" 2>/dev/null) $(cat "$d/cpu.cfs_quota_us" 2>/dev/null) $(cat "$d/cpu.cfs_period_us" 2>/dev/null)"
    [ "$got" = "512 20000 100000" ] || fail "shares/quota/period are [$got]"
    pass
}
t config-linux.resources.cpu "config-linux.md#cpu" "resources.cpu shares/quota/period set the cpu controller" t_res_cpu

t_res_cpuset() {
    cgroup_container cpuset "{'cpu': {'cpus': '0'}}"
    local f="/sys/fs/cgroup/cpuset$(cgroup_v1_path "$PID" cpuset)/cpuset.cpus"
    [ "$(cat "$f" 2>/dev/null)" = 0 ] || fail "cpuset.cpus is [$(cat "$f" 2>/dev/null)], not 0"
    pass
}
t config-linux.resources.cpuset "config-linux.md#cpu" "resources.cpu.cpus sets the cpuset" t_res_cpuset

t_res_blkio() {
    local dev
    dev=$(lsblk -ndo MAJ:MIN "$(findmnt -no SOURCE / 2>/dev/null)" 2>/dev/null | tr -d ' ')
    [ -n "$dev" ] || skip "cannot find the root block device's numbers"
    [ -f /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device ] || skip "no blkio throttling on this host"
    cgroup_container blkio "{'blockIO': {'throttleReadBpsDevice': [{'major': ${dev%%:*}, 'minor': ${dev##*:}, 'rate': 1048576}]}}"
    local f="/sys/fs/cgroup/blkio$(cgroup_v1_path "$PID" blkio)/blkio.throttle.read_bps_device"
    grep -qx "$dev 1048576" "$f" 2>/dev/null || fail "read_bps_device is [$(cat "$f" 2>/dev/null)], want [$dev 1048576]"
    pass
}
t config-linux.resources.blkio "config-linux.md#block-io" "resources.blockIO.throttleReadBpsDevice sets the blkio throttle" t_res_blkio

t_res_devices() {
    v1_mounted devices || skip "no cgroup v1 devices hierarchy"
    local b id
    b=$(bundle)
    cfg "$b" "c['linux']['devices'] = [{'path': '/dev/conformance-kmsg', 'type': 'c', 'major': 1, 'minor': 11, 'fileMode': 0o666}]; c['linux']['resources'] = {'devices': [{'allow': False, 'access': 'rwm'}, {'allow': True, 'type': 'c', 'major': 1, 'minor': 3, 'access': 'rwm'}]}"
    probe "$b" open /dev/conformance-kmsg r
    [ "$(j "$b/out" 'd["errno"]')" = 1 ] || fail "opening a device the device cgroup denies gave errno $(j "$b/out" 'd["errno"]'), not EPERM"
    pass
}
t config-linux.resources.devices "config-linux.md#device-allowlist" "resources.devices: access to a denied device MUST be refused (entries applied in order)" t_res_devices

t_sysctl() {
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['sysctl'] = {'net.ipv4.ip_forward': '1', 'kernel.shm_rmid_forced': '1'}"
    args "$b" /bin/sh -c '/probe read /proc/sys/net/ipv4/ip_forward; /probe read /proc/sys/kernel/shm_rmid_forced'
    local id
    id=$(newid)
    run_c "$b" "$id" || fail "the container failed: $(errtext "$b")"
    [ "$(head -1 "$b/out" | json_get '["data"]')" = 1 ] || fail "net.ipv4.ip_forward: $(head -1 "$b/out")"
    [ "$(tail -1 "$b/out" | json_get '["data"]')" = 1 ] || fail "kernel.shm_rmid_forced: $(tail -1 "$b/out")"
    pass
}
t config-linux.sysctl "config-linux.md#sysctl" "sysctl entries are set for the container (net, ipc)" t_sysctl

t_seccomp() {
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], 'syscalls': [{'names': ['getcwd'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 42}]}"
    probe "$b"
    [ "$(j "$b/out" 'd["status"]["Seccomp"]')" = 2 ] || fail "no seccomp filter (Seccomp: $(j "$b/out" 'd["status"]["Seccomp"]'))"
    [ "$(j "$b/out" 'd["cwd_errno"]')" = 42 ] || fail "getcwd returned errno $(j "$b/out" 'd["cwd_errno"]'), not errnoRet 42"
    pass
}
t config-linux.seccomp "config-linux.md#seccomp" "seccomp: the filter is loaded; a matching syscall gets the rule's action (SCMP_ACT_ERRNO, errnoRet)" t_seccomp

t_seccomp_invalid() {
    local b id
    b=$(bundle)
    cfg "$b" "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_NO_SUCH_ACTION'}"
    id=$(newid)
    if run_c "$b" "$id"; then fail "an unknown seccomp action was accepted"; fi
    pass
}
t config-linux.seccomp.invalid "config-linux.md#seccomp" "an invalid seccomp action MUST generate an error" t_seccomp_invalid

t_seccomp_errno_unsupported() {
    local b id
    b=$(bundle)
    cfg "$b" "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_KILL', 'errnoRet': 5}]}"
    id=$(newid)
    if run_c "$b" "$id"; then fail "errnoRet on SCMP_ACT_KILL was accepted"; fi
    pass
}
t config-linux.seccomp.errno-unsupported "config-linux.md#seccomp" "1.2.1: errnoRet on an action that returns no errno MUST be an error" t_seccomp_errno_unsupported

propagation() {
    local mode=$1 want=$2 b
    b=$(bundle)
    # engines give the rootfs its own mount (overlay); do the same with a bind
    # mount so that the propagation of / is the runtime's doing alone
    mount --bind "$b/rootfs" "$b/rootfs" || skip "cannot bind-mount the rootfs onto itself"
    mount --make-private "$b/rootfs"
    echo "$b/rootfs" >>"$TDIR/.mounts"
    cfg "$b" "c['linux']['rootfsPropagation'] = '$mode'"
    probe "$b"
    local root
    root=$(j "$b/out" '[l for l in d["mountinfo"] if l.split()[4] == "/"][-1]')
    case $want in
        shared) [[ $root == *" shared:"* ]] || fail "/ is not shared: $root" ;;
        private) [[ $root != *" shared:"* && $root != *" master:"* ]] || fail "/ is not private: $root" ;;
        unbindable) [[ $root == *" unbindable "* ]] || fail "/ is not unbindable: $root" ;;
    esac
    pass
}
t_prop_shared() { propagation shared shared; }
t_prop_private() { propagation private private; }
t_prop_unbindable() { propagation unbindable unbindable; }
t config-linux.rootfs-propagation.shared "config-linux.md#rootfs-mount-propagation" "rootfsPropagation shared: the rootfs mount is shared" t_prop_shared
t config-linux.rootfs-propagation.private "config-linux.md#rootfs-mount-propagation" "rootfsPropagation private: the rootfs mount is private" t_prop_private
t config-linux.rootfs-propagation.unbindable "config-linux.md#rootfs-mount-propagation" "rootfsPropagation unbindable: the rootfs mount is unbindable" t_prop_unbindable

t_masked() {
    local b id
    b=$(bundle)
    mkdir -p "$b/rootfs/secret-dir"
    echo secret >"$b/rootfs/secret-dir/f"
    echo secret >"$b/rootfs/secret-file"
    cfg "$b" "c['linux']['maskedPaths'] = ['/secret-dir', '/secret-file', '/proc/kcore']"
    args "$b" /bin/sh -c '/probe read /secret-file; /probe read /secret-dir/f; /probe read /proc/kcore'
    id=$(newid)
    run_c "$b" "$id" || fail "the container failed: $(errtext "$b")"
    [ "$(sed -n 1p "$b/out" | json_get '["size"]')" = 0 ] || fail "masked file readable: $(sed -n 1p "$b/out")"
    [ "$(sed -n 2p "$b/out" | json_get '["errno"]')" != 0 ] || fail "a file in a masked dir is readable: $(sed -n 2p "$b/out")"
    [ "$(sed -n 3p "$b/out" | json_get '["size"]')" = 0 ] || fail "/proc/kcore readable: $(sed -n 3p "$b/out" | head -c 100)"
    pass
}
t config-linux.masked-paths "config-linux.md#masked-paths" "maskedPaths MUST be masked so they cannot be read (files and directories)" t_masked

t_readonly_paths() {
    local b id
    b=$(bundle)
    mkdir -p "$b/rootfs/rodir"
    cfg "$b" "c['linux']['readonlyPaths'] = ['/rodir', '/proc/sys']"
    args "$b" /bin/sh -c '/probe write /rodir/f; /probe write /proc/sys/kernel/hostname'
    id=$(newid)
    run_c "$b" "$id" || fail "the container failed: $(errtext "$b")"
    [ "$(sed -n 1p "$b/out" | json_get '["errno"]')" = 30 ] || fail "/rodir writable: $(sed -n 1p "$b/out")"
    [ "$(sed -n 2p "$b/out" | json_get '["errno"]')" = 30 ] || fail "/proc/sys writable: $(sed -n 2p "$b/out")"
    pass
}
t config-linux.readonly-paths "config-linux.md#readonly-paths" "readonlyPaths MUST be read-only inside the container" t_readonly_paths

t_mount_label() {
    [ -e /sys/fs/selinux/enforce ] || skip "SELinux is not enabled on this host"
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['mountLabel'] = 'system_u:object_r:container_file_t:s0:c1,c2'"
    probe "$b"
    [[ "$(j "$b/out" 'd["mountinfo"]')" == *c1,c2* ]] || fail "mountLabel not on the mounts"
    pass
}
t config-linux.mount-label "config-linux.md#mount-label" "mountLabel sets the SELinux context of the container's mounts" t_mount_label

t_selinux_label() {
    [ -e /sys/fs/selinux/enforce ] || skip "SELinux is not enabled on this host"
    local b
    b=$(bundle)
    cfg "$b" "c['process']['selinuxLabel'] = 'system_u:system_r:container_t:s0:c1,c2'"
    probe "$b"
    [[ "$(j "$b/out" 'd["attr_current"]')" == *container_t* ]] || fail "label is $(j "$b/out" 'd["attr_current"]')"
    pass
}
t config.process.selinux-label "config.md#linux-process" "selinuxLabel sets the process's SELinux label" t_selinux_label

t_apparmor() {
    [ -d /sys/kernel/security/apparmor ] || skip "AppArmor is not enabled on this host"
    grep -q '^unconfined\|conformance' /sys/kernel/security/apparmor/profiles 2>/dev/null || true
    skip "AppArmor is enabled but no test profile is loaded"
}
t config.process.apparmor "config.md#linux-process" "apparmorProfile sets the process's AppArmor profile" t_apparmor

t_personality() {
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['personality'] = {'domain': 'LINUX32'}"
    probe "$b"
    [ "$(j "$b/out" 'd["personality"] & 0xff')" = 8 ] || fail "personality is $(j "$b/out" 'hex(d["personality"])'), not PER_LINUX32 (0x8)"
    [ "$(j "$b/out" 'd["machine"]')" != x86_64 ] || fail "uname -m still says x86_64 under LINUX32"
    pass
}
t config-linux.personality "config-linux.md#personality" "personality domain LINUX32 sets the execution domain" t_personality

t_time_ns() {
    [ -e /proc/self/ns/time ] || skip "the kernel has no time namespaces"
    local b host
    b=$(bundle)
    add_ns "$b" time
    cfg "$b" "c['linux']['timeOffsets'] = {'monotonic': {'secs': 864000, 'nanosecs': 0}, 'boottime': {'secs': 1728000, 'nanosecs': 0}}"
    host=$(cut -d' ' -f1 /proc/uptime)
    probe "$b"
    [ "$(j "$b/out" 'd["ns"].get("time")')" != "$(host_ns time)" ] || fail "no new time namespace"
    local ok
    ok=$(j "$b/out" "abs(d['monotonic'] - 864000 - $host) < 60 and abs(d['boottime'] - 1728000 - $host) < 60")
    [ "$ok" = true ] || fail "clocks not offset: monotonic $(j "$b/out" 'd["monotonic"]') boottime $(j "$b/out" 'd["boottime"]') (host uptime $host)"
    pass
}
t config-linux.time-offsets "config-linux.md#offset-for-time-namespace" "a time namespace with timeOffsets shifts CLOCK_MONOTONIC and CLOCK_BOOTTIME" t_time_ns

t_intel_rdt() {
    [ -d /sys/fs/resctrl ] && mountpoint -q /sys/fs/resctrl || skip "resctrl (Intel RDT) is not mounted on this host"
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['intelRdt'] = {'closID': 'oci-conformance'}"
    probe "$b"
    [ -d /sys/fs/resctrl/oci-conformance ] || fail "no resctrl group oci-conformance"
    pass
}
t config-linux.intel-rdt "config-linux.md#intelrdt" "intelRdt.closID puts the container in that resctrl group" t_intel_rdt

t_intel_rdt_none() {
    grep -q ' - resctrl ' /proc/self/mountinfo && skip "resctrl is mounted on this host"
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['intelRdt'] = {'closID': 'oci-conformance', 'schemata': ['L3:0=f']}"
    ID=$(newid)
    if create_c "$b" "$ID"; then fail "create succeeded with intelRdt and no resctrl mounted"; fi
    pass
}
t config-linux.intel-rdt-none "config-linux.md#intelrdt" "intelRdt with no resctrl mounted in the runtime namespace: the runtime MUST generate an error" t_intel_rdt_none

# linux.memoryPolicy (1.3.0): numa_maps shows the task's policy on each mapping.
mempolicy_of() {  # mempolicy_of BUNDLE: the policy the container's first mapping shows
    local b=$1
    args "$b" head -1 /proc/self/numa_maps
    run_c "$b" "$(newid)" || fail "the container did not run: $(errtext "$b")"
    awk '{print $2}' "$b/out"
}
t_memory_policy() {
    [ -r /proc/self/numa_maps ] || skip "no /proc/self/numa_maps (kernel without NUMA)"
    local b got
    b=$(bundle)
    cfg "$b" "c['linux']['memoryPolicy'] = {'mode': 'MPOL_BIND', 'nodes': '0', 'flags': ['MPOL_F_STATIC_NODES']}"
    got=$(mempolicy_of "$b")
    [ "$got" = "bind=static:0" ] || fail "numa_maps shows [$got], not bind=static:0"
    pass
}
t config-linux.memory-policy "config-linux.md#memory-policy" "1.3.0: memoryPolicy sets the container's NUMA policy (mode, nodes, flags)" t_memory_policy

t_memory_policy_interleave() {
    [ -r /proc/self/numa_maps ] || skip "no /proc/self/numa_maps (kernel without NUMA)"
    local b got
    b=$(bundle)
    cfg "$b" "c['linux']['memoryPolicy'] = {'mode': 'MPOL_INTERLEAVE', 'nodes': '0'}"
    got=$(mempolicy_of "$b")
    [ "$got" = "interleave:0" ] || fail "numa_maps shows [$got], not interleave:0"
    pass
}
t config-linux.memory-policy-interleave "config-linux.md#memory-policy" "1.3.0: memoryPolicy MPOL_INTERLEAVE over nodes" t_memory_policy_interleave

t_memory_policy_bad_node() {
    local b last
    last=$(sed 's/.*[-,]//' /sys/devices/system/node/online 2>/dev/null || echo 0)
    b=$(bundle)
    cfg "$b" "c['linux']['memoryPolicy'] = {'mode': 'MPOL_BIND', 'nodes': '$((last + 1))'}"
    ID=$(newid)
    if create_c "$b" "$ID"; then fail "create succeeded binding memory to node $((last + 1)), which this host has not"; fi
    pass
}
t config-linux.memory-policy-bad-node "config-linux.md#memory-policy" "1.3.0: a memoryPolicy the kernel refuses (a node the host has not) is an error" t_memory_policy_bad_node

# linux.netDevices (1.3.0), with a veth pair the test makes.
veth_pair() {  # sets HOSTIF (to move) and PEER
    local n=$((RANDOM % 100000))
    HOSTIF=ocv$n; PEER=ocp$n
    ip link add "$HOSTIF" type veth peer name "$PEER" 2>/dev/null || skip "cannot make a veth pair (ip link add type veth)"
    printf '%s\n' "$PEER" "$HOSTIF" >>"$TDIR/.links"
}
t_net_devices() {
    veth_pair
    ip addr add 10.213.7.2/24 dev "$HOSTIF"
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['netDevices'] = {'$HOSTIF': {'name': 'oc0'}}"
    args "$b" sh -c 'cat /sys/class/net/oc0/flags; ip -4 addr show oc0'
    run_c "$b" "$(newid)" || fail "the container did not run: $(errtext "$b")"
    [ $(( $(head -1 "$b/out") & 1 )) = 1 ] || fail "oc0 is not up in the container (flags $(head -1 "$b/out"))"
    grep -q 'inet 10.213.7.2/24' "$b/out" || fail "the address was not kept: $(tr '\n' ' ' <"$b/out")"
    pass
}
t config-linux.net-devices "config-linux.md#network-devices" "1.3.0: netDevices moves the device in, renamed, up, with its permanent global addresses" t_net_devices

t_net_devices_gone() {
    veth_pair
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['netDevices'] = {'$HOSTIF': {}}"
    args "$b" /probe sleep 600
    ID=$(newid)
    create_c "$b" "$ID" || fail "create failed: $(errtext "$b")"
    [ ! -e "/sys/class/net/$HOSTIF" ] || fail "$HOSTIF is still in the runtime's network namespace"
    pass
}
t config-linux.net-devices-moved "config-linux.md#network-devices" "1.3.0: a moved device is no longer in the runtime's network namespace" t_net_devices_gone

t_net_devices_clash() {
    veth_pair
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['netDevices'] = {'$HOSTIF': {'name': 'lo'}}"
    ID=$(newid)
    if create_c "$b" "$ID"; then fail "create succeeded although the container has an lo already"; fi
    pass
}
t config-linux.net-devices-clash "config-linux.md#network-devices" "1.3.0: a name that exists in the container's namespace MUST be an error" t_net_devices_clash

t_net_devices_template() {
    veth_pair
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['netDevices'] = {'$HOSTIF': {'name': 'lo%d'}}"
    args "$b" sh -c 'ls /sys/class/net'
    run_c "$b" "$(newid)" || fail "a %d template was refused: $(errtext "$b")"
    grep -qx 'lo[0-9][0-9]*' "$b/out" || fail "no lo<N> in the container: $(tr '\n' ' ' <"$b/out")"
    pass
}
t config-linux.net-devices-template "config-linux.md#network-devices" "1.3.0: a name ending in %d MUST be allowed; the kernel numbers it" t_net_devices_template

t_net_devices_missing() {
    local b
    b=$(bundle)
    cfg "$b" "c['linux']['netDevices'] = {'ocmissing$$': {}}"
    ID=$(newid)
    if create_c "$b" "$ID"; then fail "create succeeded moving a device that does not exist"; fi
    pass
}
t config-linux.net-devices-missing "config-linux.md#network-devices" "1.3.0: the runtime MUST check the move is possible (a missing device is an error)" t_net_devices_missing

t_idmapped_mount() {
    local b
    b=$(userns_bundle)
    mkdir -p "$TDIR/vol"
    touch "$TDIR/vol/owned-by-host-root"
    cfg "$b" "c['mounts'].append({'destination': '/data', 'type': 'bind', 'source': '$TDIR/vol', 'options': ['bind', 'idmap'], 'uidMappings': [{'containerID': 0, 'hostID': 200000, 'size': 65536}], 'gidMappings': [{'containerID': 0, 'hostID': 300000, 'size': 65536}]})"
    probe "$b" stat /data/owned-by-host-root
    [ "$(j "$b/out" '[d.get("uid"), d.get("gid")]')" = "[0, 0]" ] || fail "a file owned by host 0:0 shows as $(j "$b/out" '[d.get("uid"), d.get("gid")]') through the idmapped mount, not 0:0"
    pass
}
t config.mounts.idmap "config.md#posix-platform-mounts" "mount uidMappings/gidMappings (idmap): the mount MUST be created with that mapping" t_idmapped_mount
