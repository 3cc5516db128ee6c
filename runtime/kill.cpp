#include <csignal>

#include "cli.hpp"
#include "signals.hpp"

namespace rrun::cli {

int cmd_kill(const RuntimeContext& ctx, const Args& a) {
    const std::string& id = container_id(a);
    int sig = a.positional.size() > 1 ? parse_signal(a.positional[1]) : SIGTERM;
    kill_container(ctx, id, sig, a.flag("all"));
    return 0;
}

}  // namespace rrun::cli
