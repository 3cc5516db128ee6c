#include "exe_seal.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "error.hpp"
#include "unique_fd.hpp"

extern char** environ;

namespace rrun {

namespace {

// Set across our own re-exec only: if the new image is still not protected,
// fail instead of looping. It cannot be used to skip the protection.
constexpr const char* reexec_marker = "_RRUN_EXE_PROTECTED";
constexpr int memfd_seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

bool protected_image(int exe) {
    int seals = ::fcntl(exe, F_GET_SEALS);
    if (seals >= 0 && (seals & memfd_seals) == memfd_seals) return true;
    struct statvfs sv;
    return ::fstatvfs(exe, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

// A container process writes as the container's users: root of the host
// when there is no user namespace, else (rootless) our own uid.
bool writable_from_container(int exe) {
    if (::geteuid() == 0) return true;
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", exe);
    return ::faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == 0;
}

// A bind mount of just the binary, read-only, in no mount namespace: the
// kernel refuses writes through any path to it (EROFS), and it goes away with
// the last process running from it.
unique_fd readonly_bind() {
    unique_fd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
    if (!tree) return tree;
    struct mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) return unique_fd();
    return tree;
}

// Where mounting is not ours to do (rootless): a sealed in-memory copy.
unique_fd sealed_copy(int exe) {
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
    unique_fd mem(::memfd_create("rrun", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC));
    if (!mem && errno == EINVAL) mem.reset(::memfd_create("rrun", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!mem) throw_errno("protect the rrun binary: memfd_create");
    struct stat st;
    if (::fstat(exe, &st) < 0) throw_errno("protect the rrun binary: stat /proc/self/exe");
    off_t offset = 0;
    while (offset < st.st_size) {
        ssize_t n = ::sendfile(mem.get(), exe, &offset, static_cast<size_t>(st.st_size - offset));
        if (n <= 0) throw_errno("protect the rrun binary: copy /proc/self/exe");
    }
    if (::fcntl(mem.get(), F_ADD_SEALS, memfd_seals) < 0) throw_errno("protect the rrun binary: seal the copy");
    return mem;
}

}  // namespace

void protect_own_binary(char** argv) {
    unique_fd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!exe) throw_errno("open /proc/self/exe");
    bool reexecuted = std::getenv(reexec_marker) != nullptr;
    if (reexecuted) {
        ::unsetenv(reexec_marker);
        // execveat named us after the fd ("4"): take our name back for ps.
        const char* slash = std::strrchr(argv[0], '/');
        ::prctl(PR_SET_NAME, slash ? slash + 1 : argv[0], 0, 0, 0);
    }
    if (protected_image(exe.get()) || !writable_from_container(exe.get())) return;
    if (reexecuted) throw Error("cannot run rrun from a read-only image of its binary (CVE-2019-5736 protection)");
    unique_fd image = readonly_bind();
    if (!image) image = sealed_copy(exe.get());
    exe.reset();
    ::setenv(reexec_marker, "1", 1);
    ::syscall(SYS_execveat, image.get(), "", argv, environ, AT_EMPTY_PATH);
    throw_errno("re-execute rrun from a read-only image of its binary");
}

}  // namespace rrun
