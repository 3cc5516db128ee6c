#pragma once
// Mounts made from fds (issue #22): a new mount is made detached (fsopen +
// fsmount, or open_tree(OPEN_TREE_CLONE) of a checked fd), given its
// attributes there with mount_setattr, and attached with move_mount onto a
// destination fd resolved inside the rootfs. Nothing is looked up by name a
// second time, so a racing rename (CVE-2021-30465's RENAME_EXCHANGE) cannot
// send a read-only remount to another mount. No allocation: between clone and exec.

namespace rrun {

// A detached copy of the mount tree at DIRFD/PATH ("" and AT_EMPTY_PATH:
// the fd itself), its submounts too with RECURSIVE. -1 and errno on failure.
int clone_mount(int dirfd, const char* path, bool recursive);
// A detached mount of a new TYPE filesystem: SOURCE, the comma-separated
// DATA options (a value may be "quoted", commas and all) and the
// superblock flags of FLAGS go to fsconfig; its per-mount flags (MS_RDONLY,
// MS_NOSUID...) are the mount's attributes. -1 and errno on failure.
int new_fs_mount(const char* type, const char* source, const char* data, unsigned long flags);
// The per-mount flags of FLAGS, and no others, on the mount MNT (detached or
// not), as a bind remount of mount(2) sets them; where a user namespace has
// locked flags of the mount (nosuid, nodev, noexec, its atime), they are kept.
int set_mount_flags(int mnt, unsigned long flags);
// The mount MNT and its filesystem read-only (mount(2)'s MS_REMOUNT | MS_RDONLY
// on a filesystem rrun made: runc's tmpfs "ro"), through the mount's fd.
int make_fs_readonly(int mnt);
// Adds flags ATTR_SET (MOUNT_ATTR_*) to the mount MNT, and to its submounts with RECURSIVE.
int add_mount_attrs(int mnt, unsigned long long attr_set, unsigned long long attr_clr, bool recursive);
// Propagation (MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, with MS_REC) of the mount MNT.
int set_mount_propagation(int mnt, unsigned long propagation);
// Attaches the detached mount MNT on the path the fd TARGET names.
int attach_mount(int mnt, int target);

}  // namespace rrun
