#include "security.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "fs.hpp"
#include "procfs.hpp"
#include "sync.hpp"

namespace rrun {

int apply_rlimits(const Process& p) {
    for (auto& r : p.rlimits) {
        struct rlimit rl{r.soft, r.hard};
        if (::setrlimit(r.resource, &rl) < 0) return child_fail(errno, "setrlimit %s", r.name.c_str());
    }
    return 0;
}

int drop_bounding_set(const CapabilitySets& caps, int last_cap) {
    for (int c = 0; c <= last_cap; c++) {
        if (caps.bounding & (1ULL << c)) continue;
        if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return child_fail(errno, "drop capability %d from the bounding set", c);
    }
    return 0;
}

int switch_user(const User& user, bool keep_caps, bool setgroups_allowed) {
    if (keep_caps && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return child_fail(errno, "prctl PR_SET_KEEPCAPS");
    if (setgroups_allowed) {
        static_assert(sizeof(gid_t) == sizeof(uint32_t));
        const gid_t* groups = reinterpret_cast<const gid_t*>(user.additional_gids.data());
        if (::setgroups(user.additional_gids.size(), groups) < 0) return child_fail(errno, "setgroups");
    } else if (!user.additional_gids.empty()) {
        return child_fail(0, "process.user.additionalGids: cannot set supplementary groups: setgroups is denied in this user namespace");
    }
    if (::setresgid(user.gid, user.gid, user.gid) < 0) return child_fail(errno, "setgid %u", user.gid);
    if (::setresuid(user.uid, user.uid, user.uid) < 0) return child_fail(errno, "setuid %u", user.uid);
    if (keep_caps && ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return child_fail(errno, "prctl PR_SET_KEEPCAPS");
    return 0;
}

int apply_capabilities(const CapabilitySets& caps, int last_cap) {
    struct __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {};
    data[0].effective = static_cast<uint32_t>(caps.effective);
    data[1].effective = static_cast<uint32_t>(caps.effective >> 32);
    data[0].permitted = static_cast<uint32_t>(caps.permitted);
    data[1].permitted = static_cast<uint32_t>(caps.permitted >> 32);
    data[0].inheritable = static_cast<uint32_t>(caps.inheritable);
    data[1].inheritable = static_cast<uint32_t>(caps.inheritable >> 32);
    if (::syscall(SYS_capset, &hdr, data) < 0) return child_fail(errno, "capset");
    // Ambient capabilities need the capability in permitted and inheritable;
    // like runc, one that cannot be raised is skipped rather than fatal.
    for (int c = 0; c <= last_cap; c++)
        if (caps.ambient & (1ULL << c)) ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
    return 0;
}

int set_no_new_privileges() {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return child_fail(errno, "prctl PR_SET_NO_NEW_PRIVS");
    return 0;
}

int last_capability() {
    try {
        return std::stoi(read_file("/proc/sys/kernel/cap_last_cap"));
    } catch (...) {
        return CAP_LAST_CAP;
    }
}

void limit_capabilities(CapabilitySets& caps, int last_cap) {
    uint64_t mask = last_cap >= 63 ? ~0ULL : (1ULL << (last_cap + 1)) - 1;
    caps.bounding &= mask;
    caps.effective &= mask;
    caps.permitted &= mask;
    caps.inheritable &= mask;
    caps.ambient &= mask;
}

void check_lsm_labels(const Process& p, const std::string& where) {
    if (!p.apparmor_profile.empty()) {
        std::string enabled;
        try {
            enabled = read_file("/sys/module/apparmor/parameters/enabled");
        } catch (const Error&) {
        }
        if (enabled.empty() || enabled[0] != 'Y')
            throw Error(where + ".apparmorProfile: AppArmor is not enabled on this host");
    }
    if (!p.selinux_label.empty() && !path_exists("/sys/fs/selinux/enforce"))
        throw Error(where + ".selinuxLabel: SELinux is not enabled on this host");
}

// The exec label for the next execve: FIELD's VALUE, written with PREFIX to
// the first of PATHS (each "/proc/self/attr/...") that exists, opened through
// the procfs handle (procfs.hpp), never the container's /proc: a file mounted
// over the path (CVE-2025-52881) or a symlink (CVE-2019-16884) would have the
// label written elsewhere and the program run unconfined. Only a missing file
// moves on to the next path (kernels before 5.8 have no attr/apparmor/); a
// refused write is the error, naming the field and the file, as runc's
// "apparmor failed to apply profile: write ...: no such file or directory".
static int write_attr(const char* field, const char* const* paths, const char* prefix, const std::string& value) {
    int fd = -1;
    const char* path = *paths;
    for (; *paths && fd < 0; paths++) {
        path = *paths;
        fd = proc_open(path + 6, O_WRONLY);
        if (fd < 0 && errno != ENOENT) break;
    }
    if (fd < 0) return child_fail(errno, "process.%s %s: open %s", field, value.c_str(), path);
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s%s", prefix, value.c_str());
    bool fits = n >= 0 && static_cast<size_t>(n) < sizeof buf;
    if (!fits) errno = ENAMETOOLONG;
    int rc = fits && ::write(fd, buf, static_cast<size_t>(n)) == n
                 ? 0
                 : child_fail(errno, "process.%s %s: write %s", field, value.c_str(), path);
    ::close(fd);
    return rc;
}

int apply_lsm_labels(const Process& p) {
    static const char* const apparmor[] = {"/proc/self/attr/apparmor/exec", "/proc/self/attr/exec", nullptr};
    static const char* const selinux[] = {"/proc/self/attr/exec", nullptr};
    if (!p.apparmor_profile.empty() && write_attr("apparmorProfile", apparmor, "exec ", p.apparmor_profile) < 0)
        return -1;
    if (!p.selinux_label.empty() && write_attr("selinuxLabel", selinux, "", p.selinux_label) < 0) return -1;
    return 0;
}

}  // namespace rrun
