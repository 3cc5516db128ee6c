#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "spec.hpp"
#include "unique_fd.hpp"

namespace rrun {

enum class MountKind { regular, bind, cgroup };

// One entry of `mounts`, turned into mount(2) arguments by the parent before
// clone so that the child only issues syscalls.
struct MountStep {
    MountKind kind = MountKind::regular;
    std::string source;
    std::string destination;
    std::string type;
    std::string data;
    unsigned long flags = 0;        // MS_* given at mount time (binds: at remount)
    unsigned long propagation = 0;  // MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (| MS_REC)
    bool recursive = false;         // rbind
    uint64_t attr_set = 0, attr_clr = 0;  // MOUNT_ATTR_* for the whole tree (rro, rnosuid, ...)
    bool source_is_dir = true;      // what to create at the destination
    bool copy_up = false;           // tmpcopyup: the tmpfs starts with what was underneath
    bool idmap = false;             // idmap/ridmap, or uidMappings given
    bool idmap_recursive = false;   // ridmap: every mount of the tree is idmapped
    int idmapped_tree = -1;         // the idmapped copy of the source to move in place (owned by the plan)
};

// A cgroup v1 hierarchy of the host, mounted again inside the container.
struct CgroupHierarchy {
    std::string name;         // directory under the cgroup mount: "memory", "systemd", "unified"
    std::string fstype;       // cgroup or cgroup2
    std::string options;      // "memory", "name=systemd", ""
    std::string host_path;    // the host directory of the container's cgroup there (set once it exists)
};

struct RootfsPlan {
    std::string rootfs;
    bool readonly = false;
    unsigned long root_propagation = 0;  // for "/" before the mounts; MS_REC|MS_SLAVE, or linux.rootfsPropagation
    std::string rootfs_parent_mount;     // shared root_propagation: made private for pivot_root (runc)
    unsigned long final_propagation = 0; // linux.rootfsPropagation applied after pivot, 0 = none
    std::vector<MountStep> mounts;
    std::vector<CgroupHierarchy> cgroup_hierarchies;  // empty on a unified (v2) host
    bool cgroup_v2_host = false;
    bool make_default_devices = true;
    std::vector<Device> devices;
    std::vector<std::string> device_sources;  // per device, in a user namespace: the host node bound there
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    bool no_pivot = false;
    // false: no mount namespace of its own, the container shares the runtime's:
    // the mounts are made there (inside the rootfs, as runc and crun do), with
    // no pivot_root, only chroot; plan_init refuses what would change more.
    bool mount_namespace = true;
    // Without one: where the init notes each mount before making it (see undo_recorded_mounts).
    unique_fd mount_record;
    std::string cwd;                 // the init's process.cwd, made (mkdir -p) when missing, as runc does
    bool in_user_namespace = false;  // mknod is not allowed: bind devices from the host
    bool has_kcore = false;          // /dev/core -> /proc/kcore only where it exists (runc)
    bool new_cgroup_ns = false;      // without one, cgroup mounts bind the container's own cgroups
    std::string cgroup2_path;        // v2 host: the container's cgroup, bound where cgroup2 cannot be mounted
    std::vector<unique_fd> idmapped_trees;  // open_tree copies with MOUNT_ATTR_IDMAP, made by the parent
};

// Parent side, once the container's cgroup exists: cgroup mounts show it.
void point_cgroup_mounts_at(RootfsPlan& plan, const std::string& cgroup_handle_path);
// Parent side: parses mount options and looks at the host; throws Error naming the field.
RootfsPlan plan_rootfs(const Spec& spec, bool no_pivot, bool in_user_namespace);
// Mount flags and data from OCI options, exposed for the unit tests.
void parse_mount_options(const std::vector<std::string>& options, MountStep& step);
unsigned long propagation_from_name(const std::string& name);

// Child side (after clone, inside the new mount namespace, or in ours with
// mount_namespace false: mounts noted in mount_record, then chroot). Return 0,
// or -1 with child_fail() set.
// JOIN_CGROUPS, when set, is called (with ARG) once: before the first cgroup
// mount, else after the mounts, before any device node is made. An init whose
// cgroups are made while it mounts joins them there.
struct CgroupJoinPoint {
    int (*call)(void* arg) = nullptr;
    void* arg = nullptr;
};
int prepare_rootfs(const RootfsPlan& plan, CgroupJoinPoint join_cgroups = {});  // mounts, devices, the cwd
int enter_rootfs(const RootfsPlan& plan);          // pivot_root (or move+chroot, or chroot alone), readonly root
int apply_readonly_and_masked_paths(const RootfsPlan& plan);  // after pivot_root and linux.sysctl (runc's order)
// Opens PATH in the tree at ROOTFD as if ROOTFD were "/" (no symlink leaves it);
// with CREATE, missing components are made (the last one a file unless DIR).
int open_in_root(int rootfd, const char* path, bool create, bool dir);

// Parent side, for a container without a mount namespace (delete, or a failed
// create, once its init is gone): unmounts (MNT_DETACH) what the init noted in
// its mount record, last first; only mounts stacked since on a noted path
// inside the rootfs. Throws Error naming the first mount that stays.
void undo_recorded_mounts(const std::string& record);

}  // namespace rrun
