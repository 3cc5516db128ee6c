#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "spec.hpp"
#include "unique_fd.hpp"

namespace rrun {

// What `exec` was asked for: a --process file, or args with overrides of the
// container's own process.
struct ExecOptions {
    std::string id;
    std::string process_file;
    std::vector<std::string> args;
    bool tty = false;
    std::string console_socket;
    unique_fd console_fd;  // used instead of console_socket (exec's own terminal)
    std::string cwd;
    std::vector<std::string> env;
    std::optional<uint32_t> uid, gid;
    std::vector<uint32_t> additional_gids;
    std::vector<std::string> caps;
    bool no_new_privs = false;
    std::string apparmor, process_label;
    std::string pid_file;
    int preserve_fds = 0;
    bool ignore_paused = false;
    std::vector<std::string> cgroups;  // --cgroup: [CONTROLLER:]SUB, see cgroup_enter_sub
};

struct ExecProcess {
    pid_t pid = -1;
    bool terminal = false;
};

// The process of `exec --process FILE` (TEXT, named SOURCE in errors). What
// it leaves out comes from the container's own process (runc's rule), so an
// exec never runs with more than the container: its capabilities, rlimits and
// LSM labels; noNewPrivileges cannot be turned off.
Process exec_process_from_json(const std::string& text, const std::string& source, const Process* container);

// Starts a process in a running container: it joins every namespace of the
// container's init (user first; pid through our own pid_for_children), its
// cgroup, and gets the process's capabilities, rlimits, user and the
// container's seccomp filter. Returns once the program has been exec'd.
ExecProcess exec_in_container(const RuntimeContext& ctx, ExecOptions& opts);

}  // namespace rrun
