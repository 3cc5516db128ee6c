#include "fs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <dirent.h>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "error.hpp"

namespace rrun {

void throw_sys(int err, const std::string& what) {
    throw Error(what + ": " + std::strerror(err));
}

void throw_errno(const std::string& what) { throw_sys(errno, what); }

constexpr size_t max_file_size = 64 << 20;

static std::string read_all(int fd, const std::string& what) {
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read " + what);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        // Nothing rrun reads is this large: /dev/zero given as a config must not eat the host's memory.
        if (out.size() > max_file_size) throw Error("read " + what + ": larger than 64 MiB");
    }
    return out;
}

std::string read_file(const std::string& path) { return read_file_at(AT_FDCWD, path); }

const std::string& self_mountinfo() {
    static const std::string text = read_file("/proc/self/mountinfo");
    return text;
}

const std::string& self_cgroup_file() {
    static const std::string text = read_file("/proc/self/cgroup");
    return text;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    for (size_t at = 0; at < s.size();) {
        size_t end = s.find(sep, at);
        if (end == std::string::npos) end = s.size();
        out.push_back(s.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

std::string read_file_at(int dirfd, const std::string& name) {
    unique_fd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + name);
    return read_all(fd.get(), name);
}

static void write_all(int fd, std::string_view data, const std::string& what) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write " + what);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

void write_existing_file(const std::string& path, std::string_view data) {
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    write_all(fd.get(), data, path);
}

void write_file_atomic_at(int dirfd, const std::string& name, std::string_view data, mode_t mode) {
    std::string tmp = name + ".tmp." + std::to_string(::getpid());
    unique_fd fd(::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd) throw_errno("create " + tmp);
    try {
        write_all(fd.get(), data, tmp);
        if (::fchmod(fd.get(), mode) < 0) throw_errno("chmod " + tmp);
    } catch (...) {
        ::unlinkat(dirfd, tmp.c_str(), 0);
        throw;
    }
    fd.reset();
    if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) < 0) {
        int err = errno;
        ::unlinkat(dirfd, tmp.c_str(), 0);
        throw_sys(err, "rename " + tmp + " to " + name);
    }
}

void write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
    write_file_atomic_at(AT_FDCWD, path, data, mode);
}

int openat2_resolve(int dirfd, const char* path, int flags, unsigned long long resolve) {
    struct open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = resolve;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

void mkdir_p(const std::string& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) == 0) return;
    if (errno == EEXIST) {
        struct stat st;
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
        throw Error("mkdir " + path + ": exists and is not a directory");
    }
    if (errno != ENOENT) throw_errno("mkdir " + path);
    auto slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) mkdir_p(path.substr(0, slash), mode);
    if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

static void remove_tree_at(int dirfd, const char* name) {
    if (::unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return;
    if (errno != EISDIR && errno != EPERM) throw_errno(std::string("remove ") + name);
    int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return;
        throw_errno(std::string("open ") + name);
    }
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
        ::close(fd);
        throw_errno(std::string("opendir ") + name);
    }
    std::vector<std::string> entries;
    while (auto* de = ::readdir(dir)) {
        if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) entries.emplace_back(de->d_name);
    }
    for (auto& e : entries) remove_tree_at(::dirfd(dir), e.c_str());
    ::closedir(dir);
    if (::unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) throw_errno(std::string("rmdir ") + name);
}

void remove_tree(const std::string& path) { remove_tree_at(AT_FDCWD, path.c_str()); }

bool path_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string join_path(const std::string& a, const std::string& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    if (a.back() == '/') return b.front() == '/' ? a + b.substr(1) : a + b;
    return b.front() == '/' ? a + b : a + "/" + b;
}

std::string absolute_path(const std::string& path) {
    std::string full = path;
    if (full.empty() || full[0] != '/') {
        char cwd[PATH_MAX];
        if (!::getcwd(cwd, sizeof cwd)) throw_errno("getcwd");
        full = join_path(cwd, path);
    }
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < full.size()) {
        size_t j = full.find('/', i);
        if (j == std::string::npos) j = full.size();
        std::string part = full.substr(i, j - i);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(std::move(part));
        }
        i = j + 1;
    }
    std::string out;
    for (auto& p : parts) out += "/" + p;
    return out.empty() ? "/" : out;
}

}  // namespace rrun
