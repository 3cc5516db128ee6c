#include "cli.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "error.hpp"

namespace rrun::cli {

bool Args::flag(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) return false;
    const std::string& v = it->second.back();
    if (v.empty() || v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    throw UsageError("invalid boolean value \"" + v + "\" for --" + name);
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second.back();
}

std::vector<std::string> Args::all(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? std::vector<std::string>() : it->second;
}

static const Flag* lookup(const std::vector<Flag>& flags, const std::string& name) {
    for (auto& f : flags)
        if (name == f.name || (f.alias && name == f.alias) || (name.size() == 1 && name[0] == f.short_name)) return &f;
    return nullptr;
}

Args parse(const std::vector<Flag>& flags, const std::vector<std::string>& argv, size_t from, bool stop_at_positional) {
    Args out;
    for (size_t i = from; i < argv.size(); i++) {
        const std::string& arg = argv[i];
        if (arg == "--") {
            out.positional.insert(out.positional.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            out.positional.push_back(arg);
            if (stop_at_positional) {
                out.positional.insert(out.positional.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
                break;
            }
            continue;
        }
        std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
        std::string value;
        bool has_value = false;
        if (auto eq = body.find('='); eq != std::string::npos) {
            value = body.substr(eq + 1);
            body.resize(eq);
            has_value = true;
        }
        const Flag* f = lookup(flags, body);
        // -xVALUE for a short flag that takes a value.
        if (!f && arg[1] != '-' && body.size() > 1 && !has_value) {
            const Flag* s = lookup(flags, body.substr(0, 1));
            if (s && s->takes_value) {
                f = s;
                value = body.substr(1);
                has_value = true;
            }
        }
        if (!f) throw UsageError("flag provided but not defined: " + arg);
        if (f->takes_value && !has_value) {
            if (i + 1 >= argv.size()) throw UsageError("flag needs an argument: " + arg);
            value = argv[++i];
        }
        out.values[f->name].push_back(value);
    }
    return out;
}

const std::string& container_id(const Args& a) {
    if (a.positional.empty() || a.positional[0].empty()) throw UsageError("container id is required");
    return a.positional[0];
}

uint64_t parse_number(const std::string& flag, const std::string& value, uint64_t max) {
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || !std::isdigit(static_cast<unsigned char>(value[0])) || *end || errno || n > max)
        throw UsageError("invalid value \"" + value + "\" for --" + flag + ": must be a number from 0 to " +
                         std::to_string(max));
    return n;
}

int parse_count(const std::string& flag, const std::string& value) {
    return static_cast<int>(parse_number(flag, value, 65536));
}

const std::vector<Flag> create_flags = {
    {"bundle", 'b', true, "path to the bundle directory (default: the current directory)"},
    {"config", 'f', true, "path to the config file (default: BUNDLE/config.json)"},
    {"console-socket", 0, true, "unix socket that receives the pty master when process.terminal is true"},
    {"pid-file", 0, true, "file to write the container's init pid to"},
    {"no-pivot", 0, false, "do not use pivot_root (for a rootfs on a ramdisk)"},
    {"no-new-keyring", 0, false, "do not create a new session keyring"},
    {"preserve-fds", 0, true, "pass N extra file descriptors (3 .. 3+N-1) to the container"},
};

CreateOptions create_options(const Args& a) {
    CreateOptions o;
    o.id = container_id(a);
    o.bundle = a.get("bundle");
    o.config_file = a.get("config");
    o.console_socket = a.get("console-socket");
    o.pid_file = a.get("pid-file");
    o.no_pivot = a.flag("no-pivot");
    o.no_new_keyring = a.flag("no-new-keyring");
    if (a.has("preserve-fds")) o.preserve_fds = parse_count("preserve-fds", a.get("preserve-fds"));
    return o;
}

const std::vector<Command>& commands() {
    static const std::vector<Command> table = [] {
        std::vector<Flag> run_flags = create_flags;
        run_flags.push_back({"detach", 'd', false, "detach from the container's process"});
        run_flags.push_back({"keep", 0, false, "do not delete the container after it exits"});
        return std::vector<Command>{
            {"create", nullptr, "[flags] CONTAINER_ID", "create a container", create_flags, 1, 1, false, cmd_create},
            {"start", nullptr, "CONTAINER_ID", "start the user program of a created container", {}, 1, 1, false, cmd_start},
            {"run", nullptr, "[flags] CONTAINER_ID", "create and start a container", run_flags, 1, 1, false, cmd_run},
            {"state", nullptr, "CONTAINER_ID", "print the state of a container as JSON", {}, 1, 1, false, cmd_state},
            {"kill", nullptr, "[flags] CONTAINER_ID [SIGNAL]", "send a signal (default SIGTERM) to a container",
             {{"all", 'a', false, "send the signal to every process of the container"}}, 1, 2, false, cmd_kill},
            {"delete", nullptr, "[flags] CONTAINER_ID", "delete a container and everything it owned",
             {{"force", 'f', false, "kill a running container first"}}, 1, 1, false, cmd_delete},
            {"list", "ls", "[flags]", "list containers",
             {{"format", 'f', true, "table or json"}, {"quiet", 'q', false, "print only the ids"}}, 0, 0, false, cmd_list},
            {"spec", nullptr, "[flags]", "write a default config.json",
             {{"bundle", 'b', true, "directory to write config.json in"},
              {"rootless", 0, false, "a config for an unprivileged user"}},
             0, 0, false, cmd_spec},
            {"features", nullptr, "", "print the features rrun supports as JSON", {}, 0, 0, false, cmd_features},
            {"exec", nullptr, "[flags] CONTAINER_ID [COMMAND [ARG...]]", "run a process in a running container", exec_flags, 1, -1, true, cmd_exec},
            {"ps", nullptr, "[flags] CONTAINER_ID [PS_ARGS...]", "list the processes of a container",
             {{"format", 'f', true, "table (ps -ef, or PS_ARGS, filtered to the container) or json (host pids)"}}, 1, -1, true, cmd_ps},
            {"pause", nullptr, "CONTAINER_ID", "freeze every process of a container", {}, 1, 1, false, cmd_pause},
            {"resume", nullptr, "CONTAINER_ID", "thaw a paused container", {}, 1, 1, false, cmd_resume},
            {"update", nullptr, "[flags] CONTAINER_ID", "change the resource limits of a running container", update_flags, 1, 1, false, cmd_update},
            {"events", nullptr, "[flags] CONTAINER_ID", "print container events (oom, stats) as JSON",
             {{"stats", 0, false, "print the statistics once and exit"},
              {"interval", 0, true, "time between stats events (default 5s)"}},
             1, 1, false, cmd_events},
            {"checkpoint", nullptr, "[flags] CONTAINER_ID", "checkpoint a running container with CRIU", checkpoint_flags, 1, 1, false, cmd_checkpoint},
            {"restore", nullptr, "[flags] CONTAINER_ID", "restore a container from a CRIU checkpoint", restore_flags(), 1, 1, false, cmd_restore},
        };
    }();
    return table;
}

const Command* find_command(const std::string& name) {
    for (auto& c : commands())
        if (name == c.name || (c.alias && name == c.alias)) return &c;
    return nullptr;
}

static std::string flag_lines(const std::vector<Flag>& flags) {
    std::string out;
    for (auto& f : flags) {
        std::string left = "  ";
        left += f.short_name ? std::string("-") + f.short_name + ", " : "    ";
        left += std::string("--") + f.name + (f.takes_value ? " VALUE" : "");
        if (left.size() < 32) left.resize(32, ' ');
        out += left + " " + f.help + (f.alias ? std::string(" (also --") + f.alias + ")" : "") + "\n";
    }
    return out;
}

std::string command_help(const Command& c) {
    std::string out = std::string("Usage: rrun ") + c.name + " " + c.usage + "\n\n" + c.summary + "\n";
    if (!c.flags.empty()) out += "\nFlags:\n" + flag_lines(c.flags);
    return out;
}

std::string global_help() {
    std::string out =
        "Usage: rrun [global flags] COMMAND [flags] [arguments]\n\n"
        "rrun is a low-level OCI container runtime, a drop-in replacement for runc and crun.\n\nCommands:\n";
    for (auto& c : commands()) {
        std::string left = std::string("  ") + c.name;
        if (left.size() < 16) left.resize(16, ' ');
        out += left + c.summary + "\n";
    }
    out +=
        "\nGlobal flags:\n"
        "  --root DIR                     state directory (default /run/rrun, or $XDG_RUNTIME_DIR/rrun rootless)\n"
        "  --log FILE                     write messages to FILE\n"
        "  --log-format text|json         format of the --log file (default text)\n"
        "  --debug                        log debug messages\n"
        "  --systemd-cgroup               systemd makes the cgroup (a scope unit over D-Bus); cgroupsPath is slice:prefix:name\n"
        "  --cgroup-manager MANAGER       cgroupfs, systemd or disabled\n"
        "  --rootless true|false|auto     rootless mode (default auto)\n"
        "  --criu PATH                    the CRIU binary checkpoint and restore run (default criu)\n"
        "  -v, --version                  print the version\n"
        "  -h, --help                     print this help\n"
        "\nRun 'rrun COMMAND --help' for a command's flags.\n";
    return out;
}

int cmd_not_yet(const RuntimeContext&, const Args&) {
    throw Error("this command is not implemented yet");
}

}  // namespace rrun::cli
