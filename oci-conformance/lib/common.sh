# Helpers shared by every conformance test.  Sourced by ../run; each test
# function runs in its own subshell with:
#   TDIR   a fresh temp directory for the test (bundles live here)
#   STATE  the runtime's --root for this test only
# and ends by calling pass, fail MESSAGE or skip REASON.

# ---- registration ---------------------------------------------------------
TEST_IDS=()
declare -A TEST_SPEC TEST_CLAUSE TEST_FN
# t ID SPEC-REF CLAUSE FUNCTION
#   ID        short name, e.g. runtime.start.twice
#   SPEC-REF  spec file and section, e.g. "runtime.md#start"
#   CLAUSE    the requirement, paraphrased (MUST/SHOULD kept)
t() {
    TEST_IDS+=("$1")
    TEST_SPEC[$1]=$2
    TEST_CLAUSE[$1]=$3
    TEST_FN[$1]=$4
}

# ---- results (inside a test) -----------------------------------------------
pass() { [ $# -gt 0 ] && echo "$*" >"$TDIR/.result"; exit 0; }
fail() { echo "$*" >"$TDIR/.result"; exit 1; }
skip() { echo "$*" >"$TDIR/.result"; exit 77; }

# ---- the runtime -----------------------------------------------------------
# rt ARGS...: the runtime under test with this test's state root.
# RUNTIME_WRAP (word-split) is put in front of every call.
rt() {
    # shellcheck disable=SC2086
    timeout -k 5 "${RT_TIMEOUT:-30}" ${RUNTIME_WRAP:-} "$RUNTIME" --root "$STATE" "$@"
}

# newid [SUFFIX]: a container id unique to this test run, recorded for cleanup.
newid() {
    local n
    n=$(($(wc -l <"$TDIR/.ids" 2>/dev/null || echo 0) + 1))
    local id="oc${SUITE_PID}-${TEST_NO}-${n}${1:+-$1}"
    echo "$id" >>"$TDIR/.ids"
    echo "$id"
}

# cleanup_test: kill and delete whatever the test left behind.
cleanup_test() {
    local id pid cg h m
    if [ -f "$TDIR/.ids" ]; then
        while read -r id; do
            rt state "$id" >"$TDIR/.last-state" 2>/dev/null || continue
            pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$TDIR/.last-state" | head -1)
            rt kill "$id" KILL >/dev/null 2>&1
            [ -n "$pid" ] && [ "$pid" != 0 ] && kill -9 "$pid" 2>/dev/null
            rt delete --force "$id" >/dev/null 2>&1 || rt delete "$id" >/dev/null 2>&1
        done <"$TDIR/.ids"
    fi
    # mounts a test made on the host
    if [ -f "$TDIR/.mounts" ]; then
        while read -r m; do umount -l "$m" 2>/dev/null; done <"$TDIR/.mounts"
    fi
    # network interfaces a test made on the host (netDevices): still there if not moved
    if [ -f "$TDIR/.links" ]; then
        while read -r m; do ip link del "$m" 2>/dev/null; done <"$TDIR/.links"
    fi
    # cgroups a test asked for that the runtime left behind (empty dirs only)
    if [ -f "$TDIR/.cgroups" ]; then
        while read -r cg; do
            for h in /sys/fs/cgroup/*/; do
                rmdir "$h${cg#/}" "$h$(dirname "${cg#/}")" 2>/dev/null
            done
        done <"$TDIR/.cgroups"
    fi
    return 0
}

# ---- bundles ---------------------------------------------------------------
# bundle [NAME]: a bundle dir with a private copy of the template rootfs
# (busybox + probe) and the base config.json; prints its path.
bundle() {
    local b="$TDIR/${1:-bundle}"
    mkdir -p "$b"
    cp -a "$TEMPLATE_ROOTFS" "$b/rootfs"
    cp "$SUITE_DIR/lib/base-config.json" "$b/config.json"
    echo "$b"
}

# cfg BUNDLE PYTHON: edit BUNDLE/config.json with a python statement on `c`.
cfg() {
    "$PY" - "$1/config.json" "$2" <<'PY' || fail "cannot edit config.json: $2"
import json, sys
path, stmt = sys.argv[1], sys.argv[2]
c = json.load(open(path))
exec(stmt)
json.dump(c, open(path, "w"), indent=1)
PY
}

# args BUNDLE ARG...: process.args
args() {
    local b=$1; shift
    cfg "$b" "c['process']['args'] = $("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@")"
}

# add_ns BUNDLE TYPE [PATH] / del_ns BUNDLE TYPE
add_ns() {
    if [ -n "${3:-}" ]; then
        cfg "$1" "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != '$2'] + [{'type': '$2', 'path': '$3'}]"
    else
        cfg "$1" "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != '$2'] + [{'type': '$2'}]"
    fi
}
del_ns() { cfg "$1" "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != '$2']"; }

# ---- running ---------------------------------------------------------------
# run_c BUNDLE ID [RUNTIME ARGS...]: `run` in the foreground, stdout to
# BUNDLE/out, stderr to BUNDLE/err; returns the runtime's exit code.
run_c() {
    local b=$1 id=$2; shift 2
    rt run "$@" --bundle "$b" "$id" <"${RUN_STDIN:-/dev/null}" >"$b/out" 2>"$b/err"
}

# probe BUNDLE [PROBE ARGS...]: run /probe in BUNDLE and fail the test unless
# it printed its report.  The report is BUNDLE/out.
probe() {
    local b=$1 rc id; shift
    args "$b" /probe "$@"
    id=$(newid)
    run_c "$b" "$id"
    rc=$?
    json_ok "$b/out" || fail "the container did not run (exit $rc): $(errtext "$b")"
    return 0
}

# create_c BUNDLE ID [ARGS...]: `create`; the container's stdio goes to
# BUNDLE/out and BUNDLE/err.
create_c() {
    local b=$1 id=$2; shift 2
    rt create "$@" --bundle "$b" "$id" </dev/null >"$b/out" 2>"$b/err"
}

errtext() { head -c 300 "$1/err" 2>/dev/null | tr '\n' ' '; }

# j FILE PYEXPR: evaluate a python expression on the JSON in FILE as `d`.
j() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "$2" 2>/dev/null; }
# json_get PYEXPR-ON-d (stdin)
json_get() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); v=eval("d"+sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" 2>/dev/null; }
json_ok() { "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

# state_of ID: the state JSON (empty on error)
state_of() { rt state "$1" 2>/dev/null; }
status_of() { state_of "$1" | json_get '["status"]'; }
pid_of() { state_of "$1" | json_get '["pid"]'; }

# wait_until SECONDS CMD...: poll CMD every 0.05 s
wait_until() {
    local secs=$1 i; shift
    for ((i = 0; i < secs * 20; i++)); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}
status_is() { [ "$(status_of "$1")" = "$2" ]; }

# host_ns TYPE: the runner's own namespace link, e.g. net:[4026531840]
host_ns() { readlink "/proc/self/ns/$1"; }

# cgroup_v1_path PID CONTROLLER: the pid's cgroup path in a v1 hierarchy
cgroup_v1_path() { awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup"; }
v1_mounted() { [ -d "/sys/fs/cgroup/$1" ] && mountpoint -q "/sys/fs/cgroup/$1"; }
