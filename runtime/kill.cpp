#include <csignal>

#include "cli.hpp"
#include "signals.hpp"

namespace rrun::cli {

int cmd_kill(const RuntimeContext& ctx, const Args& a) {
    const std::string& id = container_id(a);
    // Signal 0 sends nothing and tells whether the container runs (kill(2));
    // runc takes it.
    int sig = SIGTERM;
    if (a.positional.size() > 1) sig = a.positional[1] == "0" ? 0 : parse_signal(a.positional[1]);
    kill_container(ctx, id, sig, a.flag("all"));
    return 0;
}

}  // namespace rrun::cli
