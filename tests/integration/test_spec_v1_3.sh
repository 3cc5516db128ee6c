#!/bin/bash
# runtime-spec 1.3.0's additions, checked against the kernel: linux.memoryPolicy
# (what /proc/self/numa_maps shows), linux.netDevices (a veth end moved in,
# renamed, up, its addresses kept; gone from the host; destroyed with the
# namespace), the failing-poststart rule, linux.intelRdt's errors.
source "$(dirname "$0")/lib.sh"
need_root

make_test_bundle spec13-
nomore() { check_eq "$1: no state left" "" "$(ls "$STATE_ROOT" 2>/dev/null)"; }
# create_out ID: `create` of $B, its output in $out and exit code in $rc. Through a
# file: a runtime that wrongly accepts would keep a $(...) pipe open in its init.
create_out() {
    r create -b "$B" "$1" >"$WORK/create.out" 2>&1 </dev/null; rc=$?
    out=$(cat "$WORK/create.out")
    [ $rc -ne 0 ] || r delete -f "$1" >/dev/null 2>&1
}

# ---- linux.memoryPolicy: numa_maps shows the task's policy on each mapping.
policy() {  # policy JSON: what the container's first mapping shows
    reset
    set_config "$B" "c['linux']['memoryPolicy'] = $1"
    in_container 'head -1 /proc/self/numa_maps' | awk '{print $2}'
}
[ -r /proc/self/numa_maps ] || skip_all "no /proc/self/numa_maps (kernel without CONFIG_NUMA)"
check_eq "memoryPolicy MPOL_BIND node 0" "bind:0" "$(policy "{'mode': 'MPOL_BIND', 'nodes': '0'}")"
check_eq "memoryPolicy MPOL_PREFERRED node 0" "prefer:0" "$(policy "{'mode': 'MPOL_PREFERRED', 'nodes': '0'}")"
check_eq "memoryPolicy MPOL_PREFERRED without nodes: local allocation" "local" "$(policy "{'mode': 'MPOL_PREFERRED'}")"
check_eq "memoryPolicy MPOL_INTERLEAVE" "interleave:0" "$(policy "{'mode': 'MPOL_INTERLEAVE', 'nodes': '0'}")"
check_eq "memoryPolicy MPOL_LOCAL" "local" "$(policy "{'mode': 'MPOL_LOCAL'}")"
check_eq "memoryPolicy MPOL_DEFAULT" "default" "$(policy "{'mode': 'MPOL_DEFAULT'}")"
check_eq "memoryPolicy MPOL_F_STATIC_NODES" "bind=static:0" "$(policy "{'mode': 'MPOL_BIND', 'nodes': '0', 'flags': ['MPOL_F_STATIC_NODES']}")"
check_eq "memoryPolicy MPOL_F_RELATIVE_NODES" "interleave=relative:0" "$(policy "{'mode': 'MPOL_INTERLEAVE', 'nodes': '0', 'flags': ['MPOL_F_RELATIVE_NODES']}")"
check_eq "memoryPolicy MPOL_PREFERRED_MANY" "prefer (many):0" "$(reset; set_config "$B" "c['linux']['memoryPolicy'] = {'mode': 'MPOL_PREFERRED_MANY', 'nodes': '0'}"; in_container 'head -1 /proc/self/numa_maps' | cut -d' ' -f2-3)"
check_eq "without memoryPolicy: the default" "default" "$(reset; in_container 'head -1 /proc/self/numa_maps' | awk '{print $2}')"
# exec'd processes are the runtime's children: they get it too.
reset
set_config "$B" "c['linux']['memoryPolicy'] = {'mode': 'MPOL_BIND', 'nodes': '0'}"
set_args "$B" sleep 1000
r run -d -b "$B" spec13-mp
check_eq "memoryPolicy: an exec'd process has it" "bind:0" "$(r exec spec13-mp head -1 /proc/self/numa_maps | awk '{print $2}')"
r delete -f spec13-mp
# Errors: a node this host has not, a mode or flag the spec has not, nodes the mode refuses.
highest=$(sed 's/.*[-,]//' /sys/devices/system/node/online 2>/dev/null || echo 0)
absent=$((highest + 1))
for bad in "{'mode': 'MPOL_BIND', 'nodes': '$absent'}|linux.memoryPolicy: set_mempolicy MPOL_BIND" \
           "{'mode': 'MPOL_BIND', 'nodes': '0', 'flags': ['MPOL_F_NUMA_BALANCING', 'MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES']}|linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other" \
           "{'mode': 'MPOL_SOMETIMES'}|linux.memoryPolicy.mode: value is not one of the allowed values" \
           "{'mode': 'MPOL_BIND', 'nodes': '0', 'flags': ['MPOL_F_LAZY']}|linux.memoryPolicy.flags[0]: value is not one of the allowed values" \
           "{'mode': 'MPOL_BIND'}|linux.memoryPolicy.nodes: MPOL_BIND needs at least one node" \
           "{'mode': 'MPOL_LOCAL', 'nodes': '0'}|linux.memoryPolicy.nodes: MPOL_LOCAL takes no nodes" \
           "{'mode': 'MPOL_BIND', 'nodes': '0-'}|linux.memoryPolicy.nodes: invalid node list"; do
    reset
    set_config "$B" "c['linux']['memoryPolicy'] = ${bad%%|*}"
    create_out spec13-mpbad
    check_eq "memoryPolicy ${bad%%|*}: create fails" 1 $rc
    check_contains "memoryPolicy ${bad%%|*}: the error names the field" "${bad#*|}" "$out"
    check_eq "memoryPolicy ${bad%%|*}: a one-line error" 1 "$(printf '%s\n' "$out" | wc -l)"
    nomore "memoryPolicy ${bad%%|*}"
done

# ---- linux.netDevices: a veth end the test makes (no dummy module here).
for l in spec13a spec13b spec13c spec13d; do ip link del $l 2>/dev/null; done  # left by a killed run
ip link add spec13a type veth peer name spec13b 2>/dev/null || skip_all "cannot make a veth pair (ip link add type veth)"
on_exit "ip link del spec13a; ip link del spec13b"
ip addr add 10.213.0.2/24 dev spec13a
ip -6 addr add fd13::2/64 dev spec13a nodad
ip -6 addr add fe80::1313/64 dev spec13a nodad   # link scope: not kept (the spec: global scope)
mac=$(cat /sys/class/net/spec13a/address)
reset
set_config "$B" "c['linux']['netDevices'] = {'spec13a': {'name': 'ctr13'}}"
set_args "$B" sleep 1000
r run -d -b "$B" spec13-nd
out=$(r exec spec13-nd sh -c 'ls /sys/class/net | xargs; cat /sys/class/net/ctr13/address; cat /sys/class/net/ctr13/flags; ip addr show ctr13')
check_eq "netDevices: the interface is in the container, renamed" "ctr13 lo" "$(sed -n 1p <<<"$out")"
check_eq "netDevices: it is the host's device (same MAC)" "$mac" "$(sed -n 2p <<<"$out")"
check_eq "netDevices: it is up (IFF_UP)" 1 $(( $(sed -n 3p <<<"$out") & 1 ))
check_contains "netDevices: its IPv4 address is kept" "inet 10.213.0.2/24" "$out"
check_contains "netDevices: its global IPv6 address is kept" "inet6 fd13::2/64" "$out"
check_not_contains "netDevices: a link-scope address is not kept" "fe80::1313" "$out"
check_true "netDevices: gone from the host while the container runs" test ! -e /sys/class/net/spec13a
check_true "netDevices: its veth peer stays on the host meanwhile" test -e /sys/class/net/spec13b
r delete -f spec13-nd
# The kernel destroys a virtual device with its namespace (a physical one
# would come back); rrun never moves it back itself.
check_true "netDevices: after delete the veth is destroyed with the namespace" wait_for test ! -e /sys/class/net/spec13b
check_true "netDevices: and not moved back to the host" test ! -e /sys/class/net/spec13a
check_true "netDevices: nor under its container name" test ! -e /sys/class/net/ctr13

# The kernel destroys a namespace's devices asynchronously, after the last process exits.
fresh_veth() {
    wait_for sh -c "! test -e /sys/class/net/$1 -o -e /sys/class/net/$2"
    ip link add "$1" type veth peer name "$2"
}
# A %d template: the kernel picks the number; without a name the host's is kept.
fresh_veth spec13a spec13b
fresh_veth spec13c spec13d
on_exit "ip link del spec13c; ip link del spec13d"
reset
set_config "$B" "c['linux']['netDevices'] = {'spec13a': {'name': 'eth%d'}, 'spec13c': {}}"
check_eq "netDevices: a %d template is numbered by the kernel; no name keeps the host's" "eth0 lo spec13c" "$(in_container 'ls /sys/class/net | xargs')"
nd_error() {  # nd_error WHAT NETDEVICES-JSON EXPECTED [python for the config]
    reset
    set_config "$B" "c['linux']['netDevices'] = $2; ${4:-pass}"
    create_out spec13-ndbad
    check_eq "netDevices $1: create fails" 1 $rc
    check_contains "netDevices $1: the error says why" "$3" "$out"
    nomore "netDevices $1"
}
fresh_veth spec13a spec13b
nd_error "missing device" "{'spec13zz': {}}" 'linux.netDevices["spec13zz"]: no interface "spec13zz" in the runtime'"'"'s network namespace'
nd_error "name clash inside" "{'spec13a': {'name': 'lo'}}" 'linux.netDevices["spec13a"].name: an interface "lo" already exists in the container'"'"'s network namespace'
check_true "netDevices name clash: checked before the move (still on the host)" test -e /sys/class/net/spec13a
nd_error "without a network namespace" "{'spec13a': {}}" "linux.netDevices: needs a network namespace of the container's own" \
    "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network']"
nd_error "joining the runtime's own network namespace" "{'spec13a': {}}" "linux.netDevices: the container's network namespace is the runtime's" \
    "[n.update(path='/proc/self/ns/net') for n in c['linux']['namespaces'] if n['type'] == 'network']"
nd_error "bad name" "{'spec13a': {'name': 'a b'}}" 'linux.netDevices["spec13a"].name: "a b" is not a valid interface name'
check_true "netDevices errors: the device stayed on the host" test -e /sys/class/net/spec13a
# A joined network namespace of its own is a network namespace of the container's.
ip netns add spec13ns && on_exit "ip netns del spec13ns"
reset
set_config "$B" "c['linux']['netDevices'] = {'spec13a': {'name': 'j0'}}; [n.update(path='/run/netns/spec13ns') for n in c['linux']['namespaces'] if n['type'] == 'network']"
in_container true >/dev/null
check_true "netDevices into a joined network namespace: the device is there" ip netns exec spec13ns test -e /sys/class/net/j0
# Rootless: the kernel wants CAP_NET_ADMIN over the host's network namespace.
ensure_rootless_user
RB=$WORK/rootless
make_rootless_bundle "$RB"
set_args "$RB" true
set_config "$RB" "c['linux']['netDevices'] = {'spec13b': {}}; c['linux']['namespaces'].append({'type': 'network'}) if not any(n['type'] == 'network' for n in c['linux']['namespaces']) else None"
mkdir -p "$WORK/rl-state" && chown "$ROOTLESS_USER" "$WORK/rl-state"
out=$(as_user "\$RRUN --root $WORK/rl-state run -b $RB spec13-rl" 2>&1); rc=$?
check_eq "netDevices rootless: create fails" 1 $rc
check_contains "netDevices rootless: a clear error" "run rrun as root" "$out"
check_contains "netDevices rootless: naming the field" "linux.netDevices" "$out"
check_eq "netDevices rootless: no state left" "" "$(ls "$WORK/rl-state" 2>/dev/null)"
check_true "netDevices rootless: the device stayed on the host" test -e /sys/class/net/spec13b

# ---- poststart (runtime.md, 1.3.0): a failing hook is an error, the container stops.
M=$WORK/marks
mkdir -p "$M"
hook() { echo "{'path': '/bin/sh', 'args': ['sh', '-c', '$1']}"; }
reset
set_args "$B" sleep 1000
set_config "$B" "c['hooks'] = {'poststart': [$(hook "echo broke >&2; exit 3")], 'poststop': [$(hook "cat > $M/poststop.state")]}"
r create -b "$B" spec13-ps
pid=$(r state spec13-ps | json_field '["pid"]')
out=$(r start spec13-ps 2>&1); rc=$?
check_eq "a failing poststart hook fails start" 1 $rc
check_contains "the error names the hook" "hooks.poststart[0] /bin/sh: exit status 3: broke" "$out"
check_true "the container's program was stopped" wait_for sh -c "! kill -0 $pid 2>/dev/null"
check_eq "its state is stopped" stopped "$(status_of spec13-ps)"
check_true "poststop has not run before delete" test ! -e "$M/poststop.state"
r delete spec13-ps
check_eq "delete (step 12) runs poststop (step 13)" stopped "$(json_field '["status"]' <"$M/poststop.state")"
nomore "poststart failure, then delete"
rm -f "$M/poststop.state"
set_args "$B" sleep 5   # an rrun that only warned would wait for it
out=$(r run -b "$B" spec13-ps2 2>&1 </dev/null); rc=$?
check_eq "run with a failing poststart hook fails" 1 $rc
check_contains "run: the error names the hook" "hooks.poststart[0]" "$out"
check_true "run: poststop ran" test -s "$M/poststop.state"
nomore "run with a failing poststart hook"

# ---- linux.intelRdt: these machines have no resctrl.
reset
set_config "$B" "c['linux']['intelRdt'] = {'closID': 'spec13', 'schemata': ['L3:0=f'], 'enableMonitoring': True}"
if [ -z "$(awk '$0 ~ / - resctrl / {print}' /proc/self/mountinfo)" ]; then
    create_out spec13-rdt
    check_eq "intelRdt without resctrl: create fails" 1 $rc
    check_contains "intelRdt without resctrl: the error says so" "linux.intelRdt: no resctrl filesystem is mounted in the runtime's mount namespace" "$out"
    nomore "intelRdt without resctrl"
else
    echo "# resctrl is mounted here: the no-resctrl error is not checked"
fi
reset
set_config "$B" "c['linux']['intelRdt'] = {'memBwSchema': 'L3:0=f'}"
create_out spec13-rdt
check_contains "intelRdt.memBwSchema must start with MB: (the schema's pattern)" "linux.intelRdt.memBwSchema: does not match the pattern" "$out"
set_config "$B" "c['linux']['intelRdt'] = {'schemata': ['L3:0=f\\nMB:0=1']}"
create_out spec13-rdt
check_contains "intelRdt.schemata lines have no newline" "linux.intelRdt.schemata[0]: must not contain a newline" "$out"
nomore "intelRdt validation"

# ---- seccomp errnoRet (1.2.1): on an action that returns no errno it MUST be an error.
reset
set_config "$B" "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_KILL', 'errnoRet': 5}]}"
create_out spec13-sc
check_eq "seccomp errnoRet on SCMP_ACT_KILL: create fails" 1 $rc
check_contains "seccomp errnoRet on SCMP_ACT_KILL: the error names the field" "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno" "$out"
nomore "seccomp errnoRet"
finish
