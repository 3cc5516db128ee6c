#!/bin/bash
# Runs guest scripts against rrun on a host with systemd as PID 1: a Debian 12
# guest (systemd, dbus, a lingering uid 1000 with its user manager, podman,
# runc, crun, containerd, criu; pure cgroup v2) booted under qemu (TCG, no KVM
# needed). The image is built once from tests/vm/systemd-guest/ (packages +
# build-image.sh) and cached; each boot uses a throwaway qcow2 overlay. The
# scripts, their lib and $RRUN reach the guest over 9p; a oneshot unit runs
# them and powers off. Results come back as TAP.
#
#   RRUN=build/rrun tests/vm/run-in-systemd-guest.sh              # every tests/vm/systemd/*.sh
#   RRUN=build/rrun tests/vm/run-in-systemd-guest.sh smoke.sh x   # some of them (names or paths)
#
# Exit: 0 every guest test passed (and some ran), 1 something failed, 77
# skipped (no root, qemu, debootstrap, mirror or kernel; the reason is printed).
# See tests/vm/README.md.
#
# Environment (all optional but RRUN):
#   RRUN                      the rrun binary to test (required)
#   RRUN_VM_CACHE             cache (default /var/cache/rrun-vm); the image is
#                             in its systemd-guest/ (debootstrap's .debs too)
#   RRUN_SYSD_MIRROR          Debian mirror (default: the one apt uses)
#   RRUN_SYSD_TIMEOUT         seconds for boot + scripts + poweroff (default 1500)
#   RRUN_SYSD_SCRIPT_TIMEOUT  seconds for one guest script (default 600)
#   RRUN_SYSD_CONSOLE         where to keep the console log (default: next to $RRUN)
#   RRUN_SYSD_APPEND          extra kernel command line ("quiet" is the default;
#                             e.g. systemd.show_status=1 to see the boot)
#   RRUN_SYSD_MEM, RRUN_SYSD_SMP  guest memory in MB (2048) and CPUs (2)
#   RRUN_SYSD_CGROUP=v1       boot with cgroup v1 (systemd's legacy layout) and
#                             run the *_cgv1.sh scripts (default v2: the others)
#   RRUN_SYSD_KEEP=1          keep the share dir (scripts, out/) and print it
set -uo pipefail
# The whole script is one brace group, read before it runs: an edit of this
# file while a run is in progress does not change what that run executes.
{

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT_DIR=$HERE/systemd
RECIPE=$HERE/systemd-guest
T0=$(date +%s)

say() { echo "# sysd: $* ($(( $(date +%s) - T0 ))s)"; }
skip() { echo "1..0 # SKIP $*"; exit 77; }
die() { echo "run-in-systemd-guest.sh: $*" >&2; exit 1; }
source "$HERE/vm-lib.sh"

vm_rrun
TIMEOUT=${RRUN_SYSD_TIMEOUT:-1500}
SCRIPT_TIMEOUT=${RRUN_SYSD_SCRIPT_TIMEOUT:-600}

# ---------------------------------------------------------------- guest scripts
vm_select_scripts "$SCRIPT_DIR" "$@"
# RRUN_SYSD_CGROUP=v1: the same image booted with systemd's legacy layout
# (systemd.unified_cgroup_hierarchy=0: v1 controller hierarchies, name=systemd,
# an empty cgroup2 at /sys/fs/cgroup/unified). Unless scripts are named, a v1
# boot runs the *_cgv1.sh scripts and the default (v2) boot all the others.
case ${RRUN_SYSD_CGROUP:=v2} in
    v1) UNIFIED=0 ;;   # (the console log: sysd-console0.log)
    v2) UNIFIED=1 ;;
    *) die "RRUN_SYSD_CGROUP: \"$RRUN_SYSD_CGROUP\" is not v1 or v2" ;;
esac
if [ $# -eq 0 ]; then
    picked=()
    for s in "${SCRIPTS[@]}"; do
        case $s in *_cgv1.sh) [ $UNIFIED = 0 ] && picked+=("$s") ;; *) [ $UNIFIED = 1 ] && picked+=("$s") ;; esac
    done
    SCRIPTS=("${picked[@]}")
    [ ${#SCRIPTS[@]} -gt 0 ] || die "no guest scripts for cgroup $RRUN_SYSD_CGROUP"
fi
# A script with a "# sysd-named-only" line runs only when named: the CRI suite
# (cri_systemd*.sh, minutes under TCG: CTest's test_vm_systemd_cri).
if [ $# -eq 0 ]; then
    picked=()
    for s in "${SCRIPTS[@]}"; do grep -q '^# sysd-named-only' "$s" || picked+=("$s"); done
    SCRIPTS=("${picked[@]}")
fi

# ---------------------------------------------------------------- host side
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot)"
vm_need_packages qemu-system-x86 qemu-utils debootstrap e2fsprogs xz-utils binutils
QEMU=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not found"
vm_cache_dir
C=$CACHE/systemd-guest
mkdir -p "$C" || skip "cannot create $C"

# The image is keyed by its recipe: a change to the package list or to
# build-image.sh builds a new one; otherwise the cached one is reused.
KEY=$(cat "$RECIPE/packages" "$RECIPE/build-image.sh" | sha256sum | cut -c1-16)
IMG=$C/image-$KEY
exec 8>"$C/.lock"   # one build at a time (and no removal of an image in use)
if [ ! -e "$IMG/.complete" ]; then
    flock -n 8 || { say "waiting for another run's image build"; flock 8; }
    if [ ! -e "$IMG/.complete" ]; then
        MIRROR=${RRUN_SYSD_MIRROR:-$(grep -hs -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list |
            grep -o 'https\?://[^ ]*/debian/\?' | grep -v security | head -1)}
        [ -n "$MIRROR" ] || skip "no Debian mirror in /etc/apt/sources.list*; set RRUN_SYSD_MIRROR"
        say "building the guest image $IMG from $MIRROR (once per recipe, ~3 min)"
        rm -rf "$IMG"; mkdir -p "$IMG"
        tb=$(date +%s)
        "$RECIPE/build-image.sh" "$IMG" "$C/debcache" "$MIRROR" 2>&1 | grep -v '^Creating regular file'   # (mkfs.ext4 -q says it)
        brc=${PIPESTATUS[0]}
        if [ $brc -ne 0 ]; then
            rm -rf "$IMG"
            [ $brc -eq 2 ] && skip "debootstrap of the guest failed (no network or mirror?)"
            die "building the guest image failed"
        fi
        touch "$IMG/.complete"
        say "image built in $(( $(date +%s) - tb ))s: $(du -h "$IMG/disk.img" | cut -f1) used"
        # Older images (other recipes) go, unless a run still boots one.
        for old in "$C"/image-*; do
            [ "$old" = "$IMG" ] && continue
            ( flock -n -x 7 && rm -rf "$old" ) 7>"$old/.lock" 2>/dev/null || true
        done
    fi
    flock -u 8
fi
exec 7>"$IMG/.lock"
flock -s 7   # held while booting: a rebuild of another recipe does not remove this image
KERNEL=$IMG/vmlinuz
[ -s "$IMG/vmlinux-pvh" ] && KERNEL=$IMG/vmlinux-pvh
[ -s "$KERNEL" ] && [ -s "$IMG/initrd.img" ] || skip "no kernel or initrd in $IMG"

# ---------------------------------------------------------------- share
S=$(mktemp -d /tmp/rrun-sysd.XXXXXX)
chmod 755 "$S"
if [ "${RRUN_SYSD_KEEP:-0}" = 1 ]; then say "share dir $S"; else trap 'rm -rf "$S"' EXIT; fi
mkdir -p "$S/bin" "$S/out" "$S/vm/guest" "$S/vm/systemd"
chmod 777 "$S/out"
cp "$HERE/systemd-guest/guest-run.sh" "$HERE/tap-tally.sh" "$S/"
cp "$HERE/guest/lib.sh" "$S/vm/guest/"
cp "$SCRIPT_DIR/lib.sh" "${SCRIPTS[@]}" "$S/vm/systemd/"
# "# sysd-share: PATH..." in a selected script: those files or directories of
# the source tree (relative to its root) go to the share's src/ at the same
# paths (cri_systemd.sh runs tests/e2e/test_cri.sh from there); a .c file among
# them is also compiled there (static, the name without .c): the guest has no
# compiler.
ROOT=$(cd "$HERE/../.." && pwd)
for p in $(grep -h '^# sysd-share:' "${SCRIPTS[@]}" | sed 's/^# sysd-share://' | tr -s ' \t' '\n\n' | sort -u); do
    mkdir -p "$S/src"
    (cd "$ROOT" && cp -r --parents "$p" "$S/src/") || die "sysd-share: no $p in $ROOT"
    case $p in *.c) gcc -static -O2 -o "$S/src/${p%.c}" "$ROOT/$p" || die "sysd-share: cannot compile $p (gcc, libc6-dev)" ;; esac
done
# "# sysd-undefended" in a selected script: the rrun without #22's defences
# (tests/integration/undefended/build.sh: built once, cached on the host) goes
# to the share as bin/rrun-undefended, the script's attacks run against it too.
# When it cannot be had, bin/rrun-undefended.why says why and how build.sh
# exited (77: it cannot be built here, the script skips those checks).
if grep -q '^# sysd-undefended' "${SCRIPTS[@]}"; then
    if u=$(bash "$ROOT/tests/integration/undefended/build.sh" 2>"$S/bin/rrun-undefended.why"); then
        cp "$u" "$S/bin/rrun-undefended" && strip --strip-debug "$S/bin/rrun-undefended" 2>/dev/null
        rm -f "$S/bin/rrun-undefended.why"
    else
        echo "exit $?" >>"$S/bin/rrun-undefended.why"
        say "no undefended rrun for the guest: $(head -1 "$S/bin/rrun-undefended.why")"
    fi
fi
printf '%s\n' "${SCRIPTS[@]##*/}" >"$S/scripts"
echo "SCRIPT_TIMEOUT=$SCRIPT_TIMEOUT" >"$S/config"
cp "$RRUN" "$S/bin/rrun" && strip --strip-debug "$S/bin/rrun" 2>/dev/null
chmod -R a+rX "$S"

# ---------------------------------------------------------------- boot
qemu-img create -q -f qcow2 -b "$IMG/disk.img" -F raw "$S/run.qcow2" || die "qemu-img create failed"
CONSOLE=$S/console.log
# no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check
# can fail and panic the boot ("IO-APIC + timer doesn't work"; seen here).
APPEND="root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=$UNIFIED panic=-1 no_timer_check ${RRUN_SYSD_APPEND-quiet}"
say "booting ${KERNEL##*/} with ${#SCRIPTS[@]} guest script(s)"
# The console goes to a file; the lines between the guest's markers are
# printed as they come (sed -u: no filter in the pipe may buffer). In the
# background, so that an interrupted run (CTest's timeout, ^C) stops qemu at
# once instead of leaving it to its timeout.
(
    timeout -k 5 "$TIMEOUT" "$QEMU" \
        -accel tcg,thread=multi -cpu max -smp "${RRUN_SYSD_SMP:-2}" -m "${RRUN_SYSD_MEM:-2048}" \
        -nographic -no-reboot -nic none \
        -kernel "$KERNEL" -initrd "$IMG/initrd.img" -append "$APPEND" \
        -drive "file=$S/run.qcow2,if=virtio,format=qcow2,cache=unsafe" \
        -virtfs local,path="$S",mount_tag=share,security_model=none,id=share \
        </dev/null 2>&1 &
    echo $! >"$S/qemu.pid"
    wait $!
    echo $? >"$S/qemu.rc"
) | sed -u 's/\r//g; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' | tee "$CONSOLE" |
    sed -u -n '/# rrun-sysd: begin/,/^# rrun-sysd: end/{/# rrun-sysd:/d;p}' &
trap 'kill "$(cat "$S/qemu.pid" 2>/dev/null)" 2>/dev/null; wait; exit 143' INT TERM
wait $!
trap - INT TERM
qrc=$(cat "$S/qemu.rc" 2>/dev/null || echo 1)
rm -f "$S/run.qcow2"
flock -u 7
KEEP=${RRUN_SYSD_CONSOLE:-$(dirname "$RRUN")/sysd-console${UNIFIED/1/}.log}
cp "$CONSOLE" "$KEEP" 2>/dev/null || KEEP=$CONSOLE
[ "${RRUN_SYSD_KEEP:-0}" = 1 ] && KEEP=$CONSOLE

if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
    echo "not ok - the guest did not power off within ${TIMEOUT}s (console log: $KEEP)"
    tail -n 30 "$CONSOLE"
    exit 1
fi
# The guest's summary line: "PASSED FAILED SKIPPED" (out/ is shared).
read -r passed failed skipped 2>/dev/null <"$S/out/summary"
if [ -z "${passed:-}" ] || [ -z "${failed:-}" ]; then
    echo "not ok - the guest printed no result (qemu exit $qrc; console log: $KEEP)"
    tail -n 30 "$CONSOLE"
    exit 1
fi
say "done: $passed passed, $failed failed, ${skipped:-0} script(s) skipped; $(cat "$S/out/timing" 2>/dev/null) (console log: $KEEP)"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
exit
}
