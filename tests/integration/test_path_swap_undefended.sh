#!/bin/bash
# Issue #22: test_path_swap's attacks shown to work. The same script runs
# against the rrun before the defences (commit cd82d0a, built from this
# checkout's history) with PATH_SWAP_EXPECT=escape: each attack must get
# through there, else it proves nothing on the rrun of today. The binary is
# built once and kept in /var/cache/rrun-undefended/<commit>/rrun.
set -u
UNDEFENDED_COMMIT=cd82d0a
TESTS_DIR=${TESTS_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
skip() { echo "1..0 # SKIP $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
SRC=$(git -C "$TESTS_DIR" rev-parse --show-toplevel 2>/dev/null) || skip "$TESTS_DIR is not in a git checkout: no history to build the undefended rrun ($UNDEFENDED_COMMIT) from"
commit=$(git -C "$SRC" rev-parse -q --verify "$UNDEFENDED_COMMIT^{commit}") || skip "commit $UNDEFENDED_COMMIT is not in $SRC (a shallow clone?): cannot build the undefended rrun"
CACHE=${RRUN_UNDEFENDED_CACHE:-/var/cache/rrun-undefended}/$commit
OLD=$CACHE/rrun
if [ ! -x "$OLD" ]; then
    mkdir -p "$CACHE" || skip "cannot make $CACHE"
    # One build at a time (ctest -j): the second waits and finds the binary.
    exec 8>"$CACHE/.lock"
    flock 8
    if [ ! -x "$OLD" ]; then
        tmp=$(mktemp -d /tmp/rrun-undefended.XXXXXX)
        echo "# building the undefended rrun ($commit) in $tmp"
        if ! { git -C "$SRC" archive "$commit" | tar -x -C "$tmp" &&
               cmake -S "$tmp" -B "$tmp/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
               ninja -C "$tmp/build" rrun >"$tmp/build.log" 2>&1 &&
               cp "$tmp/build/rrun" "$CACHE/rrun.new" && mv "$CACHE/rrun.new" "$OLD"; }; then
            tail -20 "$tmp/build.log" 2>/dev/null
            rm -rf "$tmp"
            echo "not ok - building the undefended rrun ($commit) failed"
            exit 1
        fi
        rm -rf "$tmp"
    fi
    exec 8>&-
fi
echo "# the undefended rrun: $OLD ($("$OLD" --version | head -1))"
RRUN=$OLD PATH_SWAP_EXPECT=escape exec bash "$TESTS_DIR/integration/test_path_swap.sh"
