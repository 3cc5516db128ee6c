# Shared helpers for the integration tests: each test sources this, builds its
# own busybox bundle in a temp dir, and asserts on what the container saw.
set -u
: "${RRUN:?RRUN must point at the built rrun binary}"
RRUN=$(readlink -f "$RRUN")
TESTS_DIR=${TESTS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
WORK=$(mktemp -d /tmp/rrun-test.XXXXXX)
chmod 755 "$WORK"
STATE_ROOT=$WORK/state
FAILED=0
PASSED=0
CLEANUP_CMDS=()

r() { "$RRUN" --root "$STATE_ROOT" "$@"; }

cleanup() {
    local c
    for c in "${CLEANUP_CMDS[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
    if [ -d "$STATE_ROOT" ]; then
        for id in $(ls "$STATE_ROOT" 2>/dev/null); do r delete --force "$id" >/dev/null 2>&1 || true; done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
on_exit() { CLEANUP_CMDS+=("$1"); }

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
# check DESCRIPTION EXPECTED ACTUAL
check_eq() {
    if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1: expected [$2], got [$3]"; fi
}
check_contains() {
    if [[ "$3" == *"$2"* ]]; then ok "$1"; else not_ok "$1: expected to contain [$2], got [$3]"; fi
}
check_not_contains() {
    if [[ "$3" != *"$2"* ]]; then ok "$1"; else not_ok "$1: expected not to contain [$2], got [$3]"; fi
}
check_true() {
    local desc=$1; shift
    if "$@"; then ok "$desc"; else not_ok "$desc (failed: $*)"; fi
}
skip_all() { echo "1..0 # SKIP $*"; trap - EXIT; rm -rf "$WORK"; exit 77; }
finish() {
    echo "# $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root"; }

# need_runc: runc to compare with in $RUNC (Debian's package, installed when
# missing), `rc_ ARGS` running it with its own state root, cleaned at exit.
need_runc() {
    RUNC=$(command -v runc || true)
    if [ -z "$RUNC" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq runc >/dev/null 2>&1 || true
        RUNC=$(command -v runc || true)
    fi
    [ -n "$RUNC" ] || skip_all "runc is not installed and apt-get install runc failed: nothing to compare with"
    RUNC_ROOT=$WORK/runc-state
    on_exit "for id in \$(ls $RUNC_ROOT 2>/dev/null); do $RUNC --root $RUNC_ROOT delete -f \$id; done"
}
rc_() { "$RUNC" --root "$RUNC_ROOT" "$@"; }

# make_rootfs DIR: a busybox root filesystem.
make_rootfs() {
    local dir=$1 bb
    bb=$(command -v busybox || true)
    [ -x /bin/busybox ] && bb=/bin/busybox
    [ -n "$bb" ] || skip_all "busybox is not installed (apt-get install busybox-static)"
    mkdir -p "$dir"/{bin,etc,proc,sys,dev,tmp,root}
    cp "$bb" "$dir/bin/busybox"
    local c
    for c in $("$dir/bin/busybox" --list); do
        [ "$c" = busybox ] || ln -sf busybox "$dir/bin/$c"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
    echo 'root:x:0:' >"$dir/etc/group"
}

# make_bundle DIR [spec flags...]: rootfs + `rrun spec` config with terminal off.
make_bundle() {
    local dir=$1; shift
    mkdir -p "$dir"
    make_rootfs "$dir/rootfs"
    "$RRUN" spec --bundle "$dir" "$@"
    set_config "$dir" 'c["process"]["terminal"] = False'
}

# make_test_bundle PREFIX: the bundle most tests share, $WORK/bundle in $B,
# its config kept as $WORK/base.json for `reset`; `in_container CMD` runs
# `sh -c CMD` in it as a container whose id starts with PREFIX, and prints
# what it printed.
make_test_bundle() {
    B=$WORK/bundle
    TEST_ID_PREFIX=$1
    make_bundle "$B"
    cp "$B/config.json" "$WORK/base.json"
}
reset() { cp "$WORK/base.json" "$B/config.json"; }
in_container() { set_args "$B" sh -c "$1"; r run -b "$B" "$TEST_ID_PREFIX$RANDOM" 2>&1; }

# set_config DIR PYTHON: edits DIR/config.json with a python statement on `c`.
set_config() {
    python3 - "$1/config.json" "$2" <<'PY'
import json, sys
path, stmt = sys.argv[1], sys.argv[2]
c = json.load(open(path))
exec(stmt)
json.dump(c, open(path, "w"), indent=1)
PY
}

# set_args DIR ARG...: process.args
set_args() {
    local dir=$1; shift
    local json
    json=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@")
    set_config "$dir" "c['process']['args'] = $json"
}

json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d'"$1"')'; }

status_of() { r state "$1" 2>/dev/null | json_field '["status"]'; }
status_is() { [ "$(status_of "$1")" = "$2" ]; }

# wait_for COND_CMD...: up to 10 s.
wait_for() {
    local i
    for i in $(seq 1 200); do
        if "$@"; then return 0; fi
        sleep 0.05
    done
    return 1
}

# Runs a command with SIGUSR1 ignored and SIGUSR2 blocked, as a CI runner,
# nohup or an engine's shim may hand them to the runtime.
with_signals_muffled() {
    python3 -c 'import os, signal, sys
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}
signal_state() { grep -E '^Sig(Blk|Ign):' | xargs; }

pid_alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# The rootless test user (created once; useradd gives it subuid/subgid ranges).
ROOTLESS_USER=rrun-test
ensure_rootless_user() {
    id "$ROOTLESS_USER" >/dev/null 2>&1 || flock /tmp/rrun-test-useradd.lock sh -c "id $ROOTLESS_USER >/dev/null 2>&1 || useradd -m $ROOTLESS_USER" || skip_all "cannot create user $ROOTLESS_USER"
    grep -q "^$ROOTLESS_USER:" /etc/subuid || skip_all "useradd gave $ROOTLESS_USER no /etc/subuid range"
    command -v newuidmap >/dev/null || skip_all "newuidmap missing (apt-get install uidmap)"
    ROOTLESS_UID=$(id -u "$ROOTLESS_USER")
    ROOTLESS_XDG=$WORK/xdg
    mkdir -p "$ROOTLESS_XDG"
    chown "$ROOTLESS_USER" "$ROOTLESS_XDG"
    chmod 700 "$ROOTLESS_XDG"
}
# make_rootless_bundle DIR: a busybox bundle of the rootless user, `spec --rootless`, terminal off.
make_rootless_bundle() {
    mkdir -p "$1"
    make_rootfs "$1/rootfs"
    chown -R "$ROOTLESS_USER" "$1"
    as_user "\$RRUN spec --rootless --bundle $1"
    set_config "$1" "c['process']['terminal'] = False"
}
# as_user CMD...: runs a shell command as the rootless user with its own XDG_RUNTIME_DIR.
as_user() {
    su "$ROOTLESS_USER" -s /bin/bash -c "export XDG_RUNTIME_DIR=$ROOTLESS_XDG RRUN=$RRUN; cd $WORK; $*"
}
