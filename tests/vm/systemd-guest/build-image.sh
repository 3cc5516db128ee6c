#!/bin/bash
# The recipe of the systemd guest image (run by tests/vm/run-in-systemd-guest.sh,
# as root, under its cache lock): debootstrap of Debian 12 with the packages of
# ./packages, configured to boot under qemu with systemd as PID 1 and run the
# tests of a 9p share in a oneshot unit, packed into an ext4 disk image.
#
#   build-image.sh OUT DEBCACHE MIRROR
#
# Leaves in OUT: disk.img (ext4, sparse), vmlinuz, initrd.img, vmlinux-pvh
# (when the kernel has a PVH entry), debootstrap.log. The debootstrap tree
# (OUT/root, ~1.1 GB) is removed once the image is made. Exit 2: debootstrap
# failed (no network or mirror: the caller skips), 1: anything else.
#
# Any change to this file or to ./packages changes the cache key and makes
# the next run rebuild the image.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$1 DEBCACHE=$2 MIRROR=$3
R=$OUT/root
say() { echo "# sysd: $*"; }
die() { echo "build-image.sh: $*" >&2; exit 1; }
skip() { die "$*"; }
source "$HERE/../vm-lib.sh"

PACKAGES=$(sed 's/#.*//' "$HERE/packages" | tr -s ' \t\n' '\n' | sed '/^$/d' | paste -sd,)
mkdir -p "$DEBCACHE"
rm -rf "$R"
if ! debootstrap --variant=minbase --cache-dir="$DEBCACHE" --include="$PACKAGES" bookworm "$R" "$MIRROR" \
        >"$OUT/debootstrap.log" 2>&1; then
    tail -n 15 "$OUT/debootstrap.log" >&2
    rm -rf "$R"
    exit 2
fi

# ---- configuration
echo sysd-guest >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 sysd-guest\n' >"$R/etc/hosts"
# The 9p share (security_model=none on the host: files keep the host's owners).
cat >"$R/etc/fstab" <<'FSTAB'
/dev/vda  /          ext4  rw,errors=remount-ro  0 1
share     /opt/test  9p    trans=virtio,version=9p2000.L,msize=1048576,nofail,x-systemd.device-timeout=10s  0 0
FSTAB
mkdir -p "$R/opt/test"
chroot "$R" passwd -d root >/dev/null   # console login, for debugging with RRUN_SYSD_SHELL=1
# The rootless user, as tests/vm/guest/lib.sh names it, with linger so that
# user@1000.service and its session bus /run/user/1000/bus are up at boot.
chroot "$R" useradd -m -u 1000 -U -s /bin/bash rrun-test
echo 'rrun-test:100000:65536' >"$R/etc/subuid"
echo 'rrun-test:100000:65536' >"$R/etc/subgid"
mkdir -p "$R/var/lib/systemd/linger"
touch "$R/var/lib/systemd/linger/rrun-test"   # = loginctl enable-linger rrun-test
# Nothing that waits for input or runs for nothing at boot.
for u in serial-getty@ttyS0.service getty@tty1.service systemd-firstboot.service \
         apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
         e2scrub_reap.service fstrim.timer podman-auto-update.timer podman-auto-update.service \
         podman-restart.service podman.service podman.socket systemd-pstore.service \
         man-db.timer logrotate.timer; do
    ln -sf /dev/null "$R/etc/systemd/system/$u"
done
rm -f "$R/etc/systemd/system/multi-user.target.wants/containerd.service"   # tests start it when needed
# The test unit: after multi-user.target and the user manager, the console as
# its output, then poweroff. Not `systemctl is-system-running --wait` in
# there: the unit is part of the boot transaction it would wait for.
cat >"$R/etc/systemd/system/rrun-guest-test.service" <<'UNIT'
[Unit]
Description=rrun guest tests (/opt/test/guest-run.sh)
After=multi-user.target user@1000.service
Wants=user@1000.service
RequiresMountsFor=/opt/test
ConditionPathExists=/opt/test/guest-run.sh
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=oneshot
ExecStart=/bin/bash /opt/test/guest-run.sh
StandardInput=null
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TTYVHangup=no
TTYReset=no
TimeoutStartSec=infinity
[Install]
WantedBy=graphical.target
UNIT
# graphical.target (the default) wants it; After=multi-user.target, so no ordering cycle.
mkdir -p "$R/etc/systemd/system/graphical.target.wants"
ln -sf /etc/systemd/system/rrun-guest-test.service "$R/etc/systemd/system/graphical.target.wants/"
# A busybox container rootfs template (tests/vm/guest/lib.sh's make_rootfs
# copies it): merged /usr, as busybox's own --install links assume.
T=$R/usr/share/rrun-vm/rootfs
mkdir -p "$T"/usr/bin "$T"/{etc,proc,sys,dev,tmp,root,run}
ln -s usr/bin "$T/bin"; ln -s usr/bin "$T/sbin"; ln -s bin "$T/usr/sbin"
cp -L "$R/bin/busybox" "$T/usr/bin/busybox"
vm_applet_links "$T/usr/bin/busybox" "$T/usr/bin" || die "making busybox links failed"
echo 'root:x:0:0:root:/root:/bin/sh' >"$T/etc/passwd"
echo 'root:x:0:' >"$T/etc/group"
# A small initrd: only what mounting /dev/vda (virtio, ext4) needs.
echo 'MODULES=list' >"$R/etc/initramfs-tools/conf.d/sysd-guest.conf"
printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic >>"$R/etc/initramfs-tools/modules"
KVER=$(ls "$R/lib/modules" | head -1)
[ -n "$KVER" ] && [ -f "$R/boot/vmlinuz-$KVER" ] || die "no kernel in the tree"
chroot "$R" update-initramfs -u -k "$KVER" >/dev/null 2>&1 || die "update-initramfs failed"
cp "$R/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
cp "$R/boot/initrd.img-$KVER" "$OUT/initrd.img"
vm_pvh_kernel "$OUT/vmlinuz" "$OUT/vmlinux-pvh" || say "no PVH entry in $KVER: booting the bzImage"
# apt's lists and caches are not needed in the guest (no network there).
rm -rf "$R"/var/cache/apt/*.bin "$R"/var/lib/apt/lists/*

# ---- disk image
rm -f "$OUT/disk.img"
mkfs.ext4 -q -L sysd-root -d "$R" -F "$OUT/disk.img" 4G || die "mkfs.ext4 -d failed"
rm -rf "$R"
