#include "process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cctype>
#include <cstring>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "passwd.hpp"
#include "procfs.hpp"
#include "rootfs.hpp"
#include "security.hpp"
#include "sync.hpp"
#include "terminal.hpp"

namespace rrun {

namespace {

// Our own definition: <linux/sched.h> clashes with glibc's <sched.h>.
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL  // linux/sched.h, 5.7
#endif

struct CloneArgs {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

const char* find_env(const ProcessPlan& plan, const char* name) {
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
int resolve_executable(const ProcessPlan& plan, char* out, size_t len) {
    const char* name = plan.argv[0];
    if (strchr(name, '/')) {
        snprintf(out, len, "%s", name);
        errno = 0;
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

// Marks every fd from FIRST on close-on-exec. close_range does it in one
// call, but it is Linux 5.11's (CLOSE_RANGE_CLOEXEC), and the container's
// seccomp filter, loaded before this when it must be early, may refuse it:
// profiles written before 2020 do not list it (EPERM, ENOSYS, or whatever
// errno they give). Then, as runc does, each fd listed in /proc/self/fd, with
// calls every profile allows (open, fstatfs, getdents64, fcntl). The list is
// the only sound bound: an fd can be above RLIMIT_NOFILE, which was lowered
// after it was opened. The list comes through the procfs handle
// (procfs.hpp): the container's /proc may be an image's directory listing
// anything, or have a mount over /proc/PID/fd (issue #22).
int cloexec_from(int first) {
    if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return 0;
    int close_range_errno = errno;
    int dir = proc_open("self/fd", O_RDONLY | O_DIRECTORY);
    int err = dir < 0 ? errno : 0;
    alignas(struct dirent64) char buf[4096];
    long n = 0;
    while (err == 0 && (n = ::syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
        for (long at = 0; at < n;) {
            auto* d = reinterpret_cast<struct dirent64*>(buf + at);
            at += d->d_reclen;
            int fd = 0;
            const char* c = d->d_name;
            for (; *c >= '0' && *c <= '9' && fd < INT_MAX / 10; c++) fd = fd * 10 + (*c - '0');
            if (*c || c == d->d_name || fd < first || fd == dir) continue;  // ".", ".."
            if (::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF) err = errno;
        }
    }
    if (err == 0 && n < 0) err = errno;
    if (dir >= 0) ::close(dir);
    if (err)
        return child_fail(err, "mark fds close-on-exec: close_range failed (%s), and through /proc/self/fd",
                          strerror(close_range_errno));
    return 0;
}

// Keeps fds 3..3+extra-1 across exec (--preserve-fds, LISTEN_FDS) and marks
// every other fd close-on-exec, our own included.
int prepare_fds(const ProcessPlan& plan, const int* own, size_t own_count) {
    for (int fd = 3; fd < 3 + plan.extra_fds; fd++) {
        bool mine = fd == plan.exec_helper.get();
        for (size_t i = 0; i < own_count; i++) mine = mine || own[i] == fd;
        if (!mine) ::fcntl(fd, F_SETFD, 0);
    }
    return cloexec_from(3 + plan.extra_fds);
}

}  // namespace

pid_t clone_process(unsigned long flags, int* pidfd, int cgroup, bool* joined) {
    CloneArgs args{};
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(pidfd);
    args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;  // clone3: CLONE_PARENT takes our own
    if (cgroup >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(cgroup);
    }
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    // The cgroup refused a new process (its pids limit reached: a move is not
    // limited; controllers in its subtree; not ours to write) or the kernel
    // predates the flag (EINVAL): born where we are, the parent moves it.
    if (pid < 0 && cgroup >= 0 && errno != ENOSYS) {
        args.flags &= ~static_cast<uint64_t>(CLONE_INTO_CGROUP);
        args.cgroup = 0;
        pid = ::syscall(SYS_clone3, &args, sizeof args);
    }
    bool into_cgroup = pid >= 0 && (args.flags & CLONE_INTO_CGROUP);
    // ENOSYS: before Linux 5.3, or a seccomp profile's answer; EPERM: the
    // default errno of profiles that do not list it (Docker's before 2021).
    // The init runs startContainer hooks under the container's filter. A
    // real EPERM comes back from clone too.
    if (pid < 0 && (errno == ENOSYS || errno == EPERM)) {
        *pidfd = -1;
        pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    }
    if (joined) *joined = into_cgroup;
    return static_cast<pid_t>(pid);
}

namespace {

// Room for the kernel's largest NR_CPUS (8192): a cpu_set_t's 1024 bits
// would leave the CPUs above them out (runc's issue #5023).
using CpuMask = std::array<unsigned long, 8192 / (8 * sizeof(unsigned long))>;

}  // namespace

void move_off_this_cpu(pid_t child) {
    int here = ::sched_getcpu();
    CpuMask ours{};
    auto* set = reinterpret_cast<cpu_set_t*>(ours.data());
    if (here < 0 || ::sched_getaffinity(0, sizeof ours, set) < 0) return;
    CPU_CLR_S(here, sizeof ours, set);
    if (CPU_COUNT_S(sizeof ours, set) > 0) ::sched_setaffinity(child, sizeof ours, set);
}

int reset_cpu_affinity() {
    CpuMask every;
    every.fill(~0UL);
    return ::sched_setaffinity(0, sizeof every, reinterpret_cast<cpu_set_t*>(every.data()));
}

cpu_set_t parse_cpu_list(const std::string& list, const std::string& where) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (unsigned c : parse_number_list(list, where, "cpu", CPU_SETSIZE)) CPU_SET(c, &set);
    return set;
}

std::vector<std::string> unique_env(const std::vector<std::string>& env) {
    std::vector<std::string> out;
    out.reserve(env.size());
    for (auto& e : env) {
        size_t eq = e.find('=');
        if (eq == std::string::npos) throw Error("process.env: invalid environment variable \"" + e + "\" (no '=')");
        if (eq == 0) throw Error("process.env: environment variable name can't be empty: \"" + e + "\"");
        auto same = std::find_if(out.begin(), out.end(), [&](const std::string& o) { return o.compare(0, eq + 1, e, 0, eq + 1) == 0; });
        if (same != out.end()) *same = e;
        else out.push_back(e);
    }
    return out;
}

ProcessPlan plan_process(const Process& p, const Spec& spec, int preserve_fds, bool pass_listen_fds) {
    ProcessPlan plan;
    plan.process = &p;
    if (!p.exec_cpu_affinity_initial.empty())
        plan.cpus_initial = parse_cpu_list(p.exec_cpu_affinity_initial, "process.execCPUAffinity.initial");
    if (!p.exec_cpu_affinity_final.empty())
        plan.cpus_final = parse_cpu_list(p.exec_cpu_affinity_final, "process.execCPUAffinity.final");
    if (spec.linux && spec.linux->memory_policy) plan.memory_policy = &*spec.linux->memory_policy;
    plan.last_cap = last_capability();
    plan.capabilities = p.capabilities;
    if (plan.capabilities) limit_capabilities(*plan.capabilities, plan.last_cap);
    check_lsm_labels(p, "process");
    if (spec.raw && spec.raw->contains("linux") && (*spec.raw)["linux"].contains("seccomp") &&
        !(*spec.raw)["linux"]["seccomp"].is_null())
        plan.seccomp = seccomp::compile((*spec.raw)["linux"]["seccomp"]);
    plan.env = unique_env(p.env);
    int listen_fds = 0;
    if (const char* l = pass_listen_fds ? std::getenv("LISTEN_FDS") : nullptr) {
        listen_fds = std::atoi(l);
        if (listen_fds > 0) {
            plan.env.push_back("LISTEN_FDS=" + std::to_string(listen_fds));
            plan.env.push_back("LISTEN_PID=1");
        } else {
            listen_fds = 0;
        }
    }
    plan.extra_fds = listen_fds + preserve_fds;
    for (auto& a : p.args) plan.argv.push_back(const_cast<char*>(a.c_str()));
    plan.argv.push_back(nullptr);
    bool home_seen = false;  // env holds each name once (unique_env)
    for (auto& e : plan.env) {
        if (e.rfind("HOME=", 0) == 0) {
            home_seen = true;
            if (e.size() == 5) plan.home_slot = static_cast<int>(plan.envp.size());
        }
        plan.envp.push_back(e.data());
    }
    if (!home_seen) plan.home_slot = static_cast<int>(plan.envp.size());
    plan.envp.push_back(nullptr);
    plan.envp.push_back(nullptr);  // the spare slot, terminator once HOME is in
    return plan;
}

bool setgroups_allowed_here() {
    char buf[16] = {};
    int fd = ::open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return true;
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    return n <= 0 || strncmp(buf, "deny", 4) != 0;
}

int set_scheduling(const ProcessPlan& plan) {
    const Process& proc = *plan.process;
    if (plan.cpus_initial && ::sched_setaffinity(0, sizeof(cpu_set_t), &*plan.cpus_initial) < 0)
        return child_fail(errno, "process.execCPUAffinity.initial");
    // linux.memoryPolicy: kept across execve. exec'd processes are the
    // runtime's children, not the init's: they set it here too.
    if (auto* mp = plan.memory_policy;
        mp && ::syscall(SYS_set_mempolicy, mp->mode, mp->nodemask.empty() ? nullptr : mp->nodemask.data(), mp->maxnode) < 0)
        return child_fail(errno, "linux.memoryPolicy: set_mempolicy %s", mp->mode_name.c_str());
    if (auto& s = proc.scheduler) {
        struct {
            uint32_t size, policy;
            uint64_t flags;
            int32_t nice;
            uint32_t priority;
            uint64_t runtime, deadline, period;
        } attr{48, s->policy, s->flags, s->nice, s->priority, s->runtime, s->deadline, s->period};
        if (::syscall(SYS_sched_setattr, 0, &attr, 0) < 0) {
            // A new cgroup v1 cpu cgroup starts with cpu.rt_runtime_us 0, where the
            // kernel refuses realtime policies; no runtime gives it budget unasked.
            if (errno == EPERM && (s->policy == SCHED_FIFO || s->policy == SCHED_RR))
                return child_fail(errno, "process.scheduler: sched_setattr (SCHED_FIFO and SCHED_RR need realtime time "
                                         "in the cpu cgroup: on cgroup v1 set linux.resources.cpu.realtimeRuntime)");
            return child_fail(errno, "process.scheduler: sched_setattr");
        }
    }
    if (proc.io_priority && ::syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, *proc.io_priority) < 0)
        return child_fail(errno, "process.ioPriority: ioprio_set");
    return 0;
}

// Dispositions and the mask survive execve: what the caller of rrun ignored
// or blocked (a CI runner, nohup, an engine's shim) would otherwise reach the
// container, and a shell there cannot trap a signal ignored on entry. Before
// any seccomp filter is loaded: one may forbid rt_sigaction.
void reset_signal_state() {
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);  // glibc's own two fail: fine
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

int setup_process(ProcessPlan& plan, bool setgroups_allowed, const int* own, size_t own_count, ReadyProcess& out) {
    const Process& proc = *plan.process;
    reset_signal_state();
    if (set_scheduling(plan) < 0) return -1;
    if (proc.terminal && setup_terminal(plan.console_socket.get(), proc, plan.is_init) < 0) return -1;
    plan.console_socket.reset();
    // cwd is resolved inside the root with no magic links (CVE-2024-21626).
    // The init's was made with the rootfs if missing; exec's must exist (runc).
    int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int cwd = root < 0 ? -1 : open_in_root(root, proc.cwd.c_str(), false, true);
    if (root >= 0) ::close(root);
    if (cwd < 0) return child_fail(errno, "process.cwd %s", proc.cwd.c_str());
    if (plan.home_slot >= 0) {
        static char home[PATH_MAX + 5] = "HOME=";
        passwd_home("/etc/passwd", proc.user.uid, home + 5, sizeof home - 5);
        plan.envp[static_cast<size_t>(plan.home_slot)] = home;
    }
    if (apply_rlimits(proc) < 0 || apply_lsm_labels(proc) < 0) return -1;
    auto& caps = plan.capabilities;
    if (caps && drop_bounding_set(*caps, plan.last_cap) < 0) return -1;
    // Without no_new_privs loading a filter needs CAP_SYS_ADMIN: load it
    // before the user switch drops it (runc's order). A notify filter is
    // loaded before `ready` so the parent can hand its fd on. Otherwise the
    // filter goes on as late as possible, right before execve.
    auto& filter = plan.seccomp;
    bool early = filter && (!proc.no_new_privileges || filter->notify);
    // The fds are marked close-on-exec before such a filter, which may
    // refuse close_range and what its fallback needs (openat2 and fsopen
    // for the procfs handle: profiles written before 2020 list neither);
    // every fd rrun opens from here on is O_CLOEXEC.
    if (early && prepare_fds(plan, own, own_count) < 0) return -1;
    if (early && !proc.no_new_privileges) {
        if ((out.notify_fd = seccomp::load(*filter)) < 0) return child_fail(errno, "load the seccomp filter");
        out.seccomp_loaded = true;
    }
    if (switch_user(proc.user, caps.has_value(), setgroups_allowed) < 0) return -1;
    if (caps && apply_capabilities(*caps, plan.last_cap) < 0) return -1;
    if (::fchdir(cwd) < 0) return child_fail(errno, "chdir to process.cwd %s", proc.cwd.c_str());
    ::close(cwd);
    if (proc.no_new_privileges && set_no_new_privileges() < 0) return -1;
    if (early && proc.no_new_privileges) {
        if ((out.notify_fd = seccomp::load(*filter)) < 0) return child_fail(errno, "load the seccomp filter");
        out.seccomp_loaded = true;
    }
    ::umask(proc.user.umask.value_or(022));
    if (resolve_executable(plan, out.exe, sizeof out.exe) < 0) return -1;
    return early ? 0 : prepare_fds(plan, own, own_count);
}

void report_failure(int fifo) {
    const char* text = child_failure().text;
    if (fifo >= 0 && ::write(fifo, text, std::strlen(text)) < 0) {
        // `start` is gone; stderr below still says it.
    }
    dprintf(STDERR_FILENO, "rrun: %s\n", text);
}

void use_exec_helper(ProcessPlan& plan, unique_fd image) {
    if (!image) return;
    plan.exec_helper = std::move(image);
    plan.helper_argv = {nullptr, nullptr};
    plan.helper_argv.insert(plan.helper_argv.end(), plan.argv.begin(), plan.argv.end());
}

namespace {

// rrun-exec execs the program and reports a failure to the fd named in its
// argv[0] (see rrun-exec.c). Returns only when rrun-exec itself could not be
// exec'd, with the errno: the container's seccomp profile may refuse execveat
// (profiles before 2020 do not list it), so execve through /proc is tried too.
int exec_through_helper(ProcessPlan& plan, ReadyProcess& ready, int report_fd, int result_fifo) {
    static char report[16] = "-", path[32];
    int fd = report_fd >= 0 ? report_fd : result_fifo;
    if (fd >= 0) snprintf(report, sizeof report, "%c%d", report_fd >= 0 ? 's' : 'f', fd);
    plan.helper_argv[0] = report;
    plan.helper_argv[1] = ready.exe;
    if (fd >= 0) ::fcntl(fd, F_SETFD, 0);
    int helper = plan.exec_helper.get();
    ::syscall(SYS_execveat, helper, "", plan.helper_argv.data(), plan.envp.data(), AT_EMPTY_PATH);
    snprintf(path, sizeof path, "/proc/self/fd/%d", helper);
    ::execve(path, plan.helper_argv.data(), plan.envp.data());
    int err = errno;
    if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return err;
}

}  // namespace

void exec_process(ProcessPlan& plan, ReadyProcess& ready, int report_fd, int result_fifo) {
    if (plan.seccomp && !ready.seccomp_loaded && seccomp::load(*plan.seccomp) < 0) {
        child_fail(errno, "load the seccomp filter");
    } else if (plan.cpus_final && ::sched_setaffinity(0, sizeof(cpu_set_t), &*plan.cpus_final) < 0) {
        child_fail(errno, "process.execCPUAffinity.final");
    } else {
        // The program is exec'd from this image, our host binary, only where
        // rrun-exec is not needed or the container has no /proc (ENOENT) to
        // run it through, nor then to name our binary by (CVE-2019-5736).
        int err = plan.exec_helper ? exec_through_helper(plan, ready, report_fd, result_fifo) : ENOENT;
        if (err != ENOENT)
            child_fail(err, "exec %s: run rrun-exec from its sealed memfd", ready.exe);
        else
            ::execve(ready.exe, plan.argv.data(), plan.envp.data()), child_fail(errno, "exec %s", ready.exe);
    }
    ::signal(SIGPIPE, SIG_IGN);  // a reader gone must not hide the failure behind a signal
    if (report_fd < 0 || !sync_send(report_fd, child_failure())) report_failure(result_fifo);
    _exit(127);
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
