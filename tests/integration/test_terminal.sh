#!/bin/bash
# process.terminal: the pty master goes over --console-socket (as conmon and
# containerd receive it) and the slave is the program's controlling terminal.
source "$(dirname "$0")/lib.sh"
need_root
: "${CONSOLE_RECEIVER:?CONSOLE_RECEIVER must point at the built console_receiver}"

B=$WORK/bundle
make_bundle "$B"
set_config "$B" "c['process']['terminal'] = True; c['process']['consoleSize'] = {'height': 33, 'width': 101}"
set_args "$B" sh -c 'tty; test -t 0 && test -t 1 && test -t 2 && echo all-tty; stty size; ls -l /dev/console | cut -c1; ps -o pid,tty | tail -1; echo done'

SOCK=$WORK/console.sock
"$CONSOLE_RECEIVER" "$SOCK" "$WORK/console.out" &
recv=$!
on_exit "kill $recv"
wait_for test -S "$SOCK"
r create -b "$B" --console-socket "$SOCK" t1
check_eq "create with a console socket exits 0" 0 $?
check_true "the receiver got the pty master" wait_for grep -q '^received /dev/pts/' "$WORK/console.out"
r start t1
wait $recv
out=$(tr -d '\r' <"$WORK/console.out")
check_contains "the program's tty is the container's pty" "/dev/pts/0" "$out"
check_contains "stdin, stdout and stderr are the terminal" "all-tty" "$out"
check_contains "consoleSize is applied" "33 101" "$out"
check_contains "/dev/console is the pty (a char device)" $'\nc\n' "$out"
check_contains "output reached the console socket" "done" "$out"
check_true "container stops" wait_for status_is t1 stopped
r delete t1

# Typing into the terminal reaches the program.
set_args "$B" sh -c 'read line; echo "typed:$line"'
"$CONSOLE_RECEIVER" "$SOCK" "$WORK/console2.out" $'hello\n' &
recv=$!
wait_for test -S "$SOCK"
r run -d -b "$B" --console-socket "$SOCK" t2
wait $recv
check_contains "input through the pty master reaches the program" "typed:hello" "$(tr -d '\r' <"$WORK/console2.out")"
r delete -f t2

# run in the foreground with a terminal and no console socket relays it itself.
set_args "$B" sh -c 'tty; echo fg-done'
out=$(r run -b "$B" t3 </dev/null | tr -d '\r')
check_contains "foreground run relays its own pty" "/dev/pts/0" "$out"
check_contains "foreground run shows the output" "fg-done" "$out"

# A console socket nobody listens on: clear error, nothing left.
out=$(r create -b "$B" --console-socket "$WORK/nobody.sock" t4 2>&1); rc=$?
check_eq "an unreachable console socket fails create" 1 $rc
check_contains "the error names the socket" "nobody.sock" "$out"
check_eq "no state left" "" "$(ls "$STATE_ROOT")"
finish
