// restore: runc's command line over CRIU (libcontainer/criu.cpp); in the
// foreground it waits for the restored container as `run` does.
#include <sys/prctl.h>
#include <string_view>

#include "cli.hpp"
#include "criu.hpp"
#include "error.hpp"
#include "foreground.hpp"

namespace rrun::cli {

void criu_common_options(const Args& a, CriuCommonOptions& o);

// checkpoint's CRIU flags, create's --bundle and --pid-file, and restore's
// own. Built on first use: the tables it copies are other files' statics.
const std::vector<Flag>& restore_flags() {
    static const std::vector<Flag> table = [] {
        std::vector<Flag> f = criu_common_flags;
        for (auto& c : create_flags)
            if (std::string_view(c.name) == "bundle" || std::string_view(c.name) == "pid-file") f.push_back(c);
        f.insert(f.end(), {
            {"console-socket", 0, true, "unix socket that receives the new pty master of a checkpointed terminal"},
            {"detach", 'd', false, "detach from the container's process"},
            {"no-subreaper", 0, false, "do not become a subreaper while waiting in the foreground"},
            {"no-pivot", 0, false, "accepted for runc compatibility (CRIU sets the root up itself)"},
            {"lsm-profile", 0, true, "TYPE:NAME of the LSM profile to restore with"},
            {"lsm-mount-context", 0, true, "SELinux mount context to restore the mounts with"},
        });
        return f;
    }();
    return table;
}

int cmd_restore(const RuntimeContext& ctx, const Args& a) {
    RestoreOptions o;
    criu_common_options(a, o);
    o.create.id = container_id(a);
    o.create.bundle = a.get("bundle");
    o.create.pid_file = a.get("pid-file");
    o.create.console_socket = a.get("console-socket");
    o.create.no_pivot = a.flag("no-pivot");
    o.lsm_profile = a.get("lsm-profile");
    o.lsm_mount_context = a.get("lsm-mount-context");
    bool detach = a.flag("detach");
    // In the foreground the container's orphans are reaped here, as runc does.
    if (!detach && !a.flag("no-subreaper")) ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t pid = restore_container(ctx, o);
    if (detach) return 0;
    int code = wait_in_foreground(pid, -1);
    delete_container(ctx, o.create.id, true);
    return code;
}

}  // namespace rrun::cli
