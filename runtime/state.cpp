#include <cstdio>

#include "cli.hpp"

namespace rrun::cli {

int cmd_state(const RuntimeContext& ctx, const Args& a) {
    std::string json = container_state(ctx, container_id(a));
    std::printf("%s\n", json.c_str());
    return 0;
}

}  // namespace rrun::cli
