#pragma once
// The systemd cgroup driver (--systemd-cgroup): the container's cgroup is a
// transient scope unit that systemd makes over D-Bus (StartTransientUnit),
// delegated to us (Delegate=yes), with linux.resources as unit properties
// where systemd has them (so that a daemon-reload keeps them) and as files.
#include <sys/types.h>
#include <optional>
#include <string>
#include <vector>

#include "fs.hpp"
#include "dbus.hpp"
#include "internal.hpp"

namespace rrun::cg {

struct SystemdUnit {
    std::string name;   // "rrun-ID.scope" (or a "NAME.slice")
    bool user = false;  // the user's manager (rootless) rather than the system's
};

// The handle's first line names the unit ("systemd-unit:system:NAME"); the
// key matches no hierarchy, so the cgroup code skips it. Written before the
// unit is asked for, so that delete --force after a crash finds it.
std::string systemd_marker(const SystemdUnit& u);
std::optional<SystemdUnit> systemd_unit_of(const std::string& handle);

// What cgroup_enter needs to start the unit once the init exists (systemd
// refuses a scope without a process).
struct SystemdStart {
    SystemdUnit unit;
    std::string slice, id;
    dbus::Props resources;  // unit properties for linux.resources, devices included
    bool v1 = false;        // a legacy/hybrid host: v1's accounting property names
    std::vector<Write> writes;
    std::vector<DeviceRule> rules;
    // Set once systemd accepted the unit: a failed create stops only a unit
    // it made, never another one's of the same name (UnitExists).
    mutable bool asked = false;
};

// linux.resources as unit properties, from its cgroup v2 file writes: the
// files systemd itself writes (and rewrites at daemon-reload).
dbus::Props systemd_resource_props(const std::vector<Write>& v2);
// The same on cgroup v1 (legacy and hybrid hosts), from its v1 file writes:
// MemoryLimit, CPUShares, CPUQuotaPerSecUSec, BlockIOWeight, TasksMax,
// AllowedCPUs/AllowedMemoryNodes (runc's genV1ResourcesProperties).
dbus::Props systemd_v1_resource_props(const std::vector<Write>& v1);
// DevicePolicy and DeviceAllow for the device rules, as runc's: systemd applies
// them itself (its own eBPF program, or v1's devices.allow) at start and at
// every daemon-reload, so they must let through what our rules do.
// PROC_DEVICES: /proc/devices, which names the majors. DEFAULT_ALLOW: what
// rules without an "all devices" one leave to the others (ours: allowed;
// runc's: denied). NODE_EXISTS: whether the host has a /dev/char|block/M:m
// link (runc leaves out the nodes it has not).
dbus::Props systemd_device_props(const std::vector<DeviceRule>& rules, const std::string& proc_devices,
                                 bool default_allow = true, bool (*node_exists)(const std::string&) = path_exists);
// "0-2,4" as systemd's CPU/NUMA bitmask (byte i bit j = CPU 8i+j). Throws naming FIELD.
std::vector<uint8_t> systemd_cpu_mask(const std::string& list, const std::string& field);

// StartTransientUnit for the scope with PID in it; waits for its job.
// "Unit already exists": reset (a failed leftover) and retry once, as runc.
void systemd_start_unit(const SystemdStart& s, pid_t pid);
// StopUnit (waiting for its job) and ResetFailedUnit; a unit that does not
// exist (any more) is no error.
void systemd_stop_unit(const SystemdUnit& u);
// update: SetUnitProperties (runtime).
void systemd_set_properties(const SystemdUnit& u, const dbus::Props& p);

}  // namespace rrun::cg
