#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cgroups/cgroups.hpp"
#include "hooks.hpp"
#include "namespaces.hpp"
#include "process.hpp"
#include "rootfs.hpp"

namespace rrun {

// Everything the container's init needs beyond its process: namespaces,
// rootfs, names, sysctls, and the exec fifo it waits on.
struct InitPlan {
    const Spec* spec = nullptr;
    NamespacePlan namespaces;
    RootfsPlan rootfs;
    ProcessPlan proc;
    std::vector<std::pair<std::string, std::string>> sysctl_files;  // /proc/sys/... path, value
    unique_fd exec_fifo;   // held O_RDWR: init blocks reading it until `start`
    unique_fd start_result;  // fifo held O_RDWR|O_CLOEXEC: see ContainerDir::start_result_path
    CgroupHandle cgroup;   // joined by the parent before the init goes on
    CgroupSelfJoin cgroup_tasks;  // what the init joins without the parent (cgroup_open_self_join)
    int state_lock_fd = -1;  // the parent's lock on the state dir: the child must not hold it
    // Hooks: prestart/createRuntime run by the parent while the init waits
    // after its mounts; createContainer/startContainer run by the init itself.
    bool parent_hooks = false;
    std::vector<HookPlan> create_container_hooks, start_container_hooks;
    // Called in the parent once the init has its id maps and cgroups and was
    // told to go on, while it mounts (off the critical path), before any hook
    // runs or its `ready` is read: create records the pid in state.json. A
    // crash of ours before that leaves the cgroup on record and the init
    // killed by its PR_SET_PDEATHSIG, for `delete --force` to clean up.
    std::function<void(pid_t)> on_spawned;
    // Called once the parent moved the init into its cgroup (the v1 hierarchies
    // it joins itself: cgroup_tasks), before it goes on (intelRdt's tasks file).
    std::function<void(pid_t)> on_joined;
};

struct InitProcess {
    pid_t pid = -1;
    unique_fd pidfd;
    unique_fd seccomp_notify;  // the listener fd of a filter with SCMP_ACT_NOTIFY
};

// Builds the plan from a parsed spec; throws Error naming the field on anything invalid.
InitPlan plan_init(const Spec& spec, bool no_pivot, int preserve_fds);

// Clones the container's init with all new namespaces at once, writes its id
// maps, joins it to its cgroup, and returns once it is set up and waiting for
// `start`. On failure the child is reaped and the error it reported is thrown.
// STATE_FOR_HOOKS makes the state JSON the hooks read once the init's pid is known.
InitProcess spawn_init(InitPlan& plan, const std::function<std::string(pid_t)>& state_for_hooks);

}  // namespace rrun
