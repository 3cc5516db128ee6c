#!/bin/bash
# Every input the CLI takes, with hostile values: ids, signals, paths,
# numbers and JSON that are huge, empty, negative, non-UTF-8 or climbing out
# with "..". Each one: a clear one-line error, exit 1 (255 for exec, as
# runc's exec when its process cannot be started; no crash), and
# nothing left behind (state, process, file outside where it belongs).
# (test_errors.sh has the ordinary mistakes.)
source "$(dirname "$0")/lib.sh"
need_root

make_test_bundle x
HUGE=$(head -c 100000 /dev/zero | tr '\0' a)
procs_before=$(pgrep -c -f "$WORK" || true)

# refused DESCRIPTION TEXT CMD...: exit 1 (exec: 255), one "rrun: " line containing TEXT, no state.
refused() {
    local desc=$1 text=$2; shift 2
    local out rc left want=1
    [ "${2:-}" = exec ] && want=255
    # To a file: a container made by mistake must not hold our pipe open.
    "$@" >"$WORK/out" 2>&1 </dev/null; rc=$?
    out=$(cat "$WORK/out")
    check_eq "$desc: exit code $want" "$want" "$rc"
    check_contains "$desc: says why" "$text" "$out"
    check_eq "$desc: one error line" 1 "$(printf '%s\n' "$out" | grep -c '^rrun: ')"
    left=$(ls "$STATE_ROOT" 2>/dev/null | grep -v '^running$')
    check_eq "$desc: no state left" "" "$left"
    for id in $left; do r delete -f -- "$id" >/dev/null 2>&1; done
}

# --- ids
for id in " " "a b" $'a\nb' "a/../b" "./a" "é" $'\xc3' "\$(touch $WORK/pwned)" "a;b" "*"; do
    refused "id [$id]" "invalid container id" r create -b "$B" "$id"
    refused "state of id [$id]" "invalid container id" r state "$id"
    refused "delete --force of id [$id]" "invalid container id" r delete --force "$id"
done
refused "huge id on delete" "longer than 1024" r delete --force "$HUGE"
check_true "no id ran a shell" test ! -e "$WORK/pwned"

# --- signals (on a live container: none of them may reach it)
set_args "$B" sleep 1000
r run -d -b "$B" running
for sig in "" "SIG" "SIGKILL2" "KILL " "1.5" "0x9" "+9" "9999999999999999999999" "$HUGE" $'\xff' "RTMIN+99" "SIGRTMAX+1"; do
    refused "signal [${sig:0:20}]" "signal" r kill running "$sig"
done
refused "signal [-9] (a flag, as for runc)" "flag provided but not defined: -9" r kill running -9
check_eq "the container outlived every bad signal" running "$(status_of running)"

# --- numbers
for n in -1 99999999999999999999 abc 1e3 "" " 3" 3x 0x3; do
    refused "--preserve-fds [$n]" "--preserve-fds" r create --preserve-fds "$n" -b "$B" x1
done
for u in -1 4294967296 a:b 1:-1 ":" "1:" "$HUGE"; do
    refused "exec --user [${u:0:20}]" "--user" r exec --user "$u" running true
done
for g in -5 4294967296 x; do
    refused "exec --additional-gids [$g]" "--additional-gids" r exec --additional-gids "$g" running true
done
for m in -2 abc 99999999999999999999999 1q ""; do
    refused "update --memory [$m]" "--memory" r update --memory "$m" running
done
for v in -1 abc 99999999999999999999999; do
    refused "update --blkio-weight [$v]" "weight" r update --blkio-weight "$v" running
done
for v in -1 0 abc 99999999999999999999999 1e400h nan inf 0.0001ms; do
    refused "events --interval [$v]" "--interval" r events --interval "$v" running
done
refused "exec --cap unknown" "--cap" r exec --cap CAP_BOGUS running true
refused "exec --cwd relative" "--cwd" r exec --cwd ../.. running true

# --- paths
refused "bundle that does not exist" "config" r create -b "$WORK/none/../../none" x1
refused "bundle climbing to /" "config" r create -b "../../../../../../../../.." x1
refused "huge bundle path" "config" r create -b "/$HUGE" x1
refused "--config that is a directory" "config" r create -b "$B" --config "$WORK" x1
refused "--config /dev/full (endless)" "larger than 64 MiB" r create -b "$B" --config /dev/full x1
refused "--pid-file in a missing directory" "pid" r create -b "$B" --pid-file "$WORK/none/pid" x1
refused "huge --pid-file" "--pid-file" r create -b "$B" --pid-file "/tmp/$HUGE" x1
refused "--console-socket that is not a socket" "console" r exec -t --console-socket "$WORK/base.json" running true
refused "--root that is a file" "$WORK/base.json" "$RRUN" --root "$WORK/base.json" create -b "$B" x1
refused "empty --root" "--root" "$RRUN" --root "" list
refused "exec --process missing" "--process" r exec --process "$WORK/none.json" running
refused "exec --process a directory" "--process" r exec --process "$WORK" running
refused "update -r missing" "$WORK/none.json" r update -r "$WORK/none.json" running
check_true "no pid file appeared" test ! -e "$WORK/none"

# --- JSON: config.json
bad_config() {  # DESCRIPTION TEXT PYTHON (writes the file from `good`, a dict, into `out`, bytes)
    python3 - "$WORK/base.json" "$B/config.json" "$3" <<'PY'
import json, sys
good = json.load(open(sys.argv[1]))
out = None
exec(sys.argv[3])
open(sys.argv[2], 'wb').write(out)
PY
    refused "config.json: $1" "$2" r create -b "$B" x1
    reset
}
bad_config "100000 nested arrays" "config.json" "out = b'[' * 100000 + b']' * 100000"
bad_config "100000 nested objects" "config.json" "out = b'{\"a\":' * 100000 + b'1' + b'}' * 100000"
bad_config "deep nesting inside process" "process.env" "good['process']['env'] = 'NEST'; out = json.dumps(good).replace('\"NEST\"', '[' * 5000 + ']' * 5000).encode()"
bad_config "empty file" "config.json" "out = b''"
bad_config "NUL bytes" "config.json" "out = b'\\0' * 100"
bad_config "non-UTF-8 string" "config.json" "out = json.dumps(good).replace('/bin', '/b\\udcffin', 1).encode('utf-8', 'surrogateescape')"
bad_config "a number too large for a double" "invalid JSON" "out = json.dumps(good).replace('\"uid\": 0', '\"uid\": 1e400').encode()"
bad_config "NaN" "config.json" "out = json.dumps(good).replace('\"uid\": 0', '\"uid\": NaN').encode()"
bad_config "uid 2^64" "process.user.uid" "good['process']['user']['uid'] = 2**64; out = json.dumps(good).encode()"
bad_config "uid 1e30" "process.user.uid" "good['process']['user']['uid'] = 1e30; out = json.dumps(good).encode()"
bad_config "negative gid" "process.user.gid" "good['process']['user']['gid'] = -5; out = json.dumps(good).encode()"
bad_config "rlimit -1" "rlimits" "good['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': -1, 'hard': -1}]; out = json.dumps(good).encode()"
bad_config "NUL inside an argument" "process.args" "good['process']['args'] = ['sh', 'a\\u0000b']; out = json.dumps(good).encode()"
bad_config "NUL inside an env entry" "process.env" "good['process']['env'] = ['A=\\u0000']; out = json.dumps(good).encode()"
bad_config "NUL inside a mount destination" "mounts" "good['mounts'][0]['destination'] = '/pr\\u0000oc'; out = json.dumps(good).encode()"
bad_config "NUL inside root.path" "root.path" "good['root']['path'] = 'root\\u0000fs'; out = json.dumps(good).encode()"
bad_config "NUL inside a sysctl name" "linux.sysctl" "good['linux']['sysctl'] = {'kernel.domainname\\u0000/../x': 'x'}; out = json.dumps(good).encode()"
bad_config "NUL inside a unified cgroup file name" "linux.resources.unified" "good['linux']['resources'] = {'unified': {'pids.max\\u0000x': '5'}}; out = json.dumps(good).encode()"
bad_config "mount destination climbing out" "bogusfs" "good['mounts'][0]['destination'] = '/proc/../../../../../etc'; good['mounts'][0]['type'] = 'bogusfs'; out = json.dumps(good).encode()"
bad_config "a 64 KiB hostname" "hostname" "good['hostname'] = 'h' * 65536; out = json.dumps(good).encode()"
bad_config "a sysctl key climbing out" "linux.sysctl" "good['linux']['sysctl'] = {'../../../etc/passwd': 'x'}; out = json.dumps(good).encode()"
bad_config "a sysctl key with a slash" "linux.sysctl" "good['linux']['sysctl'] = {'net/ipv4/../../x': 'x'}; out = json.dumps(good).encode()"
bad_config "a device path climbing out" "linux.devices" "good['linux']['devices'] = [{'path': '../../dev/evil', 'type': 'c', 'major': 1, 'minor': 3}]; out = json.dumps(good).encode()"
bad_config "a huge major number" "linux.devices" "good['linux']['devices'] = [{'path': '/dev/x', 'type': 'c', 'major': 2**40, 'minor': 3}]; out = json.dumps(good).encode()"
bad_config "a negative capability list" "capabilities" "good['process']['capabilities']['bounding'] = -1; out = json.dumps(good).encode()"
check_true "nothing was made at the climbing device path" test ! -e "$WORK/dev/evil"

# --- JSON: exec --process
bad_process() {  # DESCRIPTION TEXT PYTHON (as bad_config; `good` is a valid process)
    python3 - "$WORK/p.json" "$3" <<'PY'
import json, sys
good = {'args': ['true'], 'cwd': '/', 'env': ['PATH=/bin']}
out = None
exec(sys.argv[2])
open(sys.argv[1], 'wb').write(out)
PY
    refused "exec --process: $1" "$2" r exec --process "$WORK/p.json" running
}
bad_process "not an object" "invalid JSON" "out = b'[1, 2]'"
bad_process "empty" "invalid JSON" "out = b''"
bad_process "100000 nested arrays" "invalid JSON" "out = b'[' * 100000 + b']' * 100000"
bad_process "deep nesting in env" "process" "good['env'] = 'NEST'; out = json.dumps(good).replace('\"NEST\"', '[' * 5000 + ']' * 5000).encode()"
bad_process "args of the wrong type" "process" "good['args'] = 'true'; out = json.dumps(good).encode()"
bad_process "empty args" "args" "good['args'] = []; out = json.dumps(good).encode()"
bad_process "relative cwd" "cwd" "good['cwd'] = '../..'; out = json.dumps(good).encode()"
bad_process "a number too large for a double" "invalid JSON" "good['user'] = {'uid': 0, 'gid': 0}; out = json.dumps(good).replace('\"uid\": 0', '\"uid\": 1e400').encode()"
bad_process "uid 2^64" "uid" "good['user'] = {'uid': 2**64, 'gid': 0}; out = json.dumps(good).encode()"
bad_process "negative uid" "uid" "good['user'] = {'uid': -1, 'gid': 0}; out = json.dumps(good).encode()"
bad_process "unknown capability" "capabilities" "good['capabilities'] = {'bounding': ['CAP_EVERYTHING']}; out = json.dumps(good).encode()"
bad_process "NUL inside an argument" "args" "good['args'] = ['echo', 'a\\u0000b']; out = json.dumps(good).encode()"
bad_process "non-UTF-8" "invalid JSON" "out = b'{\"args\": [\"\\xff\"], \"cwd\": \"/\"}'"

# --- JSON: update -r
for r_json in '[' '{"memory": {"limit": "lots"}}' '{"memory": {"limit": 1e400}}' '{"pids": {"limit": "x"}}' "$(python3 -c "print('['*100000 + ']'*100000)")"; do
    echo "$r_json" >"$WORK/r.json"
    refused "update -r [${r_json:0:30}]" "resources" r update -r "$WORK/r.json" running
done

r delete -f running
check_eq "no container processes left" "$procs_before" "$(pgrep -c -f "$WORK" || true)"
check_eq "no state left at the end" "" "$(ls "$STATE_ROOT")"
finish
