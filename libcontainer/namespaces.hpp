#pragma once
#include <sys/types.h>
#include <string>
#include <vector>

#include "spec.hpp"
#include "unique_fd.hpp"

namespace rrun {

int clone_flag(NamespaceType t);

// linux.namespaces split into what clone creates and what the child joins.
struct NamespacePlan {
    unsigned long clone_flags = 0;  // CLONE_NEW* for new namespaces (not cgroup: unshared after setup)
    bool new_user = false;
    bool join_user = false;    // a user namespace given by path
    bool new_cgroup = false;
    bool new_mount = false;
    bool new_uts = false;
    bool new_time = false;     // unshared by the init, which enters it at execve
    // A new ipc namespace under a new user namespace: unshared by the init once
    // it is root there, not cloned (see plan_namespaces).
    bool unshare_ipc = false;
    std::string time_offsets;  // linux.timeOffsets, for /proc/self/timens_offsets before then
    struct Join {
        int nstype;
        unique_fd fd;
        std::string path;
    };
    std::vector<Join> joins;  // opened before clone, user namespace first
    bool clone_in_joined_user = false;  // joins a user namespace and creates others: see clone_container_init
};

NamespacePlan plan_namespaces(const Spec& spec);

// Parent side: clone_process() with the new namespaces. When a user namespace
// is joined while others are created, the clone happens from inside it (so that
// it owns them), by an intermediate, and the init is still our child.
// CGROUP, JOINED: as clone_process's (the init born in its cgroup2 cgroup);
// not through the intermediate, where the parent moves it.
pid_t clone_container_init(NamespacePlan& plan, int* pidfd, int cgroup = -1, bool* joined = nullptr);

// Child side: a new time namespace with the planned offsets. Returns 0, or -1
// with child_fail() set.
int unshare_time_namespace(const NamespacePlan& plan);

// Parent side: a user namespace with these id maps, for MOUNT_ATTR_IDMAP.
unique_fd make_user_namespace(const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids);

// Parent side: writes uid_map/gid_map of PID. Root (or holding CAP_SETUID in
// our namespace) writes them directly; an unprivileged user maps its own ids
// directly and anything more through newuidmap/newgidmap.
void write_id_mappings(pid_t pid, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids);

// True when rrun runs without real root: euid != 0 or inside an engine's user namespace.
bool running_rootless();
// True when this process is inside a user namespace other than the initial one.
bool in_initial_user_namespace();

}  // namespace rrun
