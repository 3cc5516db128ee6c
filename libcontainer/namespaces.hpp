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
    bool new_cgroup = false;
    bool new_mount = false;
    bool new_uts = false;
    struct Join {
        int nstype;
        unique_fd fd;
        std::string path;
    };
    std::vector<Join> joins;  // opened before clone, user namespace first
};

NamespacePlan plan_namespaces(const Linux* linux);

// Parent side: writes uid_map/gid_map of PID. Root (or holding CAP_SETUID in
// our namespace) writes them directly; an unprivileged user maps its own ids
// directly and anything more through newuidmap/newgidmap.
void write_id_mappings(pid_t pid, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids);

// True when rrun runs without real root: euid != 0 or inside an engine's user namespace.
bool running_rootless();
// True when this process is inside a user namespace other than the initial one.
bool in_initial_user_namespace();

}  // namespace rrun
