#!/bin/bash
# cgroups on this (v1/hybrid) host: every container gets its cgroup in each
# hierarchy, linux.resources really limit it (as the container sees its own
# cgroup files and as the host does), pause/resume/update/ps/events/kill --all
# act on it, and nothing is left behind by delete or by a failed create.
source "$(dirname "$0")/lib.sh"
need_root
[ -d /sys/fs/cgroup/pids ] && [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/freezer ] ||
    skip_all "needs the v1 pids, memory and freezer hierarchies mounted under /sys/fs/cgroup (a v1 or hybrid host; v2 is tested in tests/vm)"

B=$WORK/bundle
make_bundle "$B"
mkdir -p "$WORK/shared"
chmod 777 "$WORK/shared"
set_config "$B" "c['mounts'].append({'destination': '/shared', 'type': 'bind', 'source': '$WORK/shared', 'options': ['rbind', 'rw']})"
PFX=rrun-cgtest-$$
HIER=(/sys/fs/cgroup/*/)
# Every directory NAME has (or would have) in every hierarchy.
cg_dirs() { local h; for h in "${HIER[@]}"; do echo "${h%/}/$1"; done; }
no_cgroup_left() { local d; for d in $(cg_dirs "$1"); do [ -e "$d" ] && { echo "left: $d"; return 1; }; done; return 0; }
on_exit "for d in $(cg_dirs "$PFX-*" | tr '\n' ' '); do [ -d \"\$d\" ] && rmdir \"\$d\"; done"

# --- limits as the container sees its own cgroup files and as the host does
CG=$PFX-limits
# A blkio weight needs CFQ's blkio.weight or BFQ's blkio.bfq.weight: a kernel
# without either I/O scheduler (this VM's 6.18 has neither) refuses it, as
# runc does, with an error naming the field and nothing left behind.
if [ -e /sys/fs/cgroup/blkio/blkio.weight ] || [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
    weight="'blockIO': {'weight': 200}"
else
    weight=""
    echo "# no blkio.weight nor blkio.bfq.weight here (no CFQ/BFQ scheduler): the weight is checked as refused"
    set_config "$B" "c['linux']['cgroupsPath'] = '/$CG'; c['linux']['resources'].update({'blockIO': {'weight': 200}})"
    out=$(r create --bundle "$B" wgt 2>&1)
    check_eq "blkio weight without a weight file: create fails" 1 "$?"
    check_contains "the error names the field" "linux.resources.blockIO.weight" "$out"
    check_eq "the error is one line" 1 "$(echo "$out" | wc -l)"
    check_true "no state left" test ! -e "$STATE_ROOT/wgt"
    check_true "no cgroup left" no_cgroup_left "$CG"
    set_config "$B" "del c['linux']['resources']['blockIO']"
fi
set_config "$B" "c['linux']['cgroupsPath'] = '/$CG'; c['linux']['resources'].update({
  'pids': {'limit': 50},
  'memory': {'limit': 67108864, 'swap': 134217728, 'reservation': 33554432},
  'cpu': {'shares': 512, 'quota': 20000, 'period': 100000, 'cpus': '0', 'mems': '0'},
  ${weight}})"
set_args "$B" sh -c 'cd /sys/fs/cgroup; echo $(cat pids/pids.max memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes memory/memory.soft_limit_in_bytes cpu/cpu.shares cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpuset/cpuset.cpus) > /shared/seen; grep -c ":/$" /proc/self/cgroup > /shared/nsroot; exec sleep 100'
r create --bundle "$B" lim1
check_eq "create with resources exits 0" 0 $?
pid=$(r state lim1 | json_field '["pid"]')
for h in pids memory cpu,cpuacct cpuset freezer devices blkio systemd unified; do
    [ -e /sys/fs/cgroup/$h ] || continue
    check_true "the init is in /$CG of the $h hierarchy" grep -q "^$pid\$" /sys/fs/cgroup/$h/$CG/cgroup.procs
done
check_eq "host: pids.max" 50 "$(cat /sys/fs/cgroup/pids/$CG/pids.max)"
check_eq "host: memory.limit_in_bytes" 67108864 "$(cat /sys/fs/cgroup/memory/$CG/memory.limit_in_bytes)"
check_eq "host: memory.memsw.limit_in_bytes (v1 swap is memory+swap)" 134217728 "$(cat /sys/fs/cgroup/memory/$CG/memory.memsw.limit_in_bytes)"
check_eq "host: cpu.cfs_quota_us" 20000 "$(cat /sys/fs/cgroup/cpu/$CG/cpu.cfs_quota_us)"
check_eq "host: cpuset.cpus" 0 "$(cat /sys/fs/cgroup/cpuset/$CG/cpuset.cpus)"
if [ -e /sys/fs/cgroup/blkio/$CG/blkio.weight ] || [ -e /sys/fs/cgroup/blkio/$CG/blkio.bfq.weight ]; then
    check_eq "host: blkio weight" 200 "$(cat /sys/fs/cgroup/blkio/$CG/blkio.weight 2>/dev/null || awk 'NR==1{print $NF}' /sys/fs/cgroup/blkio/$CG/blkio.bfq.weight)"
fi
check_eq "host: devices.list is the default allow list, not a" "" "$(grep -x 'a \*:\* rwm' /sys/fs/cgroup/devices/$CG/devices.list)"
check_true "host: /dev/null allowed in devices.list" grep -qx 'c 1:3 rwm' /sys/fs/cgroup/devices/$CG/devices.list
# The rules go to devices.allow one per write through one open file: the first and the last both arrive.
check_true "host: the first default rule (mknod of any char device) in devices.list" grep -qx 'c \*:\* m' /sys/fs/cgroup/devices/$CG/devices.list
check_true "host: the last default rule (/dev/net/tun) in devices.list" grep -qx 'c 10:200 rwm' /sys/fs/cgroup/devices/$CG/devices.list
r start lim1
check_true "the container wrote what it sees" wait_for test -s "$WORK/shared/nsroot"
check_eq "container: its own cgroup files show the limits" "50 67108864 134217728 33554432 512 20000 100000 0" "$(cat "$WORK/shared/seen")"
check_eq "container: cgroup namespace rooted at its cgroup (every line is /)" "$(grep -c . /proc/$pid/cgroup)" "$(cat "$WORK/shared/nsroot")"

# --- events --stats: one runc stats object
stats=$(r events --stats lim1)
check_eq "events --stats: type" stats "$(echo "$stats" | json_field '["type"]')"
check_eq "events --stats: id" lim1 "$(echo "$stats" | json_field '["id"]')"
check_eq "events --stats: memory limit" 67108864 "$(echo "$stats" | json_field '["data"]["memory"]["usage"]["limit"]')"
check_eq "events --stats: pids.current of the one sleep" 1 "$(echo "$stats" | json_field '["data"]["pids"]["current"]')"
check_eq "events --stats: pids limit" 50 "$(echo "$stats" | json_field '["data"]["pids"]["limit"]')"
check_true "events --stats: cpu usage counted" test "$(echo "$stats" | json_field '["data"]["cpu"]["usage"]["total"]')" -gt 0

# --- exec --cgroup: runc's [CONTROLLER:]SUB, into existing sub-cgroups only
mkdir /sys/fs/cgroup/memory/$CG/sub /sys/fs/cgroup/pids/$CG/sub
out=$(r exec --cgroup memory:sub --cgroup pids:sub lim1 cat /proc/self/cgroup)
check_contains "exec --cgroup memory:sub: the process is in the memory sub-cgroup" ":memory:/sub" "$out"
check_contains "exec --cgroup pids:sub: and in the pids one" ":pids:/sub" "$out"
check_eq "exec --cgroup: the other hierarchies keep the container's cgroup" / "$(grep :freezer: <<<"$out" | cut -d: -f3)"
check_eq "exec --cgroup: the sub-cgroup is empty again after the exec" "" "$(cat /sys/fs/cgroup/memory/$CG/sub/cgroup.procs)"
out=$(r exec --cgroup sub lim1 true 2>&1); rc=$?
check_eq "exec --cgroup SUB missing in some hierarchy fails" 255 $rc
check_contains "and names the missing sub-cgroup" "sub-cgroup /sys/fs/cgroup/" "$out"
out=$(r exec --cgroup memory:../.. lim1 true 2>&1); rc=$?
check_eq "exec --cgroup with .. is refused" 255 $rc
check_contains "with an error naming the flag" "exec --cgroup" "$out"
out=$(r exec --cgroup nosuchctl:sub lim1 true 2>&1); rc=$?
check_contains "exec --cgroup with an unknown controller names it" '"nosuchctl"' "$out"
rmdir /sys/fs/cgroup/memory/$CG/sub /sys/fs/cgroup/pids/$CG/sub

# --- update: runc's flags, and linux.resources JSON on stdin and from a file
r update --pids-limit 60 --memory 100m --memory-swap 200m --memory-reservation 50m --cpu-shares 256 --cpu-quota 30000 --cpu-period 50000 --cpuset-cpus 0 lim1
check_eq "update flags exit 0" 0 $?
check_eq "update: pids.max" 60 "$(cat /sys/fs/cgroup/pids/$CG/pids.max)"
check_eq "update: memory limit (100m)" 104857600 "$(cat /sys/fs/cgroup/memory/$CG/memory.limit_in_bytes)"
check_eq "update: memsw raised together with it" 209715200 "$(cat /sys/fs/cgroup/memory/$CG/memory.memsw.limit_in_bytes)"
check_eq "update: cpu.shares" 256 "$(cat /sys/fs/cgroup/cpu/$CG/cpu.shares)"
check_eq "update: cfs quota/period" "30000 50000" "$(cat /sys/fs/cgroup/cpu/$CG/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/$CG/cpu.cfs_period_us)"
echo '{"pids": {"limit": 77}, "memory": {"limit": 33554432, "swap": 67108864}}' | r update --resources - lim1
check_eq "update --resources - : pids.max" 77 "$(cat /sys/fs/cgroup/pids/$CG/pids.max)"
check_eq "update --resources - : memory lowered below the old memsw" 33554432 "$(cat /sys/fs/cgroup/memory/$CG/memory.limit_in_bytes)"
check_eq "update --resources - : memsw lowered" 67108864 "$(cat /sys/fs/cgroup/memory/$CG/memory.memsw.limit_in_bytes)"
echo '{"pids": {"limit": -1}}' >"$WORK/res.json"
r update --resources "$WORK/res.json" lim1
check_eq "update --resources FILE: unlimited pids" max "$(cat /sys/fs/cgroup/pids/$CG/pids.max)"
out=$(r update --cpuset-cpus 9999 lim1 2>&1); rc=$?
check_eq "update to an impossible cpuset fails" 1 $rc
check_contains "update error names the field" "linux.resources.cpu.cpus" "$out"
check_eq "a failed update leaves the old value" 0 "$(cat /sys/fs/cgroup/cpuset/$CG/cpuset.cpus)"
r delete --force lim1
check_true "delete --force leaves no cgroup in any hierarchy" no_cgroup_left "$CG"

# --- a fork loop stops at pids.max
CG=$PFX-pids
set_config "$B" "c['linux']['cgroupsPath'] = '/$CG'; c['linux']['resources'] = {'pids': {'limit': 8}}"
# busybox sh exits when a fork fails: the loop runs in a subshell, which dies at
# the limit (sh + subshell + 6 sleeps = 8) and leaves 7. Only builtins after it.
set_args "$B" sh -c '(i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; read n < /sys/fs/cgroup/pids/pids.current; echo "current $n"; while read k v; do echo "$k $v"; done < /sys/fs/cgroup/pids/pids.events'
out=$(r run --bundle "$B" pids1 2>&1)
check_contains "fork loop: forks stopped at pids.max (8, then the subshell exited)" "current 7" "$out"
check_true "fork loop: the kernel refused forks (pids.events max > 0)" test "$(echo "$out" | awk '/^max/{print $2}')" -gt 0
check_true "run leaves no cgroup after the container exits" no_cgroup_left "$CG"

# --- a process over memory.limit_in_bytes is OOM-killed, and events reports it
CG=$PFX-oom
set_config "$B" "c['linux']['cgroupsPath'] = '/$CG'; c['linux']['resources'] = {'memory': {'limit': 16777216, 'swap': 16777216}}"
set_args "$B" sh -c 'while [ ! -e /shared/go-oom ]; do sleep 0.05; done; tail /dev/zero; echo "hog exit $?"; grep oom_kill /sys/fs/cgroup/memory/memory.oom_control; sleep 1'
r create --bundle "$B" oom1
r start oom1
r events --interval 1s oom1 >"$WORK/events" 2>&1 &
events_pid=$!
on_exit "kill $events_pid"
sleep 0.5
touch "$WORK/shared/go-oom"
check_true "events prints an oom event" wait_for grep -q '"type":"oom"' "$WORK/events"
check_true "events prints stats events every interval" grep -q '"type":"stats"' "$WORK/events"
check_true "events exits when the container stops" wait_for sh -c "! kill -0 $events_pid 2>/dev/null"
r delete oom1
out=$(cat "$WORK/events")
check_contains "the oom event names the container" '{"id":"oom1","type":"oom"}' "$out"
rm -f "$WORK/shared/go-oom"
set_args "$B" sh -c 'tail /dev/zero; echo "hog exit $?"; grep oom_kill /sys/fs/cgroup/memory/memory.oom_control'
out=$(r run --bundle "$B" oom2 2>&1)
check_contains "the hog over the memory limit was SIGKILLed" "hog exit 137" "$out"
check_contains "the container's memory.oom_control counts the kill" "oom_kill 1" "$out"
check_true "no cgroup left after the OOM run" no_cgroup_left "$CG"

# --- pause / resume: a counter stops, then goes on
CG=$PFX-pause
set_config "$B" "c['linux']['cgroupsPath'] = '/$CG'; c['linux']['resources'] = {}"
# One line per step, appended: a reader never sees a truncated file.
set_args "$B" sh -c 'while :; do echo . >> /shared/count; sleep 0.02; done'
count() { wc -l < "$WORK/shared/count"; }
r run -d --bundle "$B" p1
check_true "counter runs" wait_for test -s "$WORK/shared/count"
r pause p1
check_eq "pause exits 0" 0 $?
check_eq "state says paused" paused "$(status_of p1)"
check_eq "list says paused" paused "$(r list --format json | json_field '[0]["status"]')"
check_eq "host: freezer.state FROZEN" FROZEN "$(cat /sys/fs/cgroup/freezer/$CG/freezer.state)"
c1=$(count); sleep 0.5; c2=$(count)
check_eq "the counter does not advance while paused" "$c1" "$c2"
out=$(r pause p1 2>&1); rc=$?
check_eq "pausing a paused container fails" 1 $rc
check_contains "and says why" "already paused" "$out"
r resume p1
check_eq "resume exits 0" 0 $?
check_eq "state says running after resume" running "$(status_of p1)"
counter_above() { [ "$(count)" -gt "$1" ]; }
check_true "the counter advances after resume" wait_for counter_above "$c2"
out=$(r resume p1 2>&1); rc=$?
check_eq "resuming a running container fails" 1 $rc
check_contains "and says why" "not paused" "$out"
r pause p1
r delete --force p1
check_eq "delete --force of a paused container exits 0" 0 $?
check_true "delete --force of a paused container leaves no cgroup" no_cgroup_left "$CG"

# --- ps and kill --all
CG=$PFX-ps
set_config "$B" "c['linux']['cgroupsPath'] = '/$CG'"
# Three steady processes: two sleeps and an init that ignores TERM (set after
# the sleeps started, so they do not inherit it).
set_args "$B" sh -c 'sleep 1001 & sleep 1002 & trap "" TERM; exec tail -f /dev/null'
r run -d --bundle "$B" ps1
pid=$(r state ps1 | json_field '["pid"]')
check_true "children started" wait_for sh -c "[ \$(wc -l < /sys/fs/cgroup/pids/$CG/cgroup.procs) -ge 3 ]"
s1=$(pgrep -xf 'sleep 1001'); s2=$(pgrep -xf 'sleep 1002')
host_pids=$(sort -n /sys/fs/cgroup/freezer/$CG/cgroup.procs | tr '\n' ' ')
json_pids=$(r ps --format json ps1 | python3 -c 'import json,sys; print(" ".join(map(str, sorted(json.load(sys.stdin)))) + " ")')
check_eq "ps --format json: the host pids of the cgroup" "$host_pids" "$json_pids"
check_contains "ps json includes the init" " $pid " " $json_pids"
table=$(r ps ps1)
check_contains "ps table: the ps -ef header" "PID" "$(echo "$table" | head -1)"
check_contains "ps table: sleep 1001" "sleep 1001" "$table"
check_contains "ps table: sleep 1002" "sleep 1002" "$table"
check_not_contains "ps table: only the container's processes" "rrun" "$table"
check_eq "ps table: one line per process" "$(echo "$host_pids" | wc -w)" "$(($(echo "$table" | wc -l) - 1))"
check_contains "ps with ps arguments" "1001" "$(r ps ps1 -o pid,args)"
r kill --all ps1 TERM
# (tail never reaps them: they stay zombies, which pid_alive counts as gone)
both_gone() { ! pid_alive "$s1" && ! pid_alive "$s2"; }
check_true "kill --all TERM: the sleeps are gone" wait_for both_gone
check_true "kill --all TERM: the init that ignores TERM lives" pid_alive "$pid"
r kill --all ps1 KILL
check_true "kill --all KILL: the container stops" wait_for status_is ps1 stopped
check_true "kill --all KILL: the cgroup is empty" wait_for sh -c "[ ! -s /sys/fs/cgroup/pids/$CG/cgroup.procs ]"
r delete ps1
check_true "delete leaves no cgroup" no_cgroup_left "$CG"

# --- devices: only the default nodes (and the config's rules)
CG=$PFX-dev
# /dev/fuse (c 10:229) bound in: a node the container may not open unless a rule
# allows it. (Not /dev/net/tun: runc allows tun/tap, 10:200, in every container.)
[ -c /dev/fuse ] || skip_all "no /dev/fuse to test the devices cgroup with"
set_config "$B" "c['linux']['cgroupsPath'] = '/$CG'; c['linux']['resources'] = {'devices': [{'allow': False, 'access': 'rwm'}]}; c['mounts'].append({'destination': '/tun', 'type': 'bind', 'source': '/dev/fuse', 'options': ['bind']})"
set_args "$B" sh -c 'head -c1 /dev/zero | wc -c; : < /tun && echo open-ok; true'
out=$(r run --bundle "$B" dev1 2>&1)
check_eq "devices: /dev/zero (a default node) is readable" "1" "$(echo "$out" | head -1)"
check_contains "devices: opening a node no rule allows fails" "Operation not permitted" "$out"
check_not_contains "devices: and it did not open" "open-ok" "$out"
set_config "$B" "c['linux']['resources']['devices'].append({'allow': True, 'type': 'c', 'major': 10, 'minor': 229, 'access': 'rw'})"
set_args "$B" sh -c ': < /tun && echo open-ok; grep -E "c 10:229|c 10:200" /sys/fs/cgroup/devices/devices.list'
out=$(r run --bundle "$B" dev2 2>&1)
check_contains "devices: a config rule allows the node" "open-ok" "$out"
check_contains "devices: the rule is in the container's devices.list" "c 10:229 rw" "$out"
check_contains "devices: tun/tap is allowed by default, as runc allows it" "c 10:200 rwm" "$out"
set_config "$B" "c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/tun']"

# --- the default cgroupsPath: runc's, the id relative to rrun's own cgroup
set_config "$B" "del c['linux']['cgroupsPath']; c['linux']['resources'] = {'pids': {'limit': 20}}"
set_args "$B" sleep 100
ID=$PFX-def
r create --bundle "$B" "$ID"
pid=$(r state "$ID" | json_field '["pid"]')
for h in pids memory; do
    own=$(awk -F: -v h=$h '$2==h{print $3}' /proc/self/cgroup)
    want="${own%/}/$ID"
    check_eq "default cgroupsPath: $h cgroup is ours + /ID" "$want" "$(awk -F: -v h=$h '$2==h{print $3}' /proc/$pid/cgroup)"
done
check_eq "default cgroupsPath: the limit applies" 20 "$(cat /sys/fs/cgroup/pids/$(awk -F: '$2=="pids"{print $3}' /proc/$pid/cgroup)/pids.max)"
memdir=/sys/fs/cgroup/memory$(awk -F: '$2=="memory"{print $3}' /proc/$pid/cgroup)
r delete --force "$ID"
check_true "default cgroupsPath: delete removes it in every hierarchy" no_cgroup_left "$ID"
check_true "default cgroupsPath: delete removes it under our memory cgroup" test ! -e "$memdir"

# --- a failed create leaves no cgroup
CG=$PFX-fail
set_config "$B" "c['linux']['cgroupsPath'] = '/$CG'; c['linux']['resources'] = {'pids': {'limit': 5}, 'cpu': {'cpus': '9999'}}"
out=$(r create --bundle "$B" fail1 2>&1); rc=$?
check_eq "create with an impossible cpuset fails" 1 $rc
check_contains "the error names the field" "linux.resources.cpu.cpus" "$out"
check_contains "and the file" "/cpuset.cpus" "$out"
check_eq "in one line" 1 "$(printf '%s\n' "$out" | grep -c .)"
check_true "the failed create left no cgroup" no_cgroup_left "$CG"
set_config "$B" "c['linux']['resources'] = {'pids': {'limit': 5}}"
set_args "$B" /no/such/program
out=$(r create --bundle "$B" fail2 2>&1); rc=$?
check_eq "create of a missing program fails" 1 $rc
check_true "a create failing after the cgroup was made leaves none" no_cgroup_left "$CG"
check_true "and no state" test ! -e "$STATE_ROOT/fail2"
set_config "$B" "c['linux']['resources'] = {'unified': {'memory.high': '1000000'}}"
set_args "$B" true
out=$(r create --bundle "$B" fail3 2>&1); rc=$?
check_eq "unified memory.high on a host whose memory controller is v1 fails" 1 $rc
check_contains "and names the key" "linux.resources.unified.memory.high" "$out"
check_true "no cgroup left" no_cgroup_left "$CG"

# --- cgroup managers
# Without a cgroup namespace the container shows its real cgroup paths.
set_config "$B" "del c['linux']['cgroupsPath']; c['linux']['resources'] = {}; c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'cgroup']"
set_args "$B" sh -c 'cat /proc/self/cgroup'
out=$(r --cgroup-manager disabled run --bundle "$B" dis1 2>/dev/null)
check_eq "--cgroup-manager disabled: the container stays in our cgroups" "$(cat /proc/self/cgroup)" "$out"
out=$(r run --bundle "$B" dis2 2>/dev/null)
check_eq "(while cgroupfs puts it in one named after the id)" "/dis2" "$(echo "$out" | awk -F: '$2=="pids"{print $3}')"
check_true "--cgroup-manager disabled: no cgroup made" no_cgroup_left "$CG"
set_config "$B" "c['linux']['cgroupsPath'] = 'system.slice:rrun:sd1'"
out=$(r --systemd-cgroup run --bundle "$B" sd1 2>&1); rc=$?
check_eq "--systemd-cgroup without systemd fails cleanly" 1 $rc
check_contains "and says systemd is not running" "systemd is not running" "$out"
set_config "$B" "c['linux']['cgroupsPath'] = '/not/slice/form'"
out=$(r --cgroup-manager systemd run --bundle "$B" sd2 2>&1); rc=$?
check_eq "--cgroup-manager systemd with a plain path fails" 1 $rc
check_contains "and names the expected form" "slice:prefix:name" "$out"
check_true "no state left by the systemd failures" test ! -e "$STATE_ROOT/sd1" -a ! -e "$STATE_ROOT/sd2"

# --- rootless: no delegation on v1 -> silence (a debug line) without limits, an error with them
ensure_rootless_user
RB=$WORK/rbundle
mkdir -p "$RB"
make_rootfs "$RB/rootfs"
chmod -R a+rX "$RB"
chown "$ROOTLESS_USER" "$RB"
as_user "\$RRUN spec --rootless --bundle $RB"
set_config "$RB" 'c["process"]["terminal"] = False'
set_args "$RB" sh -c 'echo hello'
out=$(as_user "$RRUN run --bundle $RB rl1" 2>&1); rc=$?
check_eq "rootless without resources runs" 0 $rc
check_contains "rootless without resources: the program ran" "hello" "$out"
check_eq "rootless without resources: nothing but the program's output (engines pass the container's stderr)" "hello" "$out"
out=$(as_user "$RRUN --debug run --bundle $RB rl1" 2>&1)
check_contains "rootless without resources: --debug says there is no cgroup" "no cgroup is delegated" "$out"
set_config "$RB" "c['linux']['resources'] = {'pids': {'limit': 10}}"
out=$(as_user "$RRUN run --bundle $RB rl2" 2>&1); rc=$?
check_eq "rootless with resources fails" 1 $rc
check_contains "rootless with resources: the error says why" "linux.resources asks for limits but no cgroup is delegated" "$out"
check_not_contains "rootless with resources: the program did not run" "hello" "$out"
check_true "rootless failure leaves no state" test -z "$(ls "$ROOTLESS_XDG/rrun" 2>/dev/null)"
# A pids limit of 0 before runtime-spec 1.3.0 is no limit (podman 4 writes it for
# --pids-limit -1): rootless it asks for no delegation.
set_config "$RB" "c['ociVersion'] = '1.0.2'; c['linux']['resources'] = {'pids': {'limit': 0}}"
out=$(as_user "$RRUN run --bundle $RB rl3" 2>&1)
check_eq "rootless, pids limit 0 in a 1.0 config: no limit asked, the program ran" "hello" "$out"

# --- pids limit 0: before runtime-spec 1.3.0 "no limit" (runc 1.1, crun);
# from 1.3.0 a limit ("SHOULD be treated as such", as runc 1.4 does).
need_runc
CG=$PFX-pids0
pids0() {  # pids0 VERSION COMMAND...: pids.max the container saw, and whether a fork worked
    set_config "$B" "c['ociVersion'] = '$1'; c['linux']['cgroupsPath'] = '/$CG'; c['linux']['resources'] = {'pids': {'limit': 0}}"
    # busybox sh exits when a fork fails, saying so.
    set_args "$B" sh -c 'read m < /sys/fs/cgroup/pids/pids.max; echo $m; (true) && echo fork'
    shift; "$@" 2>&1 | tr '\n' ' '

}
rrun_seen=$(pids0 1.0.2 r run --bundle "$B" p0a); runc_seen=$(pids0 1.0.2 rc_ run --bundle "$B" p0b)
check_eq "pids limit 0, ociVersion 1.0.2: no limit, as runc" "$runc_seen" "$rrun_seen"
check_eq "pids limit 0, ociVersion 1.0.2: the container saw max and could fork" "max fork " "$rrun_seen"
check_eq "pids limit 0, ociVersion 1.3.0: a limit of 0, forks refused" "0 sh: can't fork: Resource temporarily unavailable " "$(pids0 1.3.0 r run --bundle "$B" p0c)"
check_true "pids limit 0: no cgroup left" no_cgroup_left "$CG"
# update: 0 leaves the limit as it was (runc 1.1's --pids-limit 0).
set_config "$B" "c['ociVersion'] = '1.3.0'; c['linux']['cgroupsPath'] = '/$CG'; c['linux']['resources'] = {'pids': {'limit': 9}}"
set_args "$B" sleep 100
r run -d --bundle "$B" p0d
r update --pids-limit 0 p0d
echo '{"pids": {"limit": 0}}' | r update --resources - p0d
check_eq "update --pids-limit 0 / resources limit 0: the limit unchanged" 9 "$(cat /sys/fs/cgroup/pids/$CG/pids.max)"
r delete -f p0d

finish
