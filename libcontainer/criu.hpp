#pragma once
#include <sys/types.h>
#include <string>

#include "container.hpp"
#include "context.hpp"

namespace rrun {

// What checkpoint and restore share: runc's flags of the same names.
struct CriuCommonOptions {
    std::string image_path;            // default: ./checkpoint (runc's)
    std::string work_path;             // default: the image path
    std::string manage_cgroups_mode;   // soft, full, strict or ignore; empty: CRIU's default (soft)
    bool tcp_established = false;
    bool ext_unix_sk = false;
    bool shell_job = false;
    bool file_locks = false;
    bool auto_dedup = false;
    bool empty_net_ns = false;         // --empty-ns network
    bool lazy_pages = false;           // memory served later through userfaultfd (CRIU's lazy migration)
};

struct CheckpointOptions : CriuCommonOptions {
    std::string parent_path;   // --parent-path: the pre-dump this dump is relative to
    std::string page_server;   // IP:PORT
    bool leave_running = false;
    bool pre_dump = false;
    int status_fd = -1;        // --status-fd: CRIU writes a byte there once its lazy page server listens
};

struct RestoreOptions : CriuCommonOptions {
    CreateOptions create;  // id, bundle, config, pid file, console socket, no-pivot
    std::string lsm_profile, lsm_mount_context;
};

// checkpoint: dumps the running (or paused) container ID into the image
// directory with `criu dump` (or pre-dump); unless it is left running or this
// is a pre-dump, the container is then deleted, as runc does.
void checkpoint_container(const RuntimeContext& ctx, const std::string& id, const CheckpointOptions& opts);
// restore: creates the container OPTS.create.id from its bundle (state,
// cgroup) and has `criu restore` bring back the image's processes into it.
// Returns the restored init's pid, a child of ours.
pid_t restore_container(const RuntimeContext& ctx, RestoreOptions& opts);

// restore gives CRIU rrun as its --action-script, with this variable naming
// the hooks to run (prestart and createRuntime, at setup-namespaces, as runc
// does on its RPC notification); main() calls this when CRIU runs it.
constexpr const char* kCriuHooksEnv = "RRUN_CRIU_HOOKS";
int criu_action_script(const char* action, const char* hooks_path);

}  // namespace rrun
