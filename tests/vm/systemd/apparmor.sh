#!/bin/bash
# Issue #22, the LSM attr files: process.apparmorProfile where AppArmor is
# enabled (the guest's kernel has it; the development machines have no LSM
# with attr files). Beside runc 1.1.5, on the same bundles:
#   - a test profile loaded with apparmor_parser (all allowed but writes to
#     /tmp/denied): the container's attr/current names it and the write is
#     denied; exec likewise (the container's profile, or --apparmor's and
#     process.json's: a second profile that allows the write);
#   - a profile that is not loaded: a one-line error naming apparmorProfile,
#     nothing left behind;
#   - the CVE-2025-52881 attack: config mounts (after /proc) bind other
#     procfs files over /proc/self/attr/apparmor/exec and /proc/1/attr/exec,
#     so that a write by path lands there (the container's domainname and
#     hostname: harmless, seen from inside) and the program runs unconfined.
#     rrun writes through its private procfs: the profile applies, the two
#     names are unchanged. The rrun without the defence (bin/rrun-undefended,
#     tests/integration/undefended/build.sh) must be seen to fall for it.
# The run and the attack again rootless (rrun-test), with the same profiles.
# sysd-undefended
source "$(dirname "$0")/lib.sh"
need_root
grep -qw apparmor /sys/kernel/security/lsm 2>/dev/null || skip_all "AppArmor is not an active LSM here ($(cat /sys/kernel/security/lsm 2>/dev/null))"
command -v apparmor_parser >/dev/null || skip_all "no apparmor_parser (the image's packages list apparmor)"
UNDEFENDED=$TESTS_DIR/../bin/rrun-undefended

# ---- the test profiles
# lsm-test denies writes to /tmp/denied, lsm-test2 allows everything.
for p in lsm-test lsm-test2; do
    deny=; [ $p = lsm-test ] && deny='deny /tmp/denied w,'
    cat >"$WORK/$p.profile" <<EOF
abi <abi/3.0>,
profile $p flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  $deny
}
EOF
    apparmor_parser -r -W "$WORK/$p.profile" || skip_all "apparmor_parser could not load $p"
    on_exit "apparmor_parser -R $WORK/$p.profile"
done
check_contains "the test profiles are loaded" "lsm-test (enforce)" "$(cat /sys/kernel/security/apparmor/profiles)"

B=$WORK/bundle
make_bundle "$B"
# ociVersion 1.0.2: the undefended rrun (b27100a) predates runtime-spec 1.3.0.
# A writable root: the profile is what denies the write.
set_config "$B" '.ociVersion = "1.0.2" | .root.readonly = false | .process.apparmorProfile = "lsm-test"'
TRY_DENIED='(echo x >/tmp/denied) 2>/dev/null && echo written || echo denied'
SEES="cat /proc/self/attr/current; cat /proc/self/attr/apparmor/current; $TRY_DENIED; echo y >/tmp/other && echo allowed"
EXPECT=$'lsm-test (enforce)\nlsm-test (enforce)\ndenied\nallowed'
set_args "$B" sh -c "$SEES"
RUNC_ROOT=$WORK/runc
on_exit 'for id in $(runc --root "$RUNC_ROOT" list -q); do runc --root "$RUNC_ROOT" delete -f $id; done'
# rt_run RT ID: runs the bundle with RT (runc or rrun), output and error together.
rt_run() {
    if [ "$1" = runc ]; then runc --root "$RUNC_ROOT" run --bundle "$B" "$2" </dev/null 2>&1
    else r run --bundle "$B" "$2" </dev/null 2>&1; fi
}

# ---- 1. the profile of process.apparmorProfile
out_runc=$(rt_run runc lsm-runc1)
check_eq "runc: the container runs under lsm-test and the write is denied" "$EXPECT" "$out_runc"
out=$(rt_run rrun lsm-run1)
check_eq "rrun: the container runs under lsm-test and the write is denied (as under runc)" "$out_runc" "$out"

# exec: the container's profile by default, --apparmor, process.json's apparmorProfile
set_args "$B" sleep 100
runc --root "$RUNC_ROOT" run -d --bundle "$B" lsm-runc2 </dev/null >/dev/null 2>&1
r run -d --bundle "$B" lsm-run2 </dev/null >/dev/null 2>&1
cat >"$WORK/process.json" <<'EOF'
{"args": ["cat", "/proc/self/attr/current"], "cwd": "/", "env": ["PATH=/usr/bin:/bin"], "user": {"uid": 0, "gid": 0}, "apparmorProfile": "lsm-test2"}
EOF
# execs RT_CMD: what exec's three ways see, one line each
execs() {
    "$@" exec lsm-"$ID" cat /proc/self/attr/current 2>&1
    "$@" exec --apparmor lsm-test2 lsm-"$ID" sh -c "cat /proc/self/attr/current; $TRY_DENIED" 2>&1
    "$@" exec --process "$WORK/process.json" lsm-"$ID" 2>&1
}
ex_runc=$(ID=runc2 execs runc --root "$RUNC_ROOT")
check_eq "runc exec: the container's profile, --apparmor's, process.json's" $'lsm-test (enforce)\nlsm-test2 (enforce)\nwritten\nlsm-test2 (enforce)' "$ex_runc"
ex=$(ID=run2 execs r)
check_eq "rrun exec: the container's profile, --apparmor's, process.json's (as under runc)" "$ex_runc" "$ex"
runc --root "$RUNC_ROOT" delete -f lsm-runc2 >/dev/null 2>&1
r delete -f lsm-run2 >/dev/null 2>&1

# ---- a profile that is not loaded
set_config "$B" '.process.apparmorProfile = "lsm-missing"'
set_args "$B" true
err_runc=$(rt_run runc lsm-runc3); rc_runc=$?
echo "# runc's words: $err_runc (exit $rc_runc)"
err=$(rt_run rrun lsm-run3); rc=$?
echo "# rrun's words: $err (exit $rc)"
check_true "an unloaded profile: both fail (runc $rc_runc, rrun $rc)" [ $rc_runc -ne 0 -a $rc -ne 0 ]
check_contains "rrun's error names apparmorProfile and the profile" "apparmorProfile lsm-missing" "$err"
runc_why=${err_runc##*: }
check_contains "and the kernel's reason (runc's: ${runc_why%\"})" "No such file or directory" "$err"
check_eq "in one line" 1 "$(printf '%s\n' "$err" | wc -l)"
check_eq "no state left" "" "$(ls "$STATE_ROOT" 2>/dev/null)"
check_eq "no cgroup left" "" "$(find /sys/fs/cgroup -name '*lsm-run3*' 2>/dev/null)"
runc --root "$RUNC_ROOT" delete -f lsm-runc3 >/dev/null 2>&1

# ---- 2. the attack: procfs files bound over the attr files' paths
host_names="$(cat /proc/sys/kernel/hostname) $(cat /proc/sys/kernel/domainname)"
set_config "$B" '.process.apparmorProfile = "lsm-test" | .mounts += [
    {"destination": "/proc/self/attr/apparmor/exec", "type": "bind", "source": "/proc/sys/kernel/domainname", "options": ["bind"]},
    {"destination": "/proc/1/attr/exec", "type": "bind", "source": "/proc/sys/kernel/hostname", "options": ["bind"]}]'
set_args "$B" sh -c 'cat /proc/self/attr/current; echo "$(cat /proc/sys/kernel/hostname) $(cat /proc/sys/kernel/domainname)"; '"$TRY_DENIED"
SAFE=$'lsm-test (enforce)\nrrun (none)\ndenied'
out=$(rt_run rrun lsm-run4); rc=$?
if [ $rc -eq 0 ]; then
    check_eq "the attack: rrun applies lsm-test anyway; the bound domainname and hostname are unchanged" "$SAFE" "$out"
else
    check_contains "the attack: or rrun fails closed naming the file" "/proc/self/attr/" "$out"
fi
check_eq "the host's hostname and domainname are unchanged" "$host_names" "$(cat /proc/sys/kernel/hostname) $(cat /proc/sys/kernel/domainname)"
check_eq "no state left" "" "$(ls "$STATE_ROOT" 2>/dev/null)"
out_runc=$(rt_run runc lsm-runc4)
echo "# runc 1.1.5 refuses the config (mounts inside /proc): $out_runc"
runc --root "$RUNC_ROOT" delete -f lsm-runc4 >/dev/null 2>&1
if [ -x "$UNDEFENDED" ]; then
    out=$("$UNDEFENDED" --root "$WORK/undefended" run --bundle "$B" lsm-und4 </dev/null 2>&1)
    "$UNDEFENDED" --root "$WORK/undefended" delete -f lsm-und4 >/dev/null 2>&1
    check_eq "the attack gets through the undefended rrun: unconfined, the label written to the domainname" \
        $'unconfined\nrrun exec lsm-test\nwritten' "$out"
else
    why=$(cat "$UNDEFENDED.why" 2>/dev/null)
    if [[ $why == *"exit 77"* ]]; then echo "# SKIP the attack against the undefended rrun: $(head -1 <<<"$why")"
    else not_ok "no undefended rrun in the guest: $(head -1 <<<"$why")"; fi
fi

# ---- rootless (rrun-test, in a login session): the profile and the attack
ensure_rootless_user
UB=$WORK/ubundle
make_user_bundle "$UB"
# (spec --rootless run as root maps root: the user's own ids instead)
set_config "$UB" '.ociVersion = "1.0.2" | .root.readonly = false | .process.apparmorProfile = "lsm-test" |
    .linux.uidMappings = [{"containerID": 0, "hostID": '"$ROOTLESS_UID"', "size": 1}] |
    .linux.gidMappings = [{"containerID": 0, "hostID": '"${ROOTLESS_GID:-1000}"', "size": 1}]'
set_args "$UB" sh -c "$SEES"
mkdir -p "$WORK/ustate" "$WORK/urunc" "$WORK/uundef"
chown "$ROOTLESS_USER" "$WORK/ustate" "$WORK/urunc" "$WORK/uundef"
on_exit "as_user 'for id in \$(\$RRUN --root $WORK/ustate list -q); do \$RRUN --root $WORK/ustate delete -f \$id; done'"
# u_run RT ROOT ID: RT run of the rootless bundle as rrun-test
u_run() { as_user "$1 --root $2 run --bundle $UB $3 </dev/null 2>&1"; }
out_runc=$(u_run runc "$WORK/urunc" lsm-urunc1)
check_eq "rootless runc: the container runs under lsm-test and the write is denied" "$EXPECT" "$out_runc"
out=$(u_run '$RRUN' "$WORK/ustate" lsm-urun1)
check_eq "rootless rrun: likewise (as under runc)" "$out_runc" "$out"
set_config "$UB" '.mounts += [
    {"destination": "/proc/self/attr/apparmor/exec", "type": "bind", "source": "/proc/sys/kernel/domainname", "options": ["bind"]},
    {"destination": "/proc/1/attr/exec", "type": "bind", "source": "/proc/sys/kernel/hostname", "options": ["bind"]}]'
set_args "$UB" sh -c 'cat /proc/self/attr/current; echo "$(cat /proc/sys/kernel/hostname) $(cat /proc/sys/kernel/domainname)"; '"$TRY_DENIED"
uhost=$(jq -r '.hostname // empty' "$UB/config.json")
out=$(u_run '$RRUN' "$WORK/ustate" lsm-urun2); rc=$?
if [ $rc -eq 0 ]; then
    check_eq "rootless, the attack: rrun applies lsm-test anyway; domainname and hostname unchanged" $'lsm-test (enforce)\n'"${uhost:-sysd-guest} (none)"$'\ndenied' "$out"
else
    check_contains "rootless, the attack: or rrun fails closed naming the file" "/proc/self/attr/" "$out"
fi
check_eq "rootless: no state left" "" "$(ls "$WORK/ustate" 2>/dev/null)"
if [ -x "$UNDEFENDED" ]; then
    # Rootless the bound sysctls are the host root's files (mode 0644, root
    # unmapped in the user namespace): the undefended rrun's write by path
    # opens the bound file and is refused, so the attack fails even there
    # (seen in the guest, December 2026). What is checked: it wrote by path.
    out=$(u_run "$UNDEFENDED" "$WORK/uundef" lsm-uund2)
    check_contains "rootless, the undefended rrun writes the label by path: it opened the bound sysctl and was refused (no escape rootless)" \
        "open /proc/self/attr/exec: Permission denied" "$out"
fi
finish
