#pragma once
#include <sys/types.h>
#include <string>

#include "context.hpp"
#include "spec.hpp"

namespace rrun {

// The container's cgroup, as create sets it up and the state file remembers it.
struct CgroupHandle {
    std::string path;  // cgroup path below the hierarchy roots, e.g. "/rrun/ID"; empty: no cgroup
};

// Parent side, before clone: resolves linux.cgroupsPath (runc's semantics),
// creates the cgroup and applies linux.resources. Returns an empty handle when
// cgroups are skipped (--cgroup-manager disabled, rootless with no delegation
// and no resources asked for).
CgroupHandle cgroup_setup(const RuntimeContext& ctx, const Spec& spec, const std::string& id);
// Parent side, after clone and before the init goes on: moves PID in.
void cgroup_enter(const CgroupHandle& cg, pid_t pid);
// delete (and failed create): removes the cgroup, retrying while processes exit.
void cgroup_remove(const CgroupHandle& cg);

}  // namespace rrun
