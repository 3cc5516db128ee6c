# Helpers for guest scripts, run inside the test VM (a pure cgroup v2 host) by
# tests/vm/run-in-vm.sh. Same function names as tests/integration/lib.sh, so a
# test ports by changing its `source` line; the guest has bash, busybox and jq
# but no python, so set_config takes a jq filter (simple python assignments
# `c['a']['b'] = VALUE` and `del c['a']` are translated, see set_config).
#
# Set by the guest init: RRUN, ROOTLESS_USER/UID/GID, VM_DELEGATED_CGROUP (the
# user's delegated cgroup dir), VM_SCRIPT_CGROUP (the cgroup this script runs
# in), and for *_rootless.sh scripts XDG_RUNTIME_DIR (they run as the user).
set -u
: "${RRUN:=/usr/local/bin/rrun}"
GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/rrun-test.XXXXXX)
chmod 755 "$WORK"
STATE_ROOT=$WORK/state
# statfs f_type of cgroup2, as `stat -f -c %t` prints it (busybox's %T says UNKNOWN).
CGROUP2_MAGIC=63677270
FAILED=0
PASSED=0
CLEANUP_CMDS=()

r() { "$RRUN" --root "$STATE_ROOT" "$@"; }

cleanup() {
    local c id
    for c in "${CLEANUP_CMDS[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
    if [ -d "$STATE_ROOT" ]; then
        for id in $(ls "$STATE_ROOT" 2>/dev/null); do r delete --force "$id" >/dev/null 2>&1 || true; done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
on_exit() { CLEANUP_CMDS+=("$1"); }

# A check run with TODO=REASON set (`TODO="rrun does not do X yet" check_eq ...`)
# is a known failure: TAP's "# TODO" directive, printed but not counted as failed.
ok() { PASSED=$((PASSED + 1)); echo "ok - $*${TODO:+ # TODO $TODO}"; }
not_ok() {
    if [ -n "${TODO:-}" ]; then echo "not ok - $* # TODO $TODO"
    else FAILED=$((FAILED + 1)); echo "not ok - $*"; fi
}
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
need_user() { [ "$(id -u)" -ne 0 ] || skip_all "runs as the unprivileged user (name it *_rootless.sh)"; }

# make_rootfs DIR: a busybox root filesystem (bin/ with busybox and a link
# per applet, etc/passwd and etc/group with root). Copied from a template the
# harness built on the host: hundreds of `ln` forks are slow under TCG.
make_rootfs() {
    mkdir -p "$1"
    cp -R /usr/share/rrun-vm/rootfs/. "$1/"
}

# make_bundle DIR [spec flags...]: rootfs + `rrun spec` config with terminal off.
make_bundle() {
    local dir=$1; shift
    mkdir -p "$dir"
    make_rootfs "$dir/rootfs"
    "$RRUN" spec --bundle "$dir" "$@"
    set_config "$dir" '.process.terminal = false'
}

# py_to_jq STMT: the python forms integration tests use, as a jq filter.
#   c['a']['b'] = {'x': True}  ->  .["a"]["b"] = {"x": true}
#   del c['a'][0]              ->  del(.["a"][0])
# Strings must not hold quotes or the words True/False/None.
py_to_jq() {
    local s=$1
    s=${s//\'/\"}
    s=$(sed -E 's/\bTrue\b/true/g; s/\bFalse\b/false/g; s/\bNone\b/null/g' <<<"$s")
    if [[ "$s" =~ ^[[:space:]]*del[[:space:]]+c(\[.*\])[[:space:]]*$ ]]; then
        echo "del(.${BASH_REMATCH[1]})"
    else
        echo ".${s#c}"
    fi
}

# set_config DIR FILTER: edits DIR/config.json with a jq filter, e.g.
#   set_config "$B" '.linux.resources.pids.limit = 10'
# (a python statement starting with `c[` or `del c[` is translated first).
set_config() {
    local file=$1/config.json filter=$2 json
    case $filter in c\[*|del\ c\[*) filter=$(py_to_jq "$filter") ;; esac
    json=$(jq "$filter" "$file") || { echo "set_config: jq failed on [$filter]" >&2; return 1; }
    printf '%s\n' "$json" >"$file"
}

# set_args DIR ARG...: process.args
set_args() {
    local dir=$1; shift
    set_config "$dir" ".process.args = $(json_array "$@")"
}
# json_str STRING / json_array ARG...: JSON, in bash (each jq run costs about
# half a second under TCG).
json_str() {
    local s=$1
    s=${s//\\/\\\\}; s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}; s=${s//$'\t'/\\t}; s=${s//$'\r'/\\r}
    printf '"%s"' "$s"
}
json_array() {
    local v sep=
    printf '['
    for v in "$@"; do printf '%s' "$sep"; json_str "$v"; sep=,; done
    printf ']'
}

# json_field PATH: reads JSON on stdin; PATH is a jq path or the python
# subscript form the integration tests use (json_field '["status"]').
json_field() {
    local p=${1//\'/\"}
    case $p in \[*) p=.$p ;; esac
    jq -r "$p"
}

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

pid_alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# The rootless user exists in the guest already (uid 1000, /etc/subuid and
# /etc/subgid ranges 100000:65536, a delegated cgroup). From a root script,
# as_user runs commands as that user; in a *_rootless.sh script the script
# already is that user and as_user just runs them.
ensure_rootless_user() {
    ROOTLESS_UID=$(id -u "$ROOTLESS_USER")
    if [ "$(id -u)" -eq 0 ]; then
        ROOTLESS_XDG=$WORK/xdg
        mkdir -p "$ROOTLESS_XDG"
        chown "$ROOTLESS_USER" "$ROOTLESS_XDG"
        chmod 700 "$ROOTLESS_XDG"
    else
        ROOTLESS_XDG=${XDG_RUNTIME_DIR:?}
    fi
}
as_user() {
    if [ "$(id -u)" -eq 0 ]; then
        su -s /bin/bash "$ROOTLESS_USER" -c "export XDG_RUNTIME_DIR=$ROOTLESS_XDG RRUN=$RRUN; cd $WORK; $*"
    else
        bash -c "export XDG_RUNTIME_DIR=$ROOTLESS_XDG RRUN=$RRUN; cd $WORK; $*"
    fi
}

# squash STRING: words separated by single spaces (uid_map lines are padded).
squash() { local IFS=$' \t\n'; set -f; set -- $1; set +f; echo "$*"; }

# field N STRING: the Nth whitespace-separated word of STRING.
field() { local IFS=$' \t\n' n=$1; set -f; set -- $2; set +f; [ "$n" -le $# ] && echo "${!n}"; }

# container_sees BUNDLE ID CMD...: runs CMD (sh -c) in a fresh container of
# BUNDLE and prints its output; $? is rrun's exit code.
container_sees() {
    local dir=$1 id=$2; shift 2
    set_args "$dir" sh -c "$*"
    r run --bundle "$dir" "$id" 2>&1
}
