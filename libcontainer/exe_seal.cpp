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

extern char** environ;
#ifdef RRUN_EXEC_HELPER
extern "C" const char rrun_exec_image[], rrun_exec_image_end[];  // exec_helper_blob.S
#endif

namespace rrun {

namespace {

char** saved_argv = nullptr;

// Set across our own re-exec only: if the new image is still not protected,
// fail instead of looping. It cannot be used to skip the protection.
constexpr const char* reexec_marker = "_RRUN_EXE_PROTECTED";
bool reexecuted = false;
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

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

unique_fd executable_memfd(const char* name) {
    unique_fd mem(::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC));
    if (!mem && errno == EINVAL) mem.reset(::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
    return mem;
}

// rrun-exec in a sealed memfd; an empty fd when the kernel will not have one
// (vm.memfd_noexec) or this architecture has no rrun-exec (CMakeLists.txt).
unique_fd exec_helper_image() {
#ifndef RRUN_EXEC_HELPER
    return unique_fd();
#else
    unique_fd mem = executable_memfd("rrun-exec");
    if (!mem) return mem;
    size_t size = static_cast<size_t>(rrun_exec_image_end - rrun_exec_image);
    if (::write(mem.get(), rrun_exec_image, size) != static_cast<ssize_t>(size) ||
        ::fcntl(mem.get(), F_ADD_SEALS, memfd_seals) < 0)
        throw_errno("protect the rrun binary: seal rrun-exec");
    return mem;
#endif
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
    unique_fd mem = executable_memfd("rrun");
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

[[noreturn]] void reexecute_protected(unique_fd exe) {
    if (reexecuted) throw Error("cannot run rrun from a read-only image of its binary (CVE-2019-5736 protection)");
    unique_fd image = readonly_bind();
    if (!image) image = sealed_copy(exe.get());
    exe.reset();
    ::setenv(reexec_marker, "1", 1);
    ::syscall(SYS_execveat, image.get(), "", saved_argv, environ, AT_EMPTY_PATH);
    throw_errno("re-execute rrun from a read-only image of its binary");
}

}  // namespace

void remember_argv(char** argv) {
    saved_argv = argv;
    if (!std::getenv(reexec_marker)) return;
    reexecuted = true;
    ::unsetenv(reexec_marker);
    // execveat named us after the fd ("4"): take our name back for ps.
    const char* slash = std::strrchr(argv[0], '/');
    ::prctl(PR_SET_NAME, slash ? slash + 1 : argv[0], 0, 0, 0);
}

unique_fd exec_protection(const Process& proc) {
    unique_fd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!exe) throw_errno("open /proc/self/exe");
    if (protected_image(exe.get()) || !writable_from_container(exe.get())) return unique_fd();
    if (proc.apparmor_profile.empty() && proc.selinux_label.empty()) {
        unique_fd helper = exec_helper_image();
        if (helper) return helper;
    }
    reexecute_protected(std::move(exe));
}

}  // namespace rrun
