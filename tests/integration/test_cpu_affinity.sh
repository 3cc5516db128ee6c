#!/bin/bash
# The CPUs a container's processes may run on. rrun's parent moves the init
# off its own CPU at the clone (a start-path gain, bench/README.md), and the
# init resets its affinity to every CPU before any hook or the program runs;
# `exec` resets it too. So a runtime started with a narrower affinity
# (taskset, systemd's CPUAffinity=) does not pass it on, and the cpuset of
# the container's cgroup decides, as with runc 1.3.1 and later (its
# tryResetCPUAffinity, also on its 1.2 branch) and crun (its PR 1891, 2025).
# Debian's runc 1.1.5 predates that and passes the affinity on: printed
# below, not asserted.
source "$(dirname "$0")/lib.sh"
need_root

cpus() { grep Cpus_allowed_list "$1" | awk '{print $2}'; }
all=$(cat /sys/devices/system/cpu/online)
[ "$(cpus /proc/self/status)" = "$all" ] ||
    skip_all "this runner may not use every online CPU ($(cpus /proc/self/status) of $all): nothing to reset to"
[ "$(nproc --all)" -ge 2 ] || skip_all "one CPU: no other CPU to move the init to, nor an affinity narrower than all"
first=${all%%[-,]*}

make_test_bundle a
shows=$(for i in $(seq 1 20); do in_container 'grep Cpus_allowed_list /proc/self/status'; done | awk '{print $2}' | sort | uniq -c | xargs)
check_eq "20 runs: the program may use every CPU (moved off rrun's CPU at the clone, reset before exec)" "20 $all" "$shows"

out=$(in_container 'grep Cpus_allowed_list /proc/self/status' | awk '{print $2}')
pinned=$(taskset -c "$first" "$RRUN" --root "$STATE_ROOT" run -b "$B" a-pinned 2>&1 | awk '{print $2}')
check_eq "rrun under taskset -c $first: the program may still use every CPU" "$all" "$pinned"

# exec: the same reset, in the container's cgroups.
set_args "$B" sleep 1000
r run -d -b "$B" a-exec >/dev/null 2>&1
got=$(taskset -c "$first" "$RRUN" --root "$STATE_ROOT" exec a-exec grep Cpus_allowed_list /proc/self/status | awk '{print $2}')
check_eq "rrun exec under taskset -c $first: the process may use every CPU" "$all" "$got"
# execCPUAffinity still wins over the reset.
got=$(r exec --process <(python3 -c 'import json; print(json.dumps({"args": ["grep", "Cpus_allowed_list", "/proc/self/status"], "cwd": "/", "execCPUAffinity": {"final": "'"$first"'"}}))') a-exec | awk '{print $2}')
check_eq "exec with execCPUAffinity.final $first: only CPU $first" "$first" "$got"
r delete -f a-exec >/dev/null 2>&1
reset

# The cpuset narrows the reset: CPU $first only, with rrun on another CPU.
other=$(python3 -c "
import sys
cpus = set()
for part in sys.argv[1].split(','):
    a, _, b = part.partition('-')
    cpus.update(range(int(a), int(b or a) + 1))
print(min(c for c in cpus if c != int(sys.argv[2])))" "$all" "$first")
if [ -e /sys/fs/cgroup/cpuset/cpuset.cpus ] || grep -qw cpuset /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    set_config "$B" "c['linux']['resources'] = {'cpu': {'cpus': '$first'}}"
    set_args "$B" grep Cpus_allowed_list /proc/self/status
    got=$(taskset -c "$other" "$RRUN" --root "$STATE_ROOT" run -b "$B" a-cpuset 2>&1 | awk '{print $2}')
    check_eq "cpu.cpus $first, rrun on CPU $other: the program only on CPU $first" "$first" "$got"
    reset
else
    echo "# skip: no cpuset controller here for linux.resources.cpu.cpus"
fi

# Rootless: no cgroup of its own; the same reset.
ensure_rootless_user
RB=$WORK/rootless
make_rootless_bundle "$RB"
set_args "$RB" grep Cpus_allowed_list /proc/self/status
got=$(as_user "taskset -c $first \$RRUN run -b $RB a-rl" 2>&1 | awk '{print $2}')
check_eq "rootless, under taskset -c $first: the program may use every CPU" "$all" "$got"
got=$(for i in $(seq 1 10); do as_user "\$RRUN run -b $RB a-rl$i" 2>&1; done | awk '{print $2}' | sort | uniq -c | xargs)
check_eq "rootless, 10 runs: the program may use every CPU" "10 $all" "$got"

# What runc shows here (not asserted: older runc passes the affinity on).
need_runc
set_args "$B" grep Cpus_allowed_list /proc/self/status
seen=$(taskset -c "$first" "$RUNC" --root "$RUNC_ROOT" run -b "$B" a-runc 2>&1 | awk '{print $2}')
echo "# $($RUNC --version | head -1) under taskset -c $first: the program sees [$seen] (rrun: every CPU, as runc >= 1.3.1)"

finish
