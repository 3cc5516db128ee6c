#!/bin/bash
# `run`: exit codes, signals, --detach, --keep, --pid-file, preserved fds.
source "$(dirname "$0")/lib.sh"
need_root

B=$WORK/bundle
make_bundle "$B"

set_args "$B" sh -c 'exit 42'
r run --bundle "$B" e1
check_eq "run returns the program's exit code" 42 $?
check_true "run removed the container afterwards" test ! -e "$STATE_ROOT/e1"

# pid 1 of a namespace cannot be killed from inside it: kill it from the host.
set_args "$B" sleep 1000
"$RRUN" --root "$STATE_ROOT" run --bundle "$B" e2 &
runpid=$!
wait_for status_is e2 running
kill -KILL "$(r state e2 | json_field '["pid"]')"
wait $runpid
check_eq "run returns 128+N when the program dies by signal N" 137 $?

set_args "$B" sh -c 'echo out; echo err >&2'
out=$(r run --bundle "$B" e3 2>"$WORK/err")
check_eq "the program's stdout reaches run's stdout" out "$out"
check_eq "the program's stderr reaches run's stderr" err "$(cat "$WORK/err")"

set_args "$B" sh -c 'read line; echo "got $line"'
out=$(echo hello | r run --bundle "$B" e4)
check_eq "run's stdin reaches the program" "got hello" "$out"

set_args "$B" cat /proc/self/status
out=$(r run --bundle "$B" e5)
check_contains "the default spec's noNewPrivileges is applied" "NoNewPrivs:	1" "$out"
check_contains "the default spec's capabilities are applied" "CapBnd:	0000000020000420" "$out"

out=$(with_signals_muffled "$RRUN" --root "$STATE_ROOT" run --bundle "$B" e6 | signal_state)
check_eq "run: signals the caller ignored or blocked are not the program's" "SigBlk: 0000000000000000 SigIgn: 0000000000000000" "$out"
set_args "$B" sh -c 'trap "echo got-usr1" USR1; kill -USR1 $$; echo done'
check_eq "run: a shell can trap a signal its caller ignored" "got-usr1 done" "$(with_signals_muffled "$RRUN" --root "$STATE_ROOT" run --bundle "$B" e7 | xargs)"

set_args "$B" sh -c 'exit 3'
r run --keep --bundle "$B" k1
check_eq "run --keep still returns the exit code" 3 $?
check_eq "run --keep leaves a stopped container" stopped "$(status_of k1)"
r delete k1

# run -d returns at once, leaving the container running.
set_args "$B" sleep 1000
r run -d --pid-file "$WORK/d.pid" --bundle "$B" d1
check_eq "run -d exits 0" 0 $?
check_eq "run -d leaves it running" running "$(status_of d1)"
pid=$(cat "$WORK/d.pid")
check_eq "run -d pid file holds the init pid" "$(r state d1 | json_field '["pid"]')" "$pid"
check_eq "the init runs the user program" "sleep 1000" "$(tr '\0' ' ' </proc/$pid/cmdline | sed 's/ $//')"
r delete -f d1

# A signal sent to a foreground run reaches the container.
set_args "$B" sh -c 'trap "echo got-term; exit 7" TERM; while :; do sleep 0.05; done'
"$RRUN" --root "$STATE_ROOT" run --bundle "$B" s1 >"$WORK/s1.out" &
runpid=$!
wait_for status_is s1 running
sleep 0.2
kill -TERM $runpid
wait $runpid
check_eq "run forwards SIGTERM and returns the program's code" 7 $?
check_eq "the program saw the forwarded signal" got-term "$(cat "$WORK/s1.out")"

# --preserve-fds 2: fds 3 and 4 reach the program, fd 5 does not.
set_args "$B" sh -c 'echo three >&3; echo four >&4; ls /proc/self/fd | sort -n | xargs'
out=$(r run --preserve-fds 2 --bundle "$B" p1 3>"$WORK/fd3" 4>"$WORK/fd4" 5>"$WORK/fd5")
check_eq "preserved fd 3 is writable" three "$(cat "$WORK/fd3")"
check_eq "preserved fd 4 is writable" four "$(cat "$WORK/fd4")"
check_eq "only fds 0-4 (and ls's own) are open in the container" "0 1 2 3 4 5" "$out"
set_args "$B" sh -c 'ls /proc/self/fd | sort -n | xargs'
out=$(r run --bundle "$B" p2 3>"$WORK/fd3" 4>"$WORK/fd4")
check_eq "without --preserve-fds no extra fd reaches the container" "0 1 2 3" "$out"

# LISTEN_FDS (socket activation) passes fds through and sets LISTEN_PID=1.
set_args "$B" sh -c 'echo "$LISTEN_FDS $LISTEN_PID"; echo via3 >&3'
out=$(LISTEN_FDS=1 r run --bundle "$B" l1 3>"$WORK/l3")
check_eq "LISTEN_FDS and LISTEN_PID are set in the container" "1 1" "$out"
check_eq "the listen fd reaches the container" via3 "$(cat "$WORK/l3")"

# A missing executable fails create with runc's message and leaves nothing.
set_args "$B" /no/such/program
out=$(r create --bundle "$B" m1 2>&1); rc=$?
check_eq "create with a missing executable fails" 1 $rc
check_contains "the error names the executable" '/no/such/program' "$out"
check_true "nothing is left of it" test ! -e "$STATE_ROOT/m1"
set_args "$B" nosuchcommand
out=$(r run --bundle "$B" m2 2>&1)
check_contains "a PATH lookup failure says so" 'executable file not found in $PATH' "$out"
check_eq "no state left" "" "$(ls "$STATE_ROOT")"
finish
