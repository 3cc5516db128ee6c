# Shared helpers for the engine end-to-end tests (podman, containerd, docker on
# top of rrun). Sources tests/integration/lib.sh (ok/not_ok/check_*, finish,
# WORK, ensure_rootless_user/as_user, wait_for, make_rootfs) and adds:
#   RUNTIME       the OCI runtime the engines are given: $E2E_RUNTIME if set
#                 (e.g. E2E_RUNTIME=/usr/sbin/runc to compare), else $RRUN.
#   E2E_TRACE=1   put a logging wrapper in front of the runtime: every call's
#                 argv, a few env vars and its exit code go to $E2E_TRACE_LOG
#                 (default /tmp/rrun-e2e-<test>.trace, kept after the test).
#   e2e_install CMD:PKG...   apt-get install what is missing (skip on failure)
#   e2e_bg_daemon PIDVAR LOG CMD...  start a daemon, stop it by PID on exit
#   e2e_defer CMD            run CMD at exit, last registered first
#   t N CMD...               CMD under a timeout of N seconds
#   RUNC          runc, the reference for cases where the spec is silent
#                 ($E2E_RUNC, default /usr/sbin/runc; empty when missing):
#                 check_like_runc runs such a case under both in one session
set -u
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_NAME=$(basename "$0" .sh)
if [ -n "${E2E_RUNTIME:-}" ] && [ -z "${RRUN:-}" ]; then RRUN=$E2E_RUNTIME; fi
TESTS_DIR=${TESTS_DIR:-$(cd "$E2E_DIR/.." && pwd)}
# shellcheck source=../integration/lib.sh
. "$E2E_DIR/../integration/lib.sh"

RUNTIME=$(readlink -f "${E2E_RUNTIME:-$RRUN}")
[ -x "$RUNTIME" ] || { echo "runtime $RUNTIME is not executable" >&2; exit 1; }
echo "# $E2E_NAME: runtime $RUNTIME"
RUNC=${E2E_RUNC:-/usr/sbin/runc}
[ -x "$RUNC" ] || RUNC=

t() { local n=$1; shift; timeout -k 5 "$n" "$@"; }
# e2e_note TEXT: a "# TEXT" line on the test's own stderr, also from inside a
# function whose output a check captures (fd 9 is opened here, before any capture).
exec 9>&2
e2e_note() { echo "# $*" >&9; }
# wait_secs SECS CMD...: retries CMD until it succeeds or SECS seconds passed
# (wait_for counts tries, too long when each try is an engine call).
wait_secs() {
    local end=$(($(date +%s) + $1)); shift
    while :; do
        "$@" && return 0
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.2
    done
}

# --- cleanup: a LIFO stack run before lib.sh removes $WORK -------------------
E2E_DEFERRED=()
e2e_defer() { E2E_DEFERRED+=("$1"); }
e2e_cleanup() {
    local i
    for ((i = ${#E2E_DEFERRED[@]} - 1; i >= 0; i--)); do
        eval "${E2E_DEFERRED[$i]}" >/dev/null 2>&1 || true
    done
    e2e_umount_under "$WORK"
    # never follow a mount that survived into the host tree
    rm -rf --one-file-system "$WORK" 2>/dev/null || true
}
on_exit e2e_cleanup

# e2e_umount_under DIR: lazily unmounts every mount point at or below DIR,
# deepest first (overlay/shm mounts engines leave in the host namespace).
e2e_umount_under() {
    local dir=$1 m
    [ -n "$dir" ] || return 0
    for m in $(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
}
e2e_mounts_under() {
    awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# e2e_bg_daemon PIDVAR LOG CMD...: starts CMD in the background (own session)
# with output to LOG; at exit sends it SIGTERM, then SIGKILL after 10 s.
e2e_bg_daemon() {
    local var=$1 log=$2; shift 2
    setsid "$@" >"$log" 2>&1 </dev/null &
    local pid=$!
    printf -v "$var" '%s' "$pid"
    e2e_defer "e2e_stop_pid $pid"
}
e2e_stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
}
# e2e_kill_procs_matching STRING: SIGKILL each process (by PID) whose command
# line contains STRING (our own temp dir: shims, conmons left behind).
e2e_kill_procs_matching() {
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = $$ ] && continue
        if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$1"; then
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
}
# e2e_kill_procs_with_env VAR=VALUE: SIGKILL each process (by PID) started
# with that environment entry (rootless podman's pause process, conmons).
e2e_kill_procs_with_env() {
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = $$ ] && continue
        if tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qxF -- "$1"; then
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
}
e2e_procs_with_env() {
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = $$ ] && continue
        [ "$p" = "$BASHPID" ] && continue
        if tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qxF -- "$1"; then
            echo "$p $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | cut -c1-120)"
        fi
    done
}
e2e_procs_matching() {
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = $$ ] && continue
        [ "$p" = "$BASHPID" ] && continue
        if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$1"; then
            echo "$p $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | cut -c1-120)"
        fi
    done
}

# e2e_rm_cgroup NAME: removes the (empty) cgroup NAME, children first, from
# every hierarchy (engines create per-namespace parents and leave them).
e2e_rm_cgroup() {
    local name=$1 h
    [ -n "$name" ] || return 0
    for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
        [ -d "$h$name" ] && find "$h$name" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    return 0
}
# e2e_cgroup_existed NAME: true when NAME exists in some hierarchy now.
e2e_cgroup_existed() { ls -d /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1" >/dev/null 2>&1; }

# --- packages -----------------------------------------------------------------
E2E_APT_UPDATED=0
# e2e_install CMD:PKG...: installs PKG (Debian) when CMD is missing.
e2e_install() {
    local spec cmd pkg missing=()
    for spec in "$@"; do
        cmd=${spec%%:*}; pkg=${spec#*:}
        if [[ "$cmd" == /* ]]; then [ -e "$cmd" ] && continue; else command -v "$cmd" >/dev/null 2>&1 && continue; fi
        missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || skip_all "missing ${missing[*]} and not root"
    echo "# installing ${missing[*]}"
    (
        flock 9
        if [ "$E2E_APT_UPDATED" -eq 0 ]; then apt-get update -qq >/dev/null 2>&1 || true; fi
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null 2>&1
    ) 9>/tmp/rrun-e2e-apt.lock || skip_all "cannot install ${missing[*]}"
    E2E_APT_UPDATED=1
}

# --- the runtime, optionally traced ------------------------------------------
E2E_TRACE_LOG=${E2E_TRACE_LOG:-/tmp/rrun-e2e-$E2E_NAME.trace}
if [ "${E2E_TRACE:-0}" = 1 ]; then
    : >"$E2E_TRACE_LOG"
    chmod 666 "$E2E_TRACE_LOG"
    cat >"$WORK/runtime-trace" <<EOF
#!/bin/bash
# logging wrapper: argv, environment bits, exit code
echo "\$(date +%T.%N) [\$\$] uid=\$(id -u) _CONTAINERS_USERNS_CONFIGURED=\${_CONTAINERS_USERNS_CONFIGURED:-} XDG_RUNTIME_DIR=\${XDG_RUNTIME_DIR:-} argv: \$*" >>$E2E_TRACE_LOG
for a in "\$@"; do
    case "\$a" in
    */exec-process-*|/tmp/runc-process*) [ -f "\$a" ] && echo "    process: \$(cat "\$a")" >>$E2E_TRACE_LOG ;;
    esac
done
"$RUNTIME" "\$@"
rc=\$?
echo "\$(date +%T.%N) [\$\$] exit \$rc: \$1 \$2 \$3" >>$E2E_TRACE_LOG
exit \$rc
EOF
    chmod 755 "$WORK/runtime-trace"
    RUNTIME_REAL=$RUNTIME
    RUNTIME=$WORK/runtime-trace
    echo "# tracing runtime calls to $E2E_TRACE_LOG"
fi

# --- images -------------------------------------------------------------------
# e2e_busybox_tar OUT: a flat busybox root filesystem tarball (for `import`).
e2e_busybox_tar() {
    local out=$1 dir
    dir=$(mktemp -d "$WORK/rootfs.XXXX")
    chmod 755 "$dir"
    make_rootfs "$dir"
    mkdir -p "$dir/var/tmp" "$dir/run"
    chmod 1777 "$dir/tmp" "$dir/var/tmp"
    echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$dir/etc/passwd"
    echo 'nogroup:x:65534:' >>"$dir/etc/group"
    # a user with a home of its own (HOME cases); uid 1000 has no entry
    echo 'ee:x:1001:1001:ee:/home/ee:/bin/sh' >>"$dir/etc/passwd"
    echo 'ee:x:1001:' >>"$dir/etc/group"
    mkdir -p "$dir/home/ee"
    tar -C "$dir" -cf "$out" .
    rm -rf "$dir"
}

# e2e_docker_archive OUT [REF]: the busybox rootfs as a one-layer
# docker-archive (what `podman save --format docker-archive` writes), for
# `docker load` and `ctr images import`, made without any engine.
e2e_docker_archive() {
    local out=$1 ref=${2:-localhost/busybox:latest}
    e2e_busybox_tar "$WORK/layer.tar"
    e2e_layer_archive "$WORK/layer.tar" "$out" "$ref" '["/bin/sh"]'
    rm -f "$WORK/layer.tar"
}
# e2e_layer_archive LAYER_TAR OUT REF CMD_JSON: a one-layer docker-archive of
# that layer, the image's Cmd CMD_JSON.
e2e_layer_archive() {
    python3 - "$@" <<'PY'
import hashlib, io, json, sys, tarfile, time
layer_path, out, ref, cmd = sys.argv[1:5]
layer = open(layer_path, "rb").read()
diff_id = hashlib.sha256(layer).hexdigest()
config = json.dumps({
    "architecture": "amd64", "os": "linux",
    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "config": {"Cmd": json.loads(cmd), "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
    "history": [{"created_by": "rrun e2e busybox"}],
}).encode()
config_id = hashlib.sha256(config).hexdigest()
manifest = json.dumps([{"Config": config_id + ".json", "RepoTags": [ref],
                        "Layers": [diff_id + "/layer.tar"]}]).encode()
name, tag = ref.rsplit(":", 1)
repos = json.dumps({name: {tag: diff_id}}).encode()
with tarfile.open(out, "w") as tar:
    def add(path, data):
        ti = tarfile.TarInfo(path); ti.size = len(data); ti.mode = 0o644
        tar.addfile(ti, io.BytesIO(data))
    d = tarfile.TarInfo(diff_id); d.type = tarfile.DIRTYPE; d.mode = 0o755
    tar.addfile(d)
    add(diff_id + "/layer.tar", layer)
    add(diff_id + "/VERSION", b"1.0")
    add(config_id + ".json", config)
    add("manifest.json", manifest)
    add("repositories", repos)
PY
}

# --- checks -------------------------------------------------------------------
# check_rc DESC EXPECTED_RC CMD...: runs CMD, compares its exit code.
check_rc() {
    local desc=$1 want=$2 out rc; shift 2
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ]; then ok "$desc"; else not_ok "$desc: exit $rc, expected $want: $(echo "$out" | tail -3 | tr '\n' ' ')"; fi
}
# check_ok DESC CMD...: CMD must succeed (its output shown on failure).
check_ok() { local desc=$1; shift; check_rc "$desc" 0 "$@"; }
# check_fails DESC CMD...: CMD must fail.
check_fails() {
    local desc=$1 out rc; shift
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" != 0 ]; then ok "$desc"; else not_ok "$desc: succeeded: $(echo "$out" | tail -3 | tr '\n' ' ')"; fi
}
# check_like_runc DESC EXPECTED FUNC ARGS...: where the spec is silent runc is
# the law. FUNC RUNTIME ARGS... runs the case with RUNTIME as the engine's
# runtime binary; it runs under runc (printed, and checked as the reference, so
# a wrong expectation shows) and under the runtime under test, which must give
# EXPECTED too.
check_like_runc() {
    local desc=$1 want=$2 f=$3 out; shift 3
    if [ -n "$RUNC" ] && [ "$RUNC" != "$(readlink -f "${RUNTIME_REAL:-$RUNTIME}")" ]; then
        out=$("$f" "$RUNC" "$@" 2>&1)
        echo "# runc: $desc: [$(printf '%s' "$out" | tr '\n' '|')]"
        check_eq "$desc (runc, the reference)" "$want" "$out"
    fi
    out=$("$f" "$RUNTIME" "$@" 2>&1)
    check_eq "$desc" "$want" "$out"
}
# E2E_LO_PROBE: a shell line for the container: is lo up, and does a server on
# 127.0.0.1 answer (busybox httpd, and nc as the client: the static busybox's
# wget crashes in getaddrinfo)? Prints E2E_LO_OK when both.
E2E_LO_PROBE='echo lo-up=$(( $(cat /sys/class/net/lo/flags) & 1 )); mkdir -p /tmp/www; echo served-on-lo >/tmp/www/index.html; httpd -p 127.0.0.1:8080 -h /tmp/www 2>&1; printf "GET / HTTP/1.0\r\n\r\n" | nc -w 3 127.0.0.1 8080 2>&1 | tail -1'
E2E_LO_OK=$(printf 'lo-up=1\nserved-on-lo')
nocr() { tr -d '\r'; }
# under_tty CMDLINE: runs a shell command line with a pseudo terminal as its
# stdin/stdout (script(1)); prints its output without CRs, returns its code.
under_tty() { t 120 script -qec "$*" /dev/null </dev/null 2>&1 | nocr; return "${PIPESTATUS[0]}"; }

# e2e_finish: prints the trace on failure and the summary.
e2e_finish() {
    if [ "$FAILED" -ne 0 ] && [ "${E2E_TRACE:-0}" = 1 ]; then
        echo "# runtime trace (last 40 lines of $E2E_TRACE_LOG):"
        tail -40 "$E2E_TRACE_LOG" | cut -c1-300 | sed 's/^/#   /'
    fi
    finish
}
