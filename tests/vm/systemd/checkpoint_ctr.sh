#!/bin/bash
# containerd 1.6's `ctr task checkpoint` with rrun as the runc binary (the
# runc shim's checkpoint: runc's command line with --image-path and
# --work-path, and without --exit --leave-running), beside runc (issue #20):
# with --image-path the task goes on and the image is in that directory;
# with --exit the checkpoint lands in containerd's content store as an image
# (label containerd.io/checkpoint=true) and the task stops.
source "$(dirname "$0")/lib.sh"
need_root
command -v ctr >/dev/null || skip_all "ctr (containerd) is not installed"
criu check >/dev/null 2>&1 || skip_all "criu check fails on this kernel: $(criu check 2>&1 | tail -1)"
systemctl start containerd 2>/dev/null && wait_for test -S /run/containerd/containerd.sock ||
    skip_all "containerd did not start"
CR=$WORK/ctr-rootfs
make_rootfs "$CR"
COUNTER='i=0; while :; do i=$((i+1)); echo $i >> /count; sleep 0.2; done'
count_of() { local v; v=$(tail -n 1 "$CR/count" 2>/dev/null); echo "${v:-0}"; }
counts_past() { [ "$(count_of)" -gt "$1" ]; }
task_status() { ctr task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}'; }
task_stopped() { [ "$(task_status "$1")" = STOPPED ]; }

for rt in /usr/sbin/runc "$RRUN"; do
    x=$(basename "$rt") id=criu-ctr-$(basename "$rt")
    on_exit "ctr task kill -s KILL $id; ctr task delete $id; ctr container delete $id; ctr images ls -q | grep checkpoint/$id | xargs -r ctr images rm"
    rm -f "$CR/count"
    ctr run -d --runc-binary "$rt" --rootfs "$CR" "$id" /bin/sh -c "$COUNTER" >"$WORK/$x.log" 2>&1
    check_eq "$x ctr: the task runs ($(tail -1 "$WORK/$x.log"))" RUNNING "$(task_status "$id")"
    wait_for counts_past 3
    out=$(ctr task checkpoint --image-path "$WORK/img-$x" --work-path "$WORK/work-$x" "$id" 2>&1)
    check_eq "$x ctr: task checkpoint --image-path exits 0 ($out)" 0 $?
    check_true "$x ctr: ... the image is in that directory" test -f "$WORK/img-$x/inventory.img"
    check_eq "$x ctr: ... the task goes on" RUNNING "$(task_status "$id")"
    c=$(count_of)
    check_true "$x ctr: ... and counts on from $c" wait_for counts_past "$c"
    out=$(ctr task checkpoint --exit "$id" 2>&1)
    check_eq "$x ctr: task checkpoint --exit exits 0 ($out)" 0 $?
    check_contains "$x ctr: ... a checkpoint image in the content store" "containerd.io/checkpoint/$id:" \
        "$(ctr images ls 2>&1 | grep 'containerd.io/checkpoint=true')"
    check_true "$x ctr: ... the task stops" wait_for task_stopped "$id"
    c=$(count_of); sleep 1
    check_eq "$x ctr: ... its counter with it" "$c" "$(count_of)"
    ctr task delete "$id" >/dev/null 2>&1; ctr container delete "$id" >/dev/null 2>&1
    ctr images ls -q | grep "checkpoint/$id" | xargs -r ctr images rm >/dev/null 2>&1
done
check_eq "ctr: no cgroup of the rrun task left" "" "$(find /sys/fs/cgroup -name '*criu-ctr-rrun*' 2>/dev/null)"
finish
