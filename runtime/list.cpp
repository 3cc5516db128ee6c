#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli.hpp"

namespace rrun::cli {

int cmd_list(const RuntimeContext& ctx, const Args& a) {
    std::string format = a.get("format", "table");
    if (format != "table" && format != "json") throw UsageError("invalid value \"" + format + "\" for --format: table or json");
    auto containers = list_containers(ctx);
    if (a.flag("quiet")) {
        for (auto& c : containers) std::printf("%s\n", c.state.id.c_str());
        return 0;
    }
    if (format == "json") {
        auto out = nlohmann::json::array();
        for (auto& c : containers) {
            auto j = nlohmann::json::parse(oci_state_json(c.state, c.status));
            out.push_back(std::move(j));
        }
        std::printf("%s\n", out.dump().c_str());
        return 0;
    }
    std::printf("%-24s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    for (auto& c : containers) {
        int pid = c.status == Status::stopped ? 0 : c.state.pid;
        std::printf("%-24s %-8d %-10s %-40s %-32s %s\n", c.state.id.c_str(), pid, status_name(c.status),
                    c.state.bundle.c_str(), c.state.created.c_str(), c.state.owner.c_str());
    }
    return 0;
}

}  // namespace rrun::cli
