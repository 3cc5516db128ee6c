#include "namespaces.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>

#include "error.hpp"
#include "fs.hpp"

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

NamespacePlan plan_namespaces(const Linux* linux) {
    NamespacePlan plan;
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
            case NamespaceType::time: throw Error("linux.namespaces: time namespaces are not supported yet");
            default: plan.clone_flags |= static_cast<unsigned long>(clone_flag(ns.type));
        }
        if (ns.type == NamespaceType::user) plan.new_user = true;
        if (ns.type == NamespaceType::mount) plan.new_mount = true;
        if (ns.type == NamespaceType::uts) plan.new_uts = true;
    }
    for (auto& j : plan.joins) {
        if (j.nstype == CLONE_NEWUSER && plan.clone_flags)
            throw Error("linux.namespaces: joining a user namespace while creating others is not supported yet");
    }
    return plan;
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
    std::string proc = "/proc/" + std::to_string(pid);
    if (have_setid_caps()) {
        if (!gids.empty()) write_existing_file(proc + "/gid_map", format_map(gids));
        if (!uids.empty()) write_existing_file(proc + "/uid_map", format_map(uids));
        return;
    }
    // Unprivileged: our own id may be mapped directly (with setgroups denied);
    // anything else needs the setuid helpers.
    if (gids.empty() || own_id_only(gids, ::getegid())) {
        if (!gids.empty()) {
            write_existing_file(proc + "/setgroups", "deny");
            write_existing_file(proc + "/gid_map", format_map(gids));
        }
    } else {
        run_id_helper("newgidmap", pid, gids);
    }
    if (uids.empty() || own_id_only(uids, ::geteuid())) {
        if (!uids.empty()) write_existing_file(proc + "/uid_map", format_map(uids));
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
