// `features`: the runtime-spec features.md document, listing only what rrun
// really does. Update it as support lands. rrun follows runtime-spec 1.3.0
// (ociVersionMax), also where 1.3 changed a rule: a failing poststart hook
// stops the container and fails `start`.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "seccomp.hpp"
#include "version.hpp"

namespace rrun::cli {

int cmd_features(const RuntimeContext&, const Args&) {
    using ordered = nlohmann::ordered_json;
    ordered f;
    f["ociVersionMin"] = "1.0.0";
    f["ociVersionMax"] = RRUN_OCI_VERSION;
    f["hooks"] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
    f["mountOptions"] = {"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap",
                         "lazytime", "mand", "noatime", "nodev", "nodiratime", "noexec", "nolazytime", "nomand",
                         "norelatime", "nostrictatime", "nosuid", "private", "rbind", "relatime", "remount",
                         "ridmap", "ro", "rprivate", "rshared", "rslave", "runbindable", "rw", "shared", "slave",
                         "strictatime", "suid", "sync", "unbindable"};
    ordered linux_features;
    linux_features["namespaces"] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"};
    ordered caps = ordered::array();
    for (const char* c :
         {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
          "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
          "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
          "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
          "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
          "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
          "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"})
        caps.push_back(c);
    linux_features["capabilities"] = caps;
    // cgroupfs on v1, hybrid and v2 (rdma via rdma.max); the systemd driver
    // (transient scopes over D-Bus) as root and under the user's manager.
    linux_features["cgroup"] = {{"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", true}, {"rdma", true}};
    linux_features["seccomp"] = seccomp::features();
    linux_features["apparmor"] = {{"enabled", true}};
    linux_features["selinux"] = {{"enabled", true}};
    // The implementation, whatever this host has (features-linux.md).
    linux_features["intelRdt"] = {{"enabled", true}, {"schemata", true}, {"monitoring", true}};
    linux_features["memoryPolicy"] = {
        {"modes", {"MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED",
                   "MPOL_PREFERRED_MANY", "MPOL_LOCAL"}},
        {"flags", {"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"}}};
    linux_features["netDevices"] = {{"enabled", true}};
    linux_features["mountExtensions"] = {{"idmap", {{"enabled", true}}}};
    f["linux"] = linux_features;
    // As runc's org.opencontainers.runc.checkpoint.enabled: checkpoint and
    // restore through the criu command (root only, where `criu check` passes).
    f["annotations"] = {{"io.github.rrun.checkpoint.enabled", "true"}, {"io.github.rrun.version", RRUN_VERSION}};
    f["potentiallyUnsafeConfigAnnotations"] = ordered::array();
    std::printf("%s\n", f.dump(4).c_str());
    return 0;
}

}  // namespace rrun::cli
