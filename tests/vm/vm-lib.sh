# Host-side helpers shared by the VM runners (run-in-vm.sh: the initramfs
# guest; run-in-systemd-guest.sh: the Debian guest with systemd as PID 1).
# Sourced, not run. Each runner defines say() and skip() (prints a reason and
# exits 77) before sourcing this.

# vm_need_packages PKG...: apt-get installs the ones not installed (skips the
# run when that cannot be done). apt-get update only when an install fails.
VM_APT_UPDATED=0
vm_apt_update() {
    [ $VM_APT_UPDATED -eq 1 ] && return 0
    apt-get update -qq >/dev/null 2>&1 || return 1
    VM_APT_UPDATED=1
}
vm_need_packages() {
    local p installed missing=()
    installed=" $(dpkg-query -W -f='${db:Status-Status}:${Package} ' "$@" 2>/dev/null) "
    for p in "$@"; do [[ "$installed" == *" installed:$p "* ]] || missing+=("$p"); done
    [ ${#missing[@]} -gt 0 ] || return 0
    [ "$(id -u)" -eq 0 ] || skip "needs root to apt-get install ${missing[*]}"
    command -v apt-get >/dev/null || skip "no apt-get to install ${missing[*]}"
    say "installing ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        vm_apt_update || skip "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
            skip "apt-get install ${missing[*]} failed"
    fi
}

# vm_cache_dir: sets CACHE to $RRUN_VM_CACHE (default /var/cache/rrun-vm),
# or ~/.cache/rrun-vm when that is not writable.
vm_cache_dir() {
    CACHE=${RRUN_VM_CACHE:-/var/cache/rrun-vm}
    if ! mkdir -p "$CACHE" 2>/dev/null || [ ! -w "$CACHE" ]; then
        CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/rrun-vm
        mkdir -p "$CACHE" || skip "no writable cache directory for the VM kernel and images"
    fi
}

# vm_pvh_kernel VMLINUZ PVH: unpacks the bzImage's xz payload into PVH when it
# is an ELF with a PVH entry note. Booting it skips SeaBIOS's real-mode loader
# and the xz decompression, which take ~10 s under TCG. Fails (and leaves no
# PVH) when the kernel is not xz or has no PVH note: boot the bzImage then.
vm_pvh_kernel() {
    local vmlinuz=$1 pvh=$2 off
    off=$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$vmlinuz" 2>/dev/null | head -1 | cut -d: -f1)
    # (no pipes into early-exiting readers here: pipefail would see their SIGPIPE)
    if [ -n "$off" ] && xz -dcq --single-stream < <(tail -c +$((off + 1)) "$vmlinuz") >"$pvh.tmp" 2>/dev/null &&
        [[ "$(readelf -n "$pvh.tmp" 2>/dev/null)" == *"note type: (0x00000012)"* ]]; then  # XEN_ELFNOTE_PHYS32_ENTRY
        mv "$pvh.tmp" "$pvh"
    else
        rm -f "$pvh.tmp"
        return 1
    fi
}

# vm_applet_links BUSYBOX DIR: a symlink DIR/APPLET -> busybox for every
# applet, made by one perl (Essential on Debian) where a loop of `ln` forks
# costs seconds here. Symlinks, not hard links: busybox cp copies each hard
# link in full.
vm_applet_links() {
    local busybox=$1 dir=$2 a
    if command -v perl >/dev/null; then
        "$busybox" --list | D=$dir perl -ne 'chomp; next if $_ eq "busybox";
            symlink("busybox", "$ENV{D}/$_") or -e "$ENV{D}/$_" or die "$_: $!\n"' || return 1
    else
        for a in $("$busybox" --list); do [ "$a" = busybox ] || [ -e "$dir/$a" ] || ln -s busybox "$dir/$a"; done
    fi
}

# vm_rrun: RRUN, made absolute; the run stops when it is not an executable.
vm_rrun() {
    : "${RRUN:?RRUN must point at the built rrun binary}"
    RRUN=$(readlink -f "$RRUN")
    [ -x "$RRUN" ] || die "RRUN=$RRUN is not an executable"
}

# vm_select_scripts DIR [NAME|PATH...]: SCRIPTS, the guest scripts to run:
# those named (a path, or a name in DIR with or without .sh), else every
# DIR/*.sh but lib.sh.
vm_select_scripts() {
    local dir=$1 a s
    shift
    SCRIPTS=()
    if [ $# -gt 0 ]; then
        for a in "$@"; do
            if [ -f "$a" ]; then SCRIPTS+=("$(readlink -f "$a")")
            elif [ -f "$dir/$a" ]; then SCRIPTS+=("$dir/$a")
            elif [ -f "$dir/$a.sh" ]; then SCRIPTS+=("$dir/$a.sh")
            else die "no guest script $a (looked in $dir)"; fi
        done
    else
        for s in "$dir"/*.sh; do
            [ "$(basename "$s")" = lib.sh ] || SCRIPTS+=("$s")
        done
    fi
    [ ${#SCRIPTS[@]} -gt 0 ] || die "no guest scripts"
}
