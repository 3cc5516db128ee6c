#!/bin/bash
# cri_systemd.sh on runc (the reference): the same CRI cases with SystemdCgroup
# = true, so that a failure there on rrun alone is rrun's.
# sysd-share: tests/vm/systemd/cri_systemd.sh tests/e2e/lib.sh tests/e2e/test_cri.sh
# sysd-share: tests/e2e/cri/criclient.py tests/e2e/cri/pause.c tests/integration/lib.sh
# sysd-named-only (its own CTest entry, test_vm_systemd_cri: long under TCG)
SRC=$(cd "$(dirname "$0")/../.." && pwd)/src
CRI_RT=/usr/sbin/runc CRI_SRC=$SRC exec bash "$SRC/tests/vm/systemd/cri_systemd.sh"
