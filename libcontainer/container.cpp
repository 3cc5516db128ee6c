#include "container.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "exe_seal.hpp"
#include "fs.hpp"
#include "hooks.hpp"
#include "intelrdt.hpp"
#include "log.hpp"
#include "passwd.hpp"

#include <nlohmann/json.hpp>
#include "seccomp.hpp"
#include "spec.hpp"
#include "terminal.hpp"

namespace rrun {

namespace {

// In the container's state dir: the resctrl groups delete removes (intelrdt.hpp).
constexpr const char* intel_rdt_record = "intelrdt";

// Read from /etc/passwd as runc does, not through NSS: rrun is linked
// statically and NSS modules cannot be loaded into it.
std::string owner_name() {
    uid_t uid = ::geteuid();
    char name[256];
    if (passwd_field("/etc/passwd", uid, PasswdField::name, name, sizeof name)) return name;
    return std::to_string(uid);
}

unique_fd pidfd_of(const ContainerState& st) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0));
    if (fd < 0) return unique_fd();
    unique_fd pidfd(fd);
    // Checked after opening: the pidfd now pins the process we verified.
    if (!process_alive(st.pid, st.pid_start_time)) return unique_fd();
    return pidfd;
}

bool send_signal(const ContainerState& st, int sig) {
    unique_fd pidfd = pidfd_of(st);
    if (!pidfd) return false;
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) < 0) {
        if (errno == ESRCH) return false;
        throw_errno("signal container init " + std::to_string(st.pid));
    }
    return true;
}

std::string ns_link(pid_t pid, const char* ns) {
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, ns);
    ssize_t n = ::readlink(path, buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Every process in the init's pid namespace, when it has one of its own.
std::vector<pid_t> container_pids(const ContainerState& st) {
    std::vector<pid_t> pids{st.pid};
    std::string mine = ns_link(st.pid, "pid");
    if (mine.empty() || mine == ns_link(::getpid(), "pid")) return pids;
    DIR* d = ::opendir("/proc");
    if (!d) return pids;
    while (auto* de = ::readdir(d)) {
        char* end;
        long pid = std::strtol(de->d_name, &end, 10);
        if (*end || pid <= 0 || pid == st.pid) continue;
        if (ns_link(static_cast<pid_t>(pid), "pid") == mine) pids.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(d);
    return pids;
}

void wait_for_exit(const ContainerState& st, int timeout_ms) {
    unique_fd pidfd = pidfd_of(st);
    if (!pidfd) return;
    struct pollfd p{pidfd.get(), POLLIN, 0};
    int rc;
    do rc = ::poll(&p, 1, timeout_ms);
    while (rc < 0 && errno == EINTR);
    if (rc == 0) throw Error("container " + st.id + ": init " + std::to_string(st.pid) + " did not exit after SIGKILL");
}

unique_fd make_fifo(const std::string& path) {
    if (::mkfifo(path.c_str(), 0600) < 0) throw_errno("mkfifo " + path);
    unique_fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    return fd;
}

// Blocks until the init has exec'd the program (its end of FIFO closes at
// execve) or has died; returns what it wrote about a failure, "" if none.
std::string read_start_result(int fifo) {
    std::string text;
    char buf[1024];
    for (;;) {
        ssize_t n = ::read(fifo, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return text;
        text.append(buf, static_cast<size_t>(n));
    }
}

void kill_all(const ContainerState& st, int sig) {
    // The cgroup holds every process, also those outside the init's pid
    // namespace or left after it exited; without one, walk the namespace.
    if (!st.cgroup_path.empty() && cgroup_signal_all(CgroupHandle{st.cgroup_path}, sig)) return;
    if (!send_signal(st, sig)) return;
    for (pid_t pid : container_pids(st))
        if (pid != st.pid) ::kill(pid, sig);
}

}  // namespace

ContainerState new_container_state(const std::string& id, const std::string& bundle, const std::string& config_path,
                                   const Spec& spec, bool rootless) {
    ContainerState st;
    st.oci_version = spec.oci_version;
    st.id = id;
    st.bundle = bundle;
    st.rootfs = spec.root_path;
    st.created = rfc3339_now();
    st.owner = owner_name();
    st.rootless = rootless;
    st.annotations = spec.annotations;
    st.config_path = config_path;
    if (!spec.hooks.poststop.empty()) st.poststop_hooks = (*spec.raw)["hooks"]["poststop"].dump();
    return st;
}

BundleConfig load_bundle(const std::string& bundle_arg, const std::string& config_file) {
    BundleConfig b;
    b.bundle = absolute_path(bundle_arg.empty() ? "." : bundle_arg);
    b.config_path = config_file.empty() ? join_path(b.bundle, "config.json") : absolute_path(config_file);
    std::string text;
    try {
        text = read_file(b.config_path);
    } catch (const Error& e) {
        throw Error(std::string("bundle config: ") + e.what());
    }
    b.spec = parse_spec(text, b.bundle, b.config_path);
    return b;
}

CreatedContainer create_container(const RuntimeContext& ctx, CreateOptions& opts) {
    validate_container_id(opts.id);
    // Named references, not a structured binding: clang 14 cannot capture those in lambdas.
    BundleConfig loaded = load_bundle(opts.bundle, opts.config_file);
    const std::string& bundle = loaded.bundle;
    const std::string& config_path = loaded.config_path;
    Spec& spec = loaded.spec;
    std::string pid_file = opts.pid_file.empty() ? "" : absolute_path(opts.pid_file);
    unique_fd exec_helper = spec.process ? exec_protection(*spec.process) : unique_fd();
    if (::chdir(bundle.c_str()) < 0) throw_errno("chdir to bundle " + bundle);
    seccomp::set_cache_dir(seccomp_cache_dir(ctx.rootless));
    InitPlan plan = plan_init(spec, opts.no_pivot, opts.preserve_fds);
    use_exec_helper(plan.proc, std::move(exec_helper));

    if (spec.process->terminal) {
        if (opts.console_fd)
            plan.proc.console_socket = std::move(opts.console_fd);
        else if (!opts.console_socket.empty())
            plan.proc.console_socket = connect_console_socket(opts.console_socket);
        else
            throw Error("process.terminal is true but no --console-socket was given to receive the terminal");
    } else if (!opts.console_socket.empty()) {
        throw Error("--console-socket was given but process.terminal is false");
    }

    ContainerDir dir = ContainerDir::create(ctx.root, opts.id);
    std::string dir_path = dir.path();
    pid_t spawned = -1;
    std::string rdt_made;  // resctrl groups made for the container, innermost first
    scope_guard cleanup([&] {
        if (spawned > 0) {
            ::kill(spawned, SIGKILL);
            ::waitpid(spawned, nullptr, 0);
        }
        try {
            cgroup_remove(plan.cgroup);
        } catch (const Error& e) {
            log_warning(e.what());
        }
        remove_intel_rdt(rdt_made);
        try {
            if (!plan.rootfs.mount_namespace) undo_recorded_mounts(dir.load_mount_record());
            remove_tree(dir_path);
        } catch (const Error& e) {
            log_warning(e.what());
        }
    });
    // Without a mount namespace the init mounts in ours: noted for delete.
    if (!plan.rootfs.mount_namespace) plan.rootfs.mount_record = dir.open_mount_record();
    plan.exec_fifo = make_fifo(dir.exec_fifo_path());
    plan.start_result = make_fifo(dir.start_result_path());

    ContainerState st = new_container_state(opts.id, bundle, config_path, spec, ctx.rootless);
    if (!spec.hooks.poststart.empty()) st.poststart_hooks = (*spec.raw)["hooks"]["poststart"].dump();
    // What delete must remove is on disk before it exists: the cgroup path
    // (cleanup record) before the first directory, so that `delete --force`
    // after a crash of ours at any point finds everything. The init, whose pid
    // state.json records once it mounts (on_spawned), dies with us before that.
    // The init joins its v1 cgroups itself, as the host's root: late (while
    // it mounts) unless its own user namespace has mapped its root elsewhere.
    bool may_defer = !plan.namespaces.new_user && std::none_of(plan.namespaces.joins.begin(), plan.namespaces.joins.end(),
                                                               [](auto& j) { return j.nstype == CLONE_NEWUSER; });
    plan.cgroup = cgroup_setup(
        ctx, spec, opts.id,
        [&](const CgroupHandle& cg) {
            st.cgroup_path = cg.path;
            dir.save_cleanup_record(cg.path);
        },
        may_defer);
    point_cgroup_mounts_at(plan.rootfs, plan.cgroup.path);
    std::optional<RdtGroup> rdt;
    if (spec.linux && spec.linux->intel_rdt) {
        // Each group is on record before the next step, as the cgroup is.
        rdt = setup_intel_rdt(*spec.linux->intel_rdt, opts.id, [&](const std::string& made) {
            rdt_made = made + "\n" + rdt_made;
            write_file_atomic_at(dir.fd(), intel_rdt_record, rdt_made, 0600);
        });
        plan.on_joined = [&](pid_t pid) { enter_intel_rdt(*rdt, pid); };
    }
    plan.on_spawned = [&](pid_t pid) {
        st.pid = pid;
        st.pid_start_time = process_start_time(pid);
        dir.save(st);
    };
    plan.state_lock_fd = dir.fd();
    auto hook_state = [&](pid_t pid) {
        ContainerState s;
        s.oci_version = spec.oci_version;
        s.id = opts.id;
        s.pid = pid;
        s.bundle = bundle;
        s.annotations = spec.annotations;
        return oci_state_json(s, Status::creating);
    };
    InitProcess init = spawn_init(plan, hook_state);
    spawned = init.pid;
    if (init.seccomp_notify)
        seccomp::send_to_listener(*plan.proc.seccomp, init.seccomp_notify.get(), init.pid, oci_state_json(st, Status::created));
    if (!pid_file.empty()) {
        try {
            write_file_atomic(pid_file, std::to_string(init.pid), 0644);
        } catch (const Error& e) {
            throw Error(std::string("--pid-file: ") + e.what());
        }
    }
    cleanup.dismiss();
    return CreatedContainer{std::move(init), std::move(st), dir_path};
}

namespace {

// The init of a created container (DIR, ST) goes on to the program; the
// start result it writes is the answer.
void release_init(const std::string& dir, const ContainerState& st) {
    const std::string& id = st.id;
    std::string result_path = dir + "/start.result", fifo_path = dir + "/exec.fifo";
    // Opened first, so that nothing the init writes is lost; non-blocking so
    // that a dead init cannot hang us here.
    unique_fd result(::open(result_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!result) throw_errno("open " + result_path);
    unique_fd fifo(::open(fifo_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fifo) {
        if (errno == ENXIO) throw Error("container " + id + ": cannot start a container that has stopped (its init has exited)");
        throw_errno("open " + fifo_path);
    }
    if (::write(fifo.get(), "0", 1) != 1) throw_errno("start container " + id);
    ::unlink(fifo_path.c_str());
    ::unlink(result_path.c_str());
    fifo.reset();
    ::fcntl(result.get(), F_SETFL, 0);
    // runtime.md: a failing startContainer hook is an error of `start`, and
    // the container stops (the init has exited).
    std::string failure = read_start_result(result.get());
    if (!failure.empty()) throw Error("cannot start container " + id + ": " + failure);
    if (!st.poststart_hooks.empty()) {
        try {
            run_hooks(hooks_from_json(nlohmann::json::parse(st.poststart_hooks)), "poststart",
                      oci_state_json(st, Status::running));
        } catch (const Error& e) {
            // runtime-spec 1.3 (runtime.md, lifecycle step 9): a failing
            // poststart hook is an error; the container is stopped and the
            // lifecycle goes on at step 12 (delete destroys it and runs
            // poststop; `run` does that itself). 1.2 said: a warning.
            kill_all(st, SIGKILL);
            wait_for_exit(st, 10000);
            throw Error("cannot start container " + id + ": " + e.what() + " (the container was stopped)");
        }
    }
}

}  // namespace

void start_container(const RuntimeContext& ctx, const std::string& id) {
    ContainerDir dir = ContainerDir::open(ctx.root, id);
    ContainerState st = dir.load();
    Status status = current_status(st, dir);
    // runc's words for each state, after the id.
    if (status == Status::stopped) throw Error("container " + id + ": cannot start a container that has stopped");
    if (status == Status::running) throw Error("container " + id + ": cannot start an already running container");
    if (status != Status::created)
        throw Error("container " + id + ": cannot start a container in the " + status_name(status) + " state");
    release_init(dir.path(), st);
}

void start_created_container(const CreatedContainer& created) { release_init(created.dir, created.state); }

void kill_container(const RuntimeContext& ctx, const std::string& id, int sig, bool all) {
    ContainerDir dir = ContainerDir::open(ctx.root, id);
    ContainerState st = dir.load();
    // As runc: --all signals whatever the cgroup still holds (processes an
    // init without a pid namespace of its own left behind) and is no error
    // when nothing is left; containerd's shim and Kubernetes stop every
    // container with it, also one that has exited.
    if (all) {
        kill_all(st, sig);
        return;
    }
    // "container not running" is runc's text, which containerd's shim matches
    // to tell an exited container from a failed kill.
    if (current_status(st, dir) == Status::stopped || !send_signal(st, sig))
        throw Error("cannot kill container " + id + ": container not running");
}

void delete_container(const RuntimeContext& ctx, const std::string& id, bool force) {
    std::optional<ContainerDir> dir;
    try {
        dir.emplace(ContainerDir::open(ctx.root, id));
    } catch (const Error&) {
        validate_container_id(id);
        if (force && !path_exists(join_path(ctx.root, id))) return;  // runc: --force on a missing id is no error
        throw;
    }
    ContainerState st;
    try {
        st = dir->load();
    } catch (const Error& e) {
        if (!force) throw Error(std::string(e.what()) + " (use --force to remove it)");
        // Damaged (or cut short by a crash): remove what it still names.
        st = salvage_state(*dir);
        log_warning(std::string(e.what()) + ": removing the container with what it still names" +
                    (st.pid || !st.cgroup_path.empty() ? "" : " (nothing: its processes and cgroup cannot be found)"));
        // Without the init's pid, its cgroup still holds it.
        if (!st.pid && !st.cgroup_path.empty()) kill_all(st, SIGKILL);
    }
    Status status = current_status(st, *dir);
    if (status == Status::running || status == Status::paused) {
        if (!force) throw Error("cannot delete container " + id + " that is not stopped: " + status_name(status));
    }
    if (status != Status::stopped) {
        // A created container never ran its program: like runc, delete kills it.
        kill_all(st, SIGKILL);
        wait_for_exit(st, 10000);
    }
    // Without a mount namespace its mounts are in ours (runc leaves them);
    // kept, with the state, for a retry when one cannot be taken down.
    try {
        undo_recorded_mounts(dir->load_mount_record());
    } catch (const Error& e) {
        if (!force) throw;
        log_warning(e.what());
    }
    cgroup_remove(CgroupHandle{st.cgroup_path});
    if (::faccessat(dir->fd(), intel_rdt_record, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        remove_intel_rdt(read_file_at(dir->fd(), intel_rdt_record));
    dir->remove();
    if (!st.poststop_hooks.empty()) {
        try {
            run_hooks(hooks_from_json(nlohmann::json::parse(st.poststop_hooks)), "poststop", oci_state_json(st, Status::stopped, true));
        } catch (const Error& e) {
            log_warning(e.what());  // the spec: a failing poststop hook does not stop delete
        }
    }
}

std::string container_state(const RuntimeContext& ctx, const std::string& id) {
    ContainerDir dir = ContainerDir::open(ctx.root, id);
    ContainerState st = dir.load();
    return oci_state_json(st, current_status(st, dir));
}

std::vector<ContainerSummary> list_containers(const RuntimeContext& ctx) {
    std::vector<ContainerSummary> out;
    for (auto& id : list_container_ids(ctx.root)) {
        try {
            ContainerDir dir = ContainerDir::open(ctx.root, id);
            ContainerState st = dir.load();
            out.push_back({st, current_status(st, dir)});
        } catch (const Error& e) {
            log_debug(std::string("list: skipping ") + id + ": " + e.what());
        }
    }
    return out;
}

// ---- pause / resume / update / ps / events (cgroups)

namespace {

// An existing container that is not stopped, with its cgroup. A stopped one
// is refused with runc's words: "container not running" (resume: "container
// not paused").
ContainerState live_container(const RuntimeContext& ctx, const std::string& id, const char* what, Status* status = nullptr) {
    ContainerDir dir = ContainerDir::open(ctx.root, id);
    ContainerState st = dir.load();
    Status s = current_status(st, dir);
    if (s == Status::stopped)
        throw Error(std::string("cannot ") + what + " container " + id + ": container not " +
                    (std::strcmp(what, "resume") == 0 ? "paused" : "running"));
    if (st.cgroup_path.empty())
        throw Error(std::string("cannot ") + what + " container " + id + ": it has no cgroup (created with --cgroup-manager disabled, or rootless without a delegated cgroup)");
    if (status) *status = s;
    return st;
}

}  // namespace

void pause_container(const RuntimeContext& ctx, const std::string& id) {
    Status s;
    ContainerState st = live_container(ctx, id, "pause", &s);
    if (s == Status::paused) throw Error("cannot pause container " + id + ": container not running (already paused)");
    cgroup_freeze(CgroupHandle{st.cgroup_path}, true);
}

void resume_container(const RuntimeContext& ctx, const std::string& id) {
    Status s;
    ContainerState st = live_container(ctx, id, "resume", &s);
    if (s != Status::paused) throw Error("cannot resume container " + id + ": container not paused");
    cgroup_freeze(CgroupHandle{st.cgroup_path}, false);
}

void update_container(const RuntimeContext& ctx, const std::string& id, const nlohmann::json& resources) {
    ContainerState st = live_container(ctx, id, "update");
    cgroup_update(CgroupHandle{st.cgroup_path}, resources);
}

std::vector<pid_t> container_processes(const RuntimeContext& ctx, const std::string& id) {
    ContainerDir dir = ContainerDir::open(ctx.root, id);
    ContainerState st = dir.load();
    if (current_status(st, dir) == Status::stopped) return {};
    if (st.cgroup_path.empty()) return container_pids(st);
    return cgroup_pids(CgroupHandle{st.cgroup_path});
}

std::optional<ContainerCgroup> container_cgroup(const RuntimeContext& ctx, const std::string& id) {
    ContainerDir dir = ContainerDir::open(ctx.root, id);
    ContainerState st = dir.load();
    if (current_status(st, dir) == Status::stopped) return std::nullopt;
    return ContainerCgroup{st, CgroupHandle{st.cgroup_path}};
}

}  // namespace rrun
