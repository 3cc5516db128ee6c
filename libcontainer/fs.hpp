#pragma once
#include <sys/types.h>
#include <string>
#include <string_view>
#include <vector>

#include "unique_fd.hpp"

namespace rrun {

std::string read_file(const std::string& path);
// Reads a file relative to a directory fd.
std::string read_file_at(int dirfd, const std::string& name);
// /proc/self/mountinfo and /proc/self/cgroup as this process first read them.
// The cgroup layout and the rootfs plan both take them apart before the clone,
// while rrun has mounted nothing in its own namespace: read once, not twice
// (generating mountinfo costs ~1.5 us per mount). Not for the container's side.
const std::string& self_mountinfo();
const std::string& self_cgroup_file();
// Writes to an existing file (proc, sysfs, cgroup files): no create, no truncate.
void write_existing_file(const std::string& path, std::string_view data);
// Writes data to a temporary file beside PATH and renames it over PATH, so a
// reader never sees a half-written file.
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644);
void write_file_atomic_at(int dirfd, const std::string& name, std::string_view data, mode_t mode = 0644);
void mkdir_p(const std::string& path, mode_t mode);
// openat2(2) with RESOLVE (RESOLVE_* flags), O_CLOEXEC added; -1 and errno on
// failure. No allocation: safe in the child between clone and exec.
int openat2_resolve(int dirfd, const char* path, int flags, unsigned long long resolve);
// Removes a directory tree without following symlinks; missing is fine.
void remove_tree(const std::string& path);
bool path_exists(const std::string& path);
// Absolute, lexically cleaned form of PATH (relative to the cwd).
std::string absolute_path(const std::string& path);
std::string join_path(const std::string& a, const std::string& b);
// The parts of S between SEP ("a\n\nb\n" -> a, "", b), without iostreams,
// whose locale setup costs every command that makes one.
std::vector<std::string> split(const std::string& s, char sep);

}  // namespace rrun
