#pragma once
#include <sys/types.h>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cgroups.hpp"
#include "namespaces.hpp"
#include "rootfs.hpp"
#include "seccomp.hpp"
#include "spec.hpp"
#include "unique_fd.hpp"

namespace rrun {

// Everything the container's init needs, computed by the parent before clone
// so that the child between clone and exec only issues syscalls.
struct InitPlan {
    const Spec* spec = nullptr;
    const Process* process = nullptr;
    NamespacePlan namespaces;
    RootfsPlan rootfs;
    std::vector<std::string> env;   // process.env plus LISTEN_FDS when passed through
    std::vector<char*> argv, envp;  // point into process->args and env
    std::vector<std::pair<std::string, std::string>> sysctl_files;  // /proc/sys/... path, value
    std::optional<CapabilitySets> capabilities;  // limited to what this kernel has
    int last_cap = 63;
    int extra_fds = 0;             // fds 3.. that stay open across exec
    unique_fd exec_fifo;           // held O_RDWR: init blocks reading it until `start`
    unique_fd console_socket;      // where the pty master goes when process.terminal
    std::optional<seccomp::Filter> seccomp;  // compiled linux.seccomp
    CgroupHandle cgroup;           // joined by the parent before the init goes on
    int state_lock_fd = -1;        // the parent's lock on the state dir: the child must not hold it
};

struct InitProcess {
    pid_t pid = -1;
    unique_fd pidfd;
    unique_fd seccomp_notify;  // the listener fd of a filter with SCMP_ACT_NOTIFY
};

// Builds the plan from a parsed spec; throws Error naming the field on anything invalid.
InitPlan plan_init(const Spec& spec, bool no_pivot, int preserve_fds);

// Clones the container's init with all new namespaces at once, writes its id
// maps, and returns once it is set up and waiting for `start`. On failure the
// child is reaped and the error it reported is thrown.
InitProcess spawn_init(InitPlan& plan);

// Waits for a child of ours; returns the exit code the shell would show (128+N for a signal).
int wait_exit_code(pid_t pid);

}  // namespace rrun
