// `update`: new resource limits for a running container, from a
// linux.resources JSON (--resources FILE, or - for stdin, as containerd's shim
// and podman pass it) and/or runc's individual flags, which win.
#include <unistd.h>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <iterator>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "intelrdt.hpp"

namespace rrun::cli {
using nlohmann::json;

// runc 1.1's flags, in its order and spelling (crun spells them the same);
// docker's --cpu-shares is kept as an alias.
const std::vector<Flag> update_flags = {
    {"resources", 'r', true, "linux.resources JSON file, or - for stdin"},
    {"blkio-weight", 0, true, "block IO weight, 10 to 1000 (0: unchanged)"},
    {"cpu-period", 0, true, "CPU CFS period in microseconds"},
    {"cpu-quota", 0, true, "CPU time in microseconds per period (-1: none)"},
    {"cpu-share", 0, true, "relative CPU weight", "cpu-shares"},
    {"cpu-rt-period", 0, true, "realtime period in microseconds (cgroup v1)"},
    {"cpu-rt-runtime", 0, true, "realtime runtime in microseconds (cgroup v1)"},
    {"cpuset-cpus", 0, true, "CPUs allowed, e.g. 0-3,5"},
    {"cpuset-mems", 0, true, "memory nodes allowed, e.g. 0-1"},
    {"kernel-memory", 0, true, "kernel memory limit (deprecated, ignored)"},
    {"kernel-memory-tcp", 0, true, "kernel TCP buffer limit (cgroup v1)"},
    {"memory", 0, true, "memory limit in bytes (suffixes k, m, g; -1: unlimited)"},
    {"memory-reservation", 0, true, "memory soft limit in bytes"},
    {"memory-swap", 0, true, "memory plus swap limit in bytes (-1: unlimited)"},
    {"pids-limit", 0, true, "maximum number of tasks (-1: unlimited, 0: unchanged)"},
    {"l3-cache-schema", 0, true, "Intel RDT/CAT L3 cache schema (no Intel RDT support: refused unless empty)"},
    {"mem-bw-schema", 0, true, "Intel RDT/MBA memory bandwidth schema (no Intel RDT support: refused unless empty)"},
};

namespace {

int64_t parse_int(const std::string& flag, const std::string& v) {
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || errno) throw UsageError("invalid value \"" + v + "\" for --" + flag + ": not an integer");
    return n;
}

// docker's RAMInBytes: "512", "64k", "1.5g", "10MiB", "-1".
int64_t parse_bytes(const std::string& flag, const std::string& v) {
    if (v == "-1") return -1;
    char* end = nullptr;
    errno = 0;
    double n = std::strtod(v.c_str(), &end);
    if (v.empty() || end == v.c_str() || errno || n < 0) throw UsageError("invalid value \"" + v + "\" for --" + flag + ": not a size");
    std::string unit(end);
    for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!unit.empty() && unit.back() == 'b') unit.pop_back();
    if (!unit.empty() && unit.back() == 'i') unit.pop_back();
    double mult = 1;
    if (unit == "k") mult = 1024.0;
    else if (unit == "m") mult = 1024.0 * 1024;
    else if (unit == "g") mult = 1024.0 * 1024 * 1024;
    else if (unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
    else if (unit == "p") mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
    else if (!unit.empty()) throw UsageError("invalid value \"" + v + "\" for --" + flag + ": unknown unit");
    double bytes = n * mult;
    if (bytes > static_cast<double>(LLONG_MAX)) throw UsageError("invalid value \"" + v + "\" for --" + flag + ": too large");
    return static_cast<int64_t>(bytes);
}

json read_resources(const std::string& from) {
    std::string text;
    if (from == "-") {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(STDIN_FILENO, buf, sizeof buf)) != 0) {
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_errno("--resources -: read stdin");
            text.append(buf, static_cast<size_t>(n));
        }
    } else {
        text = read_file(from);
    }
    try {
        json j = json::parse(text);
        if (!j.is_object()) throw Error("--resources " + from + ": not a JSON object (linux.resources)");
        return j;
    } catch (const json::exception& e) {
        throw Error("--resources " + from + ": invalid JSON: " + e.what());
    }
}

}  // namespace

int cmd_update(const RuntimeContext& ctx, const Args& a) {
    const std::string& id = container_id(a);
    // runc takes these to rewrite linux.intelRdt's schemata; rrun sets them
    // at create only (linux.intelRdt), and says so.
    for (const char* flag : {"l3-cache-schema", "mem-bw-schema"})
        if (!a.get(flag).empty())
            throw Error(std::string("--") + flag + ": rrun update does not change Intel RDT schemata (set linux.intelRdt at create)" +
                        (find_resctrl().empty() ? "; no resctrl filesystem is mounted on this host" : ""));
    json r = a.has("resources") ? read_resources(a.get("resources")) : json::object();
    auto set = [&](const char* flag, const char* section, const char* key, auto parse) {
        if (a.has(flag)) r[section][key] = parse(flag, a.get(flag));
    };
    auto text = [](const std::string&, const std::string& v) { return v; };
    set("memory", "memory", "limit", parse_bytes);
    set("memory-swap", "memory", "swap", parse_bytes);
    set("memory-reservation", "memory", "reservation", parse_bytes);
    set("kernel-memory", "memory", "kernel", parse_bytes);
    set("kernel-memory-tcp", "memory", "kernelTCP", parse_bytes);
    set("cpu-share", "cpu", "shares", parse_int);
    set("cpu-quota", "cpu", "quota", parse_int);
    set("cpu-period", "cpu", "period", parse_int);
    set("cpu-rt-period", "cpu", "realtimePeriod", parse_int);
    set("cpu-rt-runtime", "cpu", "realtimeRuntime", parse_int);
    set("cpuset-cpus", "cpu", "cpus", text);
    set("cpuset-mems", "cpu", "mems", text);
    set("pids-limit", "pids", "limit", parse_int);
    set("blkio-weight", "blockIO", "weight", parse_int);
    // runc 1.1: a pids limit of 0 leaves the limit unchanged (runc 1.4 sets 0
    // from --pids-limit 0; engines send -1 for "no limit").
    if (r.contains("pids") && r["pids"].is_object() && r["pids"].value("limit", json()) == 0) r["pids"].erase("limit");
    update_container(ctx, id, r);
    return 0;
}

}  // namespace rrun::cli
