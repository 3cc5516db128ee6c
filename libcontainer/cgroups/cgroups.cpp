// The container's cgroup: which layout the host has, where cgroupsPath puts
// the container (runc's semantics), making and removing it, moving the init
// in, and the operations on a live cgroup (freeze, list, signal, update).
#include "cgroups.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "internal.hpp"
#include "systemd.hpp"
#include "unique_fd.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "sync.hpp"

namespace rrun {
using nlohmann::json;

// ---------------------------------------------------------------- files

namespace cg {

std::optional<std::string> try_read(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    unique_fd f(fd);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    if (n < 0) return std::nullopt;
    return out;
}

std::string read_trimmed(const std::string& path) {
    auto s = try_read(path);
    if (!s) throw_errno("read " + path);
    while (!s->empty() && (s->back() == '\n' || s->back() == ' ')) s->pop_back();
    return *s;
}

void write_file(const std::string& path, const std::string& value) {
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    // One write: cgroup files take a value per write(2).
    if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
        throw_errno("write \"" + value + "\" to " + path);
}

}  // namespace cg

namespace {

using namespace cg;

std::string parent_of(const std::string& p) {
    auto slash = p.rfind('/');
    if (slash == std::string::npos || slash == 0) return "/";
    return p.substr(0, slash);
}

std::string join_rel(const std::string& base, const std::string& rel) {
    if (rel.empty() || rel == ".") return base;
    return base == "/" ? "/" + rel : base + "/" + rel;
}

bool is_cgroup2_at(const char* path) {
    struct statfs s;
    return ::statfs(path, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

// /proc/self/cgroup: hierarchy key -> our path in it.
std::map<std::string, std::string> own_cgroups() {
    std::map<std::string, std::string> out;
    for (auto& line : split(self_cgroup_file(), '\n')) {
        auto a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        out[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
    }
    return out;
}

struct MountEntry {
    std::string root, mountpoint, fstype;
    std::set<std::string> options;
};

std::vector<MountEntry> cgroup_mounts() {
    std::vector<MountEntry> out;
    for (auto& line : split(self_mountinfo(), '\n')) {
        // Only cgroup mounts are taken apart (" - " ends the optional fields;
        // a space in a path is \040 there).
        auto dash = line.find(" - cgroup");
        if (dash == std::string::npos) continue;
        auto pre = split(line.substr(0, dash), ' '), post = split(line.substr(dash + 3), ' ');
        if (pre.size() < 5 || post.size() < 3) continue;
        if (post[0] != "cgroup" && post[0] != "cgroup2") continue;
        MountEntry m{pre[3], pre[4], post[0], {}};
        for (auto& o : split(post[2], ',')) m.options.insert(o);
        out.push_back(std::move(m));
    }
    return out;
}

std::string relative_to_mount(const std::string& own, const std::string& mount_root) {
    if (mount_root == "/" || mount_root.empty()) return own;
    if (own == mount_root) return "/";
    if (own.rfind(mount_root + "/", 0) == 0) return own.substr(mount_root.size());
    return own;
}

Layout read_layout() {
    Layout L;
    L.mode = cgroup_mode();
    auto own = own_cgroups();
    auto mounts = cgroup_mounts();
    auto add_v2 = [&](const std::string& mountpoint) {
        Hierarchy h;
        h.v2 = true;
        h.mountpoint = mountpoint;
        h.mount_root = "/";
        for (auto& m : mounts)
            if (m.fstype == "cgroup2" && m.mountpoint == mountpoint) h.mount_root = m.root;
        if (auto c = try_read(mountpoint + "/cgroup.controllers")) h.controllers = words(*c);
        h.own = relative_to_mount(own.count("") ? own[""] : "/", h.mount_root);
        L.hierarchies.push_back(std::move(h));
    };
    if (L.mode == CgroupMode::unified) {
        add_v2("/sys/fs/cgroup");
        return L;
    }
    // v1: each hierarchy /proc/self/cgroup names, at its mount (the first one, under /sys/fs/cgroup if any).
    for (auto& [key, path] : own) {
        if (key.empty()) continue;
        auto parts = split(key, ',');
        const MountEntry* best = nullptr;
        for (auto& m : mounts) {
            if (m.fstype != "cgroup") continue;
            bool all = std::all_of(parts.begin(), parts.end(), [&](auto& p) { return m.options.count(p) != 0; });
            if (!all) continue;
            if (!best || (best->mountpoint.rfind("/sys/fs/cgroup/", 0) != 0 && m.mountpoint.rfind("/sys/fs/cgroup/", 0) == 0))
                best = &m;
        }
        if (!best) continue;
        Hierarchy h;
        h.key = key;
        h.controllers = parts;
        h.mountpoint = best->mountpoint;
        h.mount_root = best->root;
        h.own = relative_to_mount(path, best->root);
        L.hierarchies.push_back(std::move(h));
    }
    if (L.mode == CgroupMode::hybrid) add_v2("/sys/fs/cgroup/unified");
    return L;
}

// Where INNER (a cleaned cgroupsPath) puts the container in each hierarchy.
std::vector<Dir> target_dirs(const Layout& L, const std::string& inner) {
    std::vector<Dir> dirs;
    for (auto& h : L.hierarchies) {
        std::string rel;
        if (!inner.empty() && inner[0] == '/')
            rel = inner;
        else if (L.mode == CgroupMode::unified)
            // runc (fs2): beside our own cgroup, whose parent may enable controllers (no internal processes).
            rel = join_rel(parent_of(h.own), inner);
        else
            rel = join_rel(h.own, inner);
        if (rel == "/") throw Error("linux.cgroupsPath: resolves to the root cgroup of " + h.mountpoint);
        dirs.push_back({&h, rel, h.mountpoint + rel});
    }
    return dirs;
}

const Dir* v2_dir(const std::vector<Dir>& dirs) {
    for (auto& d : dirs)
        if (d.h->v2) return &d;
    return nullptr;
}

// The directory whose cgroup.procs lists the container: the freezer's on v1
// (what pause acts on), else the v2 tree, else any.
const Dir* main_dir(const std::vector<Dir>& dirs) {
    if (const Dir* d = dir_for(dirs, "freezer"); d && !d->h->v2) return d;
    if (const Dir* d = v2_dir(dirs)) return d;
    return dirs.empty() ? nullptr : &dirs[0];
}

// ------------------------------------------------------------ creation

// mkdir of every missing component of DIR; returns the ones made (for cleanup), or errno.
int make_dir(const Dir& d, std::vector<std::string>& created) {
    std::string cur = d.h->mountpoint;
    for (auto& part : split(d.rel.substr(1), '/')) {
        if (part.empty()) continue;
        std::string parent = cur;
        cur += "/" + part;
        if (::mkdir(cur.c_str(), 0755) == 0) {
            created.push_back(cur);
        } else if (errno != EEXIST) {
            return errno;
        }
        // v1 cpuset: a cgroup with no cpus or mems takes no tasks; start from the parent's.
        if (!d.h->v2 && d.h->has("cpuset")) {
            for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
                if (read_trimmed(cur + "/" + f).empty()) write_file(cur + "/" + f, read_trimmed(parent + "/" + f));
            }
        }
    }
    return 0;
}

// rootless: may we make D and move our child into it? (the nearest existing
// ancestor writable, and on v2 the cgroup.procs of the common ancestor of our
// cgroup and D, which the kernel checks on migration).
std::string delegation_problem(const Dir& d) {
    std::string cur = d.path;
    while (::access(cur.c_str(), F_OK) != 0 && cur.size() > d.h->mountpoint.size()) cur = parent_of(cur);
    if (::access(cur.c_str(), W_OK) != 0) return cur + " is not writable";
    if (d.h->v2) {
        std::string common = d.rel;
        while (common != "/" && d.h->own != common && d.h->own.rfind(common + "/", 0) != 0) common = parent_of(common);
        std::string procs = d.h->mountpoint + (common == "/" ? "" : common) + "/cgroup.procs";
        if (::access(procs.c_str(), W_OK) != 0) return procs + " is not writable";
    }
    return "";
}

const std::set<std::string> v2_controllers_to_enable = {"cpu", "cpuset", "io", "memory", "pids", "hugetlb", "rdma", "misc"};

// cgroup2: a controller is usable in a cgroup only when every ancestor lists
// it in cgroup.subtree_control. NEEDED must succeed; with ALL (unified host,
// like runc) every available one is tried so stats and update work later.
void enable_controllers(const Dir& d, const std::set<std::string>& needed, bool all) {
    std::string cur = d.h->mountpoint;
    for (auto& part : split(d.rel.substr(1), '/')) {
        if (part.empty()) continue;
        auto a = words(try_read(cur + "/cgroup.controllers").value_or(""));
        auto e = words(try_read(cur + "/cgroup.subtree_control").value_or(""));
        std::set<std::string> available(a.begin(), a.end()), enabled(e.begin(), e.end());
        for (auto& c : all ? v2_controllers_to_enable : needed) {
            if (c.empty() || enabled.count(c) || (!available.count(c) && !needed.count(c))) continue;
            try {
                write_file(cur + "/cgroup.subtree_control", "+" + c);
            } catch (const Error& err) {
                if (needed.count(c)) throw Error("enable the " + c + " controller: " + err.what());
                log_debug(err.what());
            }
        }
        cur += "/" + part;
    }
}

// The writes for linux.resources on this layout. Hybrid: controllers missing
// from v1 but present on the cgroup2 tree (hugetlb here) get their v2 files.
std::vector<Write> writes_for(const Layout& L, const json& r, std::optional<int64_t> current_memory = {}) {
    if (!r.is_object()) return {};
    if (L.mode == CgroupMode::unified) return v2_writes(r, current_memory);
    if (L.mode == CgroupMode::legacy && r.contains("unified") && !r["unified"].is_null() && !r["unified"].empty())
        throw Error("linux.resources.unified: needs cgroup v2 (this host has cgroup v1 only)");
    const Hierarchy* v2 = L.v2();
    auto in_v1 = [&](const std::string& c) {
        for (auto& h : L.hierarchies)
            if (!h.v2 && h.has(c)) return true;
        return false;
    };
    std::vector<Write> out;
    for (auto& w : v1_writes(r))
        if (in_v1(w.controller) || !v2 || !v2->has(w.controller)) out.push_back(w);
    if (!v2) return out;
    // Sections whose controller only the v2 tree has, plus unified keys.
    json sub = json::object();
    for (auto [section, controller] : {std::pair{"hugepageLimits", "hugetlb"}, {"rdma", "rdma"}, {"pids", "pids"}, {"memory", "memory"}, {"blockIO", "io"}})
        if (r.contains(section) && !in_v1(controller == std::string("io") ? "blkio" : controller) && v2->has(controller)) sub[section] = r[section];
    if (r.contains("unified")) sub["unified"] = r["unified"];
    for (auto& w : v2_writes(sub, current_memory)) {
        w.v2_only = true;
        out.push_back(w);
    }
    return out;
}

std::set<std::string> v2_needed(const std::vector<Write>& writes, const Layout& L) {
    std::set<std::string> out;
    for (auto& w : writes)
        if ((w.v2_only || L.mode == CgroupMode::unified) && !w.controller.empty()) out.insert(w.controller);
    return out;
}

// v1 device writes: from the last "all devices" rule on, in order (the kernel applies them as they come).
std::vector<Write> v1_device_writes(const std::vector<DeviceRule>& rules) {
    size_t start = 0;
    bool default_allow = true;
    for (size_t i = 0; i < rules.size(); i++)
        if (rules[i].type == 'a' && rules[i].major < 0 && rules[i].minor < 0 && rules[i].access.size() == 3) start = i, default_allow = rules[i].allow;
    std::vector<Write> out;
    bool any_deny = !default_allow;
    for (size_t i = start; i < rules.size(); i++) {
        any_deny = any_deny || !rules[i].allow;
        // On top of "allow all", allows change nothing until something was denied.
        if (!any_deny) continue;
        out.push_back({"devices", rules[i].allow ? "devices.allow" : "devices.deny", v1_device_string(rules[i]), "linux.resources.devices"});
    }
    return out;
}

bool device_rules_restrict(const std::vector<DeviceRule>& rules) {
    for (auto& r : rules)
        if (!r.allow) return true;
    return false;
}

// ------------------------------------------------------------- removal

std::vector<std::string> child_dirs(const std::string& path) {
    std::vector<std::string> out;
    DIR* d = ::opendir(path.c_str());
    if (!d) return out;
    while (auto* de = ::readdir(d))
        if (de->d_type == DT_DIR && std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) out.push_back(path + "/" + de->d_name);
    ::closedir(d);
    return out;
}

void collect_pids(const std::string& path, std::vector<pid_t>& out) {
    if (auto procs = try_read(path + "/cgroup.procs"))
        for (auto& w : words(*procs)) out.push_back(static_cast<pid_t>(std::strtol(w.c_str(), nullptr, 10)));
    for (auto& c : child_dirs(path)) collect_pids(c, out);
}

// rmdir of PATH and everything below it; false while processes are still in it.
bool remove_tree_once(const std::string& path) {
    // Most often nothing is below: no directory walk then. ENOTDIR: a file
    // on the way (a cgroupsPath through "tasks"), so there is none to remove.
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT || errno == ENOTDIR) return true;
    bool ok = true;
    for (auto& c : child_dirs(path)) ok = remove_tree_once(c) && ok;
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return ok;
    if (errno == EBUSY) return false;
    throw_errno("remove cgroup " + path);
}

void remove_dir(const std::string& path) {
    using namespace std::chrono_literals;
    // Processes leave a cgroup only once they are reaped: wait a little, then
    // kill what is left (delete means nothing of the container stays).
    for (int attempt = 0; attempt < 300; attempt++) {
        if (remove_tree_once(path)) return;
        if (attempt == 100) {
            std::vector<pid_t> pids;
            collect_pids(path, pids);
            for (pid_t p : pids) ::kill(p, SIGKILL);
        }
        std::this_thread::sleep_for(10ms);
    }
    throw Error("remove cgroup " + path + ": processes are still in it");
}

}  // namespace

// ------------------------------------------------------------- layout

namespace cg {

bool Hierarchy::has(const std::string& c) const { return std::find(controllers.begin(), controllers.end(), c) != controllers.end(); }

const Hierarchy* Layout::find(const std::string& c) const {
    for (auto& h : hierarchies)
        if (!h.v2 && h.has(c)) return &h;
    for (auto& h : hierarchies)
        if (h.v2 && (c.empty() || h.has(c))) return &h;
    return nullptr;
}

const Hierarchy* Layout::v2() const {
    for (auto& h : hierarchies)
        if (h.v2) return &h;
    return nullptr;
}

const Layout& layout() {
    static const Layout L = read_layout();
    return L;
}

std::vector<Dir> dirs_of(const CgroupHandle& handle) {
    std::vector<Dir> dirs;
    if (handle.path.empty()) return dirs;
    const Layout& L = layout();
    if (handle.path[0] == '/') {
        for (auto& h : L.hierarchies) dirs.push_back({&h, handle.path, h.mountpoint + handle.path});
        return dirs;
    }
    for (auto& line : split(handle.path, '\n')) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string key = line.substr(0, colon), rel = line.substr(colon + 1);
        for (auto& h : L.hierarchies)
            if ((h.v2 ? "" : h.key) == key) dirs.push_back({&h, rel, h.mountpoint + rel});
    }
    return dirs;
}

std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    size_t at = 0;
    while ((at = text.find_first_not_of(" \t\n", at)) != std::string::npos) {
        size_t end = std::min(text.find_first_of(" \t\n", at), text.size());
        out.push_back(text.substr(at, end - at));
        at = end;
    }
    return out;
}

std::string encode_handle(const std::vector<Dir>& dirs) {
    bool same = std::all_of(dirs.begin(), dirs.end(), [&](const Dir& d) { return d.rel == dirs[0].rel; });
    if (dirs.empty() || same) return dirs.empty() ? "" : dirs[0].rel;
    std::string out;
    for (auto& d : dirs) out += (out.empty() ? "" : "\n") + (d.h->v2 ? std::string() : d.h->key) + ":" + d.rel;
    return out;
}

const Dir* dir_for(const std::vector<Dir>& dirs, const std::string& controller) {
    for (auto& d : dirs)
        if (!d.h->v2 && d.h->has(controller)) return &d;
    for (auto& d : dirs)
        if (d.h->v2 && (controller.empty() || d.h->has(controller))) return &d;
    return nullptr;
}

// v1 memory+swap: the kernel keeps limit <= memsw at every step, so the order
// of the two writes depends on the limit in force (runc's setMemoryAndSwap).
static void order_v1_memory(const std::vector<Dir>& dirs, std::vector<Write>& writes) {
    auto find = [&](const char* file) {
        return std::find_if(writes.begin(), writes.end(), [&](const Write& w) { return w.file == file && !w.v2_only; });
    };
    auto limit = find("memory.limit_in_bytes"), swap = find("memory.memsw.limit_in_bytes");
    const Dir* mem = dir_for(dirs, "memory");
    if (limit == writes.end() || swap == writes.end() || !mem || swap < limit) return;
    auto cur = try_read(mem->path + "/memory.limit_in_bytes");
    if (!cur) return;
    long long current = std::stoll(*cur), new_swap = std::stoll(swap->value);
    if (new_swap == -1 || new_swap >= current) std::iter_swap(limit, swap);
}

// The directory a write goes to; nullptr (or an error naming the field) when
// no hierarchy has its controller.
static const Dir* dir_of_write(const std::vector<Dir>& dirs, const Write& w) {
    const Dir* d = w.v2_only ? v2_dir(dirs) : dir_for(dirs, w.controller);
    if (d && !w.controller.empty() && !d->h->has(w.controller)) d = nullptr;
    if (!d && !w.optional)
        throw Error(w.field + ": the " + w.controller + " cgroup controller is not available on this host" +
                    (w.v2_only ? " (on its cgroup2 tree)" : ""));
    return d;
}

void check_controllers(const std::vector<Dir>& dirs, const std::vector<Write>& writes) {
    for (auto& w : writes) dir_of_write(dirs, w);
}

void apply_writes(const std::vector<Dir>& dirs, const std::vector<Write>& in) {
    std::vector<Write> writes = in;
    order_v1_memory(dirs, writes);
    // Writes to one file in a row (the device rules: "a" to devices.deny, then
    // one rule per write to devices.allow) share one open: opening a cgroup
    // file is the dear part of a write, and its ENOENT says what access() did.
    unique_fd fd;
    std::string open_path;
    for (auto& w : writes) {
        const Dir* d = dir_of_write(dirs, w);
        if (!d) continue;
        std::string file = w.file, value = w.value;
        if (!w.alt_file.empty() && ::access((d->path + "/" + file).c_str(), F_OK) != 0) file = w.alt_file, value = w.alt_value;
        std::string path = d->path + "/" + file;
        if (path != open_path) {
            open_path.clear();
            fd.reset(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
            if (!fd && errno == ENOENT) {
                if (w.optional) continue;
                throw Error(w.field + ": " + path + " does not exist (not supported by this kernel or controller)");
            }
            if (!fd) throw Error(w.field + ": open " + path + ": " + std::strerror(errno));
            open_path = path;
        }
        // One write per value: cgroup files take a value per write(2).
        if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
            throw Error(w.field + ": write \"" + value + "\" to " + path + ": " + std::strerror(errno));
    }
}

}  // namespace cg

CgroupMode cgroup_mode() {
    if (is_cgroup2_at("/sys/fs/cgroup")) return CgroupMode::unified;
    if (is_cgroup2_at("/sys/fs/cgroup/unified")) return CgroupMode::hybrid;
    return CgroupMode::legacy;
}

const char* cgroup_mode_name(CgroupMode m) {
    switch (m) {
        case CgroupMode::unified: return "unified";
        case CgroupMode::hybrid: return "hybrid";
        case CgroupMode::legacy: return "legacy";
    }
    return "?";
}

std::string cgroup_clean_path(const std::string& path) {
    if (path.empty()) return "";
    bool abs = path[0] == '/';
    std::vector<std::string> parts;
    for (auto& p : split(path, '/')) {
        if (p.empty() || p == ".") continue;
        if (p == "..") {
            if (!parts.empty()) parts.pop_back();  // never above the start, as runc's CleanPath
            continue;
        }
        parts.push_back(p);
    }
    std::string out;
    for (auto& p : parts) out += (out.empty() && !abs ? "" : "/") + p;
    if (out.empty()) return abs ? "/" : ".";
    return out;
}

static std::string expand_slice(const std::string& slice, const std::string& field) {
    const std::string suffix = ".slice";
    if (slice.size() <= suffix.size() || slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) != 0 ||
        slice.find('/') != std::string::npos)
        throw Error(field + ": \"" + slice + "\" is not a systemd slice name (NAME.slice)");
    if (slice == "-.slice") return "";
    std::string name = slice.substr(0, slice.size() - suffix.size());
    if (name.front() == '-' || name.back() == '-' || name.find("--") != std::string::npos)
        throw Error(field + ": \"" + slice + "\" is not a valid slice name");
    std::string out, prefix;
    for (auto& part : split(name, '-')) {
        prefix += (prefix.empty() ? "" : "-") + part;
        out += "/" + prefix + suffix;
    }
    return out;
}

namespace {
struct SystemdNames {
    std::string slice, unit, path;  // path: below the manager's own cgroup
};
SystemdNames systemd_names(const std::string& cgroups_path, const std::string& id, bool rootless) {
    const std::string field = "linux.cgroupsPath";
    std::string slice = rootless ? "user.slice" : "system.slice", prefix = "rrun", name = id;
    if (!cgroups_path.empty()) {
        auto parts = split(cgroups_path, ':');
        if (cgroups_path.back() == ':') parts.push_back("");
        if (parts.size() != 3) throw Error(field + ": \"" + cgroups_path + "\" is not slice:prefix:name, as --systemd-cgroup needs");
        if (!parts[0].empty()) slice = parts[0];
        prefix = parts[1];
        name = parts[2];
        if (name.empty() || name.find('/') != std::string::npos || prefix.find('/') != std::string::npos)
            throw Error(field + ": \"" + cgroups_path + "\": name must be set and neither part may hold '/'");
    }
    std::string base = expand_slice(slice, field);
    // A name that is itself a slice is used as is (runc), else a scope unit.
    std::string unit = name.size() > 6 && name.compare(name.size() - 6, 6, ".slice") == 0
                           ? name : (prefix.empty() ? "" : prefix + "-") + name + ".scope";
    // systemd's unit name characters; anything else it refuses less clearly.
    if (unit.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@") != std::string::npos ||
        unit.size() > 255)
        throw Error(field + ": \"" + cgroups_path + "\": \"" + unit + "\" is not a valid systemd unit name");
    return {slice, unit, base + "/" + unit};
}
}  // namespace

std::string systemd_cgroup_path(const std::string& cgroups_path, const std::string& id, bool rootless) {
    return systemd_names(cgroups_path, id, rootless).path;
}

// ------------------------------------------------------------ lifecycle

namespace {

// The directories of DIRS (what is missing of each), then the limits; what
// was made is removed again on failure, and returned on success.
std::vector<std::string> make_cgroup(const std::vector<Dir>& dirs, const std::vector<Write>& writes,
                                     const std::vector<DeviceRule>& rules) {
    const Layout& L = layout();
    std::vector<std::string> created;
    scope_guard undo([&] {
        for (auto it = created.rbegin(); it != created.rend(); ++it) ::rmdir(it->c_str());
    });
    for (auto& d : dirs) {
        if (int err = make_dir(d, created)) throw_sys(err, "create cgroup " + d.path);
        // After mkdir: enabling in a parent adds the files to existing children.
        if (d.h->v2) enable_controllers(d, v2_needed(writes, L), L.mode == CgroupMode::unified);
    }
    apply_writes(dirs, writes);
    if (L.mode == CgroupMode::unified && device_rules_restrict(rules)) attach_device_program(v2_dir(dirs)->path, rules);
    undo.dismiss();
    return created;
}

}  // namespace

CgroupHandle cgroup_setup(const RuntimeContext& ctx, const Spec& spec, const std::string& id,
                          const std::function<void(const CgroupHandle&)>& before_create, bool may_defer) {
    if (ctx.cgroup_manager == "disabled") return {};
    static const json no_resources;
    const json* res = &no_resources;
    if (spec.raw && spec.raw->contains("linux") && (*spec.raw)["linux"].contains("resources"))
        res = &(*spec.raw)["linux"]["resources"];
    std::string cgroups_path = spec.linux ? spec.linux->cgroups_path : "";

    std::string inner;
    std::shared_ptr<SystemdStart> sd;
    if (ctx.cgroup_manager == "systemd") {
        auto names = systemd_names(cgroups_path, id, ctx.rootless);
        if (!path_exists("/run/systemd/system"))
            throw Error("--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); use --cgroup-manager cgroupfs");
        sd = std::make_shared<SystemdStart>();
        sd->unit = SystemdUnit{names.unit, ctx.rootless};
        sd->slice = names.slice;
        sd->id = id;
        inner = names.path;
        if (ctx.rootless) {
            // The user's manager (user@UID.service) keeps its units below its own cgroup.
            std::string uid = std::to_string(dbus::host_uid());
            inner = "/user.slice/user-" + uid + ".slice/user@" + uid + ".service" + inner;
        }
    } else {
        // runc: no cgroupsPath means a cgroup named after the id, relative to ours.
        inner = cgroups_path.empty() ? id : cgroup_clean_path(cgroups_path);
    }
    const Layout& L = layout();
    if (L.hierarchies.empty()) {
        if (cgroup_resources_requested(*res)) throw Error("linux.resources: no cgroup hierarchy is mounted under /sys/fs/cgroup");
        log_warning("no cgroup hierarchy is mounted; running without a cgroup");
        return {};
    }
    std::vector<Dir> dirs = target_dirs(L, inner);
    std::vector<Write> writes = writes_for(L, *res);
    bool requested = !writes.empty();
    if (sd && ctx.rootless && L.mode != CgroupMode::unified) {
        // The user's manager is delegated the cgroup2 tree only (v1 controller
        // hierarchies are root's): the scope is there.
        std::erase_if(dirs, [](const Dir& d) { return !d.h->v2 && d.h->key != "name=systemd"; });
    }

    if (ctx.rootless && !sd) {
        for (auto& d : dirs) {
            std::string problem = delegation_problem(d);
            if (problem.empty()) continue;
            if (requested)
                throw Error("rootless: linux.resources asks for limits but no cgroup is delegated to this user (" + problem +
                            "); run as root, delegate a cgroup v2 subtree, or drop the limits");
            // Silent like runc and crun: conmon gives the runtime the container's
            // own stderr, so a warning would land in the container's output.
            log_debug("rootless: no cgroup is delegated to this user (" + problem + "); running without a cgroup of its own");
            return {};
        }
    }
    // Devices: v1's devices controller, or an eBPF program on cgroup2. Not
    // rootless: it could not load the program and only has its own nodes anyway.
    std::vector<DeviceRule> rules;
    if (!ctx.rootless) rules = device_rules(*res, spec);
    if (L.mode != CgroupMode::unified && L.find("devices") && !L.find("devices")->v2) {
        auto dw = v1_device_writes(rules);
        writes.insert(writes.end(), dw.begin(), dw.end());
    }

    // Before anything is made: a limit no hierarchy can hold fails here.
    check_controllers(dirs, writes);
    if (sd) {
        // Nothing is made yet: systemd makes the scope once the init exists
        // (cgroup_enter). The handle names the unit first, then the cgroup in
        // each hierarchy.
        sd->v1 = L.mode != CgroupMode::unified;
        sd->resources = sd->v1 ? systemd_v1_resource_props(writes) : systemd_resource_props(writes);
        // The devices as unit properties, rootless too: a user manager keeps
        // them but cannot apply them (as we cannot ours), so there they are
        // runc's as they are (whose rules deny what they do not allow).
        auto devices = systemd_device_props(ctx.rootless ? device_rules(*res, spec) : rules,
                                            try_read("/proc/devices").value_or(""), !ctx.rootless);
        sd->resources.insert(sd->resources.end(), devices.begin(), devices.end());
        sd->writes = std::move(writes);
        sd->rules = std::move(rules);
        std::string handle = systemd_marker(sd->unit);
        for (auto& d : dirs) handle += "\n" + (d.h->v2 ? std::string() : d.h->key) + ":" + d.rel;
        if (before_create) before_create(CgroupHandle{handle});
        return CgroupHandle{handle, std::move(sd)};
    }
    if (before_create) before_create(CgroupHandle{encode_handle(dirs)});
    // cgroup2 is joined by clone3, into a directory that exists: made now;
    // v1 by the init's own writes, which can wait (cgroup_make_deferred).
    auto is_v1 = [](const Dir& d) { return !d.h->v2; };
    if (may_defer && !ctx.rootless && std::any_of(dirs.begin(), dirs.end(), is_v1)) {
        DeferredMake later;
        std::vector<Dir> now;
        for (auto& d : dirs) (is_v1(d) ? later.dirs : now).push_back(d);
        std::vector<Write> now_writes;
        for (auto& w : writes) (w.v2_only ? now_writes : later.writes).push_back(w);
        later.made_now = make_cgroup(now, now_writes, rules);
        return CgroupHandle{encode_handle(dirs), nullptr, std::make_shared<DeferredMake>(std::move(later))};
    }
    make_cgroup(dirs, writes, rules);
    return CgroupHandle{encode_handle(dirs)};
}

void cgroup_make_deferred(const CgroupHandle& handle, CgroupSelfJoin& join) {
    make_cgroup(handle.deferred->dirs, handle.deferred->writes, {});
    for (auto& f : join.tasks) {
        f.fd.reset(::open(f.path.c_str(), O_WRONLY | O_CLOEXEC));
        if (!f.fd) throw_errno("open " + f.path);
    }
}

// --systemd-cgroup: the unit with PID in it, then what cgroupfs does in the
// delegated cgroup (v1 hierarchies systemd does not manage, every file).
static void systemd_enter(const CgroupHandle& handle, pid_t pid) {
    const SystemdStart& s = *handle.systemd;
    systemd_start_unit(s, pid);
    auto dirs = dirs_of(handle);
    std::vector<std::string> created;
    for (auto& d : dirs) {
        if (int err = make_dir(d, created)) throw_sys(err, "create cgroup " + d.path);
        write_file(d.path + "/cgroup.procs", std::to_string(pid));
    }
    apply_writes(dirs, s.writes);
    if (layout().mode == CgroupMode::unified && device_rules_restrict(s.rules)) attach_device_program(v2_dir(dirs)->path, s.rules);
}

void cgroup_enter(const CgroupHandle& handle, pid_t pid, const CgroupSelfJoin& self_joined) {
    if (handle.systemd) return systemd_enter(handle, pid);
    auto& tasks = self_joined.tasks;
    for (auto& d : dirs_of(handle)) {
        if (d.h->v2 ? self_joined.v2_joined
                    : std::any_of(tasks.begin(), tasks.end(), [&](auto& f) { return f.path == d.path + "/tasks"; }))
            continue;
        write_file(d.path + "/cgroup.procs", std::to_string(pid));
    }
}

CgroupSelfJoin cgroup_open_self_join(const CgroupHandle& handle) {
    CgroupSelfJoin join;
    if (handle.systemd || systemd_unit_of(handle.path)) return join;
    for (auto& d : dirs_of(handle)) {
        if (d.h->v2) {
            // clone3 checks our right to write its cgroup.procs; refused, the
            // parent's write gives the error.
            join.v2_dir.reset(::open(d.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            continue;
        }
        std::string path = d.path + "/tasks";
        // Made after the clone: cgroup_make_deferred opens it.
        if (handle.deferred) {
            join.tasks.push_back({unique_fd(), std::move(path)});
            continue;
        }
        unique_fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
        // A delegation that chowned cgroup.procs only: the parent writes that.
        if (!fd && (errno == EACCES || errno == EPERM)) continue;
        if (!fd) throw_errno("open " + path);
        join.tasks.push_back({std::move(fd), std::move(path)});
    }
    return join;
}

int cgroup_join_self(CgroupSelfJoin& join) {
    join.v2_dir.reset();  // nothing the container runs later holds a host cgroup file
    for (auto& f : join.tasks) {
        if (::write(f.fd.get(), "0", 1) != 1) return child_fail(errno, "join cgroup %s", f.path.c_str());
        f.fd.reset();
    }
    return 0;
}

void cgroup_enter_sub(const CgroupHandle& handle, const std::vector<std::string>& subs, pid_t pid) {
    auto dirs = dirs_of(handle);
    if (dirs.empty()) throw Error("exec --cgroup: the container has no cgroup");
    std::vector<std::string> target(dirs.size());
    for (auto& entry : subs) {
        auto colon = entry.find(':');
        std::string sub = colon == std::string::npos ? entry : entry.substr(colon + 1);
        std::vector<std::string> wanted;
        if (colon != std::string::npos) wanted = split(entry.substr(0, colon), ',');
        if (sub.empty() || sub[0] == '/' || ("/" + sub + "/").find("/../") != std::string::npos)
            throw Error("exec --cgroup: \"" + entry + "\" must name a sub-cgroup below the container's cgroup");
        bool matched = false;
        for (size_t i = 0; i < dirs.size(); i++) {
            bool named = wanted.empty();
            for (auto& c : wanted) named = named || dirs[i].h->has(c) || (dirs[i].h->v2 && c == "unified");
            if (!named) continue;
            matched = true;
            target[i] = dirs[i].path + "/" + sub;
            if (::access(target[i].c_str(), F_OK) != 0)
                throw_errno("exec --cgroup: sub-cgroup " + target[i]);
        }
        if (!matched) throw Error("exec --cgroup: no cgroup hierarchy of the container has \"" + entry.substr(0, colon) + "\"");
    }
    for (size_t i = 0; i < dirs.size(); i++)
        write_file((target[i].empty() ? dirs[i].path : target[i]) + "/cgroup.procs", std::to_string(pid));
}

void cgroup_remove(const CgroupHandle& handle) {
    // create failed before systemd took the unit: nothing is ours (the name may be another's).
    if (handle.systemd && !handle.systemd->asked) return;
    if (auto unit = systemd_unit_of(handle.path)) {
        // Stopping the unit removes its cgroup; what is left (v1 hierarchies
        // systemd does not manage, a bus that failed) goes as with cgroupfs.
        try {
            systemd_stop_unit(*unit);
        } catch (const Error& e) {
            log_warning(e.what());
        }
    }
    for (auto& d : dirs_of(handle)) remove_dir(d.path);
    // A create that failed after the clone: the cgroup2 directories it made
    // before, with the parents the container's cgroup needed.
    if (handle.deferred)
        for (auto it = handle.deferred->made_now.rbegin(); it != handle.deferred->made_now.rend(); ++it) ::rmdir(it->c_str());
}

// ---------------------------------------------------------- live cgroup

void cgroup_freeze(const CgroupHandle& handle, bool frozen) {
    using namespace std::chrono_literals;
    auto dirs = dirs_of(handle);
    if (dirs.empty()) throw Error("the container has no cgroup (created with --cgroup-manager disabled or rootless without delegation): it cannot be frozen");
    const Dir* v1 = dir_for(dirs, "freezer");
    if (v1 && !v1->h->v2) {
        std::string file = v1->path + "/freezer.state", want = frozen ? "FROZEN" : "THAWED";
        for (int i = 0; i < 1000; i++) {
            // Writing again pushes a freeze along that a forking task held up (runc does the same).
            write_file(file, want);
            if (read_trimmed(file) == want) return;
            std::this_thread::sleep_for(5ms);
        }
        if (frozen) write_file(file, "THAWED");
        throw Error("freeze " + v1->path + ": tasks did not freeze in 5 s");
    }
    const Dir* v2 = v2_dir(dirs);
    if (!v2 || ::access((v2->path + "/cgroup.freeze").c_str(), F_OK) != 0)
        throw Error("no freezer: neither a v1 freezer hierarchy nor cgroup.freeze (cgroup v2, Linux 5.2) is available");
    write_file(v2->path + "/cgroup.freeze", frozen ? "1" : "0");
    std::string want = frozen ? "frozen 1" : "frozen 0";
    for (int i = 0; i < 1000; i++) {
        if (try_read(v2->path + "/cgroup.events").value_or("").find(want) != std::string::npos) return;
        std::this_thread::sleep_for(5ms);
    }
    if (frozen) write_file(v2->path + "/cgroup.freeze", "0");
    throw Error("freeze " + v2->path + ": cgroup.events did not report \"" + want + "\" in 5 s");
}

bool cgroup_frozen(const CgroupHandle& handle) {
    auto dirs = dirs_of(handle);
    const Dir* v1 = dir_for(dirs, "freezer");
    if (v1 && !v1->h->v2) {
        auto s = try_read(v1->path + "/freezer.state");
        return s && s->rfind("THAWED", 0) != 0;
    }
    const Dir* v2 = v2_dir(dirs);
    return v2 && try_read(v2->path + "/cgroup.freeze").value_or("0")[0] == '1';
}

std::string cgroup_freezer_dir(const CgroupHandle& handle) {
    auto dirs = dirs_of(handle);
    const Dir* v1 = dir_for(dirs, "freezer");
    if (v1 && !v1->h->v2) return v1->path;
    const Dir* v2 = v2_dir(dirs);
    return v2 && ::access((v2->path + "/cgroup.freeze").c_str(), F_OK) == 0 ? v2->path : "";
}

std::vector<std::pair<std::string, std::string>> cgroup_hierarchy_paths(const CgroupHandle& handle) {
    std::vector<std::pair<std::string, std::string>> paths;
    for (auto& d : dirs_of(handle)) paths.emplace_back(d.h->v2 ? "" : d.h->key, d.rel);
    return paths;
}

std::vector<pid_t> cgroup_pids(const CgroupHandle& handle) {
    auto dirs = dirs_of(handle);
    std::vector<pid_t> pids;
    if (const Dir* d = main_dir(dirs)) collect_pids(d->path, pids);
    return pids;
}

bool cgroup_signal_all(const CgroupHandle& handle, int sig) {
    auto dirs = dirs_of(handle);
    const Dir* d = main_dir(dirs);
    if (!d || ::access(d->path.c_str(), F_OK) != 0) return false;
    if (sig == SIGKILL && d->h->v2 && ::access((d->path + "/cgroup.kill").c_str(), F_OK) == 0) {
        write_file(d->path + "/cgroup.kill", "1");
        return true;
    }
    // Frozen, nothing can fork a process we would miss.
    bool was_frozen = cgroup_frozen(handle), froze = false;
    if (!was_frozen) {
        try {
            cgroup_freeze(handle, true);
            froze = true;
        } catch (const Error& e) {
            log_debug(std::string("kill --all without freezing: ") + e.what());
        }
    }
    std::vector<pid_t> pids;
    collect_pids(d->path, pids);
    for (pid_t p : pids)
        if (::kill(p, sig) < 0 && errno != ESRCH) log_warning("kill " + std::to_string(p) + ": " + std::strerror(errno));
    // A killed task in a frozen v1 cgroup only dies once thawed.
    if (froze || (was_frozen && sig == SIGKILL)) cgroup_freeze(handle, false);
    return true;
}

void cgroup_update(const CgroupHandle& handle, const json& resources) {
    auto dirs = dirs_of(handle);
    if (dirs.empty()) throw Error("the container has no cgroup: its resources cannot be updated");
    const Layout& L = layout();
    std::optional<int64_t> current_memory;
    if (const Dir* m = dir_for(dirs, "memory"); m && m->h->v2) {
        if (auto v = try_read(m->path + "/memory.max")) current_memory = v->rfind("max", 0) == 0 ? -1 : std::stoll(*v);
    }
    auto writes = writes_for(L, resources, current_memory);
    check_controllers(dirs, writes);
    // systemd rewrites the files it manages at daemon-reload: the unit's properties first.
    if (auto unit = systemd_unit_of(handle.path))
        systemd_set_properties(*unit, L.mode == CgroupMode::unified ? systemd_resource_props(writes) : systemd_v1_resource_props(writes));
    for (auto& d : dirs)
        if (d.h->v2) enable_controllers(d, v2_needed(writes, L), false);
    apply_writes(dirs, writes);
}

unsigned long long cgroup_oom_kills(const CgroupHandle& handle) {
    auto dirs = dirs_of(handle);
    const Dir* m = dir_for(dirs, "memory");
    if (!m) return 0;
    std::string text = try_read(m->path + (m->h->v2 ? "/memory.events" : "/memory.oom_control")).value_or("");
    auto pos = text.find("oom_kill ");
    return pos == std::string::npos ? 0 : std::stoull(text.substr(pos + 9));
}

}  // namespace rrun
