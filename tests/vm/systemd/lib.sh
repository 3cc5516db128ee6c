# Helpers for the scripts of the systemd guest (tests/vm/run-in-systemd-guest.sh):
# everything of tests/vm/guest/lib.sh (r, ok, not_ok, check_eq, check_contains,
# check_true, skip_all, finish, on_exit, make_rootfs, make_bundle, set_config,
# set_args, json_field, status_of, wait_for, pid_alive, squash, field,
# container_sees, TODO=...), plus what a host with systemd as PID 1 needs:
#
#   as_user 'CMD'          CMD (a shell string) as rrun-test (uid 1000) in a real
#                          login session (su -l: session-cN.scope), with
#                          XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS, RRUN set;
#                          from a *_rootless.sh script (already that user), just runs it
#   user_systemctl ARG...  systemctl --user as rrun-test (its user@1000 manager)
#   unit_prop UNIT PROP    systemctl show -P PROP UNIT (of the user manager with --user first)
#   unit_gone UNIT         true when the system manager knows UNIT no more (or it is inactive)
#   make_user_bundle DIR   make_bundle DIR --rootless, owned by rrun-test
#   runtime_start RT ROOT BUNDLE ID   create+start a container with runtime RT
#                          (runc, crun, or "$RRUN") and state dir ROOT, detached;
#                          prints the init's pid
#   check_scope_driver RT BUNDLE NAME [--user]   what `RT --systemd-cgroup` makes
#                          of BUNDLE (by default: its pids limit 20) with cgroupsPath
#                          SLICE:rrun-test:NAME: the scope unit, Delegate,
#                          DefaultDependencies, TasksMax, the init in it, pids.max
#                          before and after daemon-reload, unit and cgroup gone
#                          after delete (see smoke.sh); --user: under the user
#                          manager (from a *_rootless.sh); SUBGROUP=container: the
#                          init and the limits are in that sub cgroup of the scope
#                          (crun's default on cgroup v2, run.oci.systemd.subgroup);
#                          more limits, prefix and checks by UNIT_PROPS, CG_FILES,
#                          SCOPE_PREFIX, SCOPE_HOOK (see the function)
#
# Environment: RRUN=/usr/local/bin/rrun (the rrun under test), ROOTLESS_USER=rrun-test,
# ROOTLESS_UID/GID=1000, VM_DELEGATED_CGROUP (user@1000.service's cgroup),
# TESTS_DIR (the shared tests/vm), and in *_rootless.sh XDG_RUNTIME_DIR and
# DBUS_SESSION_BUS_ADDRESS. The busybox rootfs template make_rootfs copies is
# /usr/share/rrun-vm/rootfs (merged /usr).
source "$(dirname "${BASH_SOURCE[0]}")/../guest/lib.sh"
USER_RUNTIME_DIR=/run/user/${ROOTLESS_UID:-1000}
# Set on a cgroup v1 boot (RRUN_SYSD_CGROUP=v1: the *_cgv1.sh scripts).
V1=; [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || V1=1
USER_BUS=unix:path=$USER_RUNTIME_DIR/bus

ensure_rootless_user() {
    ROOTLESS_UID=$(id -u "$ROOTLESS_USER")
    ROOTLESS_XDG=$USER_RUNTIME_DIR
}
as_user() {
    if [ "$(id -u)" -eq 0 ]; then
        su -l "$ROOTLESS_USER" -c "export XDG_RUNTIME_DIR=$USER_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS=$USER_BUS RRUN=$RRUN; cd $WORK; $*"
    else
        bash -c "cd $WORK; $*"
    fi
}
user_systemctl() { as_user "systemctl --user $*"; }
unit_prop() {
    if [ "$1" = --user ]; then shift; user_systemctl "show -P $2 $1"; else systemctl show -P "$2" "$1"; fi
}
unit_gone() {
    local s
    s=$(systemctl show -P ActiveState "$1" 2>/dev/null)
    [ -z "$s" ] || [ "$s" = inactive ]
}
make_user_bundle() {
    make_bundle "$1" --rootless
    [ "$(id -u)" -eq 0 ] && chown -R "$ROOTLESS_USER:" "$1"
    chmod 755 "$WORK"
}

# runtime_start RT ROOT BUNDLE ID: `RT --root ROOT [--systemd-cgroup] create`
# then `start` of BUNDLE as ID (stdio to ROOT/ID.log, so no pipe stays open),
# prints the init's pid. Extra global flags in RT_FLAGS (an array), e.g.
# RT_FLAGS=(--systemd-cgroup). Returns create's exit status.
runtime_start() {
    local rt=$1 root=$2 bundle=$3 id=$4 rc
    mkdir -p "$root"
    "$rt" --root "$root" "${RT_FLAGS[@]}" create --bundle "$bundle" "$id" </dev/null >"$root/$id.log" 2>&1
    rc=$?
    [ $rc -eq 0 ] || return $rc
    "$rt" --root "$root" "${RT_FLAGS[@]}" start "$id" >>"$root/$id.log" 2>&1 || return $?
    "$rt" --root "$root" state "$id" 2>/dev/null | jq -r .pid
}
RT_FLAGS=()

# check_scope_driver RT BUNDLE NAME [--user]: see the top of this file. The
# bundle's process should stay up (sleep). Knobs (environment):
#   SCOPE_PREFIX  the cgroupsPath prefix (rrun-test): unit PREFIX-NAME.scope
#   UNIT_PROPS    unit properties the limits must give, "PROP=VALUE;..." (TasksMax=20)
#   CG_FILES      cgroup files and their values, "FILE=VALUE;..." (pids.max=20),
#                 checked before and after daemon-reload
#   SUBGROUP      the init and the limits are in that sub cgroup of the scope,
#                 the UNIT_PROPS checks are TODO (crun 1.8.1)
#   SCOPE_HOOK    a function called as HOOK before|after RT ROOT NAME PID UNIT
#                 (around the daemon-reload) for more checks
check_scope_driver() {
    local rt=$1 bundle=$2 name=$3 mode=${4:-} root=$WORK/state-$3 prefix=${SCOPE_PREFIX:-rrun-test} pid rc
    local unit=${SCOPE_PREFIX:-rrun-test}-$3.scope slice=system.slice sc=(systemctl) cgpath kv todo=${TODO:-}
    if [ "$mode" = --user ]; then
        slice=user.slice sc=(systemctl --user)
        cgpath=${VM_DELEGATED_CGROUP#/sys/fs/cgroup}/user.slice/$unit
    else
        cgpath=/system.slice/$unit
    fi
    set_config "$bundle" ".linux.cgroupsPath = \"$slice:$prefix:$name\""
    on_exit "$rt --root $root delete --force $name"
    RT_FLAGS=(--systemd-cgroup)
    pid=$(runtime_start "$rt" "$root" "$bundle" "$name"); rc=$?
    check_eq "$name: $rt --systemd-cgroup create+start" 0 $rc
    grep -v '^$' "$root/$name.log" 2>/dev/null | sed "s/^/# $name says: /"
    check_eq "$name: the unit is active" active "$("${sc[@]}" show -P ActiveState "$unit")"
    check_eq "$name: Delegate=yes" yes "$("${sc[@]}" show -P Delegate "$unit")"
    check_eq "$name: DefaultDependencies=no (runc)" no "$("${sc[@]}" show -P DefaultDependencies "$unit")"
    [ -n "${SUBGROUP:-}" ] && todo="$rt sets the limits in the scope's $SUBGROUP/ sub-cgroup, not on the unit"
    local props files
    IFS=';' read -ra props <<<"${UNIT_PROPS-TasksMax=20}"
    IFS=';' read -ra files <<<"${CG_FILES-pids.max=20}"
    for kv in "${props[@]}"; do
        TODO=$todo check_eq "$name: ${kv%%=*} is the limit" "${kv#*=}" "$("${sc[@]}" show -P "${kv%%=*}" "$unit")"
    done
    check_eq "$name: systemctl status knows it" 0 "$("${sc[@]}" status "$unit" >/dev/null 2>&1; echo $?)"
    local initcg=$cgpath${SUBGROUP:+/$SUBGROUP} top=/sys/fs/cgroup
    if [ -z "$V1" ]; then
        check_eq "$name: the init is in the unit's cgroup${SUBGROUP:+ (its $SUBGROUP)}" "0::$initcg" "$(cat "/proc/${pid:-0}/cgroup" 2>&1)"
    else
        # v1: systemd's own hierarchy says where the unit is; CG_FILES are CONTROLLER/FILE.
        top=/sys/fs/cgroup/systemd
        check_eq "$name: the init is in the unit's cgroup" ":name=systemd:$initcg" \
            "$(grep -o ':name=systemd:.*' "/proc/${pid:-0}/cgroup" 2>&1)"
    fi
    scope_files() {
        local kv f
        for kv in "${files[@]}"; do
            f=${kv%%=*}
            if [ -n "$V1" ]; then f=${f%%/*}$initcg/${f#*/}; else f=${initcg#/}/$f; fi
            check_eq "$name: ${kv%%=*} $1" "${kv#*=}" "$(squash "$(cat "/sys/fs/cgroup/$f" 2>&1)")"
        done
    }
    scope_files "is the limit"
    [ -n "${SCOPE_HOOK:-}" ] && "$SCOPE_HOOK" before "$rt" "$root" "$name" "$pid" "$unit"
    "${sc[@]}" daemon-reload
    scope_files "holds after daemon-reload"
    [ -n "${SCOPE_HOOK:-}" ] && "$SCOPE_HOOK" after "$rt" "$root" "$name" "$pid" "$unit"
    "$rt" --root "$root" delete --force "$name" >/dev/null 2>&1
    unit_gone_() { local st; st=$("${sc[@]}" show -P ActiveState "$unit" 2>/dev/null); [ -z "$st" ] || [ "$st" = inactive ]; }
    wait_for unit_gone_
    check_true "$name: delete stops the unit" unit_gone_
    wait_for test ! -d "$top$cgpath"
    check_true "$name: delete removes the cgroup" test ! -d "$top$cgpath"
    check_eq "$name: no failed unit is left" "" "$("${sc[@]}" list-units --failed --plain --no-legend "$unit" 2>&1)"
}

# scope_devices_hook before|after RT ROOT NAME PID UNIT: a SCOPE_HOOK for a
# bundle whose devices are the spec's default (deny all but the standard
# nodes) plus {"allow": true, "type": "b", "major": 7, "minor": 0, "access":
# "r"}: the device filter (ours and systemd's own from DevicePolicy/DeviceAllow,
# which systemd applies again at a daemon-reload) lets 7:0 be read, not
# written, and 7:1 not at all. Nodes are made in /dev (the root is
# read-only); EPERM is the filter's answer (7:0 then reads nothing or says
# ENXIO). Before the reload, the unit's DevicePolicy and DeviceAllow go to
# DEVPROPS[NAME without its last character].
declare -A DEVPROPS
scope_devices_hook() {
    local phase=$1 rt=$2 root=$3 name=$4 unit=$6
    ex() { "$rt" --root "$root" exec --cap CAP_MKNOD "$name" sh -c "$1" 2>&1; }
    check_not_contains "$name: an allowed device (b 7:0 r) opens, $phase daemon-reload" "Operation not permitted" \
        "$(ex 'mknod /dev/lp0 b 7 0 2>/dev/null; head -c1 /dev/lp0 >/dev/null')"
    check_contains "$name: but not for writing, $phase daemon-reload" "Operation not permitted" \
        "$(ex 'mknod /dev/lp0 b 7 0 2>/dev/null; echo x >/dev/lp0')"
    check_contains "$name: a denied device (b 7:1) does not open, $phase daemon-reload" "Operation not permitted" \
        "$(ex 'mknod /dev/lp1 b 7 1 2>/dev/null; head -c1 /dev/lp1')"
    [ "$phase" = before ] || return 0
    DEVPROPS[${name%?}]=$(squash "$(systemctl show -P DevicePolicy "$unit"; systemctl show -P DeviceAllow "$unit")")
    echo "# $name: DevicePolicy, DeviceAllow: ${DEVPROPS[${name%?}]}"
}

# rrun_has_systemd_driver [--user]: rrun's features say its systemd (or
# systemd user) cgroup driver works. Until they do, smoke.sh records rrun's
# behaviour as TODO instead of failing.
rrun_has_systemd_driver() {
    local key=systemd
    [ "${1:-}" = --user ] && key=systemdUser
    [ "$("$RRUN" features 2>/dev/null | jq -r ".linux.cgroup.$key")" = true ]
}

# check_podman_systemd LABEL SCOPES_DIR SYSTEMCTL...: podman with its default
# configuration (cgroup_manager = "systemd") on $RRUN: --memory, --pids-limit
# and --cpus seen inside, libpod-ID.scope a delegated unit in the slice whose
# cgroup is SCOPES_DIR, the limits surviving a daemon-reload, nothing left
# after rm. SYSTEMCTL: `systemctl`, or `systemctl --user` in a rootless script.
check_podman_systemd() {
    local label=$1 scopes=$2; shift 2
    local sctl=("$@") R=$WORK/podman-rootfs out cid unit slice
    local limits='cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max'
    local want="67108864 30 50000 100000"
    local flags=(--memory 64m --pids-limit 30 --cpus 0.5 --network none --rootfs "$R")
    slice=$(basename "$scopes")
    make_rootfs "$R"
    # podman warns about CNI configs on every command: stderr kept aside, shown on failure.
    pod() { podman --runtime "$RRUN" "$@" 2>>"$WORK/podman.err"; }
    unit_state() { "${sctl[@]}" show -P ActiveState "$unit" 2>/dev/null; }
    gone() { local s; s=$(unit_state); [ -z "$s" ] || [ "$s" = inactive ]; }
    # this function's containers' scopes only: other scripts' may still be going
    no_libpod() {
        local c
        for c in "$(cat "$WORK/rm.cid" 2>/dev/null)" "$cid"; do
            [ -n "$c" ] && { [ -e "$scopes/libpod-$c.scope" ] || [ -e "$scopes/libpod-conmon-$c.scope" ]; } && return 1
        done
        return 0
    }
    check_eq "$label: podman's cgroup manager is systemd" systemd "$(podman info --format '{{.Host.CgroupManager}}' 2>/dev/null)"
    out=$(pod run --rm --cidfile "$WORK/rm.cid" "${flags[@]}" sh -c "$limits")
    check_eq "$label run --rm: the container sees its limits" "$want" "$(squash "$out")"
    cid=$(pod run -d "${flags[@]}" sleep 1000)
    on_exit "podman --runtime $RRUN rm -f $cid"
    unit=libpod-$cid.scope
    check_eq "$label run -d: the scope is a delegated unit in $slice" "active $slice yes" \
        "$(squash "$(unit_state; "${sctl[@]}" show -P Slice "$unit"; "${sctl[@]}" show -P Delegate "$unit")")"
    "${sctl[@]}" daemon-reload
    out=$(pod exec "$cid" sh -c "$limits")
    check_eq "$label: the limits hold after daemon-reload" "$want" "$(squash "$out")"
    pod rm -f -t 0 "$cid" >/dev/null 2>&1
    wait_for gone
    check_true "$label rm: the unit is gone" gone
    wait_for no_libpod   # conmon's libpod-conmon-ID.scope goes once conmon exits, just after rm
    check_true "$label: no libpod scope of its containers is left" no_libpod
    [ "$FAILED" -eq 0 ] || sed 's/^/# podman says: /' "$WORK/podman.err" | grep -v CNI | tail -20
}

# wait_secs SECS CMD...: retries CMD until it succeeds or SECS seconds passed
# (wait_for counts 200 tries: too long when each try is a podman call, ~1 s
# under TCG).
wait_secs() {
    local end=$(($(date +%s) + $1)); shift
    while :; do
        "$@" && return 0
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.2
    done
}
