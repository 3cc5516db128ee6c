#pragma once
#include <sched.h>
#include <sys/types.h>
#include <optional>
#include <string>
#include <vector>

#include "seccomp.hpp"
#include "spec.hpp"
#include "unique_fd.hpp"

namespace rrun {

// The process half of a container start, shared by the container's init and
// by `exec`: everything from the terminal to execve, computed by the parent
// so the child only issues syscalls.
struct ProcessPlan {
    const Process* process = nullptr;
    std::vector<std::string> env;   // process.env plus LISTEN_FDS when passed through
    std::vector<char*> argv, envp;  // point into process->args and env
    // Where the child puts HOME from the container's /etc/passwd when env has
    // none (runc's rule): an empty "HOME=" entry, or the spare slot before
    // envp's terminator. -1: env has HOME.
    int home_slot = -1;
    bool is_init = false;  // the container's init (not exec): it binds /dev/console
    std::optional<CapabilitySets> capabilities;  // limited to what this kernel has
    int last_cap = 63;
    int extra_fds = 0;  // fds 3.. that stay open across exec
    std::optional<seccomp::Filter> seccomp;
    unique_fd console_socket;  // where the pty master goes when process.terminal
    std::optional<cpu_set_t> cpus_initial, cpus_final;  // execCPUAffinity
    const MemoryPolicy* memory_policy = nullptr;        // linux.memoryPolicy, in the Spec
    // rrun-exec's sealed image, when the program is exec'd through it
    // (exe_seal.hpp), and its argv: two slots the child fills, then argv.
    unique_fd exec_helper;
    std::vector<char*> helper_argv;
};

// The program is to be exec'd through IMAGE (from exec_protection), if any.
void use_exec_helper(ProcessPlan& plan, unique_fd image);

// "0-3,7" -> a cpu set; Error naming WHERE on anything else.
cpu_set_t parse_cpu_list(const std::string& list, const std::string& where);

// process.env as runc hands it on: a name given twice keeps its first place
// and its last value; an entry without '=' or a name is an Error.
std::vector<std::string> unique_env(const std::vector<std::string>& env);

// LISTEN_FDS (from our environment) and PRESERVE_FDS decide which fds pass.
ProcessPlan plan_process(const Process& p, const Spec& spec, int preserve_fds, bool pass_listen_fds);

// What the child has after setup_process: the program to exec and, for a
// filter with SCMP_ACT_NOTIFY, its listener fd for the parent.
struct ReadyProcess {
    char exe[4096];
    int notify_fd = -1;
    bool seccomp_loaded = false;
};

// Child side, inside the container's namespaces and root: terminal, cwd,
// rlimits, LSM labels, capabilities and user, no_new_privs, seccomp (early
// when it must be), umask, the executable's path, fds. OWN are fds the child
// still needs until exec. Returns 0, or -1 with child_fail().
int setup_process(ProcessPlan& plan, bool setgroups_allowed, const int* own, size_t own_count, ReadyProcess& out);
// Child side: the late seccomp filter, then execve. Never returns; a failure
// goes to REPORT_FD (a sync socket still read by the parent), else to
// RESULT_FIFO (read by `start`) and stderr.
[[noreturn]] void exec_process(ProcessPlan& plan, ReadyProcess& ready, int report_fd, int result_fifo = -1);
// Child side: writes the recorded failure to FIFO (if >= 0) and stderr.
void report_failure(int fifo);

// Whether /proc/self/setgroups allows setgroups (it is "deny" for a rootless single mapping).
bool setgroups_allowed_here();

// Waits for a child of ours; returns the exit code the shell would show (128+N for a signal).
int wait_exit_code(pid_t pid);

// Our own clone3 (glibc has no wrapper): fork-like, with a pidfd when the
// kernel gives one. CGROUP, given: the child is born in its cgroup2
// directory (CLONE_INTO_CGROUP) when the kernel and the cgroup allow it, and
// JOINED says whether it was.
pid_t clone_process(unsigned long flags, int* pidfd, int cgroup = -1, bool* joined = nullptr);

// Parent side, right after the clone of the init: lets it run on any CPU of
// ours but the one we are on, when there is another (the scheduler puts a
// new child on its parent's CPU, where it would wait until we block; we go on
// working after the clone: bench/README.md). Best effort. The child undoes
// it with reset_cpu_affinity.
void move_off_this_cpu(pid_t child);
// Child side: every CPU again, before anything of the container's runs; the
// kernel narrows it to the cpuset (runc and crun reset the affinity too, so
// that a runtime started with a narrower one, systemd's CPUAffinity=, does
// not pass it on). -1 with errno on failure.
int reset_cpu_affinity();

}  // namespace rrun
