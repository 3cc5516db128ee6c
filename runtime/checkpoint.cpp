// checkpoint: runc's command line over CRIU (libcontainer/criu.cpp).
#include "cli.hpp"
#include "criu.hpp"
#include "error.hpp"

namespace rrun::cli {

// The flags checkpoint and restore share (CRIU's options on both sides).
const std::vector<Flag> criu_common_flags = {
    {"image-path", 0, true, "directory of the checkpoint image (default ./checkpoint)"},
    {"work-path", 0, true, "directory for CRIU's log and work files (default: the image path)"},
    {"tcp-established", 0, false, "allow open TCP connections"},
    {"ext-unix-sk", 0, false, "allow external unix sockets"},
    {"shell-job", 0, false, "allow a shell job (a terminal of the session outside)"},
    {"file-locks", 0, false, "handle file locks"},
    {"manage-cgroups-mode", 0, true, "cgroups mode for CRIU: soft (default), full, strict or ignore"},
    {"empty-ns", 0, true, "create the namespace but do not dump or restore its contents (network only)"},
    {"auto-dedup", 0, false, "deduplicate the memory pages against the parent image"},
    {"lazy-pages", 0, false, "lazy migration: checkpoint serves the memory from its page server, restore takes it from `criu lazy-pages`"},
};

const std::vector<Flag> checkpoint_flags = [] {
    std::vector<Flag> f = criu_common_flags;
    f.insert(f.end(), {
        {"parent-path", 0, true, "the pre-dump image this one is relative to (relative to the image path)"},
        {"leave-running", 0, false, "leave the container running after the checkpoint"},
        {"status-fd", 0, true, "with --lazy-pages: a descriptor CRIU writes a byte to once the pages can be fetched"},
        {"page-server", 0, true, "send the memory pages to a CRIU page server at ADDRESS:PORT"},
        {"pre-dump", 0, false, "dump the memory only, the container keeps running (for a later --parent-path)"},
    });
    return f;
}();

// What checkpoint and restore read the same way.
void criu_common_options(const Args& a, CriuCommonOptions& o) {
    o.image_path = a.get("image-path");
    o.work_path = a.get("work-path");
    o.manage_cgroups_mode = a.get("manage-cgroups-mode");
    if (!o.manage_cgroups_mode.empty() && o.manage_cgroups_mode != "soft" && o.manage_cgroups_mode != "full" &&
        o.manage_cgroups_mode != "strict" && o.manage_cgroups_mode != "ignore")
        throw UsageError("invalid value \"" + o.manage_cgroups_mode + "\" for --manage-cgroups-mode: soft, full, strict or ignore");
    for (auto& ns : a.all("empty-ns")) {
        if (ns != "network") throw UsageError("invalid value \"" + ns + "\" for --empty-ns: only network is supported");
        o.empty_net_ns = true;
    }
    o.tcp_established = a.flag("tcp-established");
    o.ext_unix_sk = a.flag("ext-unix-sk");
    o.shell_job = a.flag("shell-job");
    o.file_locks = a.flag("file-locks");
    o.auto_dedup = a.flag("auto-dedup");
    o.lazy_pages = a.flag("lazy-pages");
}

int cmd_checkpoint(const RuntimeContext& ctx, const Args& a) {
    const std::string& id = container_id(a);
    CheckpointOptions o;
    criu_common_options(a, o);
    if (a.has("status-fd")) o.status_fd = static_cast<int>(parse_number("status-fd", a.get("status-fd"), 1 << 20));
    o.parent_path = a.get("parent-path");
    o.page_server = a.get("page-server");
    o.leave_running = a.flag("leave-running");
    o.pre_dump = a.flag("pre-dump");
    checkpoint_container(ctx, id, o);
    return 0;
}

}  // namespace rrun::cli
