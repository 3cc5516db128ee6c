#!/bin/bash
# Issue #22: every attack of test_path_swap, test_terminal's console and
# test_hardening's masked-file /dev/null shown to work. The same scripts run
# against an rrun without the defences, built from this checkout's history,
# with *_EXPECT=escape: each attack must get through there, else it proves
# nothing on the rrun of today.
#
# One build serves them all (tests/integration/undefended/build.sh: b27100a,
# before the console and path-swap defences, with the masked-file check
# patched out), cached in /var/cache/rrun-undefended. The systemd guest's
# apparmor.sh runs its LSM attr attack against the same binary.
set -u
TESTS_DIR=${TESTS_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
skip() { echo "1..0 # SKIP $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
UNDEFENDED=$(bash "$TESTS_DIR/integration/undefended/build.sh")
case $? in
    0) ;;
    77) skip "the undefended rrun cannot be built here (above)" ;;
    *) echo "not ok - building the undefended rrun failed"; exit 1 ;;
esac
echo "# the undefended rrun: $UNDEFENDED ($("$UNDEFENDED" --version | head -1))"
# UNDEFENDED_TESTS: the ones to run (default all three).
failed=0 ran=0
for t in ${UNDEFENDED_TESTS:-path_swap terminal hardening}; do
    echo "# test_$t against the undefended rrun"
    RRUN=$UNDEFENDED PATH_SWAP_EXPECT=escape TERMINAL_EXPECT=escape HARDENING_EXPECT=escape \
        bash "$TESTS_DIR/integration/test_$t.sh"
    rc=$?
    case $rc in
        0) ran=$((ran + 1)) ;;
        77) ;;
        *) failed=1; echo "not ok - test_$t: an attack did not get through the undefended rrun (exit $rc)" ;;
    esac
done
[ $failed = 0 ] || exit 1
[ $ran -gt 0 ] || skip "every test skipped"
