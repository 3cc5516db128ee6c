#include "cli.hpp"

namespace rrun::cli {

int cmd_start(const RuntimeContext& ctx, const Args& a) {
    start_container(ctx, container_id(a));
    return 0;
}

}  // namespace rrun::cli
