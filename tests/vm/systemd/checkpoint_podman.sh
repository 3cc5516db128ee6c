#!/bin/bash
# podman container checkpoint / restore (and --export / --import) with
# --runtime rrun, side by side with runc (issue #20): a busybox counter must go
# on from where it was after each restore.
source "$(dirname "$0")/lib.sh"
need_root
command -v podman >/dev/null || skip_all "podman is not installed"
criu check >/dev/null 2>&1 || skip_all "criu check fails on this kernel: $(criu check 2>&1 | tail -1)"

COUNTER='i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.2; done'
make_rootfs "$WORK/rootfs"
tar -C "$WORK/rootfs" -c . | podman import -q - localhost/criu-bb >/dev/null
on_exit "podman rmi -f localhost/criu-bb"
count_in() { local v; v=$(podman exec "$1" cat /count 2>/dev/null); echo "${v:-0}"; }   # empty while sh rewrites it
counts_past() { [ "$(count_in "$1")" -gt "$2" ]; }

for rt in "$RRUN" runc; do
    x=$(basename "$rt")
    for net in none default tty; do
        n=criu-p-$x-$net
        on_exit "podman rm -f $n; podman rm -f $n-imp"
        netflag=(); [ $net = none ] && netflag=(--network none)
        [ $net = tty ] && netflag=(--network none -t)   # a terminal: conmon holds the master
        podman --runtime "$rt" run -d "${netflag[@]}" --name "$n" localhost/criu-bb sh -c "$COUNTER" >/dev/null 2>"$WORK/err"
        check_eq "$x podman ($net net): run -d exits 0 ($(tail -1 "$WORK/err"))" 0 $?
        echo "$x $net $(podman inspect -f '{{.Id}}' "$n" 2>/dev/null)" >>"$WORK/ids"
        wait_secs 30 counts_past "$n" 5
        out=$(podman container checkpoint "$n" 2>&1)
        check_eq "$x podman ($net net): checkpoint exits 0 (${out##*$'\n'})" 0 $?
        check_eq "$x podman ($net net): exited after checkpoint" exited "$(podman inspect -f '{{.State.Status}}' "$n" 2>&1)"
        out=$(podman container restore "$n" 2>&1)
        check_eq "$x podman ($net net): restore exits 0 (${out##*$'\n'})" 0 $?
        check_eq "$x podman ($net net): running after restore" running "$(podman inspect -f '{{.State.Status}}' "$n" 2>&1)"
        wait_secs 30 counts_past "$n" 0
        c1=$(count_in "$n")
        check_true "$x podman ($net net): counter went on (at $c1, not restarted)" test "$c1" -gt 5
        check_true "$x podman ($net net): and goes on" wait_secs 30 counts_past "$n" "$c1"
        [ $net = none ] || { podman rm -f "$n" >/dev/null 2>&1; continue; }
        out=$(podman container checkpoint -e "$WORK/$n.tar.gz" "$n" 2>&1)
        check_eq "$x podman: checkpoint --export exits 0 (${out##*$'\n'})" 0 $?
        podman rm -f "$n" >/dev/null 2>&1
        out=$(podman container restore -i "$WORK/$n.tar.gz" --name "$n-imp" 2>&1)
        check_eq "$x podman: restore --import exits 0 (${out##*$'\n'})" 0 $?
        check_eq "$x podman: the imported container runs" running "$(podman inspect -f '{{.State.Status}}' "$n-imp" 2>&1)"
        echo "$x import $(podman inspect -f '{{.Id}}' "$n-imp" 2>/dev/null)" >>"$WORK/ids"
        # Understood (#20): /count is there (the init's root has it); exec fails
        # because the restored init is in the OLD container's scope cgroup
        # (0::/machine.slice/libpod-OLDID.scope) and the new id's scope was never
        # made or is gone: rrun's exec cannot open libpod-NEWID.scope/cgroup.procs.
        # runc 1.1.5 restores into the old cgroup the same way (its state names
        # the new scope, which does not exist either); its exec only works because
        # it mkdirs the missing cgroup. Hence also the old scope left after rm -f.
        TODO="restore --import: the init lands in the old container's cgroup (runc too), exec finds no scope" \
            check_true "$x podman: the imported counter goes on (past 5)" wait_secs 30 counts_past "$n-imp" 5
        echo "# $x import: exec cat /count says: $(podman exec "$n-imp" cat /count 2>&1 | tail -2 | tr '\n' ' ')" \
            "ls: $(podman exec "$n-imp" ls / 2>&1 | tr '\n' ' ') init's root: $(ls "/proc/$(podman inspect -f '{{.State.Pid}}' "$n-imp")/root/" 2>&1 | tr '\n' ' ')"
        podman rm -f "$n-imp" >/dev/null 2>&1
    done
done
TODO=
# podman's scopes (libpod-ID.scope in machine.slice, systemd's cgroup manager):
# each container's goes with it, restored and imported ones included.
left_scopes() {
    local x what id
    while read -r x what id; do
        [ -n "$id" ] && [ -d "/sys/fs/cgroup/machine.slice/libpod-$id.scope" ] && echo "$x/$what"
    done <"$WORK/ids"
}
wait_for test -z "$(left_scopes)"
left=$(left_scopes)
# Seen: after checkpoint --export of a restored container and rm -f, its
# scope stays, under runc as under rrun (podman's, then): rrun must leave no
# more than runc does.
check_eq "podman: rrun leaves no scope runc does not (cases left: [$(squash "$left")])" \
    "$(echo "$left" | sed -n 's|^runc/||p' | sort)" "$(echo "$left" | sed -n 's|^rrun/||p' | sort)"
TODO="the scope of a container checkpointed with --export stays after rm -f, under runc too" \
    check_eq "podman: no scope of this script's containers is left (runtime/case)" "" "$(squash "$left")"
check_eq "podman: no cgroup of rrun containers left" "" "$(find /sys/fs/cgroup -name '*criu-p-rrun*' 2>/dev/null)"
finish
