#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace rrun {

// The typed model of runtime-spec 1.3 config.json: the parts rrun acts on.
// Fields rrun does not model stay reachable through Spec::raw.

struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
};

struct Mount {
    std::string destination;
    std::string source;
    std::string type;
    std::vector<std::string> options;
    std::vector<IdMapping> uid_mappings;
    std::vector<IdMapping> gid_mappings;
};

struct Rlimit {
    int resource = 0;
    std::string name;
    uint64_t soft = 0;
    uint64_t hard = 0;
};

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<uint32_t> umask;
    std::vector<uint32_t> additional_gids;
};

// Adds GID to GIDS unless it is there: runc sets each additional group once.
inline void add_gid(std::vector<uint32_t>& gids, uint32_t gid) {
    for (auto g : gids)
        if (g == gid) return;
    gids.push_back(gid);
}

// One bit per capability number.
struct CapabilitySets {
    uint64_t bounding = 0, effective = 0, inheritable = 0, permitted = 0, ambient = 0;
};

// process.scheduler, for sched_setattr(2).
struct Scheduler {
    uint32_t policy = 0;
    int32_t nice = 0;
    uint32_t priority = 0;
    uint64_t flags = 0, runtime = 0, deadline = 0, period = 0;
};

struct Process {
    bool terminal = false;
    unsigned console_height = 0, console_width = 0;
    std::string cwd;
    std::vector<std::string> args;
    std::vector<std::string> env;
    User user;
    std::optional<CapabilitySets> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
    std::optional<int> oom_score_adj;
    std::string apparmor_profile;
    std::string selinux_label;
    std::optional<Scheduler> scheduler;
    std::optional<int> io_priority;  // ioprio_set(2) value: class << 13 | priority
    std::string exec_cpu_affinity_initial, exec_cpu_affinity_final;  // cpu lists "0-3,7"
};

enum class NamespaceType { pid, network, mount, ipc, uts, user, cgroup, time };

struct Namespace {
    NamespaceType type;
    std::string path;  // empty: create a new one
};

struct Device {
    char type = 'c';  // c, b, u, p
    std::string path;
    int64_t major = 0, minor = 0;
    std::optional<uint32_t> file_mode;
    std::optional<uint32_t> uid, gid;
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    bool env_given = false;  // no "env": the hook inherits the runtime's environment (runc)
    std::optional<int> timeout;
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
};

// linux.netDevices: a host interface to move into the container's network namespace.
struct NetDevice {
    std::string host_name;  // the key: the interface in the runtime's network namespace
    std::string name;       // inside the container; may end in %d (the kernel picks the number)
};

// linux.memoryPolicy, ready for set_mempolicy(2): the nodemask is built when
// the config is read, so the container's init only makes the call.
struct MemoryPolicy {
    int mode = 0;                  // MPOL_* value, with the MPOL_F_* flags or'ed in
    std::string mode_name;         // for errors
    std::vector<unsigned long> nodemask;  // empty: no nodes (NULL nodemask)
    unsigned long maxnode = 0;     // bits in nodemask, as set_mempolicy counts them
};

// linux.intelRdt.
struct IntelRdt {
    std::string clos_id;  // empty: the container id; "/": the default CLOS (resctrl's root)
    std::optional<std::string> l3_cache_schema, mem_bw_schema;
    std::vector<std::string> schemata;
    bool enable_monitoring = false;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uid_mappings;
    std::vector<IdMapping> gid_mappings;
    std::vector<Device> devices;
    std::string cgroups_path;
    std::map<std::string, std::string> sysctl;
    std::string rootfs_propagation;
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::string mount_label;
    std::optional<unsigned long> personality;  // personality(2) persona
    std::optional<IntelRdt> intel_rdt;
    std::vector<NetDevice> net_devices;
    std::optional<MemoryPolicy> memory_policy;

    const Namespace* find_namespace(NamespaceType t) const;
};

struct Spec {
    std::string oci_version;
    std::string root_path;  // absolute, resolved against the bundle
    bool root_readonly = false;
    std::vector<Mount> mounts;
    std::optional<Process> process;
    std::string hostname;
    std::string domainname;
    Hooks hooks;
    std::map<std::string, std::string> annotations;
    std::optional<Linux> linux;
    // The whole validated document, for the sections other modules read
    // themselves (linux.resources for cgroups, linux.seccomp).
    std::shared_ptr<const nlohmann::json> raw;
};

const char* namespace_type_name(NamespaceType t);
std::optional<NamespaceType> namespace_type_from_name(const std::string& name);
// "RLIMIT_NOFILE" -> RLIMIT_NOFILE, or -1.
int rlimit_from_name(const std::string& name);
// "CAP_SYS_ADMIN" -> 21, or -1 when libcap does not know the name.
int capability_from_name(const std::string& name);

// Parses config.json text: schema validation first (errors name the JSON
// path), then the typed model (errors name the field). BUNDLE resolves root.path.
Spec parse_spec(const std::string& text, const std::string& bundle, const std::string& source_name);
// Typed model of an already validated document (used by parse_spec and tests).
Spec spec_from_json(const nlohmann::json& doc, const std::string& bundle);
Process process_from_json(const nlohmann::json& j, const std::string& where);
std::vector<Hook> hooks_from_json(const nlohmann::json& list);
// A list in the spec's format for cpus and mems ("0-3,7": numbers and
// ranges, comma-separated): its numbers, each below LIMIT. Error naming WHERE
// and WHAT ("cpu", "node") otherwise.
std::vector<unsigned> parse_number_list(const std::string& list, const std::string& where, const char* what, unsigned limit);
// linux.memoryPolicy (already schema-checked): Error naming the field on a
// bad node list, or nodes given to a mode that takes none (or none to one that needs them).
MemoryPolicy memory_policy_from_json(const nlohmann::json& j);

}  // namespace rrun
