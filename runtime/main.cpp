// rrun: the command line, runc/crun compatible. Global flags come before the
// command; each command lives in its own file.
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli.hpp"
#include "criu.hpp"
#include "error.hpp"
#include "exe_seal.hpp"
#include "log.hpp"
#include "namespaces.hpp"
#include "seccomp.hpp"
#include "state.hpp"
#include "version.hpp"

using namespace rrun;

namespace {

const std::vector<cli::Flag> global_flags = {
    {"root", 0, true, ""},           {"log", 0, true, ""},         {"log-format", 0, true, ""},
    {"debug", 0, false, ""},         {"systemd-cgroup", 0, false, ""}, {"cgroup-manager", 0, true, ""},
    {"rootless", 0, true, ""},       {"criu", 0, true, ""},        {"help", 'h', false, ""},
    {"version", 'v', false, ""},
};

void print_version() {
    std::printf("rrun version %s\nspec: %s\nlibseccomp: %s\n", RRUN_VERSION, RRUN_OCI_VERSION,
                seccomp::library_version().c_str());
}

bool wants_help(const cli::Command& c, const std::vector<std::string>& args, size_t from) {
    for (size_t i = from; i < args.size(); i++) {
        if (args[i] == "--") return false;
        if (args[i] == "--help" || args[i] == "-h") return true;
        if (c.stop_at_positional && args[i][0] != '-') return false;
    }
    return false;
}

RuntimeContext make_context(const cli::Args& g) {
    RuntimeContext ctx;
    std::string rootless = g.get("rootless", "auto");
    if (rootless == "auto")
        ctx.rootless = running_rootless();
    else if (rootless == "true" || rootless == "false")
        ctx.rootless = rootless == "true";
    else
        throw cli::UsageError("invalid value \"" + rootless + "\" for --rootless: true, false or auto");
    ctx.systemd_cgroup = g.flag("systemd-cgroup");
    ctx.cgroup_manager = g.get("cgroup-manager", ctx.systemd_cgroup ? "systemd" : "cgroupfs");
    if (ctx.cgroup_manager != "cgroupfs" && ctx.cgroup_manager != "systemd" && ctx.cgroup_manager != "disabled")
        throw cli::UsageError("invalid value \"" + ctx.cgroup_manager + "\" for --cgroup-manager: cgroupfs, systemd or disabled");
    ctx.root = g.has("root") ? g.get("root") : default_state_root(ctx.rootless);
    if (g.has("criu")) ctx.criu = g.get("criu");
    if (ctx.root.empty()) throw cli::UsageError("--root must not be empty");
    return ctx;
}

int run_main(const std::vector<std::string>& argv) {
    // Global flags end at the first word that is not a flag: the command.
    size_t cmd_index = 1;
    while (cmd_index < argv.size() && argv[cmd_index].size() > 1 && argv[cmd_index][0] == '-') {
        const std::string& a = argv[cmd_index];
        bool inline_value = a.find('=') != std::string::npos;
        std::string name = a.substr(a[1] == '-' ? 2 : 1, a.find('=') - (a[1] == '-' ? 2 : 1));
        bool takes_value = false;
        for (auto& f : global_flags)
            if (name == f.name) takes_value = f.takes_value;
        cmd_index += (takes_value && !inline_value) ? 2 : 1;
    }
    cli::Args global = cli::parse(global_flags, std::vector<std::string>(argv.begin(), argv.begin() + static_cast<long>(std::min(cmd_index, argv.size()))), 1, false);
    std::string format = global.get("log-format", "text");
    if (format != "text" && format != "json")
        throw cli::UsageError("invalid value \"" + format + "\" for --log-format: text or json");
    log_configure(global.get("log"), format == "json" ? LogFormat::json : LogFormat::text, global.flag("debug"));

    if (global.flag("version")) {
        print_version();
        return 0;
    }
    if (cmd_index >= argv.size() || global.flag("help")) {
        std::fputs(cli::global_help().c_str(), stdout);
        return global.flag("help") ? 0 : 1;
    }
    const std::string& name = argv[cmd_index];
    if (name == "help") {
        const cli::Command* c = cmd_index + 1 < argv.size() ? cli::find_command(argv[cmd_index + 1]) : nullptr;
        std::fputs(c ? cli::command_help(*c).c_str() : cli::global_help().c_str(), stdout);
        return 0;
    }
    const cli::Command* cmd = cli::find_command(name);
    if (!cmd) throw cli::UsageError("unknown command \"" + name + "\"");
    if (wants_help(*cmd, argv, cmd_index + 1)) {
        std::fputs(cli::command_help(*cmd).c_str(), stdout);
        return 0;
    }
    cli::Args args = cli::parse(cmd->flags, argv, cmd_index + 1, cmd->stop_at_positional);
    int n = static_cast<int>(args.positional.size());
    if (n < cmd->min_args) throw cli::UsageError(std::string(cmd->name) + ": missing arguments (usage: rrun " + cmd->name + " " + cmd->usage + ")");
    if (cmd->max_args >= 0 && n > cmd->max_args)
        throw cli::UsageError(std::string(cmd->name) + ": too many arguments (usage: rrun " + cmd->name + " " + cmd->usage + ")");
    // spec and features need no state root (and rootless may have none).
    RuntimeContext ctx;
    if (std::strcmp(cmd->name, "spec") && std::strcmp(cmd->name, "features")) ctx = make_context(global);
    return cmd->run(ctx, args);
}

}  // namespace

int main(int argc, char** argv) {
    // restore's CRIU runs rrun as its action script (libcontainer/criu.cpp).
    if (const char* hooks = std::getenv(rrun::kCriuHooksEnv))
        if (const char* action = std::getenv("CRTOOLS_SCRIPT_ACTION")) return rrun::criu_action_script(action, hooks);
    rrun::remember_argv(argv);
    std::vector<std::string> args(argv, argv + argc);
    try {
        return run_main(args);
    } catch (const cli::UsageError& e) {
        log_error(e.what());
        std::fputs("Run 'rrun --help' for usage.\n", stderr);
        return 1;
    } catch (const std::exception& e) {
        log_error(e.what());
        return 1;
    }
}
