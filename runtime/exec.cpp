// exec: a new process in a running container, as conmon and containerd's
// shim run it (--process FILE --detach --pid-file ...) or by hand (ID CMD...).
#include <cerrno>
#include <cstdlib>

#include "cli.hpp"
#include "error.hpp"
#include "exec.hpp"
#include "foreground.hpp"
#include "log.hpp"
#include "terminal.hpp"

namespace rrun::cli {

namespace {
uint32_t parse_id(const std::string& flag, const std::string& v) {
    return static_cast<uint32_t>(parse_number(flag, v, 0xffffffffULL));
}
}  // namespace

const std::vector<Flag> exec_flags = {
    {"process", 'p', true, "path to a process.json (runtime-spec process object)"},
    {"tty", 't', false, "allocate a terminal"},
    {"console-socket", 0, true, "unix socket that receives the pty master"},
    {"cwd", 0, true, "working directory in the container"},
    {"env", 'e', true, "set an environment variable (repeatable)"},
    {"user", 'u', true, "UID[:GID] to run as"},
    {"additional-gids", 'g', true, "additional group id (repeatable)"},
    {"cap", 'c', true, "add a capability (repeatable)"},
    {"no-new-privs", 0, false, "set no_new_privs"},
    {"process-label", 0, true, "SELinux label of the process"},
    {"apparmor", 0, true, "AppArmor profile of the process"},
    {"detach", 'd', false, "detach from the process"},
    {"pid-file", 0, true, "file to write the process pid to"},
    {"preserve-fds", 0, true, "pass N extra file descriptors (3 .. 3+N-1)"},
    {"cgroup", 0, true, "[CONTROLLER[,...]:]SUB: run in this existing sub-cgroup (repeatable)"},
    {"ignore-paused", 0, false, "allow exec into a paused container"},
};

namespace {
int exec_command(const RuntimeContext& ctx, const Args& a);
}  // namespace

// runc exits 255 whenever the process could not be started (engines tell
// that from the program's own exit code), bad --user or no command included.
int cmd_exec(const RuntimeContext& ctx, const Args& a) {
    try {
        return exec_command(ctx, a);
    } catch (const std::exception& e) {
        log_error(e.what());
        return 255;
    }
}

namespace {

int exec_command(const RuntimeContext& ctx, const Args& a) {
    ExecOptions o;
    o.id = container_id(a);
    o.args.assign(a.positional.begin() + 1, a.positional.end());
    o.process_file = a.get("process");
    o.tty = a.flag("tty");
    o.console_socket = a.get("console-socket");
    o.cwd = a.get("cwd");
    o.env = a.all("env");
    if (a.has("user")) {
        std::string u = a.get("user");
        auto colon = u.find(':');
        o.uid = parse_id("user", u.substr(0, colon));
        if (colon != std::string::npos) o.gid = parse_id("user", u.substr(colon + 1));
    }
    for (auto& g : a.all("additional-gids")) o.additional_gids.push_back(parse_id("additional-gids", g));
    o.caps = a.all("cap");
    o.no_new_privs = a.flag("no-new-privs");
    o.process_label = a.get("process-label");
    o.apparmor = a.get("apparmor");
    o.pid_file = a.get("pid-file");
    o.cgroups = a.all("cgroup");
    if (a.has("preserve-fds")) o.preserve_fds = parse_count("preserve-fds", a.get("preserve-fds"));
    o.ignore_paused = a.flag("ignore-paused");
    bool detach = a.flag("detach");
    OwnConsole console;
    if (o.console_socket.empty() && !detach) {
        console = make_own_console();
        o.console_fd = std::move(console.theirs);
    }
    ExecProcess p = exec_in_container(ctx, o);
    unique_fd master;
    if (p.terminal && console.ours) master = receive_pty_master(console.ours.get());
    console.ours.reset();
    if (detach) return 0;
    return wait_in_foreground(p.pid, master.get());
}

}  // namespace

}  // namespace rrun::cli
