#!/bin/bash
# Seccomp profiles written before 2020 (Docker's older default, Kubernetes
# localhost profiles, hand-written allowlists) do not list close_range,
# clone3, openat2, faccessat2, execveat, memfd_create, pidfd_* or statx. Once
# the container's filter is loaded (early when noNewPrivileges is false),
# rrun must not need any of them: under a profile that refuses one with EPERM
# or ENOSYS, `run`, `create`+`start`, `exec` and a startContainer hook run,
# with noNewPrivileges false and true; and whatever runc starts under a
# pre-2020 allowlist, rrun starts too. Asserted on what the program printed.
source "$(dirname "$0")/lib.sh"
need_root
FIXTURES=$TESTS_DIR/fixtures
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
if [ -x "$RUNC" ]; then
    on_exit "for c in \$(ls $WORK/runc 2>/dev/null); do '$RUNC' --root $WORK/runc delete -f \$c; done"
else
    echo "# runc not found: the allowlist is not run under runc (apt-get install runc)"
    RUNC=
fi

B=$WORK/bundle
make_bundle "$B"
set_config "$B" "c['root']['readonly'] = False"
cp "$B/config.json" "$WORK/base.json"
NEW_CALLS="close_range clone3 openat2 faccessat2 execveat memfd_create pidfd_open pidfd_send_signal pidfd_getfd statx"

# setup PROFILE NNP: the base config with linux.seccomp = PROFILE (a python
# expression), noNewPrivileges NNP (True/False), a startContainer hook that
# leaves a mark in /tmp, and an init that says it ran under a filter.
setup() {
    rm -f "$B/rootfs/tmp/hook-ran"
    python3 - "$WORK/base.json" "$B/config.json" "$1" "$2" <<'PY'
import json, sys
src, dst, prof, nnp = sys.argv[1:]
c = json.load(open(src))
c['linux']['seccomp'] = eval(prof)
c['process']['noNewPrivileges'] = nnp == 'True'
c['process']['args'] = ['sh', '-c', 'grep -q "^Seccomp:.*2" /proc/self/status && echo init-ran']
c['hooks'] = {'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'echo hook > /tmp/hook-ran']}]}
json.dump(c, open(dst, 'w'), indent=1)
PY
}
deny() { echo "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['$1'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': $2}]}"; }

# try_all WHAT: run, then create + exec + start, under the current config;
# each must print its marker.
try_all() {
    local what=$1 id out
    id=sc$RANDOM
    out=$(r run -b "$B" "$id" 2>&1)
    check_eq "$what: run" init-ran "$out"
    check_true "$what: run: the startContainer hook ran" test -e "$B/rootfs/tmp/hook-ran"
    rm -f "$B/rootfs/tmp/hook-ran"
    id=sc$RANDOM
    # Files, not a pipe: the init keeps create's stdout and stderr.
    if ! r create -b "$B" "$id" >"$WORK/create.out" 2>&1; then
        not_ok "$what: create: $(cat "$WORK/create.out")"
        return
    fi
    ok "$what: create"
    out=$(r exec "$id" sh -c 'grep -q "^Seccomp:.*2" /proc/self/status && echo exec-ran' 2>&1)
    check_eq "$what: exec" exec-ran "$out"
    r start "$id" 2>&1
    wait_for status_is "$id" stopped
    check_eq "$what: create+start" init-ran "$(cat "$WORK/create.out")"
    check_true "$what: start: the startContainer hook ran" test -e "$B/rootfs/tmp/hook-ran"
    r delete -f "$id" >/dev/null 2>&1
}

# --- One new call refused at a time, with EPERM (1) and ENOSYS (38).
for nnp in False True; do
    for call in $NEW_CALLS; do
        for err in 1 38; do
            setup "$(deny "$call" "$err")" "$nnp"
            try_all "noNewPrivileges=$nnp, $call refused with errno $err"
        done
    done
done

# --- The fallback for close_range closes what close_range would: fds the
# caller left open (9, 200) do not reach the program, --preserve-fds 1 keeps 3.
for err in 1 38; do
    setup "$(deny close_range $err)" False
    set_config "$B" "c['process']['args'] = ['sh', '-c', 'for f in 3 9 200; do [ -e /proc/self/fd/\$f ] && echo -n \"\$f \"; done; echo open']"
    out=$(r run -b "$B" sc$RANDOM 3</dev/null 9</dev/null 200</dev/null 2>&1)
    check_eq "close_range refused with errno $err: the caller's fds 3, 9, 200 do not reach the program" "open" "$out"
    out=$(r run --preserve-fds 1 -b "$B" sc$RANDOM 3</dev/null 9</dev/null 200</dev/null 2>&1)
    check_eq "close_range refused with errno $err: --preserve-fds 1 keeps fd 3 only" "3 open" "$out"
done

# --- A container without /proc: rrun-exec cannot be run through
# /proc/self/fd when execveat is refused, and then nothing in the container
# can name rrun's binary either: the program is exec'd directly. When
# close_range is refused too, there is no list of fds to close: a clear
# failure (runc, which always reads /proc/self/fd, fails both).
NO_PROC="c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/proc']
c['linux'].pop('maskedPaths', None); c['linux'].pop('readonlyPaths', None)
c['process']['args'] = ['sh', '-c', 'echo init-ran']"
setup "$(deny execveat 38)" False
set_config "$B" "$NO_PROC; c.pop('hooks')"
out=$(r run -b "$B" sc$RANDOM 2>&1)
check_eq "no /proc, execveat refused: the program runs" init-ran "$out"
setup "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['execveat', 'close_range'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38}]}" False
set_config "$B" "$NO_PROC; c.pop('hooks')"
out=$(r run -b "$B" sc$RANDOM 2>&1); rc=$?
# The fds are marked before the filter is loaded (issue #22: the /proc
# fallback's openat2 is not in such profiles either): no /proc is needed.
check_eq "no /proc, close_range refused: the program runs (fds marked before the filter)" init-ran "$out"
check_eq "and leaves no container behind" "" "$(ls "$STATE_ROOT" 2>/dev/null)"

# --- A pre-2020 allowlist: podman's default profile (tests/fixtures) less
# every call a kernel after 5.0 added, and less execveat, memfd_create and
# statx; refused with ENOSYS (podman's defaultErrnoRet) and with EPERM (what
# Docker's 2019 default returned: it gave no errno). Run under runc too, on
# the same bundle: whatever runc starts, rrun must start.
NEW="{'execveat', 'memfd_create', 'statx', 'pidfd_send_signal', 'io_uring_setup', 'io_uring_enter', 'io_uring_register',
  'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'pidfd_open', 'clone3', 'close_range', 'openat2',
  'pidfd_getfd', 'faccessat2', 'process_madvise', 'epoll_pwait2', 'mount_setattr', 'quotactl_fd', 'landlock_create_ruleset',
  'landlock_add_rule', 'landlock_restrict_self', 'memfd_secret', 'process_mrelease', 'futex_waitv', 'set_mempolicy_home_node',
  'cachestat', 'fchmodat2', 'map_shadow_stack', 'futex_wake', 'futex_wait', 'futex_requeue', 'statmount', 'listmount',
  'lsm_get_self_attr', 'lsm_set_self_attr', 'lsm_list_modules', 'mseal'}"
OLD_PROFILE="(lambda p, new: dict(p, syscalls=[dict(s, names=[n for n in s['names'] if n not in new]) for s in p['syscalls']]))(json.load(open('$FIXTURES/podman-default-seccomp.json')), $NEW)"
for err in 38 1; do
    for nnp in False True; do
        setup "dict($OLD_PROFILE, defaultErrnoRet=$err)" "$nnp"
        set_config "$B" "NEW = $NEW
names = {n for s in c['linux']['seccomp']['syscalls'] for n in s['names']}
assert not (names & NEW) and 'openat' in names and 'clone' in names and 'execve' in names, names & NEW"
        what="pre-2020 allowlist (errno $err), noNewPrivileges=$nnp"
        if [ -n "$RUNC" ]; then
            out=$("$RUNC" --root "$WORK/runc" run -b "$B" "sc-runc$RANDOM" 2>&1)
            check_eq "$what: runc runs it" init-ran "$out"
            id=sc-runc$RANDOM
            "$RUNC" --root "$WORK/runc" create -b "$B" "$id" >"$WORK/create.out" 2>&1
            check_eq "$what: runc execs in it" exec-ran "$("$RUNC" --root "$WORK/runc" exec "$id" sh -c 'echo exec-ran' 2>&1)"
            "$RUNC" --root "$WORK/runc" start "$id"
            wait_for sh -c "'$RUNC' --root '$WORK/runc' state $id | grep -q '\"stopped\"'"
            check_eq "$what: runc create+start" init-ran "$(cat "$WORK/create.out")"
            "$RUNC" --root "$WORK/runc" delete -f "$id" >/dev/null 2>&1
        fi
        try_all "$what"
    done
done
finish
