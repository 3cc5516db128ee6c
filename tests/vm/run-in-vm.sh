#!/bin/bash
# Runs guest test scripts against rrun on a pure cgroup v2 host: a Debian
# kernel booted under qemu (TCG, no KVM needed) from an initramfs that holds
# busybox, bash, jq, the rrun binary and its libraries, newuidmap/newgidmap,
# and the guest scripts. Results come back as TAP on the serial console.
#
#   RRUN=build/rrun tests/vm/run-in-vm.sh                  # every tests/vm/guest/*.sh
#   RRUN=build/rrun tests/vm/run-in-vm.sh smoke.sh foo.sh  # some of them (names or paths)
#
# Exit: 0 every guest test passed, 1 something failed, 77 skipped (no qemu,
# no kernel, no apt; the reason is printed). See tests/vm/README.md.
#
# Environment (all optional but RRUN):
#   RRUN                    the rrun binary to test (required)
#   RRUN_VM_CACHE           kernel cache (default /var/cache/rrun-vm, or
#                           ~/.cache/rrun-vm when that is not writable)
#   RRUN_VM_KERNEL_PKG      a Debian kernel package name instead of the one
#                           linux-image-amd64 depends on
#   RRUN_VM_TIMEOUT         seconds for the whole guest run (default 300)
#   RRUN_VM_SCRIPT_TIMEOUT  seconds for one guest script (default 120)
#   RRUN_VM_CONSOLE         where to keep the console log (default: next to $RRUN)
#   RRUN_VM_APPEND          extra kernel command line
#   RRUN_VM_KEEP=1          keep the initramfs work dir (printed)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST_DIR=$HERE/guest
T0=$(date +%s)

say() { echo "# vm: $*"; }
skip() { echo "1..0 # SKIP $*"; exit 77; }
die() { echo "run-in-vm.sh: $*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }
source "$HERE/vm-lib.sh"

vm_rrun

TIMEOUT=${RRUN_VM_TIMEOUT:-300}
SCRIPT_TIMEOUT=${RRUN_VM_SCRIPT_TIMEOUT:-120}

# ---------------------------------------------------------------- guest scripts
# Collected first: their "# vm-packages:", "# vm-binaries:" and "# vm-modules:"
# lines say what else the guest needs.
vm_select_scripts "$GUEST_DIR" "$@"
declared() { # declared KEY: the words after "# KEY:" in every selected script
    grep -h "^# $1:" "${SCRIPTS[@]}" 2>/dev/null | sed "s/^# $1://" | tr -s ' \t' '\n\n' | sed '/^$/d' | sort -u
}
EXTRA_PACKAGES=$(declared vm-packages)
EXTRA_BINARIES=$(declared vm-binaries)
EXTRA_MODULES=$(declared vm-modules)

# ---------------------------------------------------------------- host packages
# The packages the harness always needs on the host, by name.
vm_need_packages qemu-system-x86 cpio busybox-static uidmap bash jq binutils xz-utils $EXTRA_PACKAGES
QEMU=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not found"

# ---------------------------------------------------------------- kernel
vm_cache_dir
# Several runs may share the cache: one at a time fetches the kernel.
exec 9>"$CACHE/.lock"
flock 9
find_kernel() {
    # The newest extracted kernel (or the one asked for) that is complete.
    local d
    for d in $(ls -d "$CACHE"/linux-image-* 2>/dev/null | sort -V -r); do
        [ -n "${RRUN_VM_KERNEL_PKG:-}" ] && [ "$(basename "$d")" != "$RRUN_VM_KERNEL_PKG" ] && continue
        [ -f "$d/.complete" ] || continue
        KDIR=$d
        VMLINUZ=$(ls "$d"/boot/vmlinuz-* 2>/dev/null | head -1)
        [ -n "$VMLINUZ" ] && return 0
    done
    return 1
}
if ! find_kernel; then
    command -v apt-get >/dev/null || skip "no apt-get to download a kernel"
    pkg=${RRUN_VM_KERNEL_PKG:-}
    if [ -z "$pkg" ]; then
        kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}'; }
        pkg=$(kernel_pkg)
        if [ -z "$pkg" ]; then vm_apt_update || skip "apt-get update failed"; pkg=$(kernel_pkg); fi
        [ -n "$pkg" ] || skip "apt-cache names no kernel package for linux-image-amd64"
    fi
    say "downloading $pkg (once; cached in $CACHE)"
    dl=$(mktemp -d "$CACHE/dl.XXXXXX")
    chmod 755 "$dl"  # apt's _apt user downloads into it
    if ! (cd "$dl" && apt-get download "$pkg" >/dev/null 2>&1); then
        vm_apt_update || { rm -rf "$dl"; skip "apt-get update failed"; }
        (cd "$dl" && apt-get download "$pkg" >/dev/null 2>&1) || { rm -rf "$dl"; skip "apt-get download $pkg failed"; }
    fi
    # dpkg -x, but of /boot only: the modules (330 MB) are unpacked from the
    # kept .deb the first time a script asks for one (# vm-modules:).
    rm -rf "${CACHE:?}/$pkg"
    mkdir -p "$CACHE/$pkg"
    mv "$dl"/*.deb "$CACHE/$pkg/" && rm -rf "$dl"
    dpkg-deb --fsys-tarfile "$CACHE/$pkg"/*.deb | tar -x -C "$CACHE/$pkg" ./boot ||
        { rm -rf "${CACHE:?}/$pkg"; skip "unpacking /boot of $pkg failed"; }
    touch "$CACHE/$pkg/.complete"
    find_kernel || skip "$pkg holds no /boot/vmlinuz-*"
fi
# The uncompressed kernel, booted through its PVH entry: skips SeaBIOS's
# real-mode loader and the xz decompression, which take ~10 s under TCG.
PVH=$KDIR/vmlinux-pvh
if [ ! -s "$PVH" ] && [ ! -e "$PVH.none" ]; then
    vm_pvh_kernel "$VMLINUZ" "$PVH" || touch "$PVH.none"   # not xz or no PVH note: boot the bzImage
fi
BOOT_KERNEL=$VMLINUZ
[ -s "$PVH" ] && BOOT_KERNEL=$PVH
flock -u 9
KVER=$(basename "$VMLINUZ"); KVER=${KVER#vmlinuz-}
say "kernel $KVER, booting ${BOOT_KERNEL##*/} ($(elapsed))"

# ---------------------------------------------------------------- initramfs
WORK=$(mktemp -d /tmp/rrun-vm.XXXXXX)
if [ "${RRUN_VM_KEEP:-0}" = 1 ]; then say "work dir $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
R=$WORK/root
# Merged /usr, as on Debian, so every path ldd prints lands somewhere real.
T=$R/usr/share/rrun-vm/rootfs   # the busybox rootfs template guest scripts copy (make_rootfs)
mkdir -p "$R"/usr/{bin,sbin,lib,lib64,local/bin} "$R"/{etc/rrun-vm,proc,sys,dev,tmp,run,root,home/rrun-test,mnt} \
    "$R"/tests/vm/guest "$R/usr/lib/modules" "$T"/{bin,etc,proc,sys,dev,tmp,root}
ln -s usr/bin usr/sbin usr/lib usr/lib64 "$R/"

# Forks cost tens of milliseconds on these machines, so the binaries are
# gathered first and copied, stripped and resolved (ldd) in a few batched calls.
BIN_SRC=() BIN_DST=()
# add_binary SRC [DEST]: the binary (stripped of debug info) and every library
# ldd lists for it, at the same paths in the guest.
add_binary() { BIN_SRC+=("$1"); BIN_DST+=("$R${2:-$1}"); }
install_binaries() {
    local i libs
    rm -f "${BIN_DST[@]}"   # never write through a busybox applet link
    for i in "${!BIN_SRC[@]}"; do cp -L --preserve=mode "${BIN_SRC[$i]}" "${BIN_DST[$i]}" || die "cannot copy ${BIN_SRC[$i]}"; done
    strip --strip-debug "${BIN_DST[@]}" 2>/dev/null
    libs=$(ldd "${BIN_SRC[@]}" 2>/dev/null | awk '/=> \// {print $3} /^\t\// {print $1}' | sort -u)
    # --parents puts /lib/x86_64-linux-gnu/libc.so.6 at $R/lib/..., i.e. $R/usr/lib/...
    [ -z "$libs" ] || cp -L --parents $libs "$R/" || die "cannot copy the libraries"
}

BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || BUSYBOX=$(command -v busybox) || skip "no busybox"
ldd "$BUSYBOX" >/dev/null 2>&1 && skip "$BUSYBOX is not static (apt-get install busybox-static)"
applet_links() { vm_applet_links "$BUSYBOX" "$1" || die "making busybox links failed"; }
cp -L "$BUSYBOX" "$R/usr/bin/busybox"
applet_links "$R/usr/bin"
cp -L "$BUSYBOX" "$T/bin/busybox"
applet_links "$T/bin"
echo 'root:x:0:0:root:/root:/bin/sh' >"$T/etc/passwd"
echo 'root:x:0:' >"$T/etc/group"
add_binary /bin/bash /usr/bin/bash
add_binary /usr/bin/jq
add_binary "$RRUN" /usr/local/bin/rrun
add_binary /usr/bin/newuidmap
add_binary /usr/bin/newgidmap
for b in $EXTRA_BINARIES; do
    p=$(command -v "$b") || die "a guest script needs $b, which is not on this host (add its package to # vm-packages:)"
    add_binary "$p"
done
mkdir -p "${BIN_DST[@]%/*}"
install_binaries
chmod 4755 "$R/usr/bin/newuidmap" "$R/usr/bin/newgidmap"   # setuid root, as the uidmap package installs them

# Kernel modules the scripts asked for, with what they depend on (from each
# module's .modinfo, since the package has no modules.dep before depmod).
MODDIR=$KDIR/lib/modules/$KVER
if [ -n "$EXTRA_MODULES" ] && [ ! -e "$KDIR/.modules" ] && [ ! -d "$MODDIR/kernel" ]; then
    flock 9
    if [ ! -e "$KDIR/.modules" ]; then
        say "unpacking the kernel modules (once)"
        dpkg -x "$KDIR"/*.deb "$KDIR" && touch "$KDIR/.modules" || die "dpkg -x of $KDIR/*.deb failed"
    fi
    flock -u 9
fi
: >"$R/etc/rrun-vm/modules"
add_module() {
    local m=${1//-/_} f dep
    grep -qx "$m" "$R/etc/rrun-vm/modules.seen" 2>/dev/null && return 0
    echo "$m" >>"$R/etc/rrun-vm/modules.seen"
    if grep -Eq "/${m//_/[-_]}\.ko$" "$MODDIR/modules.builtin" 2>/dev/null; then return 0; fi
    f=$(find "$MODDIR/kernel" -name "$m.ko*" -o -name "${m//_/-}.ko*" | head -1)
    [ -n "$f" ] || die "no kernel module $m in $KDIR"
    for dep in $(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | tr ',' ' '); do add_module "$dep"; done
    case $f in
        *.xz) xz -dc "$f" >"$R/lib/modules/$m.ko" ;;
        *.zst) zstd -qdc "$f" >"$R/lib/modules/$m.ko" ;;
        *) cp "$f" "$R/lib/modules/$m.ko" ;;
    esac
    echo "$m" >>"$R/etc/rrun-vm/modules"   # after its dependencies
}
for m in $EXTRA_MODULES; do add_module "$m"; done
rm -f "$R/etc/rrun-vm/modules.seen"

# The guest scripts and their lib.
cp "$GUEST_DIR/lib.sh" "${SCRIPTS[@]}" "$R/tests/vm/guest/"
printf '%s\n' "${SCRIPTS[@]##*/}" >"$R/etc/rrun-vm/scripts"
echo "SCRIPT_TIMEOUT=$SCRIPT_TIMEOUT" >"$R/etc/rrun-vm/config"

# Users: root and the unprivileged test user, with subordinate id ranges.
cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
rrun-test:x:1000:1000:rrun test user:/home/rrun-test:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$R/etc/group" <<'EOF'
root:x:0:
rrun-test:x:1000:
nogroup:x:65534:
EOF
echo 'rrun-test:100000:65536' >"$R/etc/subuid"
echo 'rrun-test:100000:65536' >"$R/etc/subgid"
printf '/bin/sh\n/bin/bash\n' >"$R/etc/shells"
echo 'hosts: files' >"$R/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' >"$R/etc/hosts"

# Stage 1 runs on the initramfs itself, where pivot_root(2) is refused
# (EINVAL: rootfs cannot be moved). It copies everything to a tmpfs and
# switch_roots there, so containers get a normal root to pivot from.
cat >"$R/init" <<'EOF'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p /newroot
mount -t tmpfs -o mode=0755 tmpfs /newroot
for f in /*; do
    case $f in /newroot|/proc|/sys|/dev|/init) ;; *) cp -a "$f" /newroot/ ;; esac
done
mkdir -p /newroot/proc /newroot/sys /newroot/dev
exec switch_root /newroot /sbin/rrun-vm-init
EOF
chmod 755 "$R/init"
cp "$HERE/guest-init.sh" "$R/usr/sbin/rrun-vm-init"
cp "$HERE/tap-tally.sh" "$R/usr/share/rrun-vm/"
chmod 755 "$R/usr/sbin/rrun-vm-init"

INITRD=$WORK/initrd.gz
(cd "$R" && find . | cpio -o -H newc -R +0:+0 --quiet 2>/dev/null | gzip -1 >"$INITRD") || die "building the initramfs failed"
# cpio -R +0:+0 makes everything root-owned; the user's home is fixed up by the guest init.
say "initramfs $(du -h "$INITRD" | cut -f1) with ${#SCRIPTS[@]} guest script(s) ($(elapsed))"

# ---------------------------------------------------------------- boot
CONSOLE=$WORK/console.log
APPEND="console=ttyS0 cgroup_no_v1=all panic=-1 quiet ${RRUN_VM_APPEND:-}"
timeout -k 5 "$TIMEOUT" "$QEMU" \
    -accel tcg,thread=multi -cpu max -smp 2 -m 1024 \
    -nographic -no-reboot -net none \
    -kernel "$BOOT_KERNEL" -initrd "$INITRD" -append "$APPEND" \
    </dev/null >"$CONSOLE" 2>&1
qrc=$?
# Without the carriage returns and the terminal escapes SeaBIOS prints.
tr -d '\r' <"$CONSOLE" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' >"$CONSOLE.txt"
KEEP=${RRUN_VM_CONSOLE:-$(dirname "$RRUN")/vm-console.log}
cp "$CONSOLE.txt" "$KEEP" 2>/dev/null || KEEP=$CONSOLE.txt

# The guest prints everything between these markers; show it as the test output.
sed -n '/# rrun-vm: begin/,/^# rrun-vm: end/p' "$CONSOLE.txt" | sed '/# rrun-vm: begin/d'
summary=$(grep -E '^# [0-9]+ passed, [0-9]+ failed$' "$CONSOLE.txt" | tail -1)
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
    echo "not ok - the guest did not power off within ${TIMEOUT}s (console log: $KEEP)"
    tail -n 30 "$CONSOLE.txt"
    exit 1
fi
if [ -z "$summary" ] || ! grep -q '^# rrun-vm: end' "$CONSOLE.txt"; then
    echo "not ok - the guest printed no result (qemu exit $qrc; console log: $KEEP)"
    tail -n 30 "$CONSOLE.txt"
    exit 1
fi
passed=$(echo "$summary" | awk '{print $2}')
failed=$(echo "$summary" | awk '{print $4}')
say "done in $(elapsed): $passed passed, $failed failed (console log: $KEEP)"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
