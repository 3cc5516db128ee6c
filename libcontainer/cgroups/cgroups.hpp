#pragma once
#include <sys/types.h>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "context.hpp"
#include "spec.hpp"
#include "unique_fd.hpp"

namespace rrun {
namespace cg {
struct SystemdStart;
struct DeferredMake;
}

// The container's cgroup, as create sets it up and the state file remembers it.
struct CgroupHandle {
    // Where the container's cgroup is, relative to each hierarchy's mount point;
    // empty: no cgroup. Either one path for every hierarchy ("/rrun/ID"), or,
    // when a relative cgroupsPath resolved differently per hierarchy (v1: under
    // rrun's own cgroup in each), one "KEY:PATH" line per hierarchy where KEY
    // is the controller list as /proc/self/cgroup names it ("" for cgroup2).
    std::string path;
    // --systemd-cgroup, from cgroup_setup to cgroup_enter: the unit to start
    // once the init exists (systemd wants a process in a new scope).
    std::shared_ptr<const cg::SystemdStart> systemd;
    // cgroup_setup's MAY_DEFER taken: the directories and limits still to be
    // made (cgroup_make_deferred), once the init exists.
    std::shared_ptr<const cg::DeferredMake> deferred;
};

// Parent side, before clone: resolves linux.cgroupsPath (runc's semantics),
// creates the cgroup and applies linux.resources. Returns an empty handle when
// cgroups are skipped (--cgroup-manager disabled, rootless with no delegation
// and no resources asked for). BEFORE_CREATE, if given, learns the handle
// before the first directory is made (create records it for a crash of ours).
// MAY_DEFER (create, for an init that joins by itself with no user namespace
// of its own): not rootless, with v1 hierarchies, only the cgroup2 directory
// (if any: clone3 puts the init there) is made now; the v1 ones the parent
// makes after the clone, while the init mounts what comes before its first
// cgroup mount (~0.4 ms of mkdirs, nine hierarchies, off the start path).
CgroupHandle cgroup_setup(const RuntimeContext& ctx, const Spec& spec, const std::string& id,
                          const std::function<void(const CgroupHandle&)>& before_create = {}, bool may_defer = false);
// A new process gets into its cgroups without the parent writing its pid: a
// pid written to cgroup.procs takes the kernel's cgroup_threadgroup_rwsem for
// writing, an RCU grace period (1-20 ms on these VMs) unless another writer
// left it just before. On v1 the process writes "0" to each `tasks` file
// itself (one thread moving itself takes no global lock); on cgroup2 clone3
// puts it there (CLONE_INTO_CGROUP, the lock only read), as crun does.
struct CgroupTasksFile {
    unique_fd fd;
    std::string path;
};
struct CgroupSelfJoin {
    std::vector<CgroupTasksFile> tasks;  // v1
    unique_fd v2_dir;                    // cgroup2: the directory, for clone3
    bool v2_joined = false;              // clone3 took it (else the parent writes the pid)
};
// Parent side, before clone: the container's v1 `tasks` files and its cgroup2
// directory, open (none with systemd, which puts the process in its unit
// itself; none where the file is not ours to write). Of a deferred handle:
// the tasks files named, not open (cgroup_make_deferred opens them).
CgroupSelfJoin cgroup_open_self_join(const CgroupHandle& cg);
// Parent side, after the clone, of a deferred handle: makes the v1
// directories, applies their limits, and opens JOIN's tasks files for the init.
void cgroup_make_deferred(const CgroupHandle& cg, CgroupSelfJoin& join);
// Parent side, after clone and before the init goes on: moves PID into the
// hierarchies SELF_JOINED did not take care of.
void cgroup_enter(const CgroupHandle& cg, pid_t pid, const CgroupSelfJoin& self_joined = {});
// Child side, single-threaded, between clone and exec: "0" to each `tasks`
// file, every file closed once written. Returns 0, or -1 with child_fail()
// naming the file.
int cgroup_join_self(CgroupSelfJoin& join);
// exec --cgroup (runc's form): moves PID into existing sub-cgroups of the
// container's cgroup. Each entry is "SUB" (every hierarchy) or
// "CONTROLLER[,CONTROLLER...]:SUB" (the hierarchies holding one of them);
// hierarchies no entry names get the container's cgroup itself.
void cgroup_enter_sub(const CgroupHandle& cg, const std::vector<std::string>& subs, pid_t pid);
// delete (and failed create): removes the cgroup, retrying while processes exit.
void cgroup_remove(const CgroupHandle& cg);

// pause/resume: freezes (waiting until every task is frozen) or thaws.
void cgroup_freeze(const CgroupHandle& cg, bool frozen);
// True when the cgroup is frozen (or freezing); false without a cgroup.
bool cgroup_frozen(const CgroupHandle& cg);
// The directory a freezer acts on (v1's freezer hierarchy, else the v2
// cgroup with cgroup.freeze); "" when there is none (checkpoint's --freeze-cgroup).
std::string cgroup_freezer_dir(const CgroupHandle& cg);
// The container's cgroup in each hierarchy the host has, as /proc/PID/cgroup
// names them: {controller list ("" for cgroup2), path} (restore's --cgroup-root).
std::vector<std::pair<std::string, std::string>> cgroup_hierarchy_paths(const CgroupHandle& cg);
// Host pids of every process in the cgroup and the cgroups below it.
std::vector<pid_t> cgroup_pids(const CgroupHandle& cg);
// Signals every process of the cgroup: cgroup.kill for SIGKILL on v2, else
// freeze, signal each pid, thaw (so forks cannot escape). False when the
// cgroup does not exist (any more).
bool cgroup_signal_all(const CgroupHandle& cg, int sig);
// update: applies a linux.resources object (only the keys it has) to a live cgroup.
void cgroup_update(const CgroupHandle& cg, const nlohmann::json& resources);
// events --stats: the "data" of runc's stats event (cpu, memory, pids, blkio, hugetlb).
nlohmann::json cgroup_stats(const CgroupHandle& cg);
// How many times the kernel's OOM killer ran in the cgroup (memory.events /
// memory.oom_control oom_kill); 0 without a memory controller.
unsigned long long cgroup_oom_kills(const CgroupHandle& cg);

// --- exposed for unit tests ---

enum class CgroupMode { unified, hybrid, legacy };
CgroupMode cgroup_mode();
const char* cgroup_mode_name(CgroupMode m);

// runc's CleanPath: lexical clean that never climbs above the start.
std::string cgroup_clean_path(const std::string& path);
// systemd's "slice:prefix:name" to the cgroup path it stands for
// ("system.slice:docker:ID" -> "/system.slice/docker-ID.scope"); the slice
// "a-b.slice" nests as /a.slice/a-b.slice. Throws naming linux.cgroupsPath.
std::string systemd_cgroup_path(const std::string& cgroups_path, const std::string& id, bool rootless);
// True when linux.resources asks for a limit (devices do not count: rootless
// containers only get the devices they may open anyway).
bool cgroup_resources_requested(const nlohmann::json& resources);

}  // namespace rrun
