#!/bin/bash
# Idmapped mounts (mounts[].uidMappings/gidMappings, the idmap and ridmap
# options): owners as the container's process sees them with stat, as root
# with and without a user namespace; bad mappings fail clearly and leave
# nothing behind; rootless gets a clear error.
source "$(dirname "$0")/lib.sh"
need_root

make_test_bundle i
mkdir "$B/rootfs/m" "$B/rootfs/r" "$B/rootfs/n"  # root of a user namespace cannot create them
N=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["mounts"]))' "$B/config.json")  # index of an added mount

SRC=$WORK/src
mkdir -p "$SRC/sub"
touch "$SRC/root-owned"
chown 1:2 "$SRC/sub"
# The kernel idmaps only filesystems that allow it (ext4, xfs, btrfs, tmpfs...).
set_config "$B" "c['mounts'].append({'destination': '/probe', 'type': 'bind', 'source': '$SRC', 'options': ['bind', 'idmap'], 'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}], 'gidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}]})"
probe=$(in_container true)
if [[ "$probe" == *"does not support idmapped mounts"* ]]; then
    skip_all "the filesystem of $WORK cannot be idmapped here: $probe"
fi
reset

idmapped_mount() {  # DEST OPTIONS_PY [UIDMAP_PY GIDMAP_PY]
    local extra=""
    [ $# -ge 4 ] && extra=", 'uidMappings': $3, 'gidMappings': $4"
    set_config "$B" "c['mounts'].append({'destination': '$1', 'type': 'bind', 'source': '$SRC', 'options': $2$extra})"
}

# Explicit mappings, no user namespace: fs ids 0-9 show as 1000-1009 (uid) and 2000-2009 (gid).
idmapped_mount /m "['bind', 'idmap']" "[{'containerID': 0, 'hostID': 1000, 'size': 10}]" "[{'containerID': 0, 'hostID': 2000, 'size': 10}]"
out=$(in_container 'stat -c "%n %u:%g" /m/root-owned /m/sub; grep " /m " /proc/self/mountinfo')
check_contains "a root-owned file shows the mapped owner" "/m/root-owned 1000:2000" "$out"
check_contains "uid 1 gid 2 shift with the range" "/m/sub 1001:2002" "$out"
check_true "mountinfo says idmapped" grep -q "idmapped" <<<"$out"
check_eq "the source itself is unchanged" "0:0 1:2" "$(stat -c %u:%g "$SRC/root-owned" "$SRC/sub" | xargs)"
reset

# idmap without mappings of its own: the container's user namespace mappings,
# so files owned by root on the host are root's inside.
set_config "$B" "
c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
"
cp "$B/config.json" "$WORK/userns.json"
idmapped_mount /m "['bind', 'idmap']"
out=$(in_container 'cat /proc/self/uid_map; stat -c "%n %u:%g" /m/root-owned /m/sub /bin; touch /m/from-userns')
check_contains "the container has its own user namespace" "0 100000 65536" "$(echo "$out" | head -1 | xargs)"
check_contains "host root's file is root's inside" "/m/root-owned 0:0" "$out"
check_contains "uid 1 gid 2 stay 1:2 inside" "/m/sub 1:2" "$out"
check_contains "without the idmap, host root's files are nobody's" "/bin 65534:65534" "$out"
check_eq "root inside writes as host root through the mount" "0:0" "$(stat -c %u:%g "$SRC/from-userns" 2>&1)"
rm -f "$SRC/from-userns"
cp "$WORK/userns.json" "$B/config.json"

# ridmap: every mount of an rbind tree is idmapped; idmap: only the top one.
mkdir -p "$SRC/nested"
mount -t tmpfs -o mode=755 nested "$SRC/nested"
on_exit "umount -l '$SRC/nested'"
touch "$SRC/nested/inner"
idmapped_mount /r "['rbind', 'ridmap']"
idmapped_mount /n "['rbind', 'idmap']"
out=$(in_container 'stat -c "%n %u:%g" /r/nested/inner /n/nested/inner /r/root-owned; grep -E " /(r|n)/nested " /proc/self/mountinfo')
check_contains "ridmap: the submount is idmapped too" "/r/nested/inner 0:0" "$out"
check_contains "idmap: the submount is not" "/n/nested/inner 65534:65534" "$out"
check_contains "ridmap: the top mount is idmapped" "/r/root-owned 0:0" "$out"
check_true "mountinfo: the ridmap submount is idmapped" grep -qE " /r/nested .*idmapped" <<<"$out"
check_true "mountinfo: the idmap submount is not" bash -c '! grep -qE " /n/nested .*idmapped" <<<"$1"' _ "$out"
umount -l "$SRC/nested"
reset

# Bad input: one clear error naming the field, nothing left behind.
expect_refused() {  # DESCRIPTION EXPECTED_TEXT
    local before_mounts out rc
    before_mounts=$(grep -c "$WORK" /proc/self/mountinfo)
    out=$(r create -b "$B" bad 2>&1); rc=$?
    check_eq "$1: create fails" 1 $rc
    check_contains "$1: the error names it" "$2" "$out"
    check_eq "$1: one line" 1 "$(echo "$out" | wc -l)"
    check_eq "$1: no state left" "" "$(ls "$STATE_ROOT" 2>/dev/null)"
    check_eq "$1: no mount left" "$before_mounts" "$(grep -c "$WORK" /proc/self/mountinfo)"
    check_eq "$1: no helper process left" "" "$(pgrep -f "create -b $B bad")"
    r delete --force bad >/dev/null 2>&1
}
idmapped_mount /m "['bind', 'idmap']" "[{'containerID': 0, 'hostID': 1000, 'size': 0}]" "[{'containerID': 0, 'hostID': 1000, 'size': 1}]"
expect_refused "size 0" "mounts[$N].uidMappings[0].size"
reset
idmapped_mount /m "['bind', 'idmap']" "[{'containerID': 0, 'hostID': 1000, 'size': 10}, {'containerID': 5, 'hostID': 3000, 'size': 10}]" "[{'containerID': 0, 'hostID': 1000, 'size': 1}]"
expect_refused "overlapping ranges" "mounts[$N].uidMappings/gidMappings: the kernel refused the mapping"
reset
idmapped_mount /m "['bind', 'idmap']" "[{'containerID': 0, 'hostID': 1000, 'size': 1}]" "[]"
expect_refused "uidMappings without gidMappings" "mounts[$N].gidMappings"
reset
idmapped_mount /m "['bind', 'idmap']"
expect_refused "idmap without mappings or a user namespace" "mounts[$N].options: \"idmap\" without uidMappings"
reset
set_config "$B" "c['mounts'].append({'destination': '/t', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['idmap'], 'uidMappings': [{'containerID': 0, 'hostID': 1, 'size': 1}], 'gidMappings': [{'containerID': 0, 'hostID': 1, 'size': 1}]})"
expect_refused "idmap on a tmpfs mount" "mounts[$N]: idmapped mounts are only supported for bind mounts"
reset

# Rootless: the kernel wants CAP_SYS_ADMIN over the source's filesystem.
if command -v newuidmap >/dev/null && { id rrun-test >/dev/null 2>&1 || command -v useradd >/dev/null; }; then
    ensure_rootless_user
    RB=$WORK/rootless
    make_rootless_bundle "$RB"
    chown -R "$ROOTLESS_USER" "$SRC"
    set_config "$RB" "c['mounts'].append({'destination': '/m', 'type': 'bind', 'source': '$SRC', 'options': ['bind', 'idmap']})"
    out=$(as_user "\$RRUN run -b $RB r1" 2>&1); rc=$?
    check_eq "rootless idmap: fails" 1 $rc
    check_contains "rootless idmap: a clear error" "mounts[$N]: idmapped mounts need CAP_SYS_ADMIN" "$out"
    check_eq "rootless idmap: no state left" "" "$(ls "$ROOTLESS_XDG/rrun" 2>/dev/null)"
else
    echo "# skip rootless idmap: no newuidmap or no way to create the test user"
fi
finish
