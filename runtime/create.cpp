#include "cli.hpp"

namespace rrun::cli {

int cmd_create(const RuntimeContext& ctx, const Args& a) {
    CreateOptions opts = create_options(a);
    create_container(ctx, opts);
    return 0;
}

}  // namespace rrun::cli
