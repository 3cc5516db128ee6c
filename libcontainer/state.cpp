#include "state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <cctype>
#include <optional>

#include <nlohmann/json.hpp>

#include "cgroups/cgroups.hpp"
#include "error.hpp"
#include "fs.hpp"

namespace rrun {
using nlohmann::json;

const char* status_name(Status s) {
    switch (s) {
        case Status::creating: return "creating";
        case Status::created: return "created";
        case Status::running: return "running";
        case Status::paused: return "paused";
        case Status::stopped: return "stopped";
    }
    return "unknown";
}

void validate_container_id(const std::string& id) {
    if (id.empty()) throw Error("invalid container id: must not be empty");
    if (id.size() > 1024) throw Error("invalid container id: longer than 1024 characters");
    if (id == "." || id == "..") throw Error("invalid container id \"" + id + "\"");
    for (unsigned char c : id) {
        // runc's set: letters, digits and _ + - . (no '/', no control characters).
        if (!(std::isalnum(c) || c == '_' || c == '+' || c == '-' || c == '.'))
            throw Error("invalid container id \"" + id + "\": only letters, digits and _+-. are allowed");
    }
}

std::string default_state_root(bool rootless) {
    if (!rootless) return "/run/rrun";
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    if (!xdg || !*xdg)
        throw Error("rootless: XDG_RUNTIME_DIR is not set; set it or pass --root DIR for the container state");
    return join_path(xdg, "rrun");
}

std::string seccomp_cache_dir(bool rootless) {
    try {
        return default_state_root(rootless) + "/.seccomp-cache";
    } catch (const Error&) {
        return {};  // rootless without XDG_RUNTIME_DIR: no cache
    }
}

static unique_fd lock_dir(const std::string& path, int fd) {
    if (::flock(fd, LOCK_EX) < 0) throw_errno("lock " + path);
    return unique_fd(fd);
}

ContainerDir ContainerDir::open(const std::string& root, const std::string& id) {
    validate_container_id(id);
    std::string path = join_path(root, id);
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) throw Error("container \"" + id + "\" does not exist");
        throw_errno("open " + path);
    }
    auto locked = lock_dir(path, fd);
    // A delete that held the lock before us may have removed it meanwhile.
    struct stat st;
    if (::fstat(locked.get(), &st) < 0 || st.st_nlink == 0)
        throw Error("container \"" + id + "\" does not exist");
    return ContainerDir(path, std::move(locked));
}

ContainerDir ContainerDir::create(const std::string& root, const std::string& id) {
    validate_container_id(id);
    mkdir_p(root, 0700);
    std::string path = join_path(root, id);
    if (::mkdir(path.c_str(), 0700) < 0) {
        if (errno == EEXIST) throw Error("container \"" + id + "\" already exists");
        throw_errno("mkdir " + path);
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int err = errno;
        ::rmdir(path.c_str());
        throw_sys(err, "open " + path);
    }
    return ContainerDir(path, lock_dir(path, fd));
}

ContainerState ContainerDir::load() const {
    std::string text;
    try {
        text = read_file_at(fd(), "state.json");
    } catch (const Error&) {
        throw Error("container state " + path_ + "/state.json is missing or unreadable");
    }
    return state_from_json(text, path_ + "/state.json");
}

namespace {
// Written before the first cgroup directory is made: the cgroup path alone,
// for delete --force when state.json (written once the init exists) never
// came to be or was destroyed. Each file is written once: on these kernels
// a file that replaced another by rename costs ~0.5 ms more to unlink.
constexpr const char* cleanup_record = "cleanup";
constexpr const char* mount_record = "mounts";
}  // namespace

void ContainerDir::save(const ContainerState& st) const {
    write_file_atomic_at(fd(), "state.json", state_to_json(st), 0600);
}

void ContainerDir::save_cleanup_record(const std::string& cgroup_path) const {
    write_file_atomic_at(fd(), cleanup_record, cgroup_path, 0600);
}

unique_fd ContainerDir::open_mount_record() const {
    unique_fd fd(::openat(fd_.get(), mount_record, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) throw_errno("create " + path_ + "/" + mount_record);
    return fd;
}

std::string ContainerDir::load_mount_record() const {
    if (::faccessat(fd_.get(), mount_record, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) return {};
    return read_file_at(fd_.get(), mount_record);
}

void ContainerDir::remove() {
    remove_tree(path_);
    fd_.reset();
}

unsigned long long process_start_time(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    char* p = std::strrchr(buf, ')');
    if (!p) return 0;
    char state = p[2];
    if (state == 'Z' || state == 'X') return 0;
    p += 2;
    for (int field = 3; field < 22 && p; field++) {
        p = std::strchr(p, ' ');
        if (p) p++;
    }
    return p ? std::strtoull(p, nullptr, 10) : 0;
}

bool process_alive(pid_t pid, unsigned long long start_time) {
    if (pid <= 0) return false;
    unsigned long long now = process_start_time(pid);
    return now != 0 && now == start_time;
}

Status current_status(const ContainerState& st, const ContainerDir& dir) {
    if (!process_alive(st.pid, st.pid_start_time)) return Status::stopped;
    // Frozen by pause: runc reports it before created/running.
    if (!st.cgroup_path.empty() && cgroup_frozen(CgroupHandle{st.cgroup_path})) return Status::paused;
    if (::faccessat(dir.fd(), "exec.fifo", F_OK, 0) == 0) return Status::created;
    return Status::running;
}

std::string state_to_json(const ContainerState& st) {
    // What delete needs to clean up comes first: salvage_state finds it in a
    // file cut short.
    nlohmann::ordered_json j{{"pid", st.pid}, {"pidStartTime", st.pid_start_time}, {"cgroupPath", st.cgroup_path},
           {"ociVersion", st.oci_version}, {"id", st.id}, {"bundle", st.bundle}, {"rootfs", st.rootfs},
           {"created", st.created},  {"owner", st.owner},     {"rootless", st.rootless},
           {"annotations", st.annotations}, {"configPath", st.config_path},
           {"poststartHooks", st.poststart_hooks}, {"poststopHooks", st.poststop_hooks}};
    return j.dump();
}

namespace {

// The JSON value after "KEY": in TEXT, if it is complete.
std::optional<json> salvage_field(const std::string& text, const std::string& key) {
    size_t at = text.find("\"" + key + "\":");
    if (at == std::string::npos) return std::nullopt;
    size_t start = at + key.size() + 3, end = start;
    if (end < text.size() && text[end] == '"') {
        for (end++; end < text.size() && text[end] != '"'; end++)
            if (text[end] == '\\') end++;
        end++;
    } else {
        while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) end++;
        if (end == text.size()) return std::nullopt;  // the number may be cut short
    }
    if (end > text.size()) return std::nullopt;
    try {
        json v = json::parse(text.substr(start, end - start), nullptr, false);
        if (v.is_discarded()) return std::nullopt;
        return v;
    } catch (const json::exception&) {
        return std::nullopt;  // a number too large even for a double
    }
}

// The file may say anything: only cgroups below a hierarchy's root (one
// path, or "KEY:PATH" lines; see CgroupHandle).
bool cgroup_path_below_root(const std::string& path) {
    bool below_root = !path.empty() && path.find("..") == std::string::npos;
    for (size_t i = 0; below_root && i < path.size();) {
        size_t eol = std::min(path.find('\n', i), path.size());
        std::string line = path.substr(i, eol - i);
        if (line[0] != '/') line = line.substr(line.find(':') + 1);
        below_root = line.find_first_not_of('/') != std::string::npos;
        i = eol + 1;
    }
    return below_root;
}

void salvage_cgroup(ContainerState& st, const std::string& path) {
    if (st.cgroup_path.empty() && cgroup_path_below_root(path)) st.cgroup_path = path;
}

void salvage_from_state_json(ContainerState& st, const std::string& text) {
    auto pid = salvage_field(text, "pid"), start = salvage_field(text, "pidStartTime");
    if (pid && start && pid->is_number_unsigned() && start->is_number_unsigned() && pid->get<uint64_t>() < (1u << 30)) {
        st.pid = static_cast<pid_t>(pid->get<uint64_t>());
        st.pid_start_time = start->get<unsigned long long>();
    }
    auto cgroup = salvage_field(text, "cgroupPath");
    if (cgroup && cgroup->is_string()) salvage_cgroup(st, cgroup->get<std::string>());
}

}  // namespace

ContainerState salvage_state(const ContainerDir& dir) {
    ContainerState st;
    try {
        salvage_from_state_json(st, read_file_at(dir.fd(), "state.json"));
    } catch (const Error&) {
    }
    try {
        salvage_cgroup(st, read_file_at(dir.fd(), cleanup_record));
    } catch (const Error&) {
    }
    return st;
}

ContainerState state_from_json(const std::string& text, const std::string& source) {
    try {
        json j = json::parse(text);
        ContainerState st;
        st.oci_version = j.at("ociVersion").get<std::string>();
        st.id = j.at("id").get<std::string>();
        st.pid = j.at("pid").get<pid_t>();
        st.pid_start_time = j.at("pidStartTime").get<unsigned long long>();
        st.bundle = j.at("bundle").get<std::string>();
        st.rootfs = j.value("rootfs", "");
        st.created = j.value("created", "");
        st.owner = j.value("owner", "");
        st.rootless = j.value("rootless", false);
        st.annotations = j.value("annotations", std::map<std::string, std::string>());
        st.config_path = j.value("configPath", "");
        st.cgroup_path = j.value("cgroupPath", "");
        st.poststart_hooks = j.value("poststartHooks", "");
        st.poststop_hooks = j.value("poststopHooks", "");
        return st;
    } catch (const json::exception& e) {
        throw Error("corrupt container state " + source + ": " + e.what());
    }
}

std::string oci_state_json(const ContainerState& st, Status status, bool for_hook) {
    nlohmann::ordered_json j{{"ociVersion", st.oci_version},
           {"id", st.id},
           {"pid", status == Status::stopped ? 0 : st.pid},
           {"status", status_name(status)},
           {"bundle", st.bundle},
           {"rootfs", st.rootfs},
           {"created", st.created},
           {"owner", st.owner}};
    if (for_hook && status == Status::stopped) j.erase("pid");
    if (!st.annotations.empty()) j["annotations"] = st.annotations;
    return j.dump(2);
}

std::vector<std::string> list_container_ids(const std::string& root) {
    std::vector<std::string> ids;
    DIR* d = ::opendir(root.c_str());
    if (!d) {
        if (errno == ENOENT) return ids;
        throw_errno("open " + root);
    }
    while (auto* de = ::readdir(d)) {
        if (de->d_name[0] == '.') continue;
        if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) ids.emplace_back(de->d_name);
    }
    ::closedir(d);
    std::sort(ids.begin(), ids.end());
    return ids;
}

}  // namespace rrun
