#pragma once
#include <linux/filter.h>
#include <sys/types.h>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace rrun::seccomp {

// "2.5.4": the libseccomp rrun runs with (for --version and features).
std::string library_version();

// linux.seccomp compiled by the parent into a BPF program, so the child only
// makes one seccomp(2) call and allocates nothing.
struct Filter {
    std::vector<struct sock_filter> program;
    unsigned int flags = 0;  // SECCOMP_FILTER_FLAG_* from linux.seccomp.flags
    bool notify = false;     // has SCMP_ACT_NOTIFY rules: load() returns a listener fd
    std::string listener_path;
    std::string listener_metadata;
};

// Parent side: linux.seccomp -> Filter. Throws Error naming the entry
// ("linux.seccomp.syscalls[3].action: unknown action ...").
Filter compile(const nlohmann::json& linux_seccomp);

// Child side, async-signal-safe: installs the filter. Returns the notify fd
// (>= 0) when f.notify, 0 when not, -1 with errno set on failure.
int load(const Filter& f);

// Parent side: sends NOTIFY_FD with the runtime-spec "container process state"
// (ociVersion, fds ["seccompFd"], pid, metadata, state) to f.listener_path.
void send_to_listener(const Filter& f, int notify_fd, pid_t pid, const std::string& container_state_json);

}  // namespace rrun::seccomp
