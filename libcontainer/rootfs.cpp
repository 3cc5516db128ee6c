#include "rootfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <unistd.h>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <cstring>

#include "error.hpp"
#include "fs.hpp"
#include "mount_fd.hpp"
#include "namespaces.hpp"
#include "sync.hpp"

namespace rrun {

// ---------------------------------------------------------------- parent side

unsigned long propagation_from_name(const std::string& name) {
    static constexpr std::pair<const char*, unsigned long> table[] = {
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    for (auto& [n, v] : table)
        if (name == n) return v;
    return 0;
}

void parse_mount_options(const std::vector<std::string>& options, MountStep& step) {
    struct Flag {
        const char* name;
        bool clear;
        unsigned long flag;
    };
    static constexpr Flag flags[] = {
        {"defaults", false, 0},       {"ro", false, MS_RDONLY},         {"rw", true, MS_RDONLY},
        {"suid", true, MS_NOSUID},    {"nosuid", false, MS_NOSUID},     {"dev", true, MS_NODEV},
        {"nodev", false, MS_NODEV},   {"exec", true, MS_NOEXEC},        {"noexec", false, MS_NOEXEC},
        {"sync", false, MS_SYNCHRONOUS}, {"async", true, MS_SYNCHRONOUS}, {"dirsync", false, MS_DIRSYNC},
        {"remount", false, MS_REMOUNT}, {"mand", false, MS_MANDLOCK},   {"nomand", true, MS_MANDLOCK},
        {"atime", true, MS_NOATIME},  {"noatime", false, MS_NOATIME},   {"diratime", true, MS_NODIRATIME},
        {"nodiratime", false, MS_NODIRATIME}, {"relatime", false, MS_RELATIME}, {"norelatime", true, MS_RELATIME},
        {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
        {"lazytime", false, MS_LAZYTIME}, {"nolazytime", true, MS_LAZYTIME},
    };
    for (auto& opt : options) {
        if (opt == "bind" || opt == "rbind") {
            step.kind = MountKind::bind;
            step.recursive = step.recursive || opt == "rbind";
            continue;
        }
        if (unsigned long p = propagation_from_name(opt)) {
            step.propagation = p;
            continue;
        }
        bool known = false;
        for (auto& f : flags) {
            if (opt == f.name) {
                if (f.clear)
                    step.flags &= ~f.flag;
                else
                    step.flags |= f.flag;
                known = true;
                break;
            }
        }
        if (known) continue;
        // Recursive variants (mount_setattr(2) on the whole tree), as runc and crun take them.
        struct RecursiveAttr {
            const char* name;
            bool clear;
            uint64_t attr;
        };
        static constexpr RecursiveAttr recursive[] = {
            {"rro", false, MOUNT_ATTR_RDONLY},       {"rrw", true, MOUNT_ATTR_RDONLY},
            {"rnosuid", false, MOUNT_ATTR_NOSUID},   {"rsuid", true, MOUNT_ATTR_NOSUID},
            {"rnodev", false, MOUNT_ATTR_NODEV},     {"rdev", true, MOUNT_ATTR_NODEV},
            {"rnoexec", false, MOUNT_ATTR_NOEXEC},   {"rexec", true, MOUNT_ATTR_NOEXEC},
            {"rnodiratime", false, MOUNT_ATTR_NODIRATIME}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
            {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW}, {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
        };
        for (auto& r : recursive) {
            if (opt != r.name) continue;
            (r.clear ? step.attr_clr : step.attr_set) |= r.attr;
            (r.clear ? step.attr_set : step.attr_clr) &= ~r.attr;
            known = true;
        }
        // The atime modes are one field: clearing it selects the new mode.
        static constexpr std::pair<const char*, uint64_t> atime[] = {
            {"rnoatime", MOUNT_ATTR_NOATIME}, {"rrelatime", MOUNT_ATTR_RELATIME}, {"rstrictatime", MOUNT_ATTR_STRICTATIME}};
        for (auto& [name, mode] : atime) {
            if (opt != name) continue;
            step.attr_clr |= MOUNT_ATTR__ATIME;
            step.attr_set = (step.attr_set & ~MOUNT_ATTR__ATIME) | mode;
            known = true;
        }
        if (opt == "nosymfollow" || opt == "symfollow") {
            if (opt == "nosymfollow") step.flags |= MS_NOSYMFOLLOW; else step.flags &= ~MS_NOSYMFOLLOW;
            known = true;
        }
        if (known) continue;
        if (opt == "tmpcopyup") {
            step.copy_up = true;
            continue;
        }
        if (opt == "idmap" || opt == "ridmap") {
            step.idmap = true;
            step.idmap_recursive = step.idmap_recursive || opt == "ridmap";
            continue;
        }
        if (!step.data.empty()) step.data += ",";
        step.data += opt;
    }
}

namespace {

bool is_cgroup2(const char* path) {
    struct statfs sfs;
    return ::statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

// The v1 (and hybrid v2) hierarchies mounted under /sys/fs/cgroup, with the
// path of rrun's own cgroup in each, for bind mounts when a fresh mount is refused.
std::vector<CgroupHierarchy> host_cgroup_hierarchies() {
    std::vector<CgroupHierarchy> out;
    const std::string& mountinfo = self_mountinfo();
    const std::string& self = self_cgroup_file();
    size_t pos = 0;
    while (pos < mountinfo.size()) {
        size_t eol = mountinfo.find('\n', pos);
        if (eol == std::string::npos) eol = mountinfo.size();
        // Only cgroup mounts are taken apart (a space in a path is \040 here):
        // on to the line of the next one, each byte looked at once.
        size_t kind = mountinfo.find(" - cgroup", pos);
        if (kind == std::string::npos) break;
        if (kind > eol) {
            pos = mountinfo.rfind('\n', kind) + 1;
            continue;
        }
        std::string line = mountinfo.substr(pos, eol - pos);
        pos = eol + 1;
        // id parent maj:min root mountpoint options [optional...] - fstype source superoptions
        std::vector<std::string> f;
        for (size_t i = 0; i < line.size();) {
            size_t j = line.find(' ', i);
            if (j == std::string::npos) j = line.size();
            f.push_back(line.substr(i, j - i));
            i = j + 1;
        }
        size_t dash = 0;
        while (dash < f.size() && f[dash] != "-") dash++;
        if (f.size() < 5 || dash + 3 >= f.size()) continue;
        const std::string& mnt = f[4];
        const std::string& fstype = f[dash + 1];
        if ((fstype != "cgroup" && fstype != "cgroup2") || mnt.rfind("/sys/fs/cgroup/", 0) != 0) continue;
        CgroupHierarchy h;
        h.name = mnt.substr(15);
        h.fstype = fstype;
        std::string controllers;
        for (size_t i = 0; i <= f[dash + 3].size();) {
            size_t j = f[dash + 3].find(',', i);
            if (j == std::string::npos) j = f[dash + 3].size();
            std::string o = f[dash + 3].substr(i, j - i);
            i = j + 1;
            if (o.empty() || o == "rw" || o == "ro" || o == "nsdelegate" || o == "memory_recursiveprot" ||
                o == "clone_children" || o == "noprefix" || o.rfind("release_agent", 0) == 0)
                continue;
            if (!h.options.empty()) h.options += ",";
            h.options += o;
        }
        // Our cgroup in this hierarchy: the /proc/self/cgroup line whose controller list matches.
        std::string key = fstype == "cgroup2" ? "" : h.options;
        std::string sub = "/";
        for (size_t i = 0; i < self.size();) {
            size_t j = self.find('\n', i);
            if (j == std::string::npos) j = self.size();
            std::string l = self.substr(i, j - i);
            i = j + 1;
            auto c1 = l.find(':'), c2 = l.find(':', c1 + 1);
            if (c1 == std::string::npos || c2 == std::string::npos) continue;
            if (l.substr(c1 + 1, c2 - c1 - 1) == key) sub = l.substr(c2 + 1);
        }
        h.host_path = join_path(mnt, sub);
        out.push_back(std::move(h));
    }
    return out;
}

// The path of our own cgroup on a v2 host, where the container goes without a cgroup of its own.
std::string own_cgroup2_path() {
    const std::string& self = self_cgroup_file();
    size_t at = self.rfind("0::", 0) == 0 ? 0 : self.find("\n0::");
    if (at == std::string::npos) return "/sys/fs/cgroup";
    if (at) at++;
    size_t eol = self.find('\n', at);
    return join_path("/sys/fs/cgroup", self.substr(at + 3, eol == std::string::npos ? std::string::npos : eol - at - 3));
}

void check_mappings(const std::vector<IdMapping>& maps, const std::string& where) {
    if (maps.size() > 340) throw Error(where + ": at most 340 ranges");
    for (size_t i = 0; i < maps.size(); i++) {
        auto& m = maps[i];
        std::string at = where + "[" + std::to_string(i) + "]";
        if (m.size == 0) throw Error(at + ".size: must not be 0");
        if (uint64_t(m.container_id) + m.size > (uint64_t(1) << 32) || uint64_t(m.host_id) + m.size > (uint64_t(1) << 32))
            throw Error(at + ": the range goes past the last id 4294967295");
    }
}

// An idmapped copy of the source, made here because MOUNT_ATTR_IDMAP needs
// CAP_SYS_ADMIN over the source's filesystem, which the container's init (in
// its own user namespace) lacks; the init moves it onto the destination.
void make_idmapped_tree(RootfsPlan& plan, MountStep& step, const Mount& m, const Spec& spec, const std::string& where) {
    if (step.kind != MountKind::bind) throw Error(where + ": idmapped mounts are only supported for bind mounts");
    if (m.uid_mappings.empty() != m.gid_mappings.empty())
        throw Error(where + (m.uid_mappings.empty() ? ".uidMappings" : ".gidMappings") +
                    ": an idmapped mount needs both uidMappings and gidMappings");
    const auto* uids = &m.uid_mappings;
    const auto* gids = &m.gid_mappings;
    std::string fields = where + ".uidMappings/gidMappings";
    if (uids->empty()) {
        // runtime-spec: without mappings of its own, the mount takes the container's user namespace mappings.
        if (!spec.linux || spec.linux->uid_mappings.empty() || spec.linux->gid_mappings.empty())
            throw Error(where + ".options: \"" + (step.idmap_recursive ? "ridmap" : "idmap") +
                        "\" without uidMappings and gidMappings needs a new user namespace with linux.uidMappings and linux.gidMappings");
        uids = &spec.linux->uid_mappings;
        gids = &spec.linux->gid_mappings;
        fields = "linux.uidMappings/gidMappings";
    } else {
        check_mappings(*uids, where + ".uidMappings");
        check_mappings(*gids, where + ".gidMappings");
    }
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (step.recursive ? AT_RECURSIVE : 0);
    unique_fd tree(::open_tree(AT_FDCWD, step.source.c_str(), flags));
    if (!tree) {
        if (errno == EPERM)
            throw Error(where + ": idmapped mounts need CAP_SYS_ADMIN over the mount namespace and the source's "
                        "filesystem, which this (rootless) runtime does not have (open_tree " + step.source + ")");
        throw_errno(where + ".source: open_tree " + step.source);
    }
    unique_fd userns;
    try {
        userns = make_user_namespace(*uids, *gids);
    } catch (const Error& e) {
        throw Error(fields + ": the kernel refused the mapping: " + e.what());
    }
    struct mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(userns.get());
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | (step.idmap_recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
        int err = errno;
        std::string why = err == EINVAL ? "the filesystem of " + step.source + (step.idmap_recursive ? " (or of a mount below it)" : "") +
                                              " does not support idmapped mounts"
                          : err == EPERM ? "idmapping " + step.source + " needs CAP_SYS_ADMIN over its filesystem (rootless: only filesystems mounted inside the user namespace)"
                                         : "idmap " + step.source;
        throw_sys(err, where + ": " + why);
    }
    step.idmapped_tree = tree.get();
    plan.idmapped_trees.push_back(std::move(tree));
}

// In a user namespace a device node is a bind mount of a host node: the one
// at the same path when it is that device (runc binds that path whatever it
// holds, and fails where there is none), else the node the kernel names for
// the numbers in /sys/dev.
std::string host_device_node(const Device& d, const std::string& where) {
    if (d.type == 'p') return d.path;
    mode_t kind = d.type == 'b' ? S_IFBLK : S_IFCHR;
    dev_t rdev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    auto is_it = [&](const std::string& p) {
        struct stat st;
        return ::stat(p.c_str(), &st) == 0 && (st.st_mode & S_IFMT) == kind && st.st_rdev == rdev;
    };
    if (is_it(d.path)) return d.path;
    std::string numbers = std::to_string(d.major) + ":" + std::to_string(d.minor);
    std::string name;
    try {
        std::string uevent = read_file(std::string("/sys/dev/") + (d.type == 'b' ? "block/" : "char/") + numbers + "/uevent");
        size_t at = uevent.rfind("DEVNAME=", 0) == 0 ? 0 : uevent.find("\nDEVNAME=");
        if (at != std::string::npos) {
            at = uevent.find('=', at) + 1;
            name = uevent.substr(at, uevent.find('\n', at) - at);
        }
    } catch (const Error&) {
    }
    if (!name.empty() && name.find("..") == std::string::npos && is_it("/dev/" + name)) return "/dev/" + name;
    throw Error(where + ": the host has no node for " + (d.type == 'b' ? "block" : "char") + " device " + numbers +
                " to bind at " + d.path + " (a user namespace cannot mknod)");
}

}  // namespace

void point_cgroup_mounts_at(RootfsPlan& plan, const std::string& handle) {
    if (handle.empty()) return;
    // One path for every hierarchy, or "KEY:PATH" lines, one per hierarchy (see CgroupHandle).
    auto path_for = [&](const std::string& key) {
        if (handle[0] == '/') return handle;
        std::string path;
        for (size_t i = 0; i < handle.size();) {
            size_t eol = handle.find('\n', i);
            if (eol == std::string::npos) eol = handle.size();
            std::string line = handle.substr(i, eol - i);
            i = eol + 1;
            auto colon = line.find(':');
            if (colon != std::string::npos && line.substr(0, colon) == key) path = line.substr(colon + 1);
        }
        return path;
    };
    for (auto& h : plan.cgroup_hierarchies) {
        std::string path = path_for(h.fstype == "cgroup2" ? "" : h.options);
        if (!path.empty()) h.host_path = join_path("/sys/fs/cgroup/" + h.name, path);
    }
    if (plan.cgroup_v2_host) {
        std::string path = path_for("");
        if (!path.empty()) plan.cgroup2_path = join_path("/sys/fs/cgroup", path);
    }
}

namespace {

// The mount point of the mount that holds PATH: the longest mount point of
// /proc/self/mountinfo on its way (octal escapes undone), "/" at worst.
std::string mount_point_of(const std::string& path) {
    char real[PATH_MAX];
    if (!::realpath(path.c_str(), real)) throw_errno("root.path " + path);
    std::string target = real, best = "/";
    const std::string& mountinfo = self_mountinfo();
    for (size_t pos = 0; pos < mountinfo.size();) {
        size_t eol = mountinfo.find('\n', pos);
        if (eol == std::string::npos) eol = mountinfo.size();
        // id parent maj:min root MOUNTPOINT options ...: the fifth field
        size_t start = pos;
        for (int field = 0; field < 4 && start != 0; field++) start = mountinfo.find(' ', start) + 1;
        size_t end = start == 0 ? std::string::npos : mountinfo.find(' ', start);
        pos = eol + 1;
        if (end == std::string::npos || end > eol) continue;
        std::string mp;
        for (size_t i = start; i < end; i++) {
            if (mountinfo[i] == '\\' && i + 3 < end) {  // \040 for a space, and the like
                mp += static_cast<char>(std::stoi(mountinfo.substr(i + 1, 3), nullptr, 8));
                i += 3;
            } else {
                mp += mountinfo[i];
            }
        }
        bool holds = target == mp || (target.rfind(mp, 0) == 0 && (mp == "/" || target[mp.size()] == '/'));
        if (holds && mp.size() > best.size()) best = mp;
    }
    return best;
}

}  // namespace

RootfsPlan plan_rootfs(const Spec& spec, bool no_pivot, bool in_user_namespace) {
    RootfsPlan plan;
    plan.rootfs = spec.root_path;
    plan.readonly = spec.root_readonly;
    plan.no_pivot = no_pivot;
    plan.in_user_namespace = in_user_namespace;
    plan.has_kcore = path_exists("/proc/kcore");
    struct stat st;
    if (::stat(plan.rootfs.c_str(), &st) < 0) throw_errno("root.path " + plan.rootfs);
    if (!S_ISDIR(st.st_mode)) throw Error("root.path " + plan.rootfs + ": not a directory");

    plan.root_propagation = MS_SLAVE | MS_REC;
    if (spec.linux && !spec.linux->rootfs_propagation.empty()) {
        plan.final_propagation = propagation_from_name(spec.linux->rootfs_propagation);
        if (!plan.final_propagation)
            throw Error("linux.rootfsPropagation: unknown value \"" + spec.linux->rootfs_propagation + "\"");
        // runc's rule: it takes the place of the first rslave, so that with
        // rshared the container's mounts stay in the host's peer groups and a
        // Bidirectional volume's mounts reach the host (Kubernetes).
        plan.root_propagation = plan.final_propagation;
        if (plan.root_propagation & MS_SHARED) plan.rootfs_parent_mount = mount_point_of(plan.rootfs);
    }
    bool cgroup_mount = false;
    for (size_t i = 0; i < spec.mounts.size(); i++) {
        auto& m = spec.mounts[i];
        std::string where = "mounts[" + std::to_string(i) + "]";
        MountStep step;
        step.destination = m.destination;
        step.source = m.source;
        step.type = m.type;
        if (m.type == "bind") step.kind = MountKind::bind;
        parse_mount_options(m.options, step);
        if (step.kind == MountKind::bind) {
            if (step.source.empty()) throw Error(where + ".source: a bind mount needs a source");
            // A relative bind source is relative to the bundle, our cwd (runc's
            // behaviour); made absolute as the init may join a mount namespace.
            char cwd[PATH_MAX];
            if (step.source[0] != '/' && ::getcwd(cwd, sizeof cwd)) step.source = join_path(cwd, step.source);
            struct stat sst;
            if (::stat(step.source.c_str(), &sst) < 0) throw_errno(where + ".source " + step.source);
            step.source_is_dir = S_ISDIR(sst.st_mode);
            if (m.destination == "/dev") plan.make_default_devices = false;
        } else if (m.type == "cgroup" || m.type == "cgroup2") {
            step.kind = MountKind::cgroup;
            cgroup_mount = true;
        } else if (m.type.empty()) {
            throw Error(where + ".type: required for a mount that is not a bind mount");
        }
        if (step.idmap || !m.uid_mappings.empty() || !m.gid_mappings.empty()) make_idmapped_tree(plan, step, m, spec, where);
        plan.mounts.push_back(std::move(step));
    }
    if (cgroup_mount) {
        plan.cgroup_v2_host = is_cgroup2("/sys/fs/cgroup");
        if (!plan.cgroup_v2_host) plan.cgroup_hierarchies = host_cgroup_hierarchies();
        else plan.cgroup2_path = own_cgroup2_path();
    }
    if (spec.linux) {
        plan.devices = spec.linux->devices;
        plan.masked_paths = spec.linux->masked_paths;
        plan.readonly_paths = spec.linux->readonly_paths;
        for (size_t i = 0; i < plan.devices.size(); i++) {
            auto& d = plan.devices[i];
            std::string where = "linux.devices[" + std::to_string(i) + "]";
            if (d.path.empty() || d.path[0] != '/') throw Error(where + ".path: must be an absolute path");
            if (in_user_namespace) plan.device_sources.push_back(host_device_node(d, where));
        }
    }
    return plan;
}

// ---------------------------------------------------------------- child side

namespace {

int openat2_in_root(int rootfd, const char* path, int flags) {
    return openat2_resolve(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

struct FdPath {
    char buf[32];
    explicit FdPath(int fd) { snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd); }
    const char* c_str() const { return buf; }
};

// Without a mount namespace the mounts are made in the runtime's, where they
// would outlive the container: before each mount(2) the init appends "ID
// PATH\0" to the container's mount record (PATH: the destination resolved on
// the host; ID: the mount there until now), so that delete can take down what
// was stacked there since, even when we die just after the mount. The first
// entry is the rootfs itself. Static, as the helpers below take no plan: set
// by prepare_rootfs, in the child only.
int mount_record_fd = -1;

// SUFFIX: a name in the directory FD, for a mount to come on a file that may not exist yet.
int note_mount_target(int fd, const char* suffix = "") {
    if (mount_record_fd < 0) return 0;
    struct statx stx;
    if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0) return -1;
    char entry[PATH_MAX + 32];
    int n = snprintf(entry, sizeof entry, "%llu ", static_cast<unsigned long long>(stx.stx_mnt_id));
    ssize_t len = ::readlink(FdPath(fd).c_str(), entry + n, sizeof entry - static_cast<size_t>(n) - 1);
    if (len < 0) return -1;
    size_t used = static_cast<size_t>(n + len), extra = strlen(suffix);
    if (used + extra + 1 >= sizeof entry) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(entry + used, suffix, extra + 1);
    size_t total = used + extra + 1;
    if (::write(mount_record_fd, entry, total) == static_cast<ssize_t>(total)) return 0;
    if (errno == 0) errno = EIO;
    return -1;
}

// Attaches the detached mount MNT on the destination fd FD (closed here;
// FD < 0: its open failed, errno set). MNT_OUT, if given, takes the mount's
// fd (attached now: its attributes can still be changed through it); else it
// is closed.
int attach_on(int mnt, int fd, int* mnt_out) {
    int rc = fd < 0 || note_mount_target(fd) < 0 ? -1 : attach_mount(mnt, fd);
    int err = errno;
    if (fd >= 0) ::close(fd);
    if (rc == 0 && mnt_out) *mnt_out = mnt;
    else ::close(mnt);
    errno = err;
    return rc;
}

// Attaches the detached mount MNT on DEST inside ROOTFD (made if missing), as attach_on.
int attach_in_root(int rootfd, int mnt, const char* dest, bool dir, int* mnt_out) {
    int fd = open_in_root(rootfd, dest, true, dir);
    if (fd >= 0) return attach_on(mnt, fd, mnt_out);
    int err = errno;
    ::close(mnt);
    return child_fail(err, "create mount destination %s", dest);
}

// A new filesystem on DEST inside ROOTFD, its flags set on the mount before
// it is attached. -1 and errno on failure (EPERM: refused here).
int mount_in_root(int rootfd, const char* dest, bool dir, const char* source, const char* type,
                  unsigned long flags, const char* data, int* mnt_out = nullptr) {
    int mnt = new_fs_mount(type, source, data, flags);
    return mnt < 0 ? -1 : attach_in_root(rootfd, mnt, dest, dir, mnt_out);
}

// What bind_tree and mount_bind call their mount in messages.
const char* bind_kind(int tree) { return tree >= 0 ? "idmapped mount" : "bind mount"; }

// A detached bind of the host path SOURCE (or TREE >= 0: an idmapped tree,
// see make_idmapped_tree) for DEST, its flags set on the clone (a remount of
// DEST by name could land on whatever a racing rename put there:
// CVE-2021-30465's class, issue #22). -1 with child_fail() set.
int bind_tree(const char* source, const char* dest, bool recursive, unsigned long flags, int tree = -1) {
    const char* what = bind_kind(tree);
    int mnt = tree >= 0 ? tree : clone_mount(AT_FDCWD, source, recursive);
    if (mnt < 0) return child_fail(errno, "%s %s on %s", what, source, dest);
    if ((flags & ~(MS_BIND | MS_REC)) && set_mount_flags(mnt, flags) < 0) {
        int err = errno;
        ::close(mnt);
        return child_fail(err, "%s %s on %s: set its flags", what, source, dest);
    }
    return mnt;
}

// bind_tree's mount attached on DEST.
int mount_bind(int rootfd, const char* source, const char* dest, bool dir, bool recursive, unsigned long flags,
               int tree = -1, int* mnt_out = nullptr) {
    int mnt = bind_tree(source, dest, recursive, flags, tree);
    if (mnt < 0) return -1;
    if (attach_in_root(rootfd, mnt, dest, dir, mnt_out) < 0)
        return child_fail(errno, "%s %s on %s", bind_kind(tree), source, dest);
    return 0;
}

// A hierarchy's directory in the tmpfs TOP that mount_cgroup has just made:
// no one else has seen it, so the directory is made and opened there by
// name, not resolved again from the root (two openat2 and a close fewer for
// each of a hybrid host's ten hierarchies).
int hierarchy_dir(int top, const char* name) {
    if (strchr(name, '/')) return open_in_root(top, name, true, true);  // a nested mount point: level by level
    if (::mkdirat(top, name, 0755) < 0 && errno != EEXIST) return -1;
    return ::openat(top, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int mount_cgroup(int rootfd, const RootfsPlan& plan, const MountStep& m, int* mnt_out) {
    unsigned long flags = m.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (plan.cgroup_v2_host) {
        if (mount_in_root(rootfd, m.destination.c_str(), true, "cgroup2", "cgroup2", flags, nullptr, mnt_out) == 0) return 0;
        if (errno != EPERM && errno != EBUSY) return child_fail(errno, "mount cgroup2 on %s", m.destination.c_str());
        // Refused (rootless): show the container's own cgroup, as a cgroup namespace mount would.
        const char* own = plan.cgroup2_path.empty() ? "/sys/fs/cgroup" : plan.cgroup2_path.c_str();
        return mount_bind(rootfd, own, m.destination.c_str(), true, true, flags, -1, mnt_out);
    }
    // The tmpfs holding the hierarchies goes read-only through its own fd at the end.
    int top = -1;
    if (mount_in_root(rootfd, m.destination.c_str(), true, "tmpfs", "tmpfs", flags & ~MS_RDONLY, "mode=755", &top) < 0)
        return child_fail(errno, "mount tmpfs on %s", m.destination.c_str());
    char sub[PATH_MAX];
    for (auto& h : plan.cgroup_hierarchies) {
        // As runc without a cgroup namespace: each controller shows the container's own cgroup; no hybrid v2 tree.
        if (!plan.new_cgroup_ns && h.fstype == "cgroup2") continue;
        snprintf(sub, sizeof sub, "%s/%s", m.destination.c_str(), h.name.c_str());
        int mnt = plan.new_cgroup_ns ? new_fs_mount(h.fstype.c_str(), "cgroup", h.options.c_str(), flags) : -1;
        // Not allowed outside the initial user namespace: show our own cgroup from the host.
        if (mnt < 0 && (mnt = bind_tree(h.host_path.c_str(), sub, true, flags)) < 0) return ::close(top), -1;
        if (attach_on(mnt, hierarchy_dir(top, h.name.c_str()), nullptr) < 0) {
            int err = errno;
            ::close(top);
            return child_fail(err, "mount cgroup on %s", sub);
        }
    }
    if ((flags & MS_RDONLY) && make_fs_readonly(top) < 0) {
        int err = errno;
        ::close(top);
        return child_fail(err, "make the tmpfs at %s read-only", m.destination.c_str());
    }
    if (mnt_out) *mnt_out = top;
    else ::close(top);
    return 0;
}

// tmpcopyup (podman's read-only containers and --tmpfs): copies directories,
// regular files and symlinks with their modes and owners.
int copy_tree(int src, int dst) {
    int dup_fd = ::dup(src);
    DIR* dir = dup_fd < 0 ? nullptr : ::fdopendir(dup_fd);
    if (!dir) return child_fail(errno, "tmpcopyup: read directory");
    int rc = 0;
    while (auto* de = ::readdir(dir)) {
        const char* name = de->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        struct stat st;
        if (::fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
        if (S_ISDIR(st.st_mode)) {
            ::mkdirat(dst, name, st.st_mode & 07777);
            int s = ::openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int d = ::openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (s >= 0 && d >= 0) rc = copy_tree(s, d);
            if (s >= 0) ::close(s);
            if (d >= 0) ::close(d);
        } else if (S_ISREG(st.st_mode)) {
            int s = ::openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            int d = ::openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
            char buf[65536];
            ssize_t n = 0;
            while (s >= 0 && d >= 0 && (n = ::read(s, buf, sizeof buf)) > 0)
                if (::write(d, buf, static_cast<size_t>(n)) != n) break;
            if (s < 0 || d < 0 || n < 0) rc = child_fail(errno, "tmpcopyup: copy %s", name);
            if (s >= 0) ::close(s);
            if (d >= 0) ::close(d);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = ::readlinkat(src, name, target, sizeof target - 1);
            if (n > 0) {
                target[n] = 0;
                ::symlinkat(target, dst, name);
            }
        } else {
            continue;
        }
        ::fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        if (rc < 0) break;
    }
    ::closedir(dir);
    return rc;
}

// A tmpfs, with tmpcopyup holding what was underneath. As runc does, a
// tmpfs over an existing directory takes that directory's mode (not its
// owner), whatever its mode= option says; over a directory rrun makes it
// keeps mode= (podman's --tmpfs /scratch:mode=1777). The copy, the mode and
// "ro" are done on the detached mount, which is attached last: nothing sees
// it half made, and nothing is looked up by name again.
int mount_tmpfs(int rootfd, const MountStep& m, int* mnt_out) {
    const char* dest = m.destination.c_str();
    // What is underneath, if anything: its mode, and for tmpcopyup its
    // contents (a directory made now would have none to copy).
    int old_dir = -1;
    int under = open_in_root(rootfd, dest, false, true);
    struct stat st;
    bool under_dir = under >= 0 && ::fstat(under, &st) == 0 && S_ISDIR(st.st_mode);
    if (under_dir && m.copy_up && (old_dir = ::openat(under, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        ::close(under);
        return child_fail(errno, "tmpcopyup: open %s", dest);
    }
    if (under >= 0) ::close(under);
    int mnt = new_fs_mount(m.type.c_str(), m.source.c_str(), m.data.c_str(), m.flags & ~MS_RDONLY);
    int rc = mnt < 0 ? child_fail(errno, "mount %s on %s", m.type.c_str(), dest) : 0;
    if (rc == 0 && under_dir) {
        int new_dir = ::openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (new_dir < 0) rc = child_fail(errno, "open the tmpfs for %s", dest);
        if (rc == 0 && old_dir >= 0) rc = copy_tree(old_dir, new_dir);
        if (rc == 0 && ::fchmod(new_dir, st.st_mode & 07777) < 0) rc = child_fail(errno, "chmod the tmpfs at %s", dest);
        if (new_dir >= 0) ::close(new_dir);
    }
    if (old_dir >= 0) ::close(old_dir);
    if (rc == 0 && (m.flags & MS_RDONLY) && make_fs_readonly(mnt) < 0)
        rc = child_fail(errno, "make the tmpfs for %s read-only", dest);
    if (rc < 0) {
        if (mnt >= 0) ::close(mnt);
        return rc;
    }
    if (attach_in_root(rootfd, mnt, dest, true, mnt_out) < 0) return child_fail(errno, "mount %s on %s", m.type.c_str(), dest);
    return 0;
}

int do_mount(int rootfd, const RootfsPlan& plan, const MountStep& m) {
    const char* dest = m.destination.c_str();
    // The new mount's fd, when its propagation or recursive attributes are still to be set.
    int mnt = -1;
    int* want = m.propagation || m.attr_set || m.attr_clr ? &mnt : nullptr;
    switch (m.kind) {
        case MountKind::bind:
            if (mount_bind(rootfd, m.source.c_str(), dest, m.source_is_dir, m.recursive, m.flags, m.idmapped_tree, want) < 0)
                return -1;
            break;
        case MountKind::cgroup:
            if (mount_cgroup(rootfd, plan, m, want) < 0) return -1;
            break;
        case MountKind::regular:
            if (m.type == "tmpfs") {
                if (mount_tmpfs(rootfd, m, want) < 0) return -1;
                break;
            }
            if (mount_in_root(rootfd, dest, true, m.source.c_str(), m.type.c_str(), m.flags, m.data.c_str(), want) == 0)
                break;
            // sysfs needs a network namespace of our own; rootless without one, bind the host's read-only.
            if (errno == EPERM && m.type == "sysfs" && plan.in_user_namespace) {
                if (mount_bind(rootfd, "/sys", dest, true, true, m.flags | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, -1, want) < 0)
                    return -1;
                break;
            }
            return child_fail(errno, "mount %s on %s", m.type.c_str(), dest);
    }
    if (!want) return 0;
    int rc = 0;
    if (m.propagation && set_mount_propagation(mnt, m.propagation) < 0)
        rc = child_fail(errno, "set propagation of %s", dest);
    if (rc == 0 && (m.attr_set || m.attr_clr) && add_mount_attrs(mnt, m.attr_set, m.attr_clr, true) < 0)
        rc = child_fail(errno, "set recursive mount attributes of %s", dest);
    ::close(mnt);
    return rc;
}

struct DefaultDevice {
    const char* path;
    unsigned major, minor;
};
constexpr DefaultDevice default_devices[] = {
    {"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

// Splits "/a/b/c" at the last slash into a buffer: returns the name, DIR gets "/a/b".
const char* split_parent(const char* path, char* dir, size_t len) {
    snprintf(dir, len, "%s", path);
    char* slash = strrchr(dir, '/');
    if (!slash) return path;
    if (slash == dir) {
        dir[1] = 0;
    } else {
        *slash = 0;
    }
    return path + (slash - dir) + 1;
}

// The device PATH, NAME in the directory DIRFD (the device's parent, left
// open). SOURCE: the host node bound instead where mknod is not allowed.
int make_device(int rootfd, int dirfd, const char* name, const RootfsPlan& plan, const char* path, const char* source,
                char type, unsigned major, unsigned minor, mode_t mode, uid_t uid, gid_t gid) {
    mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
    struct stat existing;
    if (::fstatat(dirfd, name, &existing, AT_SYMLINK_NOFOLLOW) == 0) {
        // Like runc, a node or link already there is kept (podman --privileged
        // lists /dev/ptmx, which is our link to pts/ptmx); a plain file or a
        // directory in the device's place is an error.
        if (S_ISREG(existing.st_mode) || S_ISDIR(existing.st_mode))
            return child_fail(0, "linux.devices: %s exists and is not a device", path);
        return 0;
    }
    if (!plan.in_user_namespace) {
        if (::mknodat(dirfd, name, kind | (mode & 07777), makedev(major, minor)) == 0)
            return ::fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? child_fail(errno, "chown %s", path) : 0;
        if (errno != EPERM) return child_fail(errno, "mknod %s", path);
    }
    // Never a mount in the runtime's own mount namespace.
    if (!plan.mount_namespace) return child_fail(errno, "mknod %s", path);
    // No mknod in a user namespace: bind the host's node.
    return mount_bind(rootfd, source, path, false, false, 0);
}

int create_device(int rootfd, const RootfsPlan& plan, const char* path, const char* source, char type, unsigned major,
                  unsigned minor, mode_t mode, uid_t uid, gid_t gid) {
    char dir[PATH_MAX];
    const char* name = split_parent(path, dir, sizeof dir);
    int dirfd = open_in_root(rootfd, dir, true, true);
    if (dirfd < 0) return child_fail(errno, "create directory %s", dir);
    int rc = make_device(rootfd, dirfd, name, plan, path, source, type, major, minor, mode, uid, gid);
    ::close(dirfd);
    return rc;
}

// The default devices and links, all in /dev, opened once.
int create_default_dev(int rootfd, const RootfsPlan& plan) {
    constexpr size_t dev_prefix = sizeof "/dev/" - 1;  // every default device's path starts with it
    int devfd = open_in_root(rootfd, "/dev", true, true);
    if (devfd < 0) return child_fail(errno, "open /dev in the rootfs");
    for (auto& d : default_devices) {
        bool overridden = false;
        for (auto& dev : plan.devices) overridden = overridden || dev.path == d.path;
        if (!overridden && make_device(rootfd, devfd, d.path + dev_prefix, plan, d.path, d.path, 'c', d.major, d.minor, 0666, 0, 0) < 0)
            return ::close(devfd), -1;
    }
    static constexpr std::pair<const char*, const char*> links[] = {
        {"/proc/self/fd", "fd"},         {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},   {"pts/ptmx", "ptmx"},          {"/proc/kcore", "core"},
    };
    for (auto& [target, name] : links) {
        if (!plan.has_kcore && strcmp(name, "core") == 0) continue;
        if (::symlinkat(target, devfd, name) < 0 && errno != EEXIST) {
            int err = errno;
            ::close(devfd);
            return child_fail(err, "symlink /dev/%s", name);
        }
    }
    ::close(devfd);
    return 0;
}

// The container's /dev/null, opened without following a symlink and checked
// to be the null device: what a masked file gets bound over it. An image or a
// mount could have put anything there (CVE-2025-31133: a procfs file bound
// read-write over the masked path).
int open_null_device(int rootfd) {
    int fd = openat2_resolve(rootfd, "/dev/null", O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    struct stat st;
    if (fd >= 0 && (::fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))) {
        ::close(fd);
        errno = ENODEV;
        return -1;
    }
    return fd;
}

// NULL_FD: the container's /dev/null, opened on the first masked file.
int mask_path(int rootfd, const char* path, int& null_fd) {
    int fd = open_in_root(rootfd, path, false, false);
    if (fd < 0) return errno == ENOENT ? 0 : child_fail(errno, "maskedPaths: open %s", path);
    // From fds alone: after pivot_root a /proc/self/fd path would go through
    // the container's /proc, where a mount could redirect it.
    struct stat st;
    int rc = ::fstat(fd, &st);
    if (rc == 0) {
        int mnt = -1;
        if (S_ISDIR(st.st_mode))
            mnt = new_fs_mount("tmpfs", "tmpfs", nullptr, MS_RDONLY);  // runc's: no options
        else if (null_fd < 0 && (null_fd = open_null_device(rootfd)) < 0)
            return ::close(fd), child_fail(errno, "maskedPaths: /dev/null of the container is not the null device");
        else
            mnt = clone_mount(null_fd, "", false);
        rc = mnt < 0 ? -1 : attach_mount(mnt, fd);
        int err = errno;
        if (mnt >= 0) ::close(mnt);
        errno = err;
    }
    int err = errno;
    ::close(fd);
    return rc < 0 ? child_fail(err, "maskedPaths: mask %s", path) : 0;
}

// Read-only and nothing more (runc's readonlyPath): the flags the mount
// already has are kept, as a user namespace requires of the locked ones;
// nosuid/nodev/noexec are not added (a read-only /usr still runs programs).
// A clone of what is at PATH, made read-only detached, goes on the same fd.
int readonly_path(int rootfd, const char* path) {
    int fd = open_in_root(rootfd, path, false, false);
    if (fd < 0) return errno == ENOENT ? 0 : child_fail(errno, "readonlyPaths: open %s", path);
    int mnt = clone_mount(fd, "", true);
    const char* step = mnt < 0 ? "bind" : add_mount_attrs(mnt, MOUNT_ATTR_RDONLY, 0, false) < 0 ? "make read-only"
                                       : attach_mount(mnt, fd) < 0                              ? "attach"
                                                                                                : nullptr;
    int err = errno;
    if (mnt >= 0) ::close(mnt);
    ::close(fd);
    return step ? child_fail(err, "readonlyPaths: %s %s", step, path) : 0;
}

}  // namespace

namespace {

// Creates NAME (a directory, or with !DIR an empty file) in PARENT.
void create_in(int parent, const char* name, bool dir) {
    if (dir) {
        ::mkdirat(parent, name, 0755);
        return;
    }
    int f = ::openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f >= 0) ::close(f);
}

}  // namespace

int open_in_root(int rootfd, const char* path, bool create, bool dir) {
    int fd = openat2_in_root(rootfd, path, O_PATH);
    if (fd >= 0 || errno != ENOENT || !create) return fd;
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= static_cast<int>(sizeof buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    // Most often only the last component is missing: make it in its parent
    // (a few syscalls instead of a walk from the root). Anything else, a
    // dangling symlink included, takes the walk below.
    if (char* last = strrchr(buf, '/'); last && last[1]) {
        *last = 0;
        int parent = openat2_in_root(rootfd, buf[0] ? buf : "/", O_PATH);
        *last = '/';
        if (parent >= 0) {
            create_in(parent, last + 1, dir);
            ::close(parent);
            if ((fd = openat2_in_root(rootfd, path, O_PATH)) >= 0) return fd;
        }
    }
    int parent = openat2_in_root(rootfd, "/", O_PATH);
    if (parent < 0) return -1;
    char* p = buf;
    int symlinks = 0;
    while (*p == '/') p++;
    while (*p) {
        char* slash = strchr(p, '/');
        if (slash) *slash = 0;
        bool last = !slash || slash[1] == 0;
        int next = openat2_in_root(rootfd, buf, O_PATH);
        if (next < 0 && errno == ENOENT) {
            create_in(parent, p, !last || dir);
            next = openat2_in_root(rootfd, buf, O_PATH);
        }
        // A dangling symlink: create its target, resolved inside the root
        // (an absolute target is relative to the root, never the host's /).
        char target[PATH_MAX];
        ssize_t tlen;
        if (next < 0 && errno == ENOENT && ++symlinks <= 40 &&
            (tlen = ::readlinkat(parent, p, target, sizeof target - 1)) > 0) {
            target[tlen] = 0;
            char rest[PATH_MAX];
            snprintf(rest, sizeof rest, "%s", slash ? slash + 1 : "");
            *p = 0;  // buf is now the directory holding the link
            char joined[PATH_MAX];
            int n = target[0] == '/' ? snprintf(joined, sizeof joined, "%s/%s", target, rest)
                                     : snprintf(joined, sizeof joined, "%s/%s/%s", buf, target, rest);
            if (n >= static_cast<int>(sizeof joined)) {
                ::close(parent);
                errno = ENAMETOOLONG;
                return -1;
            }
            memcpy(buf, joined, static_cast<size_t>(n) + 1);
            ::close(parent);
            if ((parent = openat2_in_root(rootfd, "/", O_PATH)) < 0) return -1;
            p = buf;
            while (*p == '/') p++;
            continue;
        }
        int err = errno;
        ::close(parent);
        if (next < 0) {
            errno = err;
            return -1;
        }
        parent = next;
        if (!slash) break;
        *slash = '/';
        p = slash + 1;
        while (*p == '/') p++;
    }
    return parent;
}

int prepare_rootfs(const RootfsPlan& plan, CgroupJoinPoint join_cgroups) {
    // For pivot_root only: without a mount namespace of our own they would
    // change the host's "/" and stack the rootfs on itself there (runc does).
    if (plan.mount_namespace && ::mount(nullptr, "/", nullptr, plan.root_propagation, nullptr) < 0)
        return child_fail(errno, "set the propagation of / (rslave, or linux.rootfsPropagation)");
    // pivot_root refuses a shared parent of the new root, and the rootfs's
    // bind below would propagate to the host: that one mount (in our copy of
    // the namespace) is made private, as runc does; the others stay shared.
    if (plan.mount_namespace && !plan.rootfs_parent_mount.empty() &&
        ::mount(nullptr, plan.rootfs_parent_mount.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
        return child_fail(errno, "make %s private", plan.rootfs_parent_mount.c_str());
    if (plan.mount_namespace && ::mount(plan.rootfs.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
        return child_fail(errno, "bind mount rootfs %s", plan.rootfs.c_str());
    // pivot_root refuses a shared new root.
    if (plan.mount_namespace && ::mount(nullptr, plan.rootfs.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
        return child_fail(errno, "make rootfs private");
    int rootfd = ::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return child_fail(errno, "open rootfs %s", plan.rootfs.c_str());
    int rc = 0;
    if (!plan.mount_namespace && plan.mount_record) {
        mount_record_fd = plan.mount_record.get();
        if (note_mount_target(rootfd) < 0) rc = child_fail(errno, "write the container's mount record");
    }
    auto join = [&] {
        int joined = join_cgroups.call ? join_cgroups.call(join_cgroups.arg) : 0;
        join_cgroups.call = nullptr;
        return joined;
    };
    for (size_t i = 0; rc == 0 && i < plan.mounts.size(); i++) {
        if (plan.mounts[i].kind == MountKind::cgroup) rc = join();
        if (rc == 0) rc = do_mount(rootfd, plan, plan.mounts[i]);
    }
    if (rc == 0) rc = join();
    if (rc == 0 && plan.make_default_devices) rc = create_default_dev(rootfd, plan);
    for (size_t i = 0; rc == 0 && i < plan.devices.size(); i++) {
        auto& d = plan.devices[i];
        // A /dev bound from the host is the host's: nothing is made in it (runc's rule).
        if (!plan.make_default_devices && d.path.rfind("/dev/", 0) == 0) continue;
        const char* source = i < plan.device_sources.size() ? plan.device_sources[i].c_str() : d.path.c_str();
        rc = create_device(rootfd, plan, d.path.c_str(), source, d.type, static_cast<unsigned>(d.major),
                           static_cast<unsigned>(d.minor), d.file_mode.value_or(0666), d.uid.value_or(0),
                           d.gid.value_or(0));
    }
    // After the mounts (the cwd may be in one), before the root goes read-only.
    if (rc == 0 && !plan.cwd.empty()) {
        int cwd = open_in_root(rootfd, plan.cwd.c_str(), true, true);
        if (cwd < 0) rc = child_fail(errno, "process.cwd: create %s", plan.cwd.c_str());
        else ::close(cwd);
    }
    // The init's bind of its pty on /dev/console comes after the chroot,
    // where the host path is not known: noted here, with the mount of /dev,
    // whether or not /dev/console exists yet.
    if (rc == 0 && mount_record_fd >= 0) {
        int dev = open_in_root(rootfd, "/dev", false, true);
        if (dev >= 0 && note_mount_target(dev, "/console") < 0) rc = child_fail(errno, "write the container's mount record");
        if (dev >= 0) ::close(dev);
    }
    // Masks go on after pivot_root, sysctls and readonlyPaths (runc's order: a
    // sysctl under a masked /proc/sys is still written).
    ::close(rootfd);
    return rc;
}

int apply_readonly_and_masked_paths(const RootfsPlan& plan) {
    if (plan.readonly_paths.empty() && plan.masked_paths.empty()) return 0;
    int rootfd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return child_fail(errno, "open /");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < plan.readonly_paths.size(); i++)
        rc = readonly_path(rootfd, plan.readonly_paths[i].c_str());
    int null_fd = -1;
    for (size_t i = 0; rc == 0 && i < plan.masked_paths.size(); i++)
        rc = mask_path(rootfd, plan.masked_paths[i].c_str(), null_fd);
    if (null_fd >= 0) ::close(null_fd);
    ::close(rootfd);
    return rc;
}

int enter_rootfs(const RootfsPlan& plan) {
    if (!plan.mount_namespace) {
        // The runtime's mount namespace: chroot alone (runc's choice), no
        // pivot_root or MS_MOVE there, whatever --no-pivot says.
        if (::chdir(plan.rootfs.c_str()) < 0) return child_fail(errno, "chdir %s", plan.rootfs.c_str());
        if (::chroot(".") < 0) return child_fail(errno, "chroot %s", plan.rootfs.c_str());
    } else if (plan.no_pivot) {
        if (::chdir(plan.rootfs.c_str()) < 0) return child_fail(errno, "chdir %s", plan.rootfs.c_str());
        if (::mount(plan.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0) return child_fail(errno, "move rootfs to /");
        if (::chroot(".") < 0) return child_fail(errno, "chroot");
    } else {
        int oldroot = ::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        int newroot = ::open(plan.rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (oldroot < 0 || newroot < 0) return child_fail(errno, "open rootfs %s", plan.rootfs.c_str());
        int rc = ::fchdir(newroot) < 0                                          ? child_fail(errno, "chdir rootfs")
                 : ::syscall(SYS_pivot_root, ".", ".") < 0                     ? child_fail(errno, "pivot_root")
                 : ::fchdir(oldroot) < 0                                       ? child_fail(errno, "chdir old root")
                 : ::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0 ? child_fail(errno, "make old root rslave")
                 : ::umount2(".", MNT_DETACH) < 0                              ? child_fail(errno, "detach old root")
                                                                                : 0;
        ::close(oldroot);
        ::close(newroot);
        if (rc < 0) return rc;
    }
    if (::chdir("/") < 0) return child_fail(errno, "chdir /");
    if (plan.readonly || plan.final_propagation) {
        int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        const char* step = root < 0                                                              ? "open /"
                           : plan.readonly && set_mount_flags(root, MS_RDONLY) < 0                ? "remount rootfs read-only"
                           : plan.final_propagation && set_mount_propagation(root, plan.final_propagation) < 0 ? "set rootfs propagation"
                                                                                                  : nullptr;
        int err = errno;
        if (root >= 0) ::close(root);
        if (step) return child_fail(err, "%s", step);
    }
    return 0;
}

// ---------------------------------------------------------------- parent side, delete

void undo_recorded_mounts(const std::string& record) {
    struct Entry {
        unsigned long long below;
        std::string path;
    };
    std::vector<Entry> entries;
    // An entry cut short (we died writing it) had no mount made after it.
    for (size_t i = 0, end; (end = record.find('\0', i)) != std::string::npos; i = end + 1) {
        std::string e = record.substr(i, end - i);
        size_t space = e.find(' ');
        if (space == std::string::npos || space + 1 >= e.size() || e[space + 1] != '/') continue;
        entries.push_back({std::strtoull(e.c_str(), nullptr, 10), e.substr(space + 1)});
    }
    if (entries.size() < 2) return;
    const Entry& root = entries[0];
    std::string failed;
    for (size_t k = entries.size(); k-- > 1;) {
        const Entry& e = entries[k];
        const std::string& p = e.path;
        if (p != root.path && (p.compare(0, root.path.size(), root.path) != 0 || p[root.path.size()] != '/')) continue;
        // Each mount stacked on the path since the init looked, never the one
        // holding the rootfs;
        // no symlink on the way, so nothing the container put there can
        // point this outside its rootfs.
        for (int depth = 0; depth < 16; depth++) {
            unique_fd fd(openat2_resolve(AT_FDCWD, p.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC,
                                         RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
            struct statx stx;
            if (!fd || ::statx(fd.get(), "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0) break;
            bool mount_root = stx.stx_attributes_mask & stx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
            if (!mount_root || stx.stx_mnt_id == e.below || stx.stx_mnt_id == root.below) break;
            if (::umount2(FdPath(fd.get()).c_str(), MNT_DETACH) < 0) {
                if (failed.empty()) failed = "unmount " + p + " (mounted by the container in the runtime's mount namespace): " + strerror(errno);
                break;
            }
        }
    }
    if (!failed.empty()) throw Error(failed);
}

}  // namespace rrun
