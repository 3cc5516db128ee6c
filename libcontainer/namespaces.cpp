#include "namespaces.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cerrno>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "fs.hpp"
#include "process.hpp"
#include "procfs.hpp"
#include "sync.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace rrun {

int clone_flag(NamespaceType t) {
    switch (t) {
        case NamespaceType::pid: return CLONE_NEWPID;
        case NamespaceType::network: return CLONE_NEWNET;
        case NamespaceType::mount: return CLONE_NEWNS;
        case NamespaceType::ipc: return CLONE_NEWIPC;
        case NamespaceType::uts: return CLONE_NEWUTS;
        case NamespaceType::user: return CLONE_NEWUSER;
        case NamespaceType::cgroup: return CLONE_NEWCGROUP;
        case NamespaceType::time: return CLONE_NEWTIME;
    }
    return 0;
}

namespace {

// A short-lived child in a new user namespace, waiting while its id maps are
// written and the namespace is opened; it exits when released.
class UserNamespaceChild {
public:
    UserNamespaceChild() {
        int ready[2], release[2];
        if (::pipe2(ready, O_CLOEXEC) < 0) throw_errno("pipe");
        unique_fd ready_r(ready[0]), ready_w(ready[1]);
        if (::pipe2(release, O_CLOEXEC) < 0) throw_errno("pipe");
        unique_fd release_r(release[0]);
        release_.reset(release[1]);
        pid_ = ::fork();
        if (pid_ < 0) throw_errno("fork for a user namespace");
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            release_.reset();
            int err = ::unshare(CLONE_NEWUSER) < 0 ? errno : 0;
            if (::write(ready_w.get(), &err, sizeof err) != sizeof err) _exit(1);
            char byte;
            while (::read(release_r.get(), &byte, 1) < 0 && errno == EINTR) {
            }
            _exit(0);
        }
        ready_w.reset();
        int err = 0;
        ssize_t n;
        while ((n = ::read(ready_r.get(), &err, sizeof err)) < 0 && errno == EINTR) {
        }
        if (n != sizeof err) err = ECHILD;
        if (err) {
            reap();
            throw_sys(err, "create a user namespace");
        }
    }
    UserNamespaceChild(const UserNamespaceChild&) = delete;
    UserNamespaceChild& operator=(const UserNamespaceChild&) = delete;
    ~UserNamespaceChild() { reap(); }

    pid_t pid() const { return pid_; }
    unique_fd open() const {
        std::string path = "/proc/" + std::to_string(pid_) + "/ns/user";
        unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno("open " + path);
        return fd;
    }

private:
    void reap() {
        release_.reset();
        if (pid_ > 0)
            while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
            }
        pid_ = -1;
    }
    pid_t pid_ = -1;
    unique_fd release_;
};

std::string plan_time_offsets(const nlohmann::json& offsets) {
    std::string out;
    for (auto& [clock, offset] : offsets.items()) {
        std::string where = "linux.timeOffsets." + clock;
        if (clock != "monotonic" && clock != "boottime")
            throw Error("linux.timeOffsets: unknown clock \"" + clock + "\" (monotonic or boottime)");
        auto secs = offset.value("secs", int64_t(0));
        auto nanosecs = offset.value("nanosecs", uint32_t(0));
        if (nanosecs >= 1000000000) throw Error(where + ".nanosecs: must be below 1000000000");
        out += clock + " " + std::to_string(secs) + " " + std::to_string(nanosecs) + "\n";
    }
    return out;
}

}  // namespace

NamespacePlan plan_namespaces(const Spec& spec) {
    NamespacePlan plan;
    const Linux* linux = spec.linux ? &*spec.linux : nullptr;
    if (!linux) return plan;
    // The user namespace is joined first so the others are joined with its privileges.
    for (int pass = 0; pass < 2; pass++) {
        for (auto& ns : linux->namespaces) {
            bool user = ns.type == NamespaceType::user;
            if ((pass == 0) != user || ns.path.empty()) continue;
            int fd = ::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) throw_errno(std::string("linux.namespaces: ") + namespace_type_name(ns.type) + " " + ns.path);
            plan.joins.push_back({clone_flag(ns.type), unique_fd(fd), ns.path});
        }
    }
    for (auto& ns : linux->namespaces) {
        if (!ns.path.empty()) continue;
        switch (ns.type) {
            case NamespaceType::cgroup: plan.new_cgroup = true; break;
            case NamespaceType::time: plan.new_time = true; break;
            default: plan.clone_flags |= static_cast<unsigned long>(clone_flag(ns.type));
        }
        if (ns.type == NamespaceType::user) plan.new_user = true;
        if (ns.type == NamespaceType::mount) plan.new_mount = true;
        if (ns.type == NamespaceType::uts) plan.new_uts = true;
    }
    if (linux->find_namespace(NamespaceType::time) && !path_exists("/proc/self/ns/time"))
        throw Error("linux.namespaces: this kernel has no time namespaces (CONFIG_TIME_NS)");
    const nlohmann::json* raw = spec.raw && spec.raw->contains("linux") ? &(*spec.raw)["linux"] : nullptr;
    if (raw && raw->contains("timeOffsets") && !(*raw)["timeOffsets"].is_null()) {
        if (!plan.new_time) throw Error("linux.timeOffsets: needs a new time namespace (a \"time\" entry without a path in linux.namespaces)");
        plan.time_offsets = plan_time_offsets((*raw)["timeOffsets"]);
    }
    // An ipc namespace makes its mqueue filesystem at once, its root owned by
    // the creator: cloned with the user namespace, that is our uid, unmapped
    // there when we are the host's root (/dev/mqueue owned by nobody). As
    // runc, the init makes it once it is root of the user namespace.
    if (plan.new_user && (plan.clone_flags & CLONE_NEWIPC)) {
        plan.clone_flags &= ~static_cast<unsigned long>(CLONE_NEWIPC);
        plan.unshare_ipc = true;
    }
    plan.join_user = !plan.joins.empty() && plan.joins.front().nstype == CLONE_NEWUSER;
    plan.clone_in_joined_user = plan.join_user && plan.clone_flags;
    return plan;
}

pid_t clone_container_init(NamespacePlan& plan, int* pidfd, int cgroup, bool* joined) {
    if (!plan.clone_in_joined_user) return clone_process(plan.clone_flags, pidfd, cgroup, joined);
    // An intermediate joins the user namespace, so that it owns the new
    // namespaces, and clones the init as our child (CLONE_PARENT).
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) < 0) return -1;
    pid_t mid = ::fork();
    if (mid < 0) {
        int err = errno;
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        errno = err;
        return -1;
    }
    if (mid == 0) {
        ::close(pipefd[0]);
        long result;
        if (::setns(plan.joins.front().fd.get(), CLONE_NEWUSER) < 0) {
            result = -errno;
        } else {
            plan.joins.erase(plan.joins.begin());  // the init is in it already
            // Its root, when mapped: files on the namespace's own filesystems
            // (a tmpfs at /dev) need an owner mapped there.
            ::setresgid(0, 0, 0);
            ::setresuid(0, 0, 0);
            int unused = -1;
            result = clone_process(plan.clone_flags | CLONE_PARENT, &unused);
            if (result == 0) {
                ::close(pipefd[1]);
                return 0;
            }
            if (result < 0) result = -errno;
        }
        if (::write(pipefd[1], &result, sizeof result) != sizeof result) _exit(1);
        _exit(0);
    }
    ::close(pipefd[1]);
    long result = 0;
    ssize_t n;
    while ((n = ::read(pipefd[0], &result, sizeof result)) < 0 && errno == EINTR) {
    }
    ::close(pipefd[0]);
    while (::waitpid(mid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (n != sizeof result || result < 0) {
        errno = n != sizeof result ? ECHILD : static_cast<int>(-result);
        return -1;
    }
    *pidfd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(result), 0));
    return static_cast<pid_t>(result);
}

int unshare_time_namespace(const NamespacePlan& plan) {
    if (::unshare(CLONE_NEWTIME) < 0) return child_fail(errno, "unshare time namespace");
    if (plan.time_offsets.empty()) return 0;
    // Only possible while no process is inside: the init enters at execve.
    int fd = proc_open("self/timens_offsets", O_WRONLY);
    if (fd < 0) return child_fail(errno, "linux.timeOffsets: open /proc/self/timens_offsets");
    ssize_t n = ::write(fd, plan.time_offsets.data(), plan.time_offsets.size());
    int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(plan.time_offsets.size()))
        return child_fail(err, "linux.timeOffsets: write /proc/self/timens_offsets");
    return 0;
}

unique_fd make_user_namespace(const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids) {
    UserNamespaceChild child;
    write_id_mappings(child.pid(), uids, gids);
    return child.open();
}

namespace {

std::string format_map(const std::vector<IdMapping>& maps) {
    std::string out;
    for (auto& m : maps)
        out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
    return out;
}

bool have_setid_caps() {
    struct __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &hdr, data) < 0) return false;
    uint32_t want = (1U << CAP_SETUID) | (1U << CAP_SETGID);
    return (data[0].effective & want) == want;
}

void run_id_helper(const char* helper, pid_t pid, const std::vector<IdMapping>& maps) {
    std::vector<std::string> args{helper, std::to_string(pid)};
    for (auto& m : maps) {
        args.push_back(std::to_string(m.container_id));
        args.push_back(std::to_string(m.host_id));
        args.push_back(std::to_string(m.size));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t child = ::fork();
    if (child < 0) throw_errno(std::string("fork for ") + helper);
    if (child == 0) {
        ::execvp(helper, argv.data());
        _exit(127);
    }
    int status;
    while (::waitpid(child, &status, 0) < 0)
        if (errno != EINTR) throw_errno(std::string("wait for ") + helper);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        throw Error(std::string(helper) + " is needed for this id mapping and was not found (install the uidmap package)");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(std::string(helper) + " failed for mapping \"" + format_map(maps).substr(0, 200) +
                    "\": is the range delegated to this user in /etc/sub" + (helper[3] == 'u' ? "uid" : "gid") + "?");
}

bool own_id_only(const std::vector<IdMapping>& maps, uint32_t own) {
    return maps.size() == 1 && maps[0].size == 1 && maps[0].host_id == own;
}

}  // namespace

void write_id_mappings(pid_t pid, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids) {
    if (have_setid_caps()) {
        if (!gids.empty()) write_proc_file(pid, "gid_map", format_map(gids));
        if (!uids.empty()) write_proc_file(pid, "uid_map", format_map(uids));
        return;
    }
    // Unprivileged: our own id may be mapped directly (with setgroups denied);
    // anything else needs the setuid helpers.
    if (gids.empty() || own_id_only(gids, ::getegid())) {
        if (!gids.empty()) {
            write_proc_file(pid, "setgroups", "deny");
            write_proc_file(pid, "gid_map", format_map(gids));
        }
    } else {
        run_id_helper("newgidmap", pid, gids);
    }
    if (uids.empty() || own_id_only(uids, ::geteuid())) {
        if (!uids.empty()) write_proc_file(pid, "uid_map", format_map(uids));
    } else {
        run_id_helper("newuidmap", pid, uids);
    }
}

bool in_initial_user_namespace() {
    try {
        std::string map = read_file("/proc/self/uid_map");
        // The initial namespace maps all 2^32-1 ids from 0.
        return map.find("4294967295") != std::string::npos;
    } catch (const Error&) {
        return true;
    }
}

bool running_rootless() {
    if (::geteuid() != 0) return true;
    const char* configured = std::getenv("_CONTAINERS_USERNS_CONFIGURED");
    if (configured && *configured) return true;
    return !in_initial_user_namespace();
}

}  // namespace rrun
