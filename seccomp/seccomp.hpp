#pragma once
#include <linux/filter.h>
#include <sys/types.h>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace rrun::seccomp {

// "2.5.4": the libseccomp rrun runs with (for --version and features).
std::string library_version();

// The runtime-spec version the seccomp listener's "container process state"
// complies with (keep in step with RRUN_OCI_VERSION; a unit test checks it).
inline constexpr const char* kStateOciVersion = "1.3.0";

// linux.seccomp compiled by the parent into a BPF program, so the child only
// makes one seccomp(2) call and allocates nothing.
struct Filter {
    std::vector<struct sock_filter> program;
    // SECCOMP_FILTER_FLAG_* for seccomp(2), from linux.seccomp.flags and
    // already fitted to the kernel (TSYNC_ESRCH added next to TSYNC when
    // notify); load() adds NEW_LISTENER itself when notify.
    unsigned int flags = 0;
    bool notify = false;     // has SCMP_ACT_NOTIFY rules: load() returns a listener fd
    std::string listener_path;
    std::string listener_metadata;
};

// Parent side: linux.seccomp -> Filter. Throws Error naming the entry
// ("linux.seccomp.syscalls[3].action: unknown action ...").
Filter compile(const nlohmann::json& linux_seccomp);

// Where compile() keeps the BPF it built, for the next container with the
// same profile (cache.cpp); "" (the default) keeps nothing. `create` and
// `exec` use a directory in the state root.
void set_cache_dir(std::string dir);

// Child side, async-signal-safe: installs the filter. Returns the notify fd
// (>= 0) when f.notify, 0 when not, -1 with errno set on failure.
int load(const Filter& f);

// Parent side: sends NOTIFY_FD with the runtime-spec "container process state"
// (ociVersion, fds ["seccompFd"], pid, metadata, state) to f.listener_path.
void send_to_listener(const Filter& f, int notify_fd, pid_t pid, const std::string& container_state_json);

// The features.md "linux.seccomp" object: what this libseccomp and kernel support.
nlohmann::ordered_json features();

}  // namespace rrun::seccomp
