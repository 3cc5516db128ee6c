#pragma once
#include <sys/types.h>
#include <map>
#include <string>
#include <vector>

#include "unique_fd.hpp"

namespace rrun {

// What rrun keeps about a container between commands, in ROOT/ID/state.json.
struct ContainerState {
    std::string oci_version;
    std::string id;
    pid_t pid = 0;
    unsigned long long pid_start_time = 0;  // /proc/PID/stat field 22: tells a reused pid apart
    std::string bundle;
    std::string rootfs;
    std::string created;  // RFC 3339
    std::string owner;
    bool rootless = false;
    std::map<std::string, std::string> annotations;
    std::string config_path;  // the config.json the container was created from
    std::string cgroup_path;
    std::string poststart_hooks, poststop_hooks;  // JSON arrays from config.json, empty when none  // CgroupHandle::path, empty when it has none
};

enum class Status { creating, created, running, paused, stopped };
const char* status_name(Status s);

// Rejects ids that could escape the state root or are unusable as file names.
void validate_container_id(const std::string& id);

// The state root: --root, else /run/rrun for root, $XDG_RUNTIME_DIR/rrun rootless.
std::string default_state_root(bool rootless);
// Compiled seccomp filters are kept in the default state root, never in an
// engine's --root, which engines expect to hold only containers.
std::string seccomp_cache_dir(bool rootless);

// One container's directory under the state root, held with an flock for the
// lifetime of the object so concurrent commands on one id are serialised.
class ContainerDir {
public:
    // Opens an existing container's directory; "container ID does not exist" otherwise.
    static ContainerDir open(const std::string& root, const std::string& id);
    // Creates the directory (mkdir is the atomic claim on the id).
    static ContainerDir create(const std::string& root, const std::string& id);

    const std::string& path() const { return path_; }
    int fd() const { return fd_.get(); }
    std::string exec_fifo_path() const { return path_ + "/exec.fifo"; }
    // The init writes why it could not reach the program here; `start` reads
    // it, and its EOF (the init's CLOEXEC end closing at execve) means "running".
    std::string start_result_path() const { return path_ + "/start.result"; }

    ContainerState load() const;
    void save(const ContainerState& st) const;
    // The cgroup path alone, beside state.json: see salvage_state.
    void save_cleanup_record(const std::string& cgroup_path) const;
    // Without a mount namespace: the mount record, opened (appending) for the
    // init to note its mounts in ours (see undo_recorded_mounts), and its text
    // for delete, empty when there is none.
    unique_fd open_mount_record() const;
    std::string load_mount_record() const;
    // Removes the whole directory; the object becomes empty.
    void remove();

private:
    ContainerDir(std::string path, unique_fd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
    std::string path_;
    unique_fd fd_;
};

// What a damaged state.json of DIR still says about the init (pid and start
// time, together only) and the cgroup, the cgroup also from the cleanup
// record; empty fields where neither says.
ContainerState salvage_state(const ContainerDir& dir);

// Derives the status from the real process, not from what was stored.
Status current_status(const ContainerState& st, const ContainerDir& dir);
// Start time (clock ticks since boot) of PID, or 0 if it is gone.
unsigned long long process_start_time(pid_t pid);
// True while PID is alive, not a zombie, and is the process that was recorded.
bool process_alive(pid_t pid, unsigned long long start_time);

std::string state_to_json(const ContainerState& st);
ContainerState state_from_json(const std::string& text, const std::string& source);
// The runtime-spec state document (what `state` prints).
// As runc: `state` shows "pid": 0 once stopped; a hook's state (Go's
// omitempty) has no pid then (FOR_HOOK).
std::string oci_state_json(const ContainerState& st, Status status, bool for_hook = false);

// Ids of every container under ROOT.
std::vector<std::string> list_container_ids(const std::string& root);

}  // namespace rrun
