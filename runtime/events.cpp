// `events`: runc's event stream as JSON lines. --stats prints one stats event
// and exits; otherwise a stats event every --interval and an "oom" event when
// the kernel's OOM killer strikes in the container, until it stops.
#include <chrono>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "error.hpp"

namespace rrun::cli {
using nlohmann::json;

namespace {

// A Go duration as runc's --interval takes it: "5s", "250ms", "1m", "1h" (a bare number: seconds).
std::chrono::milliseconds parse_interval(const std::string& v) {
    char* end = nullptr;
    double n = std::strtod(v.c_str(), &end);
    std::string unit(end ? end : "");
    double ms = unit == "ms" ? n : unit == "s" || unit.empty() ? n * 1000 : unit == "m" ? n * 60000 : unit == "h" ? n * 3600000 : -1;
    // !(<=): NaN too; the bound keeps the cast below defined (Go's limit is ~292 years).
    if (v.empty() || end == v.c_str() || !(ms >= 1 && ms <= 1e12)) throw UsageError("invalid value \"" + v + "\" for --interval: a duration like 5s or 500ms");
    return std::chrono::milliseconds(static_cast<long long>(ms));
}

void emit(const json& event) {
    std::printf("%s\n", event.dump().c_str());
    std::fflush(stdout);
}

json stats_event(const std::string& id, const CgroupHandle& cg) {
    return json{{"type", "stats"}, {"id", id}, {"data", cgroup_stats(cg)}};
}

}  // namespace

int cmd_events(const RuntimeContext& ctx, const Args& a) {
    const std::string& id = container_id(a);
    auto interval = parse_interval(a.get("interval", "5s"));
    auto c = container_cgroup(ctx, id);
    if (!c) throw Error("container with id " + id + " is not running");  // runc's words
    if (c->cgroup.path.empty()) throw Error("container " + id + " has no cgroup: no events or statistics");
    if (a.flag("stats")) {
        emit(stats_event(id, c->cgroup));
        return 0;
    }
    using clock = std::chrono::steady_clock;
    unsigned long long ooms = cgroup_oom_kills(c->cgroup);
    auto next_stats = clock::now();
    // Polled: OOM kills show up within a tick, the stats at each interval.
    const auto tick = std::min(interval, std::chrono::milliseconds(200));
    for (;;) {
        if (clock::now() >= next_stats) {
            emit(stats_event(id, c->cgroup));
            next_stats += interval;
        }
        unsigned long long now = cgroup_oom_kills(c->cgroup);
        if (now > ooms) emit(json{{"type", "oom"}, {"id", id}});
        ooms = now;
        std::this_thread::sleep_for(tick);
        try {
            if (!container_cgroup(ctx, id)) return 0;  // stopped
        } catch (const Error&) {
            return 0;  // deleted
        }
    }
}

}  // namespace rrun::cli
