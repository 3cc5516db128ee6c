#!/bin/bash
# Runs in the systemd guest (rrun-guest-test.service, a oneshot unit, as root)
# from the 9p share /opt/test that tests/vm/run-in-systemd-guest.sh filled:
# installs bin/rrun as /usr/local/bin/rrun, runs each script named in
# /opt/test/scripts (NAME.sh as root in a transient scope
# rrun-vm-NAME.scope; NAME_rootless.sh as rrun-test in a real login session),
# prints TAP between markers on the console and writes "PASSED FAILED
# SKIPPED" to /opt/test/out/summary. The unit then powers the guest off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C
S=/opt/test
SCRIPT_TIMEOUT=600
. $S/config
. $S/tap-tally.sh
read -r up _ </proc/uptime
UP_AT_START=$up

install -m 755 $S/bin/rrun /usr/local/bin/rrun
export RRUN=/usr/local/bin/rrun TESTS_DIR=$S/vm
export ROOTLESS_USER=rrun-test ROOTLESS_UID=1000 ROOTLESS_GID=1000
export VM_DELEGATED_CGROUP=/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service
# What a rootless script gets in its login session (su -l resets the environment).
USER_ENV="RRUN=$RRUN TESTS_DIR=$TESTS_DIR ROOTLESS_USER=$ROOTLESS_USER ROOTLESS_UID=$ROOTLESS_UID ROOTLESS_GID=$ROOTLESS_GID"
USER_ENV+=" VM_DELEGATED_CGROUP=$VM_DELEGATED_CGROUP XDG_RUNTIME_DIR=/run/user/1000"
USER_ENV+=" DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"

echo; echo "# rrun-sysd: begin"   # (the console line before has no newline)
echo "# guest: $(uname -r), systemd $(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p'), test unit started at ${up}s of uptime"
# How long the boot took to the points the tests need (monotonic µs since boot).
for u in sysinit.target multi-user.target user@1000.service; do
    t=$(systemctl show -P ActiveEnterTimestampMonotonic "$u")
    printf '# guest: %s at %d.%ds\n' "$u" $((t / 1000000)) $((t / 100000 % 10))
done
PASSED=0 FAILED=0 SKIPPED=0
for name in $(cat $S/scripts); do
    t0=${EPOCHREALTIME/./}
    out=/tmp/rrun-sysd-out.$name
    unit=rrun-vm-${name%.sh}
    case $name in
        *_rootless.sh)
            who=rrun-test
            # su -l: a real login session (pam_systemd: session-cN.scope under user-1000.slice).
            cmd=(su -l rrun-test -c "cd /tmp && env $USER_ENV timeout -k 10 $SCRIPT_TIMEOUT bash $S/vm/systemd/$name") ;;
        *)
            who=root
            cmd=(systemd-run --quiet --scope --unit="$unit" --collect -- timeout -k 10 "$SCRIPT_TIMEOUT" bash "$S/vm/systemd/$name") ;;
    esac
    echo "# --- $name as $who"
    (cd /tmp && exec "${cmd[@]}") </dev/null 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    systemctl stop "$unit.scope" >/dev/null 2>&1   # whatever the script left behind
    tap_tally "$name" "$rc" "$out"
    us=$(( ${EPOCHREALTIME/./} - t0 ))
    echo "# --- $name: exit $rc, $((us / 1000000)).$((us / 100000 % 10))s"
done
[ $SKIPPED -gt 0 ] && echo "# $SKIPPED script(s) skipped"
echo "# $PASSED passed, $FAILED failed"
read -r up _ </proc/uptime
echo "test unit at ${UP_AT_START}s, scripts done at ${up}s of guest uptime" >$S/out/timing
echo "$PASSED $FAILED $SKIPPED" >$S/out/summary
echo "# rrun-sysd: end"
