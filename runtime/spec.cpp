// `spec`: a default config.json like runc's, with a rootless variant.
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "version.hpp"

namespace rrun::cli {

namespace {
using ordered = nlohmann::ordered_json;

ordered default_spec(bool rootless) {
    ordered caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    ordered mounts = ordered::array();
    auto mount = [&](const char* dest, const char* type, const char* src, ordered opts) {
        ordered m;
        m["destination"] = dest;
        m["type"] = type;
        m["source"] = src;
        if (!opts.empty()) m["options"] = opts;
        mounts.push_back(m);
    };
    mount("/proc", "proc", "proc", ordered::array());
    mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"});
    if (rootless)
        mount("/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"});
    else
        mount("/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
    mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"});
    mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"});
    if (rootless)
        mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"});
    else
        mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"});
    mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"});

    ordered namespaces = ordered::array();
    for (const char* t : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
        if (rootless && std::string(t) == "network") continue;
        namespaces.push_back({{"type", t}});
    }
    ordered linux_section;
    if (rootless) {
        namespaces.push_back({{"type", "user"}});
        linux_section["uidMappings"] = {{{"containerID", 0}, {"hostID", ::geteuid()}, {"size", 1}}};
        linux_section["gidMappings"] = {{{"containerID", 0}, {"hostID", ::getegid()}, {"size", 1}}};
    } else {
        linux_section["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
    }
    linux_section["namespaces"] = namespaces;
    linux_section["maskedPaths"] = {"/proc/acpi",       "/proc/asound",      "/proc/kcore",    "/proc/keys",
                                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                                    "/sys/firmware",    "/proc/scsi"};
    linux_section["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};

    ordered spec;
    spec["ociVersion"] = RRUN_OCI_VERSION;
    spec["process"] = {
        {"terminal", true},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sh"}},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true},
    };
    spec["root"] = {{"path", "rootfs"}, {"readonly", true}};
    spec["hostname"] = "rrun";
    spec["mounts"] = mounts;
    spec["linux"] = linux_section;
    return spec;
}
}  // namespace

int cmd_spec(const RuntimeContext&, const Args& a) {
    std::string dir = a.get("bundle", ".");
    std::string path = join_path(dir, "config.json");
    if (path_exists(path)) throw Error("File " + path + " exists. Remove it first");
    std::string text = default_spec(a.flag("rootless")).dump(2) + "\n";
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) throw_errno("create " + path);
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) throw_errno("write " + path);
    return 0;
}

}  // namespace rrun::cli
