#!/bin/bash
# Issue #18 in the systemd guest: tests/e2e/test_cri.sh (kubelet's CRI calls
# through containerd 1.6's CRI plugin and its runc shim) with SystemdCgroup =
# true and kubelet's systemd-style cgroup_parent (/cri.slice/cri-PID.slice/
# cri-PID-podN.slice, which containerd turns into SLICE:cri-containerd:ID), on
# rrun; cri_systemd_runc.sh runs the same on runc, the comparison. The suite and
# its client come over the share (sysd-share below); pause.c is compiled on the
# host (no gcc here). Its checks: the sandbox and containers as delegated scope
# units in the pod's slice with their limits (at create and after
# UpdateContainerResources), and no unit or cgroup of theirs after removal.
# sysd-share: tests/e2e/lib.sh tests/e2e/test_cri.sh tests/e2e/cri/criclient.py tests/e2e/cri/pause.c
# sysd-share: tests/integration/lib.sh
# sysd-named-only (its own CTest entry, test_vm_systemd_cri: long under TCG)
SRC=${CRI_SRC:-$(cd "$(dirname "$0")/../.." && pwd)/src}   # /opt/test/src
[ -f "$SRC/tests/e2e/test_cri.sh" ] || { echo "1..0 # SKIP no $SRC/tests/e2e/test_cri.sh (the harness ships it: # sysd-share:)"; exit 77; }
rt=${CRI_RT:-$RRUN}
# The whole suite (every case of the host's e2e_test_cri): its CRI calls go
# through one criclient.py that stays up (a python + grpc start costs 8-16 s
# under TCG; the old CRI_CASES=cgroups subset was 73 cases in 486 s on rrun).
# CRI_SLOW: stop/exec time bounds 8 times the host's.
export CRI_SYSTEMD_CGROUP=1 CRI_SLOW=8 CRI_PAUSE=$SRC/tests/e2e/cri/pause
export E2E_RUNTIME=$rt RRUN=$rt TESTS_DIR=$SRC/tests
exec bash "$SRC/tests/e2e/test_cri.sh"
