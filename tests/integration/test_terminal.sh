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
# console_symlink_attack: an image's /dev/console that is a symlink to a
# procfs file (no /dev tmpfs over it). rrun refuses it: the pty is never bound
# over what it points at. The undefended rrun (TERMINAL_EXPECT=escape, from
# test_path_swap_undefended) followed it and bound the pty over the
# container's /proc/sys/kernel/core_pattern: seen in the init's mountinfo.
TERMINAL_ESCAPE=0
[ "${TERMINAL_EXPECT:-}" = escape ] && TERMINAL_ESCAPE=1
console_symlink_attack() {
    local core out rc receiver pid
    cp "$B/config.json" "$WORK/terminal.json"
    set_config "$B" "c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/dev']"
    set_args "$B" true
    mv "$B/rootfs/dev" "$WORK/dev.saved"; mkdir "$B/rootfs/dev"
    ln -s /proc/sys/kernel/core_pattern "$B/rootfs/dev/console"
    core=$(stat -c %i /proc/sys/kernel/core_pattern)
    rm -f "$SOCK"
    "$CONSOLE_RECEIVER" "$SOCK" "$WORK/console6.out" &
    receiver=$!
    wait_for test -S "$SOCK"
    out=$(r create -b "$B" --console-socket "$SOCK" t6 2>&1); rc=$?
    if [ $TERMINAL_ESCAPE = 1 ]; then
        check_eq "a symlinked /dev/console: the undefended rrun creates the container" 0 $rc
        pid=$(r state t6 2>/dev/null | json_field '["pid"]' 2>/dev/null)
        # mountinfo: field 5 the mount point, the fs type after the " - ".
        check_eq "and bound the pty over the container's core_pattern" devpts \
            "$(awk '$5 == "/proc/sys/kernel/core_pattern" { sub(/.* - /, ""); print $1 }' "/proc/${pid:-0}/mountinfo" 2>/dev/null)"
        r delete -f t6
    else
        check_eq "a symlinked /dev/console: create fails" 1 $rc
        check_contains "naming /dev/console" "/dev/console" "$out"
    fi
    kill $receiver 2>/dev/null; wait $receiver 2>/dev/null
    check_eq "no state left" "" "$(ls "$STATE_ROOT")"
    check_eq "the host's core_pattern is the same file" "$core" "$(stat -c %i /proc/sys/kernel/core_pattern)"
    rm -rf "$B/rootfs/dev"; mv "$WORK/dev.saved" "$B/rootfs/dev"
    cp "$WORK/terminal.json" "$B/config.json"
}
# The undefended rrun runs only this attack (the other checks are not attacks).
if [ $TERMINAL_ESCAPE = 1 ]; then console_symlink_attack; finish; exit; fi

"$CONSOLE_RECEIVER" "$SOCK" "$WORK/console.out" &
recv=$!
on_exit "kill $recv"
wait_for test -S "$SOCK"
r create -b "$B" --console-socket "$SOCK" t1
check_eq "create with a console socket exits 0" 0 $?
check_true "the receiver got the pty master" wait_for grep -q '^received /dev/pts/' "$WORK/console.out"
r start t1 || kill $recv
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
r run -d -b "$B" --console-socket "$SOCK" t2 || kill $recv
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
# /dev/console is the init's pty, bound from the pty's fd; exec --tty leaves
# it alone (as runc's exec), so execs do not stack mounts on it.
set_args "$B" sleep 100
rm -f "$SOCK"
"$CONSOLE_RECEIVER" "$SOCK" "$WORK/console5.out" &
init_receiver=$!
wait_for test -S "$SOCK"
r run -d -b "$B" --console-socket "$SOCK" t5
consoles() { r exec t5 grep -c ' /dev/console ' /proc/self/mountinfo; }
check_eq "the init's /dev/console is one bind" 1 "$(consoles)"
for i in 1 2 3; do
    rm -f "$SOCK"
    "$CONSOLE_RECEIVER" "$SOCK" "$WORK/console-e$i.out" &
    receiver=$!
    wait_for test -S "$SOCK"
    # A failed exec never connects: the receiver is stopped, not waited on forever.
    r exec --tty --console-socket "$SOCK" --detach t5 true || kill $receiver
    wait $receiver
done
check_eq "three exec --tty later, still one" 1 "$(consoles)"
r delete -f t5
kill $init_receiver 2>/dev/null; wait $init_receiver 2>/dev/null

# An image's /dev/console that is a symlink: console_symlink_attack above.
console_symlink_attack

finish
