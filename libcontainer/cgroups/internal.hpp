#pragma once
// Shared between the cgroup files: the host's layout, the container's
// directories in it, and linux.resources as a list of file writes.
#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cgroups.hpp"

namespace rrun::cg {

// One mounted hierarchy.
struct Hierarchy {
    bool v2 = false;
    std::string key;                       // as /proc/self/cgroup names it: "cpu,cpuacct", "name=systemd", "" (v2)
    std::vector<std::string> controllers;  // v1: the key's parts; v2: cgroup.controllers of the root
    std::string mountpoint;                // e.g. /sys/fs/cgroup/memory
    std::string mount_root;                // the mount's root inside the hierarchy (not "/" in a nested container)
    std::string own;                       // our own cgroup, relative to mountpoint
    bool has(const std::string& controller) const;
};

struct Layout {
    CgroupMode mode = CgroupMode::unified;
    std::vector<Hierarchy> hierarchies;
    const Hierarchy* find(const std::string& controller) const;  // v1 first, then the v2 tree
    const Hierarchy* v2() const;
};
const Layout& layout();  // read once per process

// The container's directory in one hierarchy.
struct Dir {
    const Hierarchy* h;
    std::string rel;   // relative to the mountpoint, starts with '/'
    std::string path;  // absolute directory
};
// Decodes a handle against the layout; hierarchies it does not name are left out.
std::vector<Dir> dirs_of(const CgroupHandle& cg);
std::string encode_handle(const std::vector<Dir>& dirs);
// The directory that holds CONTROLLER (v1 hierarchy, else the v2 tree), or nullptr.
const Dir* dir_for(const std::vector<Dir>& dirs, const std::string& controller);
// The whitespace-separated words of TEXT (cgroup files), without iostreams,
// whose locale setup costs every command that reads one.
std::vector<std::string> words(const std::string& text);

// One file write derived from linux.resources.
struct Write {
    std::string controller;  // which hierarchy (v1) or which controller must be enabled (v2)
    std::string file;
    std::string value;
    std::string field;  // the config field, for errors
    bool optional = false;  // skip when the file does not exist
    bool v2_only = false;   // linux.resources.unified: only ever the cgroup2 tree
    std::string alt_file, alt_value;  // written instead when FILE does not exist
};
// What cgroup_setup left for cgroup_make_deferred: the v1 directories and
// their writes (the device rules among them); and what it made of the
// cgroup2 tree, parents included, for cgroup_remove after a failed create.
struct DeferredMake {
    std::vector<Dir> dirs;
    std::vector<Write> writes;
    std::vector<std::string> made_now;
};
// linux.resources as v1 writes (without devices) and as v2 writes (without devices).
// CURRENT_MEMORY: for v2 swap, the memory limit in force when the object has none (update).
std::vector<Write> v1_writes(const nlohmann::json& r);
std::vector<Write> v2_writes(const nlohmann::json& r, std::optional<int64_t> current_memory = {});
// Writes in order, to the directory holding each write's controller; a missing
// file or controller is an error naming the field.
void apply_writes(const std::vector<Dir>& dirs, const std::vector<Write>& writes);
// Throws (naming the field) for a write whose controller no hierarchy has.
void check_controllers(const std::vector<Dir>& dirs, const std::vector<Write>& writes);

// runc's conversions.
uint64_t shares_to_weight(uint64_t shares);
uint64_t blkio_weight_to_io_weight(uint64_t weight);

// Device rules (linux.resources.devices plus what every container gets).
struct DeviceRule {
    bool allow = false;
    char type = 'a';  // a, c, b
    int64_t major = -1, minor = -1;  // -1: any
    std::string access = "rwm";
};
std::vector<DeviceRule> device_rules(const nlohmann::json& resources, const Spec& spec);
std::string v1_device_string(const DeviceRule& r);  // "c 1:3 rwm"
// The BPF_PROG_TYPE_CGROUP_DEVICE program for RULES (last matching rule wins), as raw instructions.
std::vector<uint64_t> device_program(const std::vector<DeviceRule>& rules);
// Loads the program and attaches it to the cgroup2 directory DIR.
void attach_device_program(const std::string& dir, const std::vector<DeviceRule>& rules);

// Small file helpers: errors name the file.
std::string read_trimmed(const std::string& path);
std::optional<std::string> try_read(const std::string& path);
void write_file(const std::string& path, const std::string& value);

}  // namespace rrun::cg
