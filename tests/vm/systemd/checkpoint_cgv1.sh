#!/bin/bash
# Checkpoint and restore on cgroup v1 (issue #20; the guest booted with
# systemd's legacy layout: RRUN_SYSD_CGROUP=v1, test_vm_systemd_v1), beside
# runc: checkpoint.sh's counter, with its pids and memory limits, through the
# cgroupfs driver (CRIU freezes the v1 freezer cgroup; the restored init is in
# every hierarchy's cgroup it was in, the limits the same) and the systemd
# driver (the scope started again, its v1 unit properties, the files after a
# daemon-reload). Only these two cases, to keep the boot short.
# sysd-share: tests/vm/systemd/checkpoint.sh
SRC=$(cd "$(dirname "$0")/../.." && pwd)/src   # /opt/test/src
[ -f "$SRC/tests/vm/systemd/checkpoint.sh" ] || { echo "1..0 # SKIP no $SRC/tests/vm/systemd/checkpoint.sh (the harness ships it: # sysd-share:)"; exit 77; }
CHECKPOINT_CASES_ONLY=1 source "$SRC/tests/vm/systemd/checkpoint.sh"
[ -n "$V1" ] || skip_all "/sys/fs/cgroup is cgroup2: this script is for a cgroup v1 boot (RRUN_SYSD_CGROUP=v1)"
check_true "the freezer controller is a v1 hierarchy" grep -q ' /sys/fs/cgroup/freezer cgroup .*freezer' /proc/mounts
PIPES=1 basic rrun
# What CRIU said of the freezer (rrun gives it the v1 freezer cgroup, as runc does).
grep -i -m3 'freez' "$WORK/img-rrun-basic/dump.log" 2>&1 | sed 's/^/# rrun dump.log: /'
PIPES=1 basic runc
PIPES=1 systemd_driver rrun
PIPES=1 systemd_driver runc
finish
