#!/bin/bash
# Checkpoint and restore with the systemd cgroup driver and lazy migration
# (issue #20), beside runc, on the v2 boot: checkpoint.sh's counter run with
# --systemd-cgroup (the scope goes with the checkpoint, restore starts it
# again with the limits as its properties, delete stops it), and
# checkpoint --lazy-pages / --status-fd with `criu lazy-pages` and
# restore --lazy-pages (userfaultfd). Apart from checkpoint.sh, to keep each
# script well inside the guest's per-script timeout.
# sysd-share: tests/vm/systemd/checkpoint.sh
SRC=$(cd "$(dirname "$0")/../.." && pwd)/src   # /opt/test/src
[ -f "$SRC/tests/vm/systemd/checkpoint.sh" ] || { echo "1..0 # SKIP no $SRC/tests/vm/systemd/checkpoint.sh (the harness ships it: # sysd-share:)"; exit 77; }
CHECKPOINT_CASES_ONLY=1 source "$SRC/tests/vm/systemd/checkpoint.sh"
PIPES=1 systemd_driver rrun
PIPES=1 systemd_driver runc
if criu check --feature uffd-noncoop >/dev/null 2>&1; then
    PIPES=1 lazy rrun 27277
    PIPES=1 lazy runc 27278
else
    ok "# SKIP lazy pages: criu check --feature uffd-noncoop fails: $(criu check --feature uffd-noncoop 2>&1 | tail -1)"
fi
finish
