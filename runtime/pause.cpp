#include "cli.hpp"

namespace rrun::cli {

// runc pause: freezes every process of the container (cgroup freezer).
int cmd_pause(const RuntimeContext& ctx, const Args& a) {
    pause_container(ctx, container_id(a));
    return 0;
}

}  // namespace rrun::cli
