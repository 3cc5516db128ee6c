#!/bin/bash
# The CPUs a container may use when its runtime is started from a systemd
# unit with CPUAffinity= (the case runc's tryResetCPUAffinity is for, runc
# issue #4814): rrun resets the init's affinity (and exec's) to every CPU, the
# cpuset narrowing it, with the cgroupfs and the systemd driver; runc and crun
# run the same bundle the same way beside it, printed. On this guest's
# kernel (Debian 12's 6.1) moving a task into a cgroup still resets its
# affinity by itself, so runc 1.1.5, crun 1.8.1 and rrun before the reset all
# show every CPU here too: this is the comparison on a systemd host, and that
# the reset keeps the systemd driver's path (systemd moves the init into its
# scope) as it was. On Linux 6.2 and later only the runtime's reset does it:
# tests/integration/test_cpu_affinity.sh (the CI host's 6.18), which fails
# without it.
source "$(dirname "$0")/lib.sh"
need_root

all=$(cat /sys/devices/system/cpu/online)
[ "$(nproc --all)" -ge 2 ] || skip_all "one CPU in this guest (RRUN_SYSD_SMP): no affinity narrower than all"
first=${all%%[-,]*}

B=$WORK/bundle
make_bundle "$B"
set_config "$B" '.ociVersion = "1.0.2" | .process.args = ["grep", "Cpus_allowed_list", "/proc/self/status"]'

n=0
# seen RT [FLAG...]: what RT's container sees, the runtime started by a unit with CPUAffinity=FIRST.
seen() {
    local rt=$1; shift
    n=$((n + 1))
    systemd-run --quiet --wait --pipe --collect -p CPUAffinity="$first" \
        "$rt" --root "$WORK/state" "$@" run --bundle "$B" "aff$n" </dev/null 2>&1 | awk '/Cpus_allowed_list/ {print $2}'
}
check_eq "the unit's own processes are pinned (the case under test exists)" "$first" \
    "$(systemd-run --quiet --wait --pipe --collect -p CPUAffinity="$first" grep Cpus_allowed_list /proc/self/status | awk '{print $2}')"
check_eq "rrun from a unit with CPUAffinity=$first: the program may use every CPU" "$all" "$(seen "$RRUN")"
check_eq "the same with --systemd-cgroup (the init moved into its scope by systemd)" "$all" "$(seen "$RRUN" --systemd-cgroup)"
for rt in runc crun; do
    echo "# $rt ($("$rt" --version | head -1)) from that unit: [$(seen "$rt")], with --systemd-cgroup: [$(seen "$rt" --systemd-cgroup)]"
done

# exec from the pinned unit, into a container started unpinned.
set_config "$B" '.process.args = ["sleep", "1000"]'
"$RRUN" --root "$WORK/state" run -d --bundle "$B" affexec >/dev/null 2>&1
on_exit "$RRUN --root $WORK/state delete -f affexec"
check_eq "rrun exec from a unit with CPUAffinity=$first: the process may use every CPU" "$all" \
    "$(systemd-run --quiet --wait --pipe --collect -p CPUAffinity="$first" \
        "$RRUN" --root "$WORK/state" exec affexec grep Cpus_allowed_list /proc/self/status </dev/null | awk '{print $2}')"
finish
