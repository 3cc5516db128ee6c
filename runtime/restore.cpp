// restore: runc's command line over CRIU (libcontainer/criu.cpp); in the
// foreground it waits for the restored container as `run` does.
#include <sys/prctl.h>

#include "cli.hpp"
#include "criu.hpp"
#include "error.hpp"
#include "foreground.hpp"

namespace rrun::cli {

void criu_common_options(const Args& a, CriuCommonOptions& o);

const std::vector<Flag> restore_flags = {
    {"console-socket", 0, true, "unix socket that receives the new pty master of a checkpointed terminal"},
    {"image-path", 0, true, "directory of the checkpoint image (default ./checkpoint)"},
    {"work-path", 0, true, "directory for CRIU's log and work files (default: the image path)"},
    {"tcp-established", 0, false, "restore open TCP connections"},
    {"ext-unix-sk", 0, false, "allow external unix sockets"},
    {"shell-job", 0, false, "allow a shell job"},
    {"file-locks", 0, false, "restore file locks"},
    {"manage-cgroups-mode", 0, true, "cgroups mode for CRIU: soft (default), full, strict or ignore"},
    {"bundle", 'b', true, "path to the bundle directory (default: the current directory)"},
    {"detach", 'd', false, "detach from the container's process"},
    {"pid-file", 0, true, "file to write the restored init's pid to"},
    {"no-subreaper", 0, false, "do not become a subreaper while waiting in the foreground"},
    {"no-pivot", 0, false, "accepted for runc compatibility (CRIU sets the root up itself)"},
    {"empty-ns", 0, true, "create the namespace but do not restore its contents (network only)"},
    {"auto-dedup", 0, false, "deduplicate the memory pages as they are restored"},
    {"lazy-pages", 0, false, "not supported by rrun: an error"},
    {"lsm-profile", 0, true, "TYPE:NAME of the LSM profile to restore with"},
    {"lsm-mount-context", 0, true, "SELinux mount context to restore the mounts with"},
};

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
