#!/bin/bash
# cgroup v2 as root: the container's cgroup (runc's default and absolute
# cgroupsPath), controllers enabled in the parents, linux.resources in the v2
# files (runc's conversions) as the container sees them, the eBPF device
# filter, pause/resume (cgroup.freeze), update, ps, kill --all (cgroup.kill),
# events, OOM, and nothing left behind.
source "$(dirname "$0")/lib.sh"
need_root
check_eq "the host is pure cgroup v2" "$CGROUP2_MAGIC" "$(stat -f -c %t /sys/fs/cgroup)"
CG=/sys/fs/cgroup

B=$WORK/bundle
make_bundle "$B"
mkdir -p "$WORK/shared"

# --- runc's default: the id beside our own cgroup
set_args "$B" sleep 100
r create --bundle "$B" def1
pid=$(r state def1 | json_field .pid)
own=$(cut -d: -f3 /proc/self/cgroup)
check_eq "default cgroupsPath: /ID beside our cgroup" "0::${own%/*}/def1" "$(cat /proc/$pid/cgroup)"
r delete --force def1
check_true "delete removes it" test ! -e "$CG${own%/*}/def1"

# --- limits, as the container sees its cgroup and as the host does
set_config "$B" '.linux.cgroupsPath = "/rrun-vm/lim"
  | .linux.resources.memory = {"limit": 67108864, "swap": 100663296, "reservation": 33554432}
  | .linux.resources.cpu = {"shares": 1024, "quota": 20000, "period": 100000, "cpus": "0", "mems": "0"}
  | .linux.resources.pids = {"limit": 50}
  | .linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]
  | .linux.resources.unified = {"memory.high": "60000000"}
  | .mounts += [{"destination": "/shared", "type": "bind", "source": "'"$WORK/shared"'", "options": ["rbind", "rw"]}]'
set_args "$B" sh -c 'cd /sys/fs/cgroup; for f in pids.max memory.max memory.swap.max memory.low memory.high cpu.weight cpu.max cpuset.cpus hugetlb.2MB.max; do echo "$f=$(cat $f 2>&1)"; done > /shared/seen.tmp; mv /shared/seen.tmp /shared/seen; exec sleep 100'
r create --bundle "$B" lim1
check_eq "create with resources exits 0" 0 $?
pid=$(r state lim1 | json_field .pid)
check_eq "the init is in /rrun-vm/lim" "0::/rrun-vm/lim" "$(cat /proc/$pid/cgroup)"
for c in memory pids cpu cpuset hugetlb; do
    check_contains "$c enabled in the parent's subtree_control" " $c " " $(cat $CG/rrun-vm/cgroup.subtree_control) "
done
r start lim1
check_true "the container wrote what it sees" wait_for test -s "$WORK/shared/seen"
seen=$(tr '\n' ' ' < "$WORK/shared/seen")
check_contains "container: pids.max" "pids.max=50 " "$seen"
check_contains "container: memory.max" "memory.max=67108864 " "$seen"
check_contains "container: memory.swap.max = swap - memory" "memory.swap.max=33554432 " "$seen"
check_contains "container: memory.low = reservation" "memory.low=33554432 " "$seen"
check_contains "container: unified memory.high" "memory.high=59998208 " "$seen"
check_contains "container: cpu.weight from shares 1024 (runc: 39)" "cpu.weight=39 " "$seen"
check_contains "container: cpu.max" "cpu.max=20000 100000 " "$seen"
check_contains "container: cpuset.cpus" "cpuset.cpus=0 " "$seen"
check_contains "container: hugetlb.2MB.max" "hugetlb.2MB.max=4194304 " "$seen"
check_eq "host: pids.max" 50 "$(cat $CG/rrun-vm/lim/pids.max)"

stats=$(r events --stats lim1)
check_eq "events --stats: type" stats "$(jq -r .type <<<"$stats")"
check_eq "events --stats: memory limit" 67108864 "$(jq -r .data.memory.usage.limit <<<"$stats")"
check_eq "events --stats: pids limit" 50 "$(jq -r .data.pids.limit <<<"$stats")"
check_true "events --stats: pids current" test "$(jq -r .data.pids.current <<<"$stats")" -ge 1

r update --memory 128m --memory-swap 192m --cpu-shares 512 --cpu-quota 50000 --pids-limit 60 lim1
check_eq "update exits 0" 0 $?
check_eq "update: memory.max" 134217728 "$(cat $CG/rrun-vm/lim/memory.max)"
check_eq "update: memory.swap.max (192m - 128m)" 67108864 "$(cat $CG/rrun-vm/lim/memory.swap.max)"
check_eq "update: cpu.weight (512 -> 20)" 20 "$(cat $CG/rrun-vm/lim/cpu.weight)"
check_eq "update: cpu.max keeps the period" "50000 100000" "$(cat $CG/rrun-vm/lim/cpu.max)"
check_eq "update: pids.max" 60 "$(cat $CG/rrun-vm/lim/pids.max)"
echo '{"memory": {"swap": 167772160}, "unified": {"pids.max": "70"}}' | r update --resources - lim1
check_eq "update --resources -: swap alone, against the memory.max in force" 33554432 "$(cat $CG/rrun-vm/lim/memory.swap.max)"
check_eq "update --resources -: a unified key" 70 "$(cat $CG/rrun-vm/lim/pids.max)"
r delete --force lim1
check_true "delete --force removes the cgroup" test ! -e $CG/rrun-vm/lim

# --- pause / resume through cgroup.freeze
set_config "$B" '.linux.cgroupsPath = "/rrun-vm/p1" | .linux.resources = {"devices": [{"allow": false, "access": "rwm"}]}'
set_args "$B" sh -c 'while :; do echo . >> /shared/count; sleep 0.05; done'
count() { wc -l < "$WORK/shared/count"; }
r run -d --bundle "$B" p1
check_true "the counter runs" wait_for test -s "$WORK/shared/count"
r pause p1
check_eq "pause exits 0" 0 $?
check_eq "state: paused" paused "$(status_of p1)"
check_eq "cgroup.freeze is 1" 1 "$(cat $CG/rrun-vm/p1/cgroup.freeze)"
check_contains "cgroup.events: frozen 1" "frozen 1" "$(cat $CG/rrun-vm/p1/cgroup.events)"
c1=$(count); sleep 1; c2=$(count)
check_eq "the counter stands still while paused" "$c1" "$c2"
r resume p1
check_eq "state: running after resume" running "$(status_of p1)"
above() { [ "$(count)" -gt "$c2" ]; }
check_true "the counter goes on after resume" wait_for above
# (the loop forks a sleep every 50 ms: only the init is stable)
json=$(r ps --format json p1)
check_contains "ps --format json: the init's host pid" " $(r state p1 | json_field .pid) " " $(jq -r 'map(tostring) | join(" ")' <<<"$json") "
r pause p1
r kill --all p1 KILL
check_true "kill --all KILL (cgroup.kill) on a paused container stops it" wait_for status_is p1 stopped
r delete p1
check_true "delete removes the cgroup" test ! -e $CG/rrun-vm/p1

# --- devices: the eBPF filter
set_config "$B" '.linux.cgroupsPath = "/rrun-vm/dev"
  | .mounts += [{"destination": "/kmsg", "type": "bind", "source": "/dev/kmsg", "options": ["bind"]}]'
out=$(container_sees "$B" dev1 'head -c1 /dev/zero | wc -c; echo hi > /kmsg && echo kmsg-ok; true')
check_eq "devices: a default node (/dev/zero) opens" 1 "$(head -n1 <<<"$out")"
check_contains "devices: a node no rule allows is refused" "Operation not permitted" "$out"
check_not_contains "devices: and not written" "kmsg-ok" "$out"
set_config "$B" '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
out=$(container_sees "$B" dev2 'echo hi > /kmsg && echo kmsg-ok')
check_contains "devices: a config rule allows it" "kmsg-ok" "$out"
set_config "$B" 'del(.mounts[] | select(.destination == "/kmsg"))'

# --- OOM: killed at memory.max, counted in memory.events, reported by events
set_config "$B" '.linux.cgroupsPath = "/rrun-vm/oom" | .linux.resources = {"memory": {"limit": 16777216, "swap": 16777216}}'
out=$(container_sees "$B" oom1 'tail /dev/zero; echo "hog exit $?"; grep oom_kill /sys/fs/cgroup/memory.events')
check_contains "the hog over memory.max is SIGKILLed" "hog exit 137" "$out"
check_contains "memory.events counts it" "oom_kill 1" "$out"

# --- the init is born in its cgroup (clone3's CLONE_INTO_CGROUP) where the
# cgroup takes a new process; where it refuses one, the parent moves it in as
# before: a pids limit of 0 (runtime-spec 1.3.0) counts a fork, not a move.
set_config "$B" '.ociVersion = "1.3.0" | .linux.cgroupsPath = "/rrun-vm/pids0" | .linux.resources = {"pids": {"limit": 0}}'
# (The container's shell uses builtins only: it cannot fork.)
out=$(container_sees "$B" pz1 'read cg </proc/self/cgroup; read max </sys/fs/cgroup/pids.max; echo "cg=$cg max=$max"; true &')
check_eq "pids limit 0: the init runs in its cgroup, pids.max 0" "cg=0::/ max=0" "$(grep '^cg=' <<<"$out")"
check_contains "pids limit 0: and a fork is refused" "can't fork" "$out"
check_true "pids limit 0: nothing left" test ! -e $CG/rrun-vm/pids0
set_config "$B" '.ociVersion = "1.0.2"'

# --- refusals, and no cgroup left after a failed create
set_config "$B" '.linux.cgroupsPath = "/rrun-vm/bad" | .linux.resources = {"memory": {"disableOOMKiller": true}}'
out=$(container_sees "$B" bad1 true); rc=$?
check_eq "disableOOMKiller is refused on v2" 1 $rc
check_contains "with a clear error" "cgroup v2 cannot disable the OOM killer" "$out"
set_config "$B" '.linux.resources = {"pids": {"limit": 5}, "cpu": {"cpus": "99"}}'
out=$(container_sees "$B" bad2 true); rc=$?
check_eq "an impossible cpuset fails create" 1 $rc
check_contains "naming the field" "linux.resources.cpu.cpus" "$out"
check_true "and leaves no cgroup" test ! -e $CG/rrun-vm/bad
rmdir $CG/rrun-vm 2>/dev/null
finish
