#include "cli.hpp"

namespace rrun::cli {

// runc resume: thaws a paused container.
int cmd_resume(const RuntimeContext& ctx, const Args& a) {
    resume_container(ctx, container_id(a));
    return 0;
}

}  // namespace rrun::cli
