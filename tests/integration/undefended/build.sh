#!/bin/bash
# The rrun without #22's defences, built from this checkout's history: prints
# the binary's path. Used by tests/integration/test_path_swap_undefended.sh and,
# for a guest script with a "# sysd-undefended" line, by
# tests/vm/run-in-systemd-guest.sh (shipped to the guest as bin/rrun-undefended).
#
# b27100a, the last commit before the console defence (bb83139), itself before
# the path-swap ones (b28e1df): the sysctl and LSM attr writes by path in the
# container's /proc, the console bound by path; with the masked-file check of
# 9dc8fb9 patched out (b27100a-mask-null.patch: no committed rrun ever lacked
# it, see the patch's head). Built once per commit and patch (only the rrun
# target) and kept in $RRUN_UNDEFENDED_CACHE (/var/cache/rrun-undefended)/<key>/rrun,
# locked: a second run (ctest -j) waits and finds the binary.
#
# Exit: 0 (the path on stdout), 77 it cannot be built here (the reason on
# stderr: no git history, no cache dir), 1 the build failed (its log's tail
# on stderr). Progress goes to stderr.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMMIT=b27100a
PATCH=$HERE/b27100a-mask-null.patch
cant() { echo "$*" >&2; exit 77; }
SRC=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null) || cant "$HERE is not in a git checkout: no history to build the undefended rrun from"
commit=$(git -C "$SRC" rev-parse -q --verify "$COMMIT^{commit}") || cant "commit $COMMIT is not in $SRC (a shallow clone?): cannot build the undefended rrun"
key=$commit-$(sha256sum <"$PATCH" | cut -c1-12)
cache=${RRUN_UNDEFENDED_CACHE:-/var/cache/rrun-undefended}/$key
bin=$cache/rrun
if [ ! -x "$bin" ]; then
    mkdir -p "$cache" || cant "cannot make $cache"
    exec 8>"$cache/.lock"
    flock 8
    if [ ! -x "$bin" ]; then
        tmp=$(mktemp -d /tmp/rrun-undefended.XXXXXX)
        echo "# building the undefended rrun ($key) in $tmp" >&2
        if ! { git -C "$SRC" archive "$commit" | tar -x -C "$tmp" &&
               git -C "$tmp" apply "$PATCH" &&
               cmake -S "$tmp" -B "$tmp/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
               ninja -C "$tmp/build" rrun >"$tmp/build.log" 2>&1 &&
               cp "$tmp/build/rrun" "$cache/rrun.new" && mv "$cache/rrun.new" "$bin"; } >&2; then
            tail -20 "$tmp/build.log" >&2 2>/dev/null
            rm -rf "$tmp"
            echo "building the undefended rrun ($key) failed" >&2
            exit 1
        fi
        rm -rf "$tmp"
    fi
    exec 8>&-
fi
echo "$bin"
