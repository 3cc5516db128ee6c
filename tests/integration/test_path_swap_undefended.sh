#!/bin/bash
# Issue #22: every attack of test_path_swap, test_terminal's console and
# test_hardening's masked-file /dev/null shown to work. The same scripts run
# against an rrun without the defences, built from this checkout's history,
# with *_EXPECT=escape: each attack must get through there, else it proves
# nothing on the rrun of today.
#
# One build serves them all: b27100a, the last commit before the console
# defence (bb83139), itself before the path-swap ones (b28e1df), with the
# masked-file check of 9dc8fb9 patched out (undefended/b27100a-mask-null.patch:
# no committed rrun ever lacked it, see the patch's head). A binary is built
# once per commit and patch and kept in /var/cache/rrun-undefended/<key>/rrun.
set -u
TESTS_DIR=${TESTS_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
skip() { echo "1..0 # SKIP $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
SRC=$(git -C "$TESTS_DIR" rev-parse --show-toplevel 2>/dev/null) || skip "$TESTS_DIR is not in a git checkout: no history to build the undefended rrun from"

# undefended_rrun COMMIT [PATCH]: the rrun of COMMIT (with PATCH applied) in
# $UNDEFENDED, built on first use. The cache is keyed on the commit and the
# patch's hash, and locked: a second run (ctest -j) waits and finds the binary.
# Only the rrun target is built.
undefended_rrun() {
    local want=$1 patch=${2:-} commit key cache tmp
    commit=$(git -C "$SRC" rev-parse -q --verify "$want^{commit}") || skip "commit $want is not in $SRC (a shallow clone?): cannot build the undefended rrun"
    key=$commit
    [ -z "$patch" ] || key=$commit-$(sha256sum <"$patch" | cut -c1-12)
    cache=${RRUN_UNDEFENDED_CACHE:-/var/cache/rrun-undefended}/$key
    UNDEFENDED=$cache/rrun
    [ -x "$UNDEFENDED" ] && return 0
    mkdir -p "$cache" || skip "cannot make $cache"
    exec 8>"$cache/.lock"
    flock 8
    if [ ! -x "$UNDEFENDED" ]; then
        tmp=$(mktemp -d /tmp/rrun-undefended.XXXXXX)
        echo "# building the undefended rrun ($key) in $tmp"
        if ! { git -C "$SRC" archive "$commit" | tar -x -C "$tmp" &&
               { [ -z "$patch" ] || git -C "$tmp" apply "$patch"; } &&
               cmake -S "$tmp" -B "$tmp/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
               ninja -C "$tmp/build" rrun >"$tmp/build.log" 2>&1 &&
               cp "$tmp/build/rrun" "$cache/rrun.new" && mv "$cache/rrun.new" "$UNDEFENDED"; }; then
            tail -20 "$tmp/build.log" 2>/dev/null
            rm -rf "$tmp"
            echo "not ok - building the undefended rrun ($key) failed"
            exit 1
        fi
        rm -rf "$tmp"
    fi
    exec 8>&-
}

undefended_rrun b27100a "$TESTS_DIR/integration/undefended/b27100a-mask-null.patch"
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
