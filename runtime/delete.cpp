#include "cli.hpp"

namespace rrun::cli {

int cmd_delete(const RuntimeContext& ctx, const Args& a) {
    delete_container(ctx, container_id(a), a.flag("force"));
    return 0;
}

}  // namespace rrun::cli
