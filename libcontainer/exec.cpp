#include "exec.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>

#include <nlohmann/json.hpp>

#include "cgroups/cgroups.hpp"
#include "error.hpp"
#include "exe_seal.hpp"
#include "fs.hpp"
#include "process.hpp"
#include "spec.hpp"
#include "state.hpp"
#include "sync.hpp"
#include "validate.hpp"
#include "terminal.hpp"

namespace rrun {

namespace {

struct Target {
    ContainerState state;
    Spec spec;
};

Target load_target(const RuntimeContext& ctx, const ExecOptions& opts) {
    ContainerDir dir = ContainerDir::open(ctx.root, opts.id);
    Target t{dir.load(), {}};
    Status status = current_status(t.state, dir);
    // runc's words, after the id.
    if (status == Status::stopped) throw Error("container " + opts.id + ": cannot exec in a stopped container");
    if (status == Status::paused && !opts.ignore_paused)
        throw Error("container " + opts.id + ": cannot exec in a paused container (use --ignore-paused to override)");
    t.spec = parse_spec(read_file(t.state.config_path), t.state.bundle, t.state.config_path);
    return t;
}

void add_capability(std::optional<CapabilitySets>& caps, const std::string& name) {
    int cap = capability_from_name(name);
    if (cap < 0) throw Error("--cap: unknown capability " + name);
    if (!caps) caps = CapabilitySets{};
    uint64_t bit = 1ULL << cap;
    caps->bounding |= bit;
    caps->effective |= bit;
    caps->permitted |= bit;
    caps->inheritable |= bit;
    caps->ambient |= bit;
}

Process exec_process_config(const ExecOptions& opts, const Spec& spec) {
    if (!opts.process_file.empty())
    {
        std::string text;
        try {
            text = read_file(opts.process_file);
        } catch (const Error& e) {
            throw Error(std::string("--process: ") + e.what());
        }
        return exec_process_from_json(text, "--process " + opts.process_file, spec.process ? &*spec.process : nullptr);
    }
    if (opts.args.empty()) throw Error("exec: a command to run is required (or --process FILE)");
    Process p = spec.process ? *spec.process : Process{};
    p.args = opts.args;
    p.terminal = opts.tty;
    if (!opts.cwd.empty()) p.cwd = opts.cwd;
    if (p.cwd.empty()) p.cwd = "/";
    if (p.cwd[0] != '/') throw Error("--cwd " + opts.cwd + ": must be an absolute path");
    p.env.insert(p.env.end(), opts.env.begin(), opts.env.end());
    if (opts.uid) p.user.uid = *opts.uid;
    if (opts.gid) p.user.gid = *opts.gid;
    if (!opts.additional_gids.empty()) {
        p.user.additional_gids.clear();
        for (auto g : opts.additional_gids) add_gid(p.user.additional_gids, g);
    }
    for (auto& c : opts.caps) add_capability(p.capabilities, c);
    if (opts.no_new_privs) p.no_new_privileges = true;
    if (!opts.apparmor.empty()) p.apparmor_profile = opts.apparmor;
    if (!opts.process_label.empty()) p.selinux_label = opts.process_label;
    return p;
}

constexpr std::pair<const char*, int> namespace_files[] = {
    {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
    {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS}, {"time", CLONE_NEWTIME},
};

bool same_file(const std::string& a, const std::string& b) {
    struct stat sa, sb;
    return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

// The namespaces of PID that differ from ours, as setns flags.
int namespaces_to_join(pid_t pid, bool& join_pid) {
    std::string proc = "/proc/" + std::to_string(pid) + "/ns/";
    int flags = 0;
    for (auto& [name, flag] : namespace_files)
        if (!same_file(proc + name, std::string("/proc/self/ns/") + name)) flags |= flag;
    join_pid = !same_file(proc + "pid", "/proc/self/ns/pid");
    return flags;
}

// ROOT >= 0: the init's root, for a container that shares our mount namespace.
int exec_grandchild(ProcessPlan& plan, int root, int sync) {
    if (plan.process->terminal && ::setsid() < 0) return child_fail(errno, "setsid");
    // Read before the chroot: the container's root may have no /proc.
    bool setgroups_allowed = setgroups_allowed_here();
    if (root >= 0 && (::fchdir(root) < 0 || ::chroot(".") < 0)) return child_fail(errno, "enter the container's root");
    if (root >= 0) ::close(root);
    static ReadyProcess ready;
    int own[] = {sync};
    if (setup_process(plan, setgroups_allowed, own, 1, ready) < 0) return -1;
    if (ready.notify_fd > 0) ::close(ready.notify_fd);
    SyncMessage msg{SyncType::ready, 0, {}};
    if (!sync_send(sync, msg)) return child_fail(errno, "report ready");
    exec_process(plan, ready, sync);
}

// The intermediate process: joins the namespaces with one setns on the init's
// pidfd (user first, so the pid namespace is joined with its privileges, which
// a rootless parent lacks), then forks the process proper into the pid namespace.
int exec_child(ProcessPlan& plan, int pidfd, int ns_flags, int root, int sync, CgroupSelfJoin& cgroup_tasks) {
    // Into the container's v1 cgroups by ourselves (cgroup_open_self_join):
    // the process we fork inherits them.
    if (cgroup_join_self(cgroup_tasks) < 0) return -1;
    SyncMessage msg;
    if (!sync_recv(sync, msg) || msg.type != SyncType::parent_done) return child_fail(0, "parent went away");
    // Every CPU, not the affinity rrun was started with: we are in the
    // container's cgroups now, and the kernel narrows it to their cpuset.
    if (reset_cpu_affinity() < 0) return child_fail(errno, "reset the CPU affinity");
    if (ns_flags && ::setns(pidfd, ns_flags) < 0) return child_fail(errno, "join the container's namespaces");
    ::close(pidfd);
    int unused = -1;
    pid_t pid = clone_process(0, &unused);
    if (pid < 0) return child_fail(errno, "fork into the container's pid namespace");
    if (pid == 0) {
        exec_grandchild(plan, root, sync);
        sync_send(sync, child_failure());
        _exit(127);
    }
    msg = {SyncType::child_pid, pid, {}};
    if (!sync_send(sync, msg)) return child_fail(errno, "report the exec pid");
    _exit(0);
}

}  // namespace

Process exec_process_from_json(const std::string& text, const std::string& source, const Process* container) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw Error(source + ": invalid JSON");
    // Checked against config.json's schema for a process, as a config holding it.
    nlohmann::json doc{{"ociVersion", "1.0.0"}, {"process", std::move(j)}};
    validate_config(doc, source);
    const nlohmann::json& proc = doc["process"];
    Process p;
    try {
        p = process_from_json(proc, source + ": process");
    } catch (const nlohmann::json::exception& e) {
        throw Error(source + ": " + e.what());
    }
    if (!container) return p;
    auto absent = [&](const char* key) { return !proc.contains(key) || proc[key].is_null(); };
    if (absent("capabilities")) p.capabilities = container->capabilities;
    if (absent("rlimits")) p.rlimits = container->rlimits;
    if (absent("apparmorProfile")) p.apparmor_profile = container->apparmor_profile;
    if (absent("selinuxLabel")) p.selinux_label = container->selinux_label;
    p.no_new_privileges = p.no_new_privileges || container->no_new_privileges;
    return p;
}

ExecProcess exec_in_container(const RuntimeContext& ctx, ExecOptions& opts) {
    Target target = load_target(ctx, opts);
    Process proc = exec_process_config(opts, target.spec);
    unique_fd exec_helper = exec_protection(proc);
    seccomp::set_cache_dir(seccomp_cache_dir(ctx.rootless));
    ProcessPlan plan = plan_process(proc, target.spec, opts.preserve_fds, false);
    use_exec_helper(plan, std::move(exec_helper));
    if (proc.terminal) {
        if (opts.console_fd)
            plan.console_socket = std::move(opts.console_fd);
        else if (!opts.console_socket.empty())
            plan.console_socket = connect_console_socket(opts.console_socket);
        else
            throw Error("--tty needs --console-socket to receive the terminal");
    }
    const ContainerState& st = target.state;
    unique_fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)));
    if (!pidfd || !process_alive(st.pid, st.pid_start_time)) throw Error("container " + opts.id + ": cannot exec in a stopped container");
    bool join_pid = false;
    int ns_flags = namespaces_to_join(st.pid, join_pid);
    if (join_pid) ns_flags |= CLONE_NEWPID;
    // Without a mount namespace of its own the container is a chroot in
    // ours: the process goes into the init's root (runc's exec stays in the host's /).
    unique_fd init_root;
    if (!(ns_flags & CLONE_NEWNS)) {
        std::string root = "/proc/" + std::to_string(st.pid) + "/root";
        init_root.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!init_root) throw_errno("open the container's root " + root);
    }
    // The process is our grandchild: as subreaper we can still wait for it.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) throw_errno("prctl PR_SET_CHILD_SUBREAPER");

    // Our children go into the container: nothing there may ptrace them or
    // open their /proc files until they exec (execve makes them dumpable).
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) throw_errno("socketpair");
    unique_fd parent_end(pair[0]), child_end(pair[1]);
    CgroupSelfJoin cgroup_tasks;
    if (opts.cgroups.empty()) cgroup_tasks = cgroup_open_self_join(CgroupHandle{st.cgroup_path});
    int child_pidfd = -1;
    pid_t pid = clone_process(0, &child_pidfd, cgroup_tasks.v2_dir.get(), &cgroup_tasks.v2_joined);
    if (pid < 0) throw_errno("clone the exec process");
    if (pid == 0) {
        parent_end.reset();
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        exec_child(plan, pidfd.get(), ns_flags, init_root.get(), child_end.get(), cgroup_tasks);
        sync_send(child_end.get(), child_failure());
        _exit(127);
    }
    unique_fd own_pidfd(child_pidfd);
    child_end.reset();
    plan.console_socket.reset();
    pid_t process = -1;
    auto fail = [&](const std::string& why) -> Error {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        if (process > 0) {
            ::kill(process, SIGKILL);
            ::waitpid(process, nullptr, 0);
        }
        return Error(why);
    };
    try {
        if (opts.cgroups.empty())
            cgroup_enter(CgroupHandle{st.cgroup_path}, pid, cgroup_tasks);
        else
            cgroup_enter_sub(CgroupHandle{st.cgroup_path}, opts.cgroups, pid);
    } catch (const Error& e) {
        throw fail(e.what());
    }
    SyncMessage go{SyncType::parent_done, 0, {}};
    if (!sync_send(parent_end.get(), go)) throw fail("the exec process exited during setup");
    // The intermediate's pid report and the process's ready come in either order.
    SyncMessage msg;
    bool ready = false;
    while (!ready || process < 0) {
        if (!sync_recv(parent_end.get(), msg)) throw fail("the exec process exited during setup");
        if (msg.type == SyncType::error) throw fail(msg.text);
        if (msg.type == SyncType::child_pid) {
            process = msg.err;
            ::waitpid(pid, nullptr, 0);
        }
        ready = ready || msg.type == SyncType::ready;
    }
    // After `ready` the socket closes on a successful execve, or brings the exec error.
    if (sync_recv(parent_end.get(), msg) && msg.type == SyncType::error) throw fail(msg.text);
    if (!opts.pid_file.empty()) write_file_atomic(absolute_path(opts.pid_file), std::to_string(process), 0644);
    return {process, proc.terminal};
}

}  // namespace rrun
