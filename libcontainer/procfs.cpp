#include "procfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "error.hpp"
#include "fs.hpp"
#include "unique_fd.hpp"

namespace rrun {

namespace {

constexpr unsigned long long proc_resolve =
    RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
constexpr ino_t proc_root_ino = 1;  // PROC_ROOT_INO

int mount_id_of(int fd, unsigned long long& id) {
    struct statx stx;
    if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0) return -1;
    id = stx.stx_mnt_id;
    return 0;
}

// FD is the root directory of a procfs instance: what a fake /proc (a
// directory, another filesystem, a procfs subdirectory bound there) is not.
bool is_proc_root(int fd) {
    struct statfs sfs;
    struct stat st;
    return ::fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC && ::fstat(fd, &st) == 0 &&
           S_ISDIR(st.st_mode) && st.st_ino == proc_root_ino;
}

// FD, opened below the handle's root, is procfs on the root's own mount.
int check_on_mount(int fd, unsigned long long root_mnt) {
    struct statfs sfs;
    unsigned long long mnt = 0;
    if (::fstatfs(fd, &sfs) < 0 || mount_id_of(fd, mnt) < 0) return -1;
    if (sfs.f_type != PROC_SUPER_MAGIC || mnt != root_mnt) {
        errno = EXDEV;
        return -1;
    }
    return 0;
}

int open_checked(int root, unsigned long long root_mnt, const char* rel, int flags) {
    int fd = openat2_resolve(root, rel, flags, proc_resolve);
    if (fd >= 0 && check_on_mount(fd, root_mnt) < 0) {
        int err = errno;
        ::close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

// The child's handle. Static: the child's helpers take no plan.
int proc_root = -1;
unsigned long long proc_root_mnt = 0;
char proc_self[16];  // our pid as the instance numbers it

int private_proc_instance() {
    int fs = ::fsopen("proc", FSOPEN_CLOEXEC);
    if (fs < 0) return -1;
    int mnt = -1;
    if (::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0)
        mnt = ::fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    int err = errno;
    ::close(fs);
    errno = err;
    return mnt;
}

}  // namespace

int proc_handle_init() {
    if (proc_root >= 0) return 0;
    int root = private_proc_instance();
    // Refused (whatever the errno: a seccomp profile may choose it): the
    // /proc we see now, before the container's mounts are made;
    // RESOLVE_NO_XDEV keeps whatever is mounted on it out of the way.
    if (root < 0) root = ::open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root < 0) return -1;
    ssize_t n = 0;
    int err = !is_proc_root(root)                                                  ? EXDEV
              : mount_id_of(root, proc_root_mnt) < 0                               ? errno
              : (n = ::readlinkat(root, "self", proc_self, sizeof proc_self - 1)) <= 0 ? (n < 0 ? errno : ENOENT)
                                                                                   : 0;
    if (err) {
        ::close(root);
        errno = err;
        return -1;
    }
    proc_self[n] = 0;
    proc_root = root;
    return 0;
}

int proc_open(const char* rel, int flags) {
    if (proc_root < 0 && proc_handle_init() < 0) return -1;
    char path[256];
    int len = strncmp(rel, "self/", 5) == 0 ? snprintf(path, sizeof path, "%s/%s", proc_self, rel + 5)
                                             : snprintf(path, sizeof path, "%s", rel);
    if (len < 0 || len >= static_cast<int>(sizeof path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return open_checked(proc_root, proc_root_mnt, path, flags);
}

void proc_handle_close() {
    if (proc_root >= 0) ::close(proc_root);
    proc_root = -1;
}

void write_proc_file(pid_t pid, const char* name, std::string_view data) {
    std::string path = "/proc/" + std::to_string(pid) + "/" + name;
    // The host's /proc, once per process: no container has mounts in the
    // runtime's mount namespace, and RESOLVE_NO_XDEV ignores any there.
    static unique_fd root;
    static unsigned long long root_mnt = 0;
    if (!root) {
        unique_fd fd(::open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) throw_errno("open /proc");
        if (!is_proc_root(fd.get())) throw Error("open " + path + ": /proc is not the root of a procfs");
        if (mount_id_of(fd.get(), root_mnt) < 0) throw_errno("statx /proc");
        root = std::move(fd);
    }
    unique_fd fd(open_checked(root.get(), root_mnt, path.c_str() + 6, O_WRONLY));
    if (!fd) throw_errno("open " + path);
    while (!data.empty()) {
        ssize_t n = ::write(fd.get(), data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("write " + path);
        data.remove_prefix(static_cast<size_t>(n));
    }
}

}  // namespace rrun
