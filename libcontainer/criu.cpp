// checkpoint and restore through CRIU, declaring to it what runc declares.
//
// CRIU is driven through its command line (criu dump / pre-dump / restore),
// not its `criu swrk` RPC: every option rrun needs has a command-line form
// (--external, --inherit-fd, --cgroup-root, --restore-sibling, --pidfile), the
// command line is as stable an interface as the RPC (criu(8)), and it costs
// rrun no protobuf code: nothing is linked into the start path of the other
// commands. The one RPC-only feature, orphan-pts-master (runc's way to hand a
// restored terminal's new master to the console socket), is replaced by an
// external tty: checkpoint declares the container's terminal external, restore
// makes a new pty, sends its master over --console-socket and gives CRIU the
// slave with --inherit-fd.
//
// What rrun adds to runc's declarations: standard streams that were host files
// (a log file, /dev/null) are declared external files, so the dump does not
// fail on a file outside the container's mounts (runc's "Can't lookup mount"
// failure), and restore hands the restored process its own stdio in their
// place, as runc does for pipes only.
#include "criu.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "cgroups/cgroups.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "hooks.hpp"
#include "log.hpp"
#include "rootfs.hpp"
#include "spec.hpp"
#include "state.hpp"
#include "sync.hpp"
#include "terminal.hpp"

namespace rrun {

namespace {

using json = nlohmann::json;

// rrun's own record in the image directory: what checkpoint declared external,
// which restore must map again (and checks the new config can).
constexpr const char* kRecordName = "rrun-checkpoint.json";
constexpr const char* kNetNsKey = "extRootNetNS";  // runc's names, so images interchange
constexpr const char* kPidNsKey = "extRootPidNS";
constexpr const char* kConsoleKey = "rrun-console";  // the external /dev/console mount
// restore's hooks: the file rrun, run by CRIU as its action script, reads,
// and the one it leaves its error in.
constexpr const char* kHooksName = "criu-hooks.json";
constexpr const char* kHooksError = "criu-hooks.error";

struct CriuProcess {
    std::vector<std::string> args;
    const CgroupHandle* cgroup = nullptr;  // moved in before exec (restore)
    std::string* output = nullptr;         // stdout+stderr captured (else inherited)
};

// Runs CRIU; returns its exit code (128+N for a signal). Throws when it cannot
// be started at all, which means it is not installed.
int run_criu(const std::string& criu, const CriuProcess& p) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(criu.c_str()));
    for (auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int err_pipe[2], go_pipe[2], out_pipe[2] = {-1, -1};
    if (::pipe2(err_pipe, O_CLOEXEC) < 0 || ::pipe2(go_pipe, O_CLOEXEC) < 0) throw_errno("pipe");
    unique_fd err_r(err_pipe[0]), err_w(err_pipe[1]), go_r(go_pipe[0]), go_w(go_pipe[1]);
    if (p.output && ::pipe2(out_pipe, O_CLOEXEC) < 0) throw_errno("pipe");
    unique_fd out_r(out_pipe[0]), out_w(out_pipe[1]);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork " + criu);
    if (pid == 0) {
        // Child: only system calls. It waits for the parent to have moved it
        // into the container's cgroup, so every restored task starts there.
        char c;
        if (p.cgroup && ::read(go_r.get(), &c, 1) != 1) ::_exit(126);
        if (out_w) {
            ::dup2(out_w.get(), 1);
            ::dup2(out_w.get(), 2);
        }
        ::signal(SIGPIPE, SIG_DFL);
        ::execvp(argv[0], argv.data());
        int e = errno;
        (void)!::write(err_w.get(), &e, sizeof e);
        ::_exit(127);
    }
    err_w.reset();
    out_w.reset();
    go_r.reset();
    if (p.cgroup && !p.cgroup->path.empty()) {
        try {
            cgroup_enter(*p.cgroup, pid);
        } catch (...) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            throw;
        }
    }
    if (p.cgroup) (void)!::write(go_w.get(), "1", 1);
    go_w.reset();
    if (p.output) {
        char buf[4096];
        for (;;) {
            ssize_t n = ::read(out_r.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            p.output->append(buf, static_cast<size_t>(n));
        }
    }
    int e = 0;
    ssize_t n;
    do n = ::read(err_r.get(), &e, sizeof e);
    while (n < 0 && errno == EINTR);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (n == static_cast<ssize_t>(sizeof e))
        throw Error("cannot run CRIU (" + criu + "): " + std::strerror(e) +
                    (e == ENOENT ? " (install criu, or name it with --criu PATH)" : ""));
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// CRIU's "Error" lines of TEXT, joined: the first (usually the cause, such as
// "File count has bad size 3 (expect 2)") and the last few (what failed).
std::string error_lines(const std::string& text, size_t keep = 2) {
    std::vector<std::string> found;
    for (auto& line : split(text, '\n')) {
        size_t at = line.find("Error ");
        if (at != std::string::npos) found.push_back(line.substr(at));
    }
    std::string out;
    size_t from = found.size() > keep ? found.size() - keep : 0;
    if (from > 0) out = found[0] + (from > 1 ? "; ..." : "");
    for (size_t k = from; k < found.size(); k++)
        out += (out.empty() ? "" : "; ") + found[k];
    return out;
}

// Why WHAT failed, in one line: the kernel (when `criu check` fails too) or
// the last errors of CRIU's log.
[[noreturn]] void criu_failed(const std::string& criu, const std::string& what, const std::string& log_path) {
    std::string check_out;
    int rc = run_criu(criu, {{"check"}, nullptr, &check_out});
    if (rc != 0) {
        std::string why = error_lines(check_out, 1);
        throw Error(what + ": CRIU does not work on this kernel (`criu check` fails: " +
                    (why.empty() ? check_out.substr(0, 200) : why) + ")");
    }
    std::string log;
    try {
        log = read_file(log_path);
    } catch (const Error&) {
    }
    std::string why = error_lines(log);
    throw Error(what + ": criu failed" + (why.empty() ? "" : ": " + why) + " (log: " + log_path + ")");
}

// A directory made if missing; true when it was made.
bool ensure_dir(const std::string& path, const char* flag) {
    if (::mkdir(path.c_str(), 0700) == 0) return true;
    if (errno == EEXIST) {
        struct stat st;
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return false;
        throw Error(std::string("--") + flag + " " + path + ": not a directory");
    }
    throw_errno(std::string("--") + flag + " " + path);
}

struct MountPoint {
    int id;
    std::string fstype;
};

// Mount points of PID's mount namespace as PID sees them (relative to its root).
std::map<std::string, MountPoint> mount_points(pid_t pid) {
    std::map<std::string, MountPoint> out;
    for (auto& line : split(read_file("/proc/" + std::to_string(pid) + "/mountinfo"), '\n')) {
        std::vector<std::string> f;
        size_t s = 0;
        while (s < line.size()) {
            size_t e = line.find(' ', s);
            if (e == std::string::npos) e = line.size();
            f.push_back(line.substr(s, e - s));
            s = e + 1;
        }
        if (f.size() < 7) continue;
        std::string mp;  // octal escapes (\040) undone
        for (size_t k = 0; k < f[4].size(); k++) {
            if (f[4][k] == '\\' && k + 3 < f[4].size()) {
                mp += static_cast<char>(std::strtol(f[4].substr(k + 1, 3).c_str(), nullptr, 8));
                k += 3;
            } else {
                mp += f[4][k];
            }
        }
        size_t dash = 6;
        while (dash < f.size() && f[dash] != "-") dash++;
        out[mp] = {std::atoi(f[0].c_str()), dash + 1 < f.size() ? f[dash + 1] : ""};
    }
    return out;
}

bool is_bind(const Mount& m) {
    if (m.type == "bind") return true;
    for (auto& o : m.options)
        if (o == "bind" || o == "rbind") return true;
    return false;
}

// /dev entries rrun may bind from the host (rootless) besides linux.devices.
const char* const kDefaultDevices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/random", "/dev/urandom"};

std::string hex_key(const char* type, unsigned long long a, unsigned long long b) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s[%llx:%llx]", type, a, b);
    return buf;
}

// Key of the init's standard stream FD for CRIU: a pipe (inherited at restore,
// as runc does), a terminal (external tty), a file outside the container's
// mounts (external file), or "" when CRIU dumps it itself.
std::string stdio_key(pid_t pid, int fd, const std::map<std::string, MountPoint>& mounts, std::string& link) {
    std::string base = "/proc/" + std::to_string(pid);
    char buf[4096];
    ssize_t n = ::readlink((base + "/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
    if (n <= 0) return "";
    link.assign(buf, static_cast<size_t>(n));
    if (link.rfind("pipe:", 0) == 0) return link;
    if (link.rfind("socket:", 0) == 0 || link.rfind("anon_inode:", 0) == 0) return "";
    struct stat st;
    if (::stat((base + "/fd/" + std::to_string(fd)).c_str(), &st) < 0) return "";
    // Unix98 pty slaves (majors 136-143): the master is outside the container.
    if (S_ISCHR(st.st_mode) && major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143)
        return hex_key("tty", st.st_rdev, st.st_dev);
    std::string info;
    try {
        info = read_file(base + "/fdinfo/" + std::to_string(fd));
    } catch (const Error&) {
        return "";
    }
    size_t at = info.find("mnt_id:");
    if (at == std::string::npos) return "";
    int mnt_id = std::atoi(info.c_str() + at + 7);
    for (auto& [path, m] : mounts)
        if (m.id == mnt_id) return "";  // reachable in the container: CRIU reopens it by path
    return hex_key("file", static_cast<unsigned long long>(mnt_id), st.st_ino);
}

void common_args(std::vector<std::string>& a, const CriuCommonOptions& o) {
    if (o.tcp_established) a.push_back("--tcp-established");
    if (o.ext_unix_sk) a.push_back("--ext-unix-sk");
    if (o.shell_job) a.push_back("--shell-job");
    if (o.file_locks) a.push_back("--file-locks");
    if (o.auto_dedup) a.push_back("--auto-dedup");
    if (o.empty_net_ns) a.insert(a.end(), {"--empty-ns", "net"});
    a.push_back(o.manage_cgroups_mode.empty() ? "--manage-cgroups" : "--manage-cgroups=" + o.manage_cgroups_mode);
}

void refuse_rootless(const RuntimeContext& ctx, const char* what) {
    if (ctx.rootless || ::geteuid() != 0)
        throw Error(std::string("cannot ") + what + ": rootless checkpoint/restore is not supported (CRIU needs root)");
}

}  // namespace

void checkpoint_container(const RuntimeContext& ctx, const std::string& id, const CheckpointOptions& o) {
    refuse_rootless(ctx, "checkpoint");
    std::string image = absolute_path(o.image_path.empty() ? "checkpoint" : o.image_path);
    std::string work = o.work_path.empty() ? image : absolute_path(o.work_path);
    const char* kind = o.pre_dump ? "pre-dump" : "dump";
    bool made_image = false, made_work = false;
    {
        ContainerDir dir = ContainerDir::open(ctx.root, id);
        ContainerState st = dir.load();
        Status s = current_status(st, dir);
        if (s != Status::running && s != Status::paused)
            throw Error("cannot checkpoint container " + id + ": container not running (" + status_name(s) + ")");
        Spec spec = parse_spec(read_file(st.config_path), st.bundle, st.config_path);

        std::vector<std::string> a{kind, "--images-dir", image, "-o", std::string(kind) + ".log", "-v4",
                                   "--tree", std::to_string(st.pid), "--root", st.rootfs};
        if (work != image) a.insert(a.end(), {"--work-dir", work});
        common_args(a, o);
        if (o.leave_running) a.push_back("--leave-running");
        if (o.pre_dump || !o.parent_path.empty()) a.push_back("--track-mem");
        if (!o.parent_path.empty()) a.insert(a.end(), {"--prev-images-dir", o.parent_path});
        if (!o.page_server.empty()) {
            auto colon = o.page_server.rfind(':');
            if (colon == std::string::npos || colon == 0 || colon + 1 == o.page_server.size())
                throw Error("--page-server " + o.page_server + ": want ADDRESS:PORT");
            // Lazy: the dump stays to serve the pages itself (to `criu lazy-pages` on the other side).
            a.insert(a.end(), {o.lazy_pages ? "--lazy-pages" : "--page-server", "--address", o.page_server.substr(0, colon),
                               "--port", o.page_server.substr(colon + 1)});
        } else if (o.lazy_pages) {
            a.push_back("--lazy-pages");
        }
        // runc hands --status-fd to CRIU only with --lazy-pages, and so does rrun.
        if (o.lazy_pages && o.status_fd >= 0) {
            int fl = ::fcntl(o.status_fd, F_GETFL);
            if (fl < 0) throw_errno("--status-fd " + std::to_string(o.status_fd));
            if ((fl & O_ACCMODE) == O_RDONLY)
                throw Error("--status-fd " + std::to_string(o.status_fd) + ": not open for writing");
            ::fcntl(o.status_fd, F_SETFD, 0);  // CRIU inherits it
            a.insert(a.end(), {"--status-fd", std::to_string(o.status_fd)});
        }
        // CRIU freezes the container's cgroup instead of seizing task by task,
        // so a fork cannot escape the dump: v1's freezer hierarchy or v2's
        // cgroup.freeze, as runc passes its manager's freezer path.
        if (!st.cgroup_path.empty())
            if (std::string freezer = cgroup_freezer_dir(CgroupHandle{st.cgroup_path}); !freezer.empty())
                a.insert(a.end(), {"--freeze-cgroup", freezer});

        json record{{"id", id}, {"mounts", json::array()}, {"stdio", json::array()}};
        auto mounts = mount_points(st.pid);
        // Bind mounts come from the host: CRIU dumps a name (the destination)
        // and restore binds the source the config names for it.
        for (auto& m : spec.mounts) {
            if (!is_bind(m) || !mounts.count(m.destination)) continue;
            a.insert(a.end(), {"--external", "mnt[" + m.destination + "]:" + m.destination});
            record["mounts"].push_back(m.destination);
        }
        std::set<std::string> devices;
        if (spec.linux)
            for (auto& d : spec.linux->devices) devices.insert(d.path);
        for (const char* d : kDefaultDevices) devices.insert(d);
        for (auto& d : devices) {
            bool bound = std::find(record["mounts"].begin(), record["mounts"].end(), d) != record["mounts"].end();
            if (!mounts.count(d) || bound) continue;
            a.insert(a.end(), {"--external", "mnt[" + d + "]:" + d});
            record["devices"].push_back(d);
        }
        // Masked files are /dev/null bound over them (masked directories are
        // read-only tmpfs, which CRIU dumps itself).
        if (spec.linux)
            for (auto& p : spec.linux->masked_paths) {
                struct stat sb;
                std::string in = "/proc/" + std::to_string(st.pid) + "/root" + p;
                if (!mounts.count(p) || ::stat(in.c_str(), &sb) < 0 || S_ISDIR(sb.st_mode)) continue;
                a.insert(a.end(), {"--external", "mnt[" + p + "]:/dev/null"});
                record["masked"] = true;
            }
        // Namespaces joined by path are the host's: CRIU saves a name for them.
        if (spec.linux)
            for (auto [type, key] : {std::pair{NamespaceType::network, kNetNsKey}, std::pair{NamespaceType::pid, kPidNsKey}}) {
                const Namespace* ns = spec.linux->find_namespace(type);
                if (!ns || ns->path.empty()) continue;
                struct stat sb;
                if (::stat(ns->path.c_str(), &sb) < 0) throw_errno("stat namespace " + ns->path);
                a.insert(a.end(), {"--external", std::string(type == NamespaceType::network ? "net" : "pid") + "[" +
                                                     std::to_string(sb.st_ino) + "]:" + key});
                record[type == NamespaceType::network ? "netns" : "pidns"] = true;
            }
        json descriptors = json::array();
        std::set<std::string> declared;
        for (int fd = 0; fd < 3; fd++) {
            std::string link;
            std::string key = stdio_key(st.pid, fd, mounts, link);
            descriptors.push_back(link);
            record["stdio"].push_back(key);
            if ((key.rfind("tty[", 0) == 0 || key.rfind("file[", 0) == 0) && declared.insert(key).second)
                a.insert(a.end(), {"--external", key});
            // The init's /dev/console is its pty slave bound from the
            // container's devpts; CRIU can dump such a mount only with the
            // master in the tree (or the RPC's orphan-pts-master, runc's way).
            // Declared external, it is bound again from the new pty at restore.
            auto console = mounts.find("/dev/console");
            if (key.rfind("tty[", 0) == 0 && console != mounts.end() && console->second.fstype == "devpts" &&
                !record.contains("console")) {
                a.insert(a.end(), {"--external", std::string("mnt[/dev/console]:") + kConsoleKey});
                record["console"] = true;
            }
        }

        made_image = ensure_dir(image, "image-path");
        made_work = work != image && ensure_dir(work, "work-path");
        std::string record_path = join_path(image, kRecordName), descriptors_path = join_path(image, "descriptors.json");
        scope_guard undo([&] {
            if (!o.pre_dump) {
                ::unlink(record_path.c_str());
                ::unlink(descriptors_path.c_str());
            }
            if (made_work) remove_tree(work);
            if (made_image) remove_tree(image);
        });
        // Written before CRIU runs: a lazy dump returns only once its pages are
        // sent, and the restore on the other side reads these before that.
        if (!o.pre_dump) {
            write_file_atomic(record_path, record.dump() + "\n", 0600);
            // runc's descriptors.json: what its own restore needs of this image.
            write_file_atomic(descriptors_path, descriptors.dump(), 0600);
        }
        log_debug("criu " + [&] {
            std::string s;
            for (auto& x : a) s += x + " ";
            return s;
        }());
        int rc = run_criu(ctx.criu, {a, nullptr, nullptr});
        if (rc != 0) criu_failed(ctx.criu, "checkpoint container " + id, join_path(work, std::string(kind) + ".log"));
        undo.dismiss();
    }
    // CRIU killed the processes: the container is gone, as after runc's checkpoint.
    if (!o.leave_running && !o.pre_dump) delete_container(ctx, id, true);
}

pid_t restore_container(const RuntimeContext& ctx, RestoreOptions& o) {
    refuse_rootless(ctx, "restore");
    CreateOptions& c = o.create;
    validate_container_id(c.id);
    std::string image = absolute_path(o.image_path.empty() ? "checkpoint" : o.image_path);
    std::string work = o.work_path.empty() ? image : absolute_path(o.work_path);
    if (!path_exists(join_path(image, "inventory.img")))
        throw Error("--image-path " + image + ": no checkpoint image there (no inventory.img)");
    json record = json::object();
    if (path_exists(join_path(image, kRecordName))) {
        try {
            record = json::parse(read_file(join_path(image, kRecordName)));
        } catch (const std::exception& e) {
            throw Error("--image-path " + image + ": " + kRecordName + ": " + e.what());
        }
    }
    // Named references, not a structured binding: clang 14 cannot capture those in lambdas.
    BundleConfig loaded = load_bundle(c.bundle, c.config_file);
    const std::string& bundle = loaded.bundle;
    const std::string& config_path = loaded.config_path;
    Spec& spec = loaded.spec;

    std::vector<std::string> a{"restore", "--images-dir", image, "-o", "restore.log", "-v4", "--root", "",
                               "--restore-detached", "--restore-sibling", "--evasive-devices"};
    if (work != image) a.insert(a.end(), {"--work-dir", work});
    common_args(a, o);
    // The pages come from a `criu lazy-pages` daemon on this image (its socket in the work dir).
    if (o.lazy_pages) a.push_back("--lazy-pages");
    if (!o.lsm_profile.empty()) a.insert(a.end(), {"--lsm-profile", o.lsm_profile});
    if (!o.lsm_mount_context.empty()) a.insert(a.end(), {"--lsm-mount-context", o.lsm_mount_context});
    // Each external mount of the image needs its source in this config: an
    // image of another container names mounts this one does not have.
    std::map<std::string, std::string> sources;
    for (auto& m : spec.mounts)
        if (is_bind(m)) sources[m.destination] = m.source.empty() || m.source[0] == '/' ? m.source : join_path(bundle, m.source);
    std::vector<std::string> bind_targets;
    for (auto& d : record.value("mounts", json::array())) {
        std::string dest = d.get<std::string>();
        auto it = sources.find(dest);
        if (it == sources.end())
            throw Error("--image-path " + image + ": the checkpoint has a bind mount on " + dest +
                        " that " + config_path + " does not have (an image of another container?)");
        a.insert(a.end(), {"--external", "mnt[" + dest + "]:" + it->second});
        bind_targets.push_back(dest);
    }
    for (auto& d : record.value("devices", json::array()))
        a.insert(a.end(), {"--external", "mnt[" + d.get<std::string>() + "]:" + d.get<std::string>()});
    if (record.value("masked", false)) a.insert(a.end(), {"--external", "mnt[/dev/null]:/dev/null"});

    std::vector<unique_fd> keep;  // descriptors CRIU inherits (not CLOEXEC)
    auto inherit = [&](unique_fd fd, const std::string& key) {
        int flags = ::fcntl(fd.get(), F_GETFD);
        ::fcntl(fd.get(), F_SETFD, flags & ~FD_CLOEXEC);
        a.insert(a.end(), {"--inherit-fd", "fd[" + std::to_string(fd.get()) + "]:" + key});
        keep.push_back(std::move(fd));
    };
    for (auto [type, key, flag] : {std::tuple{NamespaceType::network, kNetNsKey, "netns"}, std::tuple{NamespaceType::pid, kPidNsKey, "pidns"}}) {
        if (!record.value(flag, false)) continue;
        const Namespace* ns = spec.linux ? spec.linux->find_namespace(type) : nullptr;
        if (!ns || ns->path.empty())
            throw Error("--image-path " + image + ": the checkpoint joined a " + namespace_type_name(type) +
                        " namespace by path, " + config_path + " names none");
        unique_fd fd(::open(ns->path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno("open namespace " + ns->path);
        inherit(std::move(fd), key);
    }
    // Standard streams: the dumped pipes, terminal and host files become ours
    // (or the new terminal's), as runc hands its stdio to restored pipes.
    auto stdio = record.value("stdio", json::array());
    bool tty = false;
    for (auto& k : stdio)
        if (k.is_string() && k.get<std::string>().rfind("tty[", 0) == 0) tty = true;
    unique_fd console_socket;
    if (tty) {
        if (c.console_socket.empty())
            throw Error("the checkpoint has a terminal: restore needs --console-socket to send the new one to");
        console_socket = connect_console_socket(c.console_socket);
    } else if (!c.console_socket.empty()) {
        throw Error("--console-socket was given but the checkpoint has no terminal");
    }
    unique_fd master, slave;
    if (tty) {
        master = unique_fd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!master || ::grantpt(master.get()) < 0 || ::unlockpt(master.get()) < 0) throw_errno("open /dev/ptmx");
        char name[64];
        if (::ptsname_r(master.get(), name, sizeof name) != 0) throw_errno("ptsname");
        slave = unique_fd(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!slave) throw_errno(std::string("open ") + name);
        if (record.value("console", false)) a.insert(a.end(), {"--external", std::string("mnt[") + kConsoleKey + "]:" + name});
    }
    std::set<std::string> done;
    for (size_t fd = 0; fd < stdio.size() && fd < 3; fd++) {
        std::string key = stdio[fd].is_string() ? stdio[fd].get<std::string>() : "";
        if (key.empty() || !done.insert(key).second) continue;
        if (key.rfind("tty[", 0) == 0) {
            inherit(unique_fd(::fcntl(slave.get(), F_DUPFD_CLOEXEC, 3)), key);
        } else {
            int dup = ::fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 3);
            if (dup < 0) dup = ::open("/dev/null", O_RDWR | O_CLOEXEC);  // our stream is closed
            inherit(unique_fd(dup), key);
        }
    }

    ContainerDir dir = ContainerDir::create(ctx.root, c.id);
    std::string dir_path = dir.path();
    std::string criu_root = join_path(dir_path, "criu-root");
    bool mounted = false;
    pid_t pid = 0;
    CgroupHandle cg;
    scope_guard cleanup([&] {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        try {
            cgroup_remove(cg);
        } catch (const Error& e) {
            log_warning(e.what());
        }
        if (mounted) ::umount2(criu_root.c_str(), MNT_DETACH);
        try {
            remove_tree(dir_path);
        } catch (const Error& e) {
            log_warning(e.what());
        }
    });
    ContainerState st = new_container_state(c.id, bundle, config_path, spec, ctx.rootless);
    cg = cgroup_setup(ctx, spec, c.id, [&](const CgroupHandle& h) {
        st.cgroup_path = h.path;
        dir.save_cleanup_record(h.path);
    });
    // The restored tasks land in this container's cgroup, not the dumped one's:
    // CRIU rewrites the dumped init's cgroup to the new root, one path for
    // every hierarchy or one per hierarchy (cgroupsPath per hierarchy, the
    // systemd driver's unit). CRIU names cgroup2 "" (":PATH"); a name it has
    // no hierarchy for ("unified" was one) it ignores, and restores that
    // hierarchy's tasks where they were dumped (podman's restore --import).
    if (!cg.path.empty() && cg.path[0] == '/') {
        a.insert(a.end(), {"--cgroup-root", cg.path});
    } else {
        for (auto& [key, path] : cgroup_hierarchy_paths(cg)) a.insert(a.end(), {"--cgroup-root", key + ":" + path});
    }
    // CRIU wants the root to be a mount point (runc binds it the same way);
    // the mount points of bind mounts must exist in it.
    if (::mkdir(criu_root.c_str(), 0755) < 0) throw_errno("mkdir " + criu_root);
    if (::mount(spec.root_path.c_str(), criu_root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
        throw_errno("bind " + spec.root_path + " on " + criu_root);
    mounted = true;
    a[7] = criu_root;
    {
        unique_fd rootfd(::open(criu_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        for (auto& dest : bind_targets) {
            struct stat sb;
            bool is_dir = ::stat(sources[dest].c_str(), &sb) == 0 && S_ISDIR(sb.st_mode);
            int fd = open_in_root(rootfd.get(), dest.c_str(), true, is_dir);
            if (fd < 0) throw_errno("mount point " + dest + " in " + spec.root_path);
            ::close(fd);
        }
    }
    // CRIU makes this mount the container's root as it is: without this the
    // restored root is writable, root.readonly or not (runc 1.1.5's is).
    if (spec.root_readonly &&
        ::mount(nullptr, criu_root.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) < 0)
        throw_errno("remount " + criu_root + " read-only");
    std::string pid_path = join_path(dir_path, "criu.pid");
    a.insert(a.end(), {"--pidfile", pid_path});
    // prestart and createRuntime hooks run where runc runs them: at CRIU's
    // setup-namespaces, once the restored init exists (its pid in the state)
    // and before its tasks are restored. CRIU's command line has no RPC
    // notification, so CRIU runs rrun itself as its action script.
    std::string hooks_path = join_path(dir_path, kHooksName);
    bool hooks = !spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty();
    if (hooks) {
        json h{{"state", json::parse(oci_state_json(st, Status::stopped))}};
        for (const char* kind : {"prestart", "createRuntime"})
            if (spec.raw && spec.raw->contains("hooks") && (*spec.raw)["hooks"].contains(kind)) h[kind] = (*spec.raw)["hooks"][kind];
        write_file_atomic(hooks_path, h.dump(), 0600);
        char self[4096];
        ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) throw_errno("readlink /proc/self/exe");
        a.insert(a.end(), {"--action-script", std::string(self, static_cast<size_t>(n))});
        ::setenv(kCriuHooksEnv, hooks_path.c_str(), 1);
    }
    log_debug("criu " + [&] {
        std::string s;
        for (auto& x : a) s += x + " ";
        return s;
    }());
    int rc = run_criu(ctx.criu, {a, &cg, nullptr});
    keep.clear();
    if (hooks) {
        ::unsetenv(kCriuHooksEnv);
        std::string failed;
        try {
            failed = read_file(join_path(dir_path, kHooksError));
        } catch (const Error&) {
        }
        if (!failed.empty()) throw Error("restore container " + c.id + ": " + failed);
        ::unlink(hooks_path.c_str());
    }
    if (rc != 0) criu_failed(ctx.criu, "restore container " + c.id, join_path(work, "restore.log"));
    pid = static_cast<pid_t>(std::atoi(read_file(pid_path).c_str()));
    if (pid <= 0) throw Error("restore container " + c.id + ": criu wrote no pid to " + pid_path);
    ::unlink(pid_path.c_str());
    ::umount2(criu_root.c_str(), MNT_DETACH);
    ::rmdir(criu_root.c_str());
    mounted = false;
    st.pid = pid;
    st.pid_start_time = process_start_time(pid);
    dir.save(st);
    if (master && !send_fd(console_socket.get(), master.get(), "/dev/ptmx")) throw_errno("send the terminal over --console-socket");
    if (!c.pid_file.empty()) write_file_atomic(absolute_path(c.pid_file), std::to_string(pid), 0644);
    cleanup.dismiss();
    return pid;
}

int criu_action_script(const char* action, const char* hooks_path) {
    // The hooks inherit our environment; CRIU's and ours are not theirs.
    std::string path = hooks_path;
    ::unsetenv(kCriuHooksEnv);
    ::unsetenv("CRTOOLS_SCRIPT_ACTION");
    if (std::strcmp(action, "setup-namespaces") != 0) return 0;
    // CRIU runs its scripts with stdin closed: the hooks' state pipe must not
    // land on fd 0 (the hook's stdin would be closed by its own dup2).
    for (int fd = 0; fd < 3; fd++)
        if (::fcntl(fd, F_GETFD) < 0 && ::open("/dev/null", O_RDWR) < 0) return 1;
    std::string dir = path.substr(0, path.rfind('/') + 1);
    try {
        json h = json::parse(read_file(path));
        const char* pid = ::getenv("CRTOOLS_INIT_PID");
        if (!pid || std::atoi(pid) <= 0) throw Error("CRIU gave the setup-namespaces script no CRTOOLS_INIT_PID");
        h["state"]["pid"] = std::atoi(pid);
        std::string state = h["state"].dump(2);
        for (const char* kind : {"prestart", "createRuntime"})
            if (h.contains(kind)) run_hooks(hooks_from_json(h[kind]), kind, state);
        return 0;
    } catch (const std::exception& e) {
        // CRIU logs our stderr in restore.log; restore reads this file.
        try {
            write_file_atomic(dir + kHooksError, e.what(), 0600);
        } catch (const Error&) {
        }
        std::fprintf(stderr, "rrun: %s\n", e.what());
        return 1;
    }
}

}  // namespace rrun
