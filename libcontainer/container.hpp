#pragma once
#include <sys/types.h>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cgroups/cgroups.hpp"
#include "context.hpp"
#include "init.hpp"
#include "state.hpp"
#include "unique_fd.hpp"

namespace rrun {


struct CreateOptions {
    std::string id;
    std::string bundle;       // default: the current directory
    std::string config_file;  // default: BUNDLE/config.json
    std::string pid_file;
    std::string console_socket;
    unique_fd console_fd;  // used instead of console_socket (run's own terminal)
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;
};

// create: sets the container up and leaves its init waiting for start.
// A bundle's config, read and parsed: BUNDLE ("" = the working directory) made
// absolute, CONFIG_FILE ("" = BUNDLE/config.json). Errors name the file.
struct BundleConfig {
    std::string bundle;
    std::string config_path;
    Spec spec;
};
BundleConfig load_bundle(const std::string& bundle, const std::string& config_file);
// The state a new container starts with (status left to the caller; poststop
// hooks recorded for delete).
ContainerState new_container_state(const std::string& id, const std::string& bundle, const std::string& config_path,
                                   const Spec& spec, bool rootless);
// What create made: the init, the state it saved and where.
struct CreatedContainer {
    InitProcess init;
    ContainerState state;
    std::string dir;  // the container's state directory
};
CreatedContainer create_container(const RuntimeContext& ctx, CreateOptions& opts);
// start: releases a created container's init into the user program.
void start_container(const RuntimeContext& ctx, const std::string& id);
// run's start: the same, of the container create_container has just made and
// whose init reported ready, without reading back the state it wrote (the
// init is waiting on that read: ~0.1 ms of each `run`).
void start_created_container(const CreatedContainer& created);
// kill: signals the init (ALL: every process of the container).
void kill_container(const RuntimeContext& ctx, const std::string& id, int sig, bool all);
// delete: removes a stopped (or created) container; FORCE kills a running one first.
void delete_container(const RuntimeContext& ctx, const std::string& id, bool force);
// The runtime-spec state of one container.
std::string container_state(const RuntimeContext& ctx, const std::string& id);

struct ContainerSummary {
    ContainerState state;
    Status status;
};
std::vector<ContainerSummary> list_containers(const RuntimeContext& ctx);

// pause / resume: freeze and thaw the container's cgroup.
void pause_container(const RuntimeContext& ctx, const std::string& id);
void resume_container(const RuntimeContext& ctx, const std::string& id);
// update: applies a linux.resources object (only its keys) to the live cgroup.
void update_container(const RuntimeContext& ctx, const std::string& id, const nlohmann::json& resources);
// ps: host pids of every process of the container (empty once it stopped).
std::vector<pid_t> container_processes(const RuntimeContext& ctx, const std::string& id);
// events: the container's cgroup while it is not stopped.
struct ContainerCgroup {
    ContainerState state;
    CgroupHandle cgroup;
};
std::optional<ContainerCgroup> container_cgroup(const RuntimeContext& ctx, const std::string& id);

}  // namespace rrun
