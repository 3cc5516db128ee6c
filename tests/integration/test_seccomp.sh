#!/bin/bash
# linux.seccomp: the filter the container runs under, as the program inside
# sees it (errno texts, signals, what a listener received), with runc's
# semantics, podman's default profile unchanged, and clear errors.
source "$(dirname "$0")/lib.sh"
need_root
: "${SECCOMP_LISTENER:?SECCOMP_LISTENER must point at the built seccomp_listener}"
FIXTURES=$TESTS_DIR/fixtures

B=$WORK/bundle
make_bundle "$B"
set_config "$B" "c['root']['readonly'] = False"
cp "$B/config.json" "$WORK/base.json"
# setup PROFILE [ARG...]: the base config with linux.seccomp = PROFILE (a
# python expression; None leaves it out) and process.args, in one python run
# (each one costs seconds on a busy machine). EXTRA, if set, is run on `c` too.
EXTRA=
setup() {
    python3 - "$WORK/base.json" "$B/config.json" "$EXTRA" "$@" <<'PY'
import json, sys
src, dst, extra, prof, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
c = json.load(open(src))
p = eval(prof)
if p is not None: c['linux']['seccomp'] = p
if args: c['process']['args'] = args
exec(extra)
json.dump(c, open(dst, 'w'), indent=1)
PY
}
allow_but() { echo "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [$1]}"; }

# --- ERRNO: mkdir fails with EPERM, everything else works.
setup "$(allow_but "{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO'}")" \
    sh -c 'mkdir /tmp/d; echo "mkdir rc=$?"; echo data >/tmp/f && cat /tmp/f; ls /tmp'
out=$(r run -b "$B" e1 2>&1); rc=$?
check_eq "an ERRNO profile runs" 0 $rc
check_contains "mkdir fails with EPERM inside" "can't create directory '/tmp/d': Operation not permitted" "$out"
check_contains "mkdir returned an error" "mkdir rc=1" "$out"
check_contains "other syscalls work (write, read)" $'\ndata\n' "$out"
check_true "nothing was created" test ! -e "$B/rootfs/tmp/d"

# errnoRet comes back as given (ENOSPC = 28).
setup "$(allow_but "{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 28}")" mkdir /tmp/d2
out=$(r run -b "$B" e2 2>&1)
check_contains "errnoRet 28 is ENOSPC inside" "No space left on device" "$out"

# --- Argument filters: chmod refused for world-writable modes (MASKED_EQ),
# kill refused for SIGUSR1 only (EQ), EACCES as the errno.
setup "$(allow_but "{'names': ['chmod', 'fchmodat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13,
    'args': [{'index': 1, 'value': 2, 'valueTwo': 2, 'op': 'SCMP_CMP_MASKED_EQ'}]},
  {'names': ['kill'], 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 1, 'value': 10, 'op': 'SCMP_CMP_EQ'}]}")" \
    sh -c 'touch /tmp/f; chmod 777 /tmp/f; echo "chmod777 rc=$?"; chmod 750 /tmp/f; echo "chmod750 rc=$?";
  stat -c mode=%a /tmp/f; sleep 10 & p=$!; kill -USR1 $p; echo "usr1 rc=$?"; kill -0 $p && echo "kill0 ok";
  kill -USR2 $p; wait $p; echo "sleep status=$?"'
out=$(r run -b "$B" a1 2>&1)
check_contains "chmod 777 is refused (mode & 002 == 002)" "chmod: /tmp/f: Permission denied" "$out"
check_contains "chmod 750 is allowed" "chmod750 rc=0" "$out"
check_contains "and took effect" "mode=750" "$out"
check_contains "kill SIGUSR1 is refused with EPERM" "Operation not permitted" "$out"
check_contains "kill SIGUSR1 returned an error" "usr1 rc=1" "$out"
check_contains "kill signal 0 is allowed" "kill0 ok" "$out"
check_contains "kill SIGUSR2 is allowed and killed sleep" "sleep status=$((128 + 12))" "$out"

# Two tests of one argument are ORed, as runc does: 0777 and 0707 refused, 0755 not.
setup "$(allow_but "{'names': ['chmod'], 'action': 'SCMP_ACT_ERRNO', 'args': [
    {'index': 1, 'value': 511, 'op': 'SCMP_CMP_EQ'}, {'index': 1, 'value': 455, 'op': 'SCMP_CMP_EQ'}]}")" \
    sh -c 'touch /tmp/f; for m in 777 707 755; do chmod $m /tmp/f 2>/dev/null; echo "$m:$?"; done'
out=$(r run -b "$B" a2 2>&1)
check_eq "same-index args are ORed" "777:1 707:1 755:0" "$(echo $out)"

# --- KILL actions: the program dies of SIGSYS (the kernel kills a single-
# threaded process for KILL_THREAD too), run exits 128+31, mkdir never ran.
for act in SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_TRAP; do
    setup "$(allow_but "{'names': ['mkdir', 'mkdirat'], 'action': '$act'}")" mkdir /tmp/k
    r run -b "$B" k1 >/dev/null 2>&1; rc=$?
    check_eq "$act: run exits 128+SIGSYS" 159 $rc
    check_true "$act: the directory was not made" test ! -e "$B/rootfs/tmp/k"
done
# A shell sees its child die of SIGSYS.
setup "$(allow_but "{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_KILL_PROCESS'}")" sh -c '/bin/mkdir /tmp/k; echo "child status=$?"'
out=$(r run -b "$B" k2 2>&1)
check_contains "the shell sees exit status 159" "child status=159" "$out"

# --- LOG and every flag: accepted, the logged call still runs.
setup "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW'], 'syscalls': [{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_LOG'}]}" sh -c 'mkdir /tmp/logged && echo made'
out=$(r run -b "$B" l1 2>&1); rc=$?
check_eq "LOG with TSYNC, LOG, SPEC_ALLOW flags runs" 0 $rc
check_contains "the logged mkdir ran" made "$out"
check_true "and made the directory" test -d "$B/rootfs/tmp/logged"
features=$(r features | json_field '["linux"]["seccomp"]')
check_contains "features says seccomp is enabled" "'enabled': True" "$features"
check_contains "features lists the kernel's flags" "'supportedFlags': ['SECCOMP_FILTER_FLAG_TSYNC'" "$features"

# --- noNewPrivileges false: the filter goes in before the user switch.
EXTRA="c['process']['noNewPrivileges'] = False; c['process']['user'] = {'uid': 1000, 'gid': 1000}" \
    setup "$(allow_but "{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 28}")" \
    sh -c 'id -u; grep NoNewPrivs /proc/self/status; grep Seccomp: /proc/self/status; mkdir /tmp/n'
out=$(r run -b "$B" p1 2>&1)
check_contains "runs as the user" $'1000\n' "$out"
check_contains "no_new_privs is off" "NoNewPrivs:	0" "$out"
check_contains "a filter is on (mode 2)" "Seccomp:	2" "$out"
check_contains "and it applies" "No space left on device" "$out"

# --- A syscall name this libseccomp does not know is skipped (debug log).
# The name is new to each run: a filter compiled before comes from the cache,
# without compiling (and logging) again.
unknown=no_such_syscall_rrun_$$_$RANDOM
setup "$(allow_but "{'names': ['$unknown', 'mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO'}")" sh -c 'mkdir /tmp/u; echo ran'
out=$("$RRUN" --root "$STATE_ROOT" --debug --log "$WORK/u.log" run -b "$B" u1 2>&1); rc=$?
check_eq "an unknown syscall name is no error" 0 $rc
check_contains "the rest of the entry applies" "Operation not permitted" "$out"
check_contains "the debug log names the skipped syscall" "unknown syscall \\\"$unknown\\\"" "$(cat "$WORK/u.log")"
# The cached program is keyed by this binary's build id: a rebuilt rrun (a
# changed filter compiler) compiles again instead of reusing an old program.
entry=$(grep -l "$unknown" /run/rrun/.seccomp-cache/*.bpf 2>/dev/null | head -1)
bid=$(readelf -n "$RRUN" 2>/dev/null | sed -n 's/.*Build ID: //p')
if [ -n "$entry" ] && [ -n "$bid" ]; then
    check_contains "the cache entry's key names this binary's build id" "build-id $bid;" "$(head -c 200 "$entry" | tr -d '\0')"
else
    echo "# skip: cache key check (entry: ${entry:-none}, build id: ${bid:-none, no readelf})"
fi

# --- NOTIFY: the listener gets the state and the fd, and answers mkdir.
SOCK=$WORK/listener.sock
start_listener() {  # REPLY OUT
    rm -f "$SOCK"
    "$SECCOMP_LISTENER" "$SOCK" "$2" "$1" &
    LISTENER=$!
    on_exit "kill $LISTENER"
    wait_for test -S "$SOCK"
}
notify_profile="{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '$SOCK', 'listenerMetadata': 'rrun-test-meta',
  'syscalls': [{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_NOTIFY'}]}"
setup "$notify_profile" sh -c 'mkdir /tmp/n1; echo "mkdir rc=$?"; ls -d /tmp/n1'
start_listener errno:18 "$WORK/n1.out"
r create -b "$B" n1 >"$WORK/n1.stdout" 2>&1
check_eq "create with a notify listener exits 0" 0 $?
pid=$(r state n1 | json_field '["pid"]')
check_true "the listener got the fd" wait_for grep -q '^fd received' "$WORK/n1.out"
fields=$(sed -n 's/^state //p' "$WORK/n1.out" | python3 -c 'import json, sys; s = json.load(sys.stdin)
print(s["ociVersion"], s["fds"], s["pid"], s["metadata"], s["state"]["id"], s["state"]["pid"], s["state"]["bundle"], sep="|")')
IFS='|' read -r s_version s_fds s_pid s_meta s_id s_spid s_bundle <<<"$fields"
check_eq "seccomp state: ociVersion" 1.3.0 "$s_version"
check_eq "seccomp state: fds" "['seccompFd']" "$s_fds"
check_eq "seccomp state: pid is the container's" "$pid" "$s_pid"
check_eq "seccomp state: metadata" rrun-test-meta "$s_meta"
check_eq "seccomp state: state.id" n1 "$s_id"
check_eq "seccomp state: state.pid" "$pid" "$s_spid"
check_eq "seccomp state: state.bundle" "$B" "$s_bundle"
r start n1
check_true "container stops" wait_for status_is n1 stopped
wait $LISTENER
out=$(cat "$WORK/n1.stdout")
check_contains "the listener's errno (EXDEV) reached mkdir" "Invalid cross-device link" "$out"
check_contains "and ls saw no directory" "No such file or directory" "$out"
check_contains "the listener saw mkdir (83)" "syscall 83" "$(cat "$WORK/n1.out")"
check_contains "the listener saw the container go" done "$(cat "$WORK/n1.out")"
r delete n1

# CONTINUE: the call really runs; noNewPrivileges false loads it before the user switch.
EXTRA="c['process']['noNewPrivileges'] = False" setup "$notify_profile" sh -c 'mkdir /tmp/n2 && echo "made n2"'
start_listener continue "$WORK/n2.out"
out=$(r run -b "$B" n2 2>&1); rc=$?
wait $LISTENER
check_eq "run with a CONTINUE listener exits 0" 0 $rc
check_contains "the continued mkdir succeeded" "made n2" "$out"
check_true "and made the directory" test -d "$B/rootfs/tmp/n2"
check_contains "the listener saw it" "syscall 83" "$(cat "$WORK/n2.out")"

# A fake success: mkdir returns 0 but nothing happens.
setup "$notify_profile" sh -c 'mkdir /tmp/n3 && echo "mkdir said ok"; test -d /tmp/n3 || echo "no n3"'
start_listener success "$WORK/n3.out"
out=$(r run -b "$B" n3 2>&1)
wait $LISTENER
check_contains "the listener's success reached mkdir" "mkdir said ok" "$out"
check_contains "which did not run" "no n3" "$out"

# TSYNC with a listener (the kernel needs TSYNC_ESRCH with it).
setup "${notify_profile%\}}, 'flags': ['SECCOMP_FILTER_FLAG_TSYNC']}" sh -c 'mkdir /tmp/n4; echo "rc=$?"'
start_listener errno:28 "$WORK/n4.out"
out=$(r run -b "$B" n4 2>&1); rc=$?
wait $LISTENER
check_eq "TSYNC with a listener runs" 0 $rc
check_contains "and the listener answered" "No space left on device" "$out"

# Nobody listening: create fails naming listenerPath, nothing left behind.
rm -f "$SOCK"
setup "$notify_profile"
out=$(r create -b "$B" n5 2>&1); rc=$?
check_eq "an absent listener fails create" 1 $rc
check_contains "the error names listenerPath" "linux.seccomp.listenerPath: connect to $SOCK" "$out"
check_eq "no state left" "" "$(ls "$STATE_ROOT")"

# --- Errors: a clear one-line error naming the entry, exit 1, no state left.
expect_error() {  # DESCRIPTION TEXT
    local out rc
    out=$(r create -b "$B" x1 2>&1); rc=$?
    check_eq "$1: exit code" 1 $rc
    check_contains "$1: message" "$2" "$out"
    check_eq "$1: one line" 1 "$(printf '%s\n' "$out" | wc -l)"
    check_eq "$1: no state left" "" "$(ls "$STATE_ROOT" 2>/dev/null)"
}
setup "$(allow_but "{'names': ['read'], 'action': 'SCMP_ACT_LOG'}, {'names': ['mkdir'], 'action': 'SCMP_ACT_FOO'}")"
expect_error "unknown action" "linux.seccomp.syscalls[1].action"
setup "{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX']}"
expect_error "unknown arch" 'linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_VAX"'
setup "$(allow_but "{'names': ['kill'], 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 1, 'value': 9, 'op': 'SCMP_CMP_ABOUT'}]}")"
expect_error "unknown op" "linux.seccomp.syscalls[0].args[0].op"
setup "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_BOGUS']}"
expect_error "unknown flag" 'linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_BOGUS"'
setup "$(allow_but "{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}")"
expect_error "NOTIFY without listenerPath" "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY"
setup "{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '$SOCK', 'syscalls': [{'names': ['sendmsg'], 'action': 'SCMP_ACT_NOTIFY'}]}"
expect_error "NOTIFY on a call the init needs" 'SCMP_ACT_NOTIFY cannot be used for "sendmsg"'

# --- Podman's default profile (tests/fixtures/podman-default-seccomp.json:
# linux.seccomp of the config.json podman 4.3.1 wrote for `podman create`
# of a busybox image here), unchanged.
PODMAN_CAPS="['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT']"
# The host's /usr (and its libraries) for the dynamically linked helper.
ln -sfn usr/lib "$B/rootfs/lib"; ln -sfn usr/lib64 "$B/rootfs/lib64"; mkdir -p "$B/rootfs/usr"
cp "$SECCOMP_LISTENER" "$B/rootfs/bin/seccomp_helper"
USR_MOUNT="c['mounts'].append({'destination': '/usr', 'type': 'bind', 'source': '/usr', 'options': ['rbind', 'ro']})"
PODMAN_PROFILE="json.load(open('$FIXTURES/podman-default-seccomp.json'))"
podman_case() {  # CAPS PROFILE: the probe under PROFILE with CAPS
    EXTRA="$USR_MOUNT; c['process']['capabilities'] = {k: $1 for k in ('bounding', 'effective', 'permitted')}" \
        setup "$2" /bin/sh -c "$probe"
}
probe='echo hello; ls /bin | grep -c .; echo x >/tmp/p && cat /tmp/p; mkdir /tmp/pd && echo mkdir-ok; ps -o pid,comm >/tmp/ps.out && grep -qw ps /tmp/ps.out && echo ps-ok;
  unshare -m true; echo "unshare rc=$?"; hostname podman-test; echo "hostname rc=$?";
  swapoff /nonexistent; /bin/seccomp_helper --request-key'
podman_case "$PODMAN_CAPS" "$PODMAN_PROFILE"
out=$(r run -b "$B" pm1 2>&1); rc=$?
check_eq "podman's profile runs busybox" 0 $rc
check_contains "echo works" hello "$out"
check_contains "file IO works" $'\nx\n' "$out"
check_contains "mkdir works" mkdir-ok "$out"
check_contains "ps works" ps-ok "$out"
check_contains "unshare fails (no CAP_SYS_ADMIN under podman's caps)" "unshare(0x20000): Operation not permitted" "$out"
check_contains "sethostname is refused" "sethostname: Operation not permitted" "$out"
check_contains "swapoff is refused by the profile (EPERM, not ENOENT)" "swapoff: /nonexistent: Operation not permitted" "$out"
check_contains "request_key, not in the profile, gets defaultErrnoRet ENOSYS" "request_key: Function not implemented" "$out"

# With every capability the profile still refuses what it lists; the same
# calls without the profile behave differently, so it is the filter at work.
ALL_CAPS="c['process']['capabilities']['bounding'] + ['CAP_SYS_ADMIN']"
podman_case "$ALL_CAPS" "$PODMAN_PROFILE"
out=$(r run -b "$B" pm2 2>&1)
check_contains "with CAP_SYS_ADMIN unshare is allowed by podman's profile" "unshare rc=0" "$out"
check_contains "sethostname is still refused" "sethostname: Operation not permitted" "$out"
check_contains "swapoff is still refused" "swapoff: /nonexistent: Operation not permitted" "$out"
check_contains "request_key still ENOSYS" "request_key: Function not implemented" "$out"
podman_case "$ALL_CAPS" None
out=$(r run -b "$B" pm3 2>&1)
check_contains "control without the profile: sethostname works" "hostname rc=0" "$out"
check_contains "control: swapoff gets past the filter" "swapoff: /nonexistent: No such file or directory" "$out"
check_contains "control: request_key reaches the kernel" "request_key: Required key not available" "$out"

# --- Rootless: an unprivileged user with a simple ERRNO profile. Checked
# first, as ensure_rootless_user would skip the whole file (and hide the
# results above) where a test user cannot be made.
if ! command -v newuidmap >/dev/null || ! { id "$ROOTLESS_USER" >/dev/null 2>&1 || command -v useradd >/dev/null; }; then
    echo "# skip rootless case: no newuidmap or no way to create $ROOTLESS_USER"
    finish
    exit
fi
ensure_rootless_user
RB=$WORK/rootless
mkdir -p "$RB"
make_rootfs "$RB/rootfs"
chown -R "$ROOTLESS_USER" "$RB"
as_user "\$RRUN spec --rootless --bundle $RB"
set_config "$RB" "c['process']['terminal'] = False; c['root']['readonly'] = False
c['linux']['seccomp'] = $(allow_but "{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 122}")
c['process']['args'] = ['sh', '-c', 'mkdir /tmp/r; touch /tmp/t && echo touched']"

out=$(as_user "\$RRUN run -b $RB r1" 2>&1); rc=$?
check_eq "rootless run with a profile exits 0" 0 $rc
check_contains "the errno reaches the program (EDQUOT)" "Disk quota exceeded" "$out"
check_contains "other calls work" touched "$out"
finish
