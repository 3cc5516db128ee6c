#!/bin/bash
# Bad input: a clear one-line error naming the field or file, exit 1, and
# nothing left behind (no state dir, no process).
source "$(dirname "$0")/lib.sh"
need_root

make_test_bundle e
procs_before=$(pgrep -c -f "$WORK" || true)

# expect_error DESCRIPTION EXPECTED_TEXT CMD...: exit 1, one line with the text, no state left.
expect_error() {
    local desc=$1 text=$2; shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    check_eq "$desc: exit code" 1 "$rc"
    check_contains "$desc: message" "$text" "$out"
    check_eq "$desc: one line" 1 "$(printf '%s\n' "$out" | grep -c '^rrun: ')"
    check_eq "$desc: no state left" "" "$(ls "$STATE_ROOT" 2>/dev/null)"
}

echo '{"ociVersion": "1.2.0", "process": ' >"$B/config.json"
expect_error "broken JSON" "$B/config.json: invalid JSON" r create -b "$B" x1
reset; set_config "$B" "c['process']['args'] = []"
expect_error "empty args" "$B/config.json: process.args: must be a non-empty array" r create -b "$B" x1
reset; set_config "$B" "del c['process']['cwd']"
expect_error "missing cwd" 'process: missing required property "cwd"' r create -b "$B" x1
reset; set_config "$B" "c['process']['user']['uid'] = -1"
expect_error "negative uid" "process.user.uid: value out of range" r create -b "$B" x1
reset; set_config "$B" "c['linux']['namespaces'].append({'type': 'bogus'})"
expect_error "unknown namespace type" "linux.namespaces[6].type" r create -b "$B" x1
reset; set_config "$B" "c['process']['rlimits'][0]['type'] = 'RLIMIT_BOGUS'"
expect_error "unknown rlimit" 'process.rlimits[0].type: unknown rlimit "RLIMIT_BOGUS"' r create -b "$B" x1
reset; set_config "$B" "c['process']['capabilities']['bounding'].append('CAP_BOGUS')"
expect_error "unknown capability" "process.capabilities.bounding: unknown capability CAP_BOGUS" r create -b "$B" x1
reset; set_config "$B" "c['root']['path'] = 'nonexistent'"
expect_error "missing rootfs" "root.path $B/nonexistent" r create -b "$B" x1
reset; set_config "$B" "c['mounts'].append({'destination': '/x', 'type': 'bind', 'source': '/nonexistent', 'options': ['bind']})"
expect_error "missing bind source" "mounts[7].source /nonexistent" r create -b "$B" x1
reset; set_config "$B" "c['process']['terminal'] = True"
expect_error "terminal without console socket" "--console-socket" r create -b "$B" x1
reset; set_config "$B" "c['process']['cwd'] = 'relative'"
expect_error "relative cwd" "process.cwd: must be an absolute path" r create -b "$B" x1
reset
expect_error "missing bundle" "$WORK/nope/config.json" r create -b "$WORK/nope" x1
expect_error "config file given by --config" "$WORK/other.json" r create -b "$B" --config "$WORK/other.json" x1

# Container ids: rejected before any file is touched.
expect_error "id with a slash" "invalid container id" r create -b "$B" "a/b"
expect_error "id with .." "invalid container id" r create -b "$B" ".."
expect_error "id path traversal" "invalid container id" r create -b "$B" "../../etc"
expect_error "huge id" "longer than 1024" r create -b "$B" "$(head -c 2000 /dev/zero | tr '\0' a)"
expect_error "non-UTF-8 id" "invalid container id" r create -b "$B" $'\xff\xfe'
expect_error "empty id" "container id is required" r create -b "$B" ""
check_true "no file appeared outside the state root" test ! -e "$WORK/etc"

# Commands on ids that do not exist.
expect_error "state of a missing container" 'container "nope" does not exist' r state nope
expect_error "start of a missing container" 'container "nope" does not exist' r start nope
expect_error "kill of a missing container" 'container "nope" does not exist' r kill nope
expect_error "delete of a missing container" 'container "nope" does not exist' r delete nope
r delete --force nope
check_eq "delete --force of a missing container succeeds, like runc" 0 $?

# Signals.
set_args "$B" sleep 1000
r run -d -b "$B" s1
# 0 is no bad signal: it sends nothing (kill(2)); runc takes it
out=$(r kill s1 0 2>&1); rc=$?
check_eq "kill with signal 0 exits 0, as runc's" 0 $rc
for bad in SIGFOO 65 -1 99999999999; do
    out=$(r kill s1 -- "$bad" 2>&1); rc=$?
    check_eq "kill with signal '$bad' fails" 1 $rc
    check_contains "kill with signal '$bad' says so" "invalid signal" "$out"
done
check_eq "bad signals left the container running" running "$(status_of s1)"
r delete -f s1

# Usage errors: exit 1 like runc.
out=$(r create --bogus-flag x 2>&1); rc=$?
check_eq "unknown flag exits 1" 1 $rc
check_contains "unknown flag is named" "flag provided but not defined: --bogus-flag" "$out"
out=$(r frobnicate 2>&1); rc=$?
check_eq "unknown command exits 1" 1 $rc
check_contains "unknown command is named" 'unknown command "frobnicate"' "$out"
out=$(r kill 2>&1); rc=$?
check_eq "missing id exits 1" 1 $rc
out=$("$RRUN" --log-format yaml state x 2>&1); rc=$?
check_eq "bad --log-format exits 1" 1 $rc
out=$(r --preserve-fds 2>&1); rc=$?
check_eq "a command flag given as global flag exits 1" 1 $rc

# Creating the same id twice: the second fails and the first is untouched.
r create -b "$B" dup
out=$(r create -b "$B" dup 2>&1); rc=$?
check_eq "create of an existing id fails" 1 $rc
check_contains "create of an existing id says so" 'already exists' "$out"
check_eq "the first container is untouched" created "$(status_of dup)"
r delete dup

# Concurrent creates of one id: exactly one wins, the rest fail cleanly.
for i in 1 2 3 4 5 6; do (r create -b "$B" race >/dev/null 2>&1; echo $? >"$WORK/race.$i") & done
wait
check_eq "exactly one of six concurrent creates of one id succeeds" 1 "$(grep -l '^0$' "$WORK"/race.* | wc -l)"
check_eq "and the container it made is intact" created "$(status_of race)"
r delete race

check_eq "no container processes left" "$procs_before" "$(pgrep -c -f "$WORK" || true)"
check_eq "no state left at the end" "" "$(ls "$STATE_ROOT")"
finish
