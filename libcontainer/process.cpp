#include "process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "cgroups.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "security.hpp"
#include "sync.hpp"
#include "terminal.hpp"

namespace rrun {

namespace {

// Our own definition: <linux/sched.h> clashes with glibc's <sched.h>.
struct CloneArgs {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

pid_t clone_init(unsigned long flags, int* pidfd) {
    CloneArgs args{};
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(pidfd);
    args.exit_signal = SIGCHLD;
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0 && errno == ENOSYS) {
        *pidfd = -1;
        pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    }
    return static_cast<pid_t>(pid);
}

const char* find_env(const InitPlan& plan, const char* name) {
    size_t len = strlen(name);
    for (char* e : plan.envp)
        if (e && strncmp(e, name, len) == 0 && e[len] == '=') return e + len + 1;
    return nullptr;
}

bool executable_file(const char* path) {
    struct stat st;
    return ::stat(path, &st) == 0 && S_ISREG(st.st_mode) && ::access(path, X_OK) == 0;
}

// Looks up args[0] in the container's PATH, as runc does before reporting
// success, so a missing program fails `create` with a clear message.
int resolve_executable(const InitPlan& plan, char* out, size_t len) {
    const char* name = plan.argv[0];
    if (strchr(name, '/')) {
        snprintf(out, len, "%s", name);
        if (executable_file(out)) return 0;
        return child_fail(errno ? errno : EACCES, "exec: \"%s\"", name);
    }
    const char* path = find_env(plan, "PATH");
    if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const char* p = path; *p;) {
        const char* end = strchr(p, ':');
        size_t n = end ? static_cast<size_t>(end - p) : strlen(p);
        snprintf(out, len, "%.*s/%s", static_cast<int>(n), n ? p : ".", name);
        if (executable_file(out)) return 0;
        if (!end) break;
        p = end + 1;
    }
    return child_fail(0, "exec: \"%s\": executable file not found in $PATH", name);
}

int write_sysctls(const InitPlan& plan) {
    for (auto& [file, value] : plan.sysctl_files) {
        int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return child_fail(errno, "linux.sysctl: open %s", file.c_str());
        ssize_t n = ::write(fd, value.data(), value.size());
        int err = errno;
        ::close(fd);
        if (n != static_cast<ssize_t>(value.size())) return child_fail(err, "linux.sysctl: write %s", file.c_str());
    }
    return 0;
}

int set_names(const InitPlan& plan) {
    auto& s = *plan.spec;
    if (!s.hostname.empty() && ::sethostname(s.hostname.data(), s.hostname.size()) < 0)
        return child_fail(errno, "sethostname");
    if (!s.domainname.empty() && ::setdomainname(s.domainname.data(), s.domainname.size()) < 0)
        return child_fail(errno, "setdomainname");
    return 0;
}

// Keeps fds 3..3+extra-1 across exec (--preserve-fds, LISTEN_FDS) and marks
// every other fd close-on-exec, our own included.
int prepare_fds(const InitPlan& plan, const int* own, size_t own_count) {
    for (int fd = 3; fd < 3 + plan.extra_fds; fd++) {
        bool mine = false;
        for (size_t i = 0; i < own_count; i++) mine = mine || own[i] == fd;
        if (!mine) ::fcntl(fd, F_SETFD, 0);
    }
    if (::syscall(SYS_close_range, 3 + plan.extra_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        return child_fail(errno, "close_range");
    return 0;
}

// The container's init, between clone and exec. Returns only on failure.
int container_init(InitPlan& plan, int sync) {
    const Process& proc = *plan.process;
    SyncMessage msg;
    if (!sync_recv(sync, msg) || msg.type != SyncType::parent_done) return child_fail(0, "parent went away");
    if (plan.namespaces.new_user) {
        // Become root of the new namespace when it is mapped (it always has all capabilities).
        ::setresgid(0, 0, 0);
        ::setresuid(0, 0, 0);
    }
    for (auto& j : plan.namespaces.joins)
        if (::setns(j.fd.get(), j.nstype) < 0) return child_fail(errno, "join namespace %s", j.path.c_str());
    if (plan.namespaces.new_cgroup && ::unshare(CLONE_NEWCGROUP) < 0) return child_fail(errno, "unshare cgroup namespace");
    if (::setsid() < 0) return child_fail(errno, "setsid");
    ::umask(0);
    if (plan.namespaces.new_mount && prepare_rootfs(plan.rootfs) < 0) return -1;
    if (set_names(plan) < 0) return -1;
    if (enter_rootfs(plan.rootfs) < 0) return -1;
    if (write_sysctls(plan) < 0) return -1;
    if (proc.terminal && setup_terminal(plan.console_socket.get(), proc) < 0) return -1;
    plan.console_socket.reset();
    // cwd is resolved inside the new root with no magic links (CVE-2024-21626).
    int cwd = open_in_root(AT_FDCWD, proc.cwd.c_str(), true, true);
    if (cwd < 0) return child_fail(errno, "process.cwd %s", proc.cwd.c_str());
    if (apply_rlimits(proc) < 0 || apply_lsm_labels(proc) < 0) return -1;
    auto& caps = plan.capabilities;
    if (caps && drop_bounding_set(*caps, plan.last_cap) < 0) return -1;
    bool setgroups_allowed = true;
    if (plan.namespaces.new_user) {
        char buf[16] = {};
        int fd = ::open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = ::read(fd, buf, sizeof buf - 1);
            (void)n;
            ::close(fd);
            setgroups_allowed = strncmp(buf, "deny", 4) != 0;
        }
    }
    // Without no_new_privs loading a filter needs CAP_SYS_ADMIN: load it
    // before the user switch drops it (runc's order). Otherwise as late as possible.
    int notify_fd = -1;
    auto& filter = plan.seccomp;
    bool early_seccomp = filter && (!proc.no_new_privileges || filter->notify);
    if (early_seccomp && !proc.no_new_privileges && (notify_fd = seccomp::load(*filter)) < 0)
        return child_fail(errno, "load the seccomp filter");
    if (switch_user(proc.user, caps.has_value(), setgroups_allowed) < 0) return -1;
    if (caps && apply_capabilities(*caps, plan.last_cap) < 0) return -1;
    if (::fchdir(cwd) < 0) return child_fail(errno, "chdir to process.cwd %s", proc.cwd.c_str());
    ::close(cwd);
    if (proc.no_new_privileges && set_no_new_privileges() < 0) return -1;
    if (early_seccomp && proc.no_new_privileges && (notify_fd = seccomp::load(*filter)) < 0)
        return child_fail(errno, "load the seccomp filter");
    ::umask(proc.user.umask.value_or(022));
    char exe[PATH_MAX];
    if (resolve_executable(plan, exe, sizeof exe) < 0) return -1;
    int fifo = plan.exec_fifo.get();
    int own[] = {sync, fifo};
    if (prepare_fds(plan, own, 2) < 0) return -1;
    // From here the parent may exit (create returns): do not die with it.
    ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    msg = {SyncType::ready, 0, {}};
    // The parent hands a notify listener fd on to listenerPath.
    if (!sync_send(sync, msg, notify_fd > 0 ? notify_fd : -1)) return child_fail(errno, "report ready");
    if (notify_fd > 0) ::close(notify_fd);
    ::close(sync);
    char byte;
    ssize_t n;
    do n = ::read(fifo, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) _exit(1);
    ::close(fifo);
    if (filter && !early_seccomp && seccomp::load(*filter) < 0) {
        dprintf(STDERR_FILENO, "rrun: load the seccomp filter: %s\n", strerror(errno));
        _exit(127);
    }
    ::execve(exe, plan.argv.data(), plan.envp.data());
    // After `start`: nobody listens on the sync socket any more; say it on stderr.
    dprintf(STDERR_FILENO, "rrun: exec %s: %s\n", exe, strerror(errno));
    _exit(127);
}

}  // namespace

InitPlan plan_init(const Spec& spec, bool no_pivot, int preserve_fds) {
    if (!spec.process) throw Error("process: required to create a container");
    InitPlan plan;
    plan.spec = &spec;
    plan.process = &*spec.process;
    const Linux* linux = spec.linux ? &*spec.linux : nullptr;
    plan.namespaces = plan_namespaces(linux);
    if (!plan.namespaces.new_mount) throw Error("linux.namespaces: a mount namespace is required");
    if (!spec.hostname.empty() && !plan.namespaces.new_uts && !(linux && linux->find_namespace(NamespaceType::uts)))
        throw Error("hostname: setting a hostname needs a uts namespace");
    if (!spec.domainname.empty() && !(linux && linux->find_namespace(NamespaceType::uts)))
        throw Error("domainname: setting a domainname needs a uts namespace");
    if (plan.namespaces.new_user && linux && linux->uid_mappings.empty())
        throw Error("linux.uidMappings: a new user namespace needs uid mappings");
    if (!plan.namespaces.new_user && linux && (!linux->uid_mappings.empty() || !linux->gid_mappings.empty()))
        throw Error("linux.uidMappings: mappings are given but no new user namespace is asked for");
    bool in_userns = plan.namespaces.new_user || !in_initial_user_namespace();
    plan.rootfs = plan_rootfs(spec, no_pivot, in_userns);
    plan.last_cap = last_capability();
    plan.capabilities = spec.process->capabilities;
    if (plan.capabilities) limit_capabilities(*plan.capabilities, plan.last_cap);
    check_lsm_labels(*spec.process, "process");
    if (linux) {
        for (auto& [key, value] : linux->sysctl) {
            if (key.empty() || key.find("..") != std::string::npos || key.find('/') != std::string::npos)
                throw Error("linux.sysctl: invalid key \"" + key + "\"");
            std::string file = "/proc/sys/" + key;
            for (size_t i = 10; i < file.size(); i++)
                if (file[i] == '.') file[i] = '/';
            plan.sysctl_files.emplace_back(file, value);
        }
    }
    if (spec.raw && spec.raw->contains("linux") && (*spec.raw)["linux"].contains("seccomp") &&
        !(*spec.raw)["linux"]["seccomp"].is_null())
        plan.seccomp = seccomp::compile((*spec.raw)["linux"]["seccomp"]);
    plan.env = spec.process->env;
    int listen_fds = 0;
    if (const char* l = std::getenv("LISTEN_FDS")) {
        listen_fds = std::atoi(l);
        if (listen_fds > 0) {
            plan.env.push_back("LISTEN_FDS=" + std::to_string(listen_fds));
            plan.env.push_back("LISTEN_PID=1");
        } else {
            listen_fds = 0;
        }
    }
    plan.extra_fds = listen_fds + preserve_fds;
    for (auto& a : spec.process->args) plan.argv.push_back(const_cast<char*>(a.c_str()));
    plan.argv.push_back(nullptr);
    for (auto& e : plan.env) plan.envp.push_back(e.data());
    plan.envp.push_back(nullptr);
    return plan;
}

InitProcess spawn_init(InitPlan& plan) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) throw_errno("socketpair");
    unique_fd parent_end(pair[0]), child_end(pair[1]);
    int pidfd = -1;
    pid_t pid = clone_init(plan.namespaces.clone_flags, &pidfd);
    if (pid < 0) throw_errno("clone the container's init");
    if (pid == 0) {
        parent_end.reset();
        if (plan.state_lock_fd >= 0) ::close(plan.state_lock_fd);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        container_init(plan, child_end.get());
        sync_send(child_end.get(), child_failure());
        _exit(1);
    }
    InitProcess init{pid, unique_fd(pidfd)};
    child_end.reset();
    plan.exec_fifo.reset();
    plan.console_socket.reset();
    auto fail = [&](const std::string& why) -> Error {
        ::kill(pid, SIGKILL);
        int status;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return Error(why);
    };
    try {
        if (plan.namespaces.new_user)
            write_id_mappings(pid, plan.spec->linux->uid_mappings, plan.spec->linux->gid_mappings);
        cgroup_enter(plan.cgroup, pid);
        SyncMessage go{SyncType::parent_done, 0, {}};
        if (!sync_send(parent_end.get(), go)) throw_errno("signal the container's init");
        if (auto adj = plan.process->oom_score_adj)
            write_existing_file("/proc/" + std::to_string(pid) + "/oom_score_adj", std::to_string(*adj));
    } catch (const Error& e) {
        throw fail(e.what());
    }
    SyncMessage msg;
    int notify_fd = -1;
    if (!sync_recv(parent_end.get(), msg, &notify_fd)) throw fail("the container's init exited during setup");
    init.seccomp_notify.reset(notify_fd);
    if (msg.type == SyncType::error) throw fail(msg.text);
    if (msg.type != SyncType::ready) throw fail("unexpected message from the container's init");
    return init;
}

int wait_exit_code(pid_t pid) {
    int status;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw_errno("wait for the container");
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

}  // namespace rrun
