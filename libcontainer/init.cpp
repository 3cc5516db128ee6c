// The container's init: cloned with all its new namespaces at once, set up
// (rootfs, names, sysctls, process), then blocked on the exec fifo until `start`.
#include "init.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "fs.hpp"
#include "network.hpp"
#include "procfs.hpp"
#include "sync.hpp"

namespace rrun {

namespace {

// Each "/proc/sys/..." file through the private procfs handle (procfs.hpp):
// neither the image nor a mount over the container's /proc can send the
// write to another file.
int write_sysctls(const InitPlan& plan) {
    for (auto& [file, value] : plan.sysctl_files) {
        int fd = proc_open(file.c_str() + 6, O_WRONLY);
        if (fd < 0) return child_fail(errno, "linux.sysctl: open %s", file.c_str());
        ssize_t n = ::write(fd, value.data(), value.size());
        int err = errno;
        ::close(fd);
        if (n != static_cast<ssize_t>(value.size())) return child_fail(err, "linux.sysctl: write %s", file.c_str());
    }
    return 0;
}

int set_names(const InitPlan& plan) {
    auto& s = *plan.spec;
    if (!s.hostname.empty() && ::sethostname(s.hostname.data(), s.hostname.size()) < 0)
        return child_fail(errno, "sethostname");
    if (!s.domainname.empty() && ::setdomainname(s.domainname.data(), s.domainname.size()) < 0)
        return child_fail(errno, "setdomainname");
    return 0;
}

// A deferred cgroup (cgroup_setup's MAY_DEFER): its tasks files come from
// the parent once it has made the directories, while we mounted; then our
// cgroup namespace, whose root is the cgroup we are in when it is made.
// Called by prepare_rootfs (CgroupJoinPoint).
struct LateCgroupJoin {
    InitPlan* plan = nullptr;
    int sync = -1;
};

int join_cgroups_late(void* arg) {
    auto& late = *static_cast<LateCgroupJoin*>(arg);
    CgroupSelfJoin& join = late.plan->cgroup_tasks;
    SyncMessage msg;
    int fds[sync_max_fds];
    size_t n = 0;
    if (!sync_recv_fds(late.sync, msg, fds, &n) || msg.type != SyncType::cgroups_made) return child_fail(0, "parent went away");
    for (size_t i = 0; i < n; i++) {
        if (i < join.tasks.size()) join.tasks[i].fd.reset(fds[i]);
        else ::close(fds[i]);
    }
    if (n != join.tasks.size()) return child_fail(0, "join cgroups: %zu tasks files came, %zu expected", n, join.tasks.size());
    if (cgroup_join_self(join) < 0) return -1;
    if (late.plan->namespaces.new_cgroup && ::unshare(CLONE_NEWCGROUP) < 0) return child_fail(errno, "unshare cgroup namespace");
    return 0;
}

// Between clone and exec. Returns only on failure.
int container_init(InitPlan& plan, int sync) {
    bool join_late = plan.cgroup.deferred != nullptr;
    // Our v1 cgroups first, by ourselves (cheaper than the parent's write of
    // our pid: cgroup_open_self_join); before anything the container does.
    // Made after the clone, they are joined while we mount (join_cgroups_late).
    if (!join_late && cgroup_join_self(plan.cgroup_tasks) < 0) return -1;
    // lo of a network namespace we created: while the parent writes our id maps
    // and cgroup (~0.2 ms of kernel work). The clone gave us every capability
    // in the namespace's owner, mapped or not yet.
    if ((plan.namespaces.clone_flags & CLONE_NEWNET) && bring_up_loopback() < 0) return -1;
    SyncMessage msg;
    if (!sync_recv(sync, msg) || msg.type != SyncType::parent_done) return child_fail(0, "parent went away");
    if (plan.namespaces.new_user) {
        // Become root of the new namespace when it is mapped (it always has all capabilities).
        ::setresuid(0, 0, 0);
        // The ipc namespace as root there, so that its mqueue filesystem's
        // root is owned by it (plan_namespaces); before the gid, as runc
        // (its group is then runc's too: ours, unmapped when we are root).
        if (plan.namespaces.unshare_ipc && ::unshare(CLONE_NEWIPC) < 0) return child_fail(errno, "unshare ipc namespace");
        ::setresgid(0, 0, 0);
    }
    for (auto& j : plan.namespaces.joins)
        if (j.nstype != CLONE_NEWPID && ::setns(j.fd.get(), j.nstype) < 0)
            return child_fail(errno, "join namespace %s", j.path.c_str());
    if (!join_late && plan.namespaces.new_cgroup && ::unshare(CLONE_NEWCGROUP) < 0)
        return child_fail(errno, "unshare cgroup namespace");
    // The handle for our procfs writes, made in our namespaces and before
    // the container's mounts exist; only when there is something to write.
    if ((!plan.sysctl_files.empty() || !plan.namespaces.time_offsets.empty() || !plan.proc.process->apparmor_profile.empty() ||
         !plan.proc.process->selinux_label.empty()) &&
        proc_handle_init() < 0)
        return child_fail(errno, "open a private procfs for the container's /proc writes");
    if (plan.namespaces.new_time && unshare_time_namespace(plan.namespaces) < 0) return -1;
    // Nothing in the container may ptrace us or open our /proc files (exe,
    // fds, environ) while we hold host resources; execve makes the program
    // dumpable again. Only now: our /proc files then belong to the host's
    // root, and a parent without privilege had to write our id maps, we our
    // timens_offsets.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (::setsid() < 0) return child_fail(errno, "setsid");
    ::umask(0);
    static LateCgroupJoin late;
    late = {&plan, sync};
    CgroupJoinPoint join_there;
    if (join_late) join_there = {join_cgroups_late, &late};
    if (prepare_rootfs(plan.rootfs, join_there) < 0) return -1;  // without a mount namespace: in the runtime's
    // Before any hook or the program: the parent moved us off its CPU.
    if (reset_cpu_affinity() < 0) return child_fail(errno, "reset the CPU affinity");
    static char hook_state[65536];
    size_t hook_state_len = 0;
    if (plan.parent_hooks || !plan.create_container_hooks.empty() || !plan.start_container_hooks.empty()) {
        msg = {SyncType::run_hooks, 0, {}};
        if (!sync_send(sync, msg)) return child_fail(errno, "ask for hooks");
        if (!sync_recv(sync, msg) || msg.type != SyncType::hooks_done) return child_fail(0, "parent went away");
        ssize_t n = ::recv(sync, hook_state, sizeof hook_state, 0);
        if (n < 0) return child_fail(errno, "receive the hook state");
        hook_state_len = static_cast<size_t>(n);
        // createContainer: in the container's namespaces, before pivot_root.
        if (run_hook_list(plan.create_container_hooks, "createContainer", hook_state, hook_state_len) < 0) return -1;
    }
    if (set_names(plan) < 0) return -1;
    // Also without a user namespace of our own: an engine may run us in one
    // whose setgroups is "deny" (rootless podman, `unshare -r`). Read before
    // the chroot: without a mount namespace the rootfs may have no /proc.
    bool setgroups_allowed = setgroups_allowed_here();
    if (enter_rootfs(plan.rootfs) < 0) return -1;
    if (write_sysctls(plan) < 0 || apply_readonly_and_masked_paths(plan.rootfs) < 0) return -1;
    if (plan.spec->linux && plan.spec->linux->personality && ::personality(*plan.spec->linux->personality) < 0)
        return child_fail(errno, "linux.personality");
    int fifo = plan.exec_fifo.get();
    int result = plan.start_result.get();
    int own[] = {sync, fifo, result};
    static ReadyProcess ready;
    if (setup_process(plan.proc, setgroups_allowed, own, 3, ready) < 0) return -1;
    // From here the parent may exit (create returns): do not die with it.
    ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    msg = {SyncType::ready, 0, {}};
    // The parent hands a notify listener fd on to listenerPath.
    if (!sync_send(sync, msg, ready.notify_fd > 0 ? ready.notify_fd : -1)) return child_fail(errno, "report ready");
    if (ready.notify_fd > 0) ::close(ready.notify_fd);
    ::close(sync);
    char byte;
    ssize_t n;
    do n = ::read(fifo, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) _exit(1);
    ::close(fifo);
    // startContainer: after start, in the container, before the program.
    if (run_hook_list(plan.start_container_hooks, "startContainer", hook_state, hook_state_len) < 0) {
        report_failure(result);
        _exit(1);
    }
    exec_process(plan.proc, ready, -1, result);
}

// Without a mount namespace the container shares the runtime's: as runc and
// crun, rrun makes the config's mounts there, inside the rootfs, then chroots;
// unlike them it neither makes the host's "/" rslave nor binds the rootfs on
// itself (both for pivot_root only), and delete takes the mounts down again.
// What would change mounts that are not the container's own is refused,
// naming the field; device nodes are made with mknod, as runc does.
void check_without_mount_namespace(const Spec& spec, bool in_userns) {
    const char* why = ": needs a mount namespace (add {\"type\": \"mount\"} to linux.namespaces); "
                      "without one it would change the mounts of the runtime's mount namespace";
    // Mounting there takes CAP_SYS_ADMIN over the runtime's mount namespace,
    // which no user namespace (rootless) has; runc fails as well.
    if (in_userns && !spec.mounts.empty())
        throw Error("mounts: in a user namespace without a mount namespace of its own nothing can be mounted: the "
                    "mounts would be made in the runtime's mount namespace, which needs CAP_SYS_ADMIN over it "
                    "(add {\"type\": \"mount\"} to linux.namespaces)");
    // The rootfs (the runtime's own mount, or a directory of it) read-only.
    if (spec.root_readonly) throw Error("root.readonly" + std::string(why));
    if (!spec.linux) return;
    auto& l = *spec.linux;
    // runc's own rule: "unable to restrict sys entries without a private MNT namespace".
    if (!l.masked_paths.empty()) throw Error("linux.maskedPaths" + std::string(why));
    if (!l.readonly_paths.empty()) throw Error("linux.readonlyPaths" + std::string(why));
    // The spec: it applies to the container's own mount namespace.
    if (!l.rootfs_propagation.empty()) throw Error("linux.rootfsPropagation" + std::string(why));
    // In a user namespace a device node is a bind mount of the host's.
    if (in_userns && !l.devices.empty()) throw Error("linux.devices: in a user namespace" + std::string(why));
}

// Only sysctls that belong to a namespace the container has may be set (runc's rule).
void check_sysctl_namespaced(const std::string& key, const Linux& linux) {
    static constexpr const char* ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                               "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                                               "kernel.shm_rmid_forced"};
    auto has = [&](NamespaceType t) { return linux.find_namespace(t) != nullptr; };
    auto need = [&](NamespaceType t, const char* what) {
        if (!has(t)) throw Error("linux.sysctl: \"" + key + "\" needs a " + what + " namespace");
    };
    for (auto* k : ipc_keys)
        if (key == k) return need(NamespaceType::ipc, "ipc");
    if (key.rfind("fs.mqueue.", 0) == 0) return need(NamespaceType::ipc, "ipc");
    if (key.rfind("net.", 0) == 0) return need(NamespaceType::network, "network");
    if (key == "kernel.hostname" || key == "kernel.domainname") need(NamespaceType::uts, "uts");
    // runc refuses it even in a uts namespace: the OCI "hostname" field sets it.
    if (key == "kernel.hostname")
        throw Error("linux.sysctl: \"kernel.hostname\" conflicts with the \"hostname\" field: set the hostname there");
    if (key == "kernel.domainname") return;
    throw Error("linux.sysctl: \"" + key + "\" is not namespaced and cannot be set for a container");
}

}  // namespace

InitPlan plan_init(const Spec& spec, bool no_pivot, int preserve_fds) {
    if (!spec.process) throw Error("process: required to create a container");
    InitPlan plan;
    plan.spec = &spec;
    const Linux* linux = spec.linux ? &*spec.linux : nullptr;
    plan.namespaces = plan_namespaces(spec);
    const Namespace* mnt = linux ? linux->find_namespace(NamespaceType::mount) : nullptr;
    if (mnt && !mnt->path.empty())
        throw Error("linux.namespaces: joining a mount namespace by path is not supported (rrun sets up the rootfs in a new one)");
    if (!spec.hostname.empty() && !(linux && linux->find_namespace(NamespaceType::uts)))
        throw Error("hostname: setting a hostname needs a uts namespace");
    if (!spec.domainname.empty() && !(linux && linux->find_namespace(NamespaceType::uts)))
        throw Error("domainname: setting a domainname needs a uts namespace");
    if (plan.namespaces.new_user && linux && linux->uid_mappings.empty())
        throw Error("linux.uidMappings: a new user namespace needs uid mappings");
    if (!plan.namespaces.new_user && linux && (!linux->uid_mappings.empty() || !linux->gid_mappings.empty()))
        throw Error("linux.uidMappings: mappings are given but no new user namespace is asked for");
    bool in_userns = plan.namespaces.new_user || !in_initial_user_namespace();
    if (!mnt) check_without_mount_namespace(spec, in_userns);
    plan.rootfs = plan_rootfs(spec, no_pivot, in_userns);
    plan.rootfs.mount_namespace = mnt != nullptr;
    // The default nodes would be bind mounts there: the rootfs's own /dev is used.
    if (!mnt && in_userns) plan.rootfs.make_default_devices = false;
    plan.rootfs.cwd = spec.process->cwd;
    plan.rootfs.new_cgroup_ns = plan.namespaces.new_cgroup || (linux && linux->find_namespace(NamespaceType::cgroup));
    // config-linux.md: the devices go into the container's network namespace;
    // without one of its own they would stay where they are.
    if (linux && !linux->net_devices.empty() && !linux->find_namespace(NamespaceType::network))
        throw Error("linux.netDevices: needs a network namespace of the container's own (add {\"type\": \"network\"} "
                    "to linux.namespaces)");
    if (linux) {
        for (auto& [key, value] : linux->sysctl) {
            if (key.empty() || key.find("..") != std::string::npos || key.find('/') != std::string::npos)
                throw Error("linux.sysctl: invalid key \"" + key + "\"");
            check_sysctl_namespaced(key, *linux);
            std::string file = "/proc/sys/" + key;
            for (size_t i = 10; i < file.size(); i++)
                if (file[i] == '.') file[i] = '/';
            plan.sysctl_files.emplace_back(file, value);
        }
    }
    plan.proc = plan_process(*spec.process, spec, preserve_fds, true);
    plan.proc.is_init = true;
    plan.parent_hooks = !spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty();
    plan.create_container_hooks = plan_hooks(spec.hooks.create_container);
    plan.start_container_hooks = plan_hooks(spec.hooks.start_container);
    return plan;
}

InitProcess spawn_init(InitPlan& plan, const std::function<std::string(pid_t)>& state_for_hooks) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) throw_errno("socketpair");
    unique_fd parent_end(pair[0]), child_end(pair[1]);
    // A pid namespace is joined through our own pid_for_children, put back after the clone.
    unique_fd our_pidns;
    for (auto& j : plan.namespaces.joins) {
        if (j.nstype != CLONE_NEWPID) continue;
        our_pidns.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
        if (!our_pidns) throw_errno("open /proc/self/ns/pid");
        if (::setns(j.fd.get(), CLONE_NEWPID) < 0) throw_errno("linux.namespaces: join pid namespace " + j.path);
    }
    // Root writes the child's /proc files whatever their owner: without a user
    // namespace (where the child writes some itself) it is born undumpable,
    // with no window (see container_init).
    if (::geteuid() == 0 && !plan.namespaces.new_user) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    plan.cgroup_tasks = cgroup_open_self_join(plan.cgroup);
    int pidfd = -1;
    pid_t pid = clone_container_init(plan.namespaces, &pidfd, plan.cgroup_tasks.v2_dir.get(), &plan.cgroup_tasks.v2_joined);
    int clone_errno = errno;
    if (our_pidns && pid != 0 && ::setns(our_pidns.get(), CLONE_NEWPID) < 0) throw_errno("return to our pid namespace");
    if (pid < 0) throw_sys(clone_errno, "clone the container's init");
    if (pid == 0) {
        parent_end.reset();
        if (plan.state_lock_fd >= 0) ::close(plan.state_lock_fd);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        container_init(plan, child_end.get());
        sync_send(child_end.get(), child_failure());
        _exit(1);
    }
    // While we write its id maps, make its v1 cgroups and state.json, the
    // init mounts on another CPU (it resets its affinity after its mounts).
    move_off_this_cpu(pid);
    InitProcess init{pid, unique_fd(pidfd), {}};
    child_end.reset();
    plan.exec_fifo.reset();
    plan.start_result.reset();
    plan.proc.console_socket.reset();
    auto fail = [&](const std::string& why) -> Error {
        ::kill(pid, SIGKILL);
        int status;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return Error(why);
    };
    try {
        if (plan.namespaces.new_user)
            write_id_mappings(pid, plan.spec->linux->uid_mappings, plan.spec->linux->gid_mappings);
        cgroup_enter(plan.cgroup, pid, plan.cgroup_tasks);
        if (plan.on_joined) plan.on_joined(pid);
        if (plan.spec->linux && !plan.spec->linux->net_devices.empty()) {
            // The namespace the init has (a new one) or will join (by path).
            unique_fd own;
            int netns = -1;
            for (auto& j : plan.namespaces.joins)
                if (j.nstype == CLONE_NEWNET) netns = j.fd.get();
            if (netns < 0) {
                own.reset(::open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
                if (!own) throw_errno("open the network namespace of the container's init");
                netns = own.get();
            }
            move_net_devices(plan.spec->linux->net_devices, netns);
        }
        // Before parent_done: once the child is undumpable only root could.
        if (auto adj = plan.proc.process->oom_score_adj)
            write_proc_file(pid, "oom_score_adj", std::to_string(*adj));
        SyncMessage go{SyncType::parent_done, 0, {}};
        if (!sync_send(parent_end.get(), go)) throw_errno("signal the container's init");
        if (plan.cgroup.deferred) {
            // While the init mounts what comes before its first cgroup mount.
            cgroup_make_deferred(plan.cgroup, plan.cgroup_tasks);
            std::vector<int> fds;
            for (auto& f : plan.cgroup_tasks.tasks) fds.push_back(f.fd.get());
            SyncMessage made{SyncType::cgroups_made, 0, {}};
            if (!sync_send_fds(parent_end.get(), made, fds.data(), fds.size())) {
                // The init has failed (its error is on the way), or cannot have them.
                int send_errno = errno;
                SyncMessage why;
                if (sync_recv(parent_end.get(), why) && why.type == SyncType::error) throw Error(why.text);
                throw_sys(send_errno, "send the cgroup tasks files to the container's init");
            }
        }
        plan.cgroup_tasks = {};
        // While the init sets itself up (its mounts take ~1 ms), not before:
        // it waits for nothing here. Still before any hook or reply of ours.
        if (plan.on_spawned) plan.on_spawned(pid);
    } catch (const Error& e) {
        throw fail(e.what());
    }
    SyncMessage msg;
    int notify_fd = -1;
    if (!sync_recv(parent_end.get(), msg, &notify_fd)) throw fail("the container's init exited during setup");
    if (msg.type == SyncType::run_hooks) {
        // prestart and createRuntime: in the runtime namespace, after the
        // container's namespaces and mounts exist, before pivot_root.
        std::string state = state_for_hooks(pid);
        try {
            run_hooks(plan.spec->hooks.prestart, "prestart", state);
            run_hooks(plan.spec->hooks.create_runtime, "createRuntime", state);
        } catch (const Error& e) {
            throw fail(e.what());
        }
        SyncMessage done{SyncType::hooks_done, 0, {}};
        if (!sync_send(parent_end.get(), done) || ::send(parent_end.get(), state.data(), state.size(), MSG_NOSIGNAL) < 0)
            throw fail("the container's init exited during setup");
        if (!sync_recv(parent_end.get(), msg, &notify_fd)) throw fail("the container's init exited during setup");
    }
    init.seccomp_notify.reset(notify_fd);
    if (msg.type == SyncType::error) throw fail(msg.text);
    if (msg.type != SyncType::ready) throw fail("unexpected message from the container's init");
    return init;
}

}  // namespace rrun
