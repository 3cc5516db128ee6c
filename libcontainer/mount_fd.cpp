#include "mount_fd.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace rrun {

namespace {

constexpr unsigned long long per_mount_attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                               MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR__ATIME |
                                               MOUNT_ATTR_NOSYMFOLLOW;

// MS_* per-mount flags as MOUNT_ATTR_* (the atime mode: relatime unless one is given, as mount(2)).
unsigned long long attrs_of(unsigned long flags) {
    unsigned long long a = 0;
    if (flags & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
    if (flags & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
    if (flags & MS_NODEV) a |= MOUNT_ATTR_NODEV;
    if (flags & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
    if (flags & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
    if (flags & MS_NOSYMFOLLOW) a |= MOUNT_ATTR_NOSYMFOLLOW;
    if (flags & MS_NOATIME) a |= MOUNT_ATTR_NOATIME;
    else if (flags & MS_STRICTATIME) a |= MOUNT_ATTR_STRICTATIME;
    return a;
}

int setattr(int mnt, unsigned long long set, unsigned long long clr, unsigned propagation, bool recursive) {
    struct mount_attr attr{};
    attr.attr_set = set;
    attr.attr_clr = clr;
    attr.propagation = propagation;
    return ::mount_setattr(mnt, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr);
}

// One fsconfig call for "KEY" or "KEY=VALUE" (KEY is cut at the '=').
int config_option(int fs, char* opt) {
    if (!*opt) return 0;
    char* eq = strchr(opt, '=');
    if (!eq) return ::fsconfig(fs, FSCONFIG_SET_FLAG, opt, nullptr, 0);
    *eq = 0;
    char* value = eq + 1;
    size_t len = strlen(value);
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {  // context="a,b": the quotes are mount(2)'s syntax
        value[len - 1] = 0;
        value++;
    }
    return ::fsconfig(fs, FSCONFIG_SET_STRING, opt, value, 0);
}

int config_data(int fs, const char* data) {
    static char buf[8192];
    size_t len = strlen(data);
    if (len >= sizeof buf) {
        errno = E2BIG;
        return -1;
    }
    memcpy(buf, data, len + 1);
    char* opt = buf;
    bool quoted = false;
    for (char* p = buf;; p++) {
        if (*p == '"') quoted = !quoted;
        if (*p && (*p != ',' || quoted)) continue;
        bool end = !*p;
        *p = 0;
        if (config_option(fs, opt) < 0) return -1;
        if (end) return 0;
        opt = p + 1;
    }
}

}  // namespace

int clone_mount(int dirfd, const char* path, bool recursive) {
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0) | (*path ? 0 : AT_EMPTY_PATH);
    return ::open_tree(dirfd, path, flags);
}

int new_fs_mount(const char* type, const char* source, const char* data, unsigned long flags) {
    int fs = ::fsopen(type, FSOPEN_CLOEXEC);
    if (fs < 0) return -1;
    static constexpr struct {
        unsigned long flag;
        const char* name;
    } sb_flags[] = {{MS_RDONLY, "ro"}, {MS_SYNCHRONOUS, "sync"}, {MS_DIRSYNC, "dirsync"}, {MS_LAZYTIME, "lazytime"}, {MS_MANDLOCK, "mand"}};
    int rc = source && *source ? ::fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) : 0;
    for (auto& f : sb_flags)
        if (rc == 0 && (flags & f.flag)) rc = ::fsconfig(fs, FSCONFIG_SET_FLAG, f.name, nullptr, 0);
    if (rc == 0 && data && *data) rc = config_data(fs, data);
    if (rc == 0) rc = ::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0);
    int mnt = rc < 0 ? -1 : ::fsmount(fs, FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs_of(flags)));
    int err = errno;
    ::close(fs);
    errno = err;
    return mnt;
}

int make_fs_readonly(int mnt) {
    if (add_mount_attrs(mnt, MOUNT_ATTR_RDONLY, 0, false) < 0) return -1;
    int fs = ::fspick(mnt, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC);
    if (fs < 0) return -1;
    int rc = ::fsconfig(fs, FSCONFIG_SET_FLAG, "ro", nullptr, 0);
    if (rc == 0) rc = ::fsconfig(fs, FSCONFIG_CMD_RECONFIGURE, nullptr, nullptr, 0);
    int err = errno;
    ::close(fs);
    errno = err;
    return rc;
}

int set_mount_flags(int mnt, unsigned long flags) {
    unsigned long long set = attrs_of(flags);
    if (setattr(mnt, set, per_mount_attrs, 0, false) == 0) return 0;
    if (errno != EPERM) return -1;
    // Locked by a user namespace: keep the ones the mount has, and its atime mode.
    struct statvfs sfs;
    if (::fstatvfs(mnt, &sfs) < 0) return -1;
    unsigned long long clr = per_mount_attrs & ~(MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME);
    if (sfs.f_flag & ST_NOSUID) clr &= ~MOUNT_ATTR_NOSUID;
    if (sfs.f_flag & ST_NODEV) clr &= ~MOUNT_ATTR_NODEV;
    if (sfs.f_flag & ST_NOEXEC) clr &= ~MOUNT_ATTR_NOEXEC;
    if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) clr |= MOUNT_ATTR__ATIME;
    else set &= ~MOUNT_ATTR__ATIME;
    if (flags & MS_NODIRATIME) clr |= MOUNT_ATTR_NODIRATIME;
    return setattr(mnt, set, clr, 0, false);
}

int add_mount_attrs(int mnt, unsigned long long attr_set, unsigned long long attr_clr, bool recursive) {
    return setattr(mnt, attr_set, attr_clr, 0, recursive);
}

int set_mount_propagation(int mnt, unsigned long propagation) {
    return setattr(mnt, 0, 0, static_cast<unsigned>(propagation & ~MS_REC), propagation & MS_REC);
}

int attach_mount(int mnt, int target) {
    return ::move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

}  // namespace rrun
