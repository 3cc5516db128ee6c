// `events --stats`: the cgroup's counters in the shape of runc's stats event
// (runc/types/events.go), read from v1 or v2 files, whichever holds each controller.
#include <dirent.h>
#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <map>
#include <sstream>

#include "internal.hpp"

namespace rrun {
using nlohmann::json;

namespace {
using namespace cg;

uint64_t to_u64(const std::string& s) {
    if (s.empty() || s.rfind("max", 0) == 0) return 0;
    try {
        long long v = std::stoll(s);
        return v < 0 ? 0 : static_cast<uint64_t>(v);
    } catch (...) {
        return 0;
    }
}

uint64_t read_u64(const std::string& path) { return to_u64(try_read(path).value_or("")); }
// A v2 limit: "max" is unlimited, which runc reports as the largest uint64.
uint64_t read_limit(const std::string& path) {
    std::string s = try_read(path).value_or("");
    return s.rfind("max", 0) == 0 ? UINT64_MAX : to_u64(s);
}

// "key value" lines (memory.stat, cpu.stat, memory.events).
std::map<std::string, uint64_t> read_kv(const std::string& path) {
    std::map<std::string, uint64_t> out;
    auto w = words(try_read(path).value_or(""));
    for (size_t i = 0; i + 1 < w.size(); i += 2) out[w[i]] = to_u64(w[i + 1]);
    return out;
}

// runc's json "omitempty" for numbers.
void put(json& j, const char* key, uint64_t v) {
    if (v) j[key] = v;
}

json mem_entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt) {
    json e{{"limit", limit}, {"failcnt", failcnt}};
    put(e, "usage", usage);
    put(e, "max", max);
    return e;
}

json cpu_stats(const Dir& d) {
    json usage = json::object(), thr = json::object();
    if (d.h->v2) {
        auto s = read_kv(d.path + "/cpu.stat");
        put(usage, "total", s["usage_usec"] * 1000);
        usage["kernel"] = s["system_usec"] * 1000;
        usage["user"] = s["user_usec"] * 1000;
        put(thr, "periods", s["nr_periods"]);
        put(thr, "throttledPeriods", s["nr_throttled"]);
        put(thr, "throttledTime", s["throttled_usec"] * 1000);
        return {{"usage", usage}, {"throttling", thr}};
    }
    // cpuacct (mounted with or beside cpu): nanoseconds, and user/system in USER_HZ ticks.
    put(usage, "total", read_u64(d.path + "/cpuacct.usage"));
    json percpu = json::array();
    for (auto& v : words(try_read(d.path + "/cpuacct.usage_percpu").value_or(""))) percpu.push_back(to_u64(v));
    if (!percpu.empty()) usage["percpu"] = percpu;
    auto st = read_kv(d.path + "/cpuacct.stat");
    uint64_t ns_per_tick = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
    usage["kernel"] = st["system"] * ns_per_tick;
    usage["user"] = st["user"] * ns_per_tick;
    return {{"usage", usage}, {"throttling", thr}};
}

void cpu_throttling_v1(const Dir& d, json& cpu) {
    auto s = read_kv(d.path + "/cpu.stat");
    json thr = json::object();
    put(thr, "periods", s["nr_periods"]);
    put(thr, "throttledPeriods", s["nr_throttled"]);
    put(thr, "throttledTime", s["throttled_time"]);
    cpu["throttling"] = thr;
}

json memory_stats(const Dir& d) {
    json m = json::object();
    const std::string& p = d.path;
    if (d.h->v2) {
        auto raw = read_kv(p + "/memory.stat");
        auto events = read_kv(p + "/memory.events");
        put(m, "cache", raw["file"]);
        m["usage"] = mem_entry(read_limit(p + "/memory.max"), read_u64(p + "/memory.current"), read_u64(p + "/memory.peak"), events["max"]);
        m["swap"] = mem_entry(read_limit(p + "/memory.swap.max"), read_u64(p + "/memory.swap.current"), read_u64(p + "/memory.swap.peak"), 0);
        if (!raw.empty()) m["raw"] = raw;
        return m;
    }
    auto raw = read_kv(p + "/memory.stat");
    put(m, "cache", raw["cache"]);
    auto entry = [&](const std::string& prefix) {
        return mem_entry(read_u64(p + "/" + prefix + "limit_in_bytes"), read_u64(p + "/" + prefix + "usage_in_bytes"),
                         read_u64(p + "/" + prefix + "max_usage_in_bytes"), read_u64(p + "/" + prefix + "failcnt"));
    };
    m["usage"] = entry("memory.");
    m["swap"] = entry("memory.memsw.");
    m["kernel"] = entry("memory.kmem.");
    m["kernelTCP"] = entry("memory.kmem.tcp.");
    if (!raw.empty()) m["raw"] = raw;
    return m;
}

json pids_stats(const Dir& d) {
    json j = json::object();
    put(j, "current", read_u64(d.path + "/pids.current"));
    put(j, "limit", read_u64(d.path + "/pids.max"));
    return j;
}

json blkio_entry(const std::string& dev, const std::string& op, uint64_t value) {
    json e = json::object();
    auto colon = dev.find(':');
    if (colon != std::string::npos) {
        put(e, "major", to_u64(dev.substr(0, colon)));
        put(e, "minor", to_u64(dev.substr(colon + 1)));
    }
    if (!op.empty()) e["op"] = op;
    put(e, "value", value);
    return e;
}

json blkio_stats(const Dir& d) {
    json bytes = json::array(), ios = json::array();
    if (d.h->v2) {
        // io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..."
        std::istringstream in(try_read(d.path + "/io.stat").value_or(""));
        for (std::string line; std::getline(in, line);) {
            std::istringstream l(line);
            std::string dev, kv;
            l >> dev;
            while (l >> kv) {
                auto eq = kv.find('=');
                if (eq == std::string::npos) continue;
                std::string k = kv.substr(0, eq);
                uint64_t v = to_u64(kv.substr(eq + 1));
                if (k == "rbytes") bytes.push_back(blkio_entry(dev, "Read", v));
                if (k == "wbytes") bytes.push_back(blkio_entry(dev, "Write", v));
                if (k == "rios") ios.push_back(blkio_entry(dev, "Read", v));
                if (k == "wios") ios.push_back(blkio_entry(dev, "Write", v));
            }
        }
    } else {
        // "MAJ:MIN Op value" lines; the throttle files count every device (the CFQ ones are gone).
        auto parse = [&](const std::string& file, json& out) {
            std::istringstream in(try_read(d.path + "/" + file).value_or(""));
            for (std::string line; std::getline(in, line);) {
                std::istringstream l(line);
                std::string dev, op, v;
                if (!(l >> dev >> op >> v)) continue;  // the "Total N" line has two words
                out.push_back(blkio_entry(dev, op, to_u64(v)));
            }
        };
        parse("blkio.throttle.io_service_bytes_recursive", bytes);
        parse("blkio.throttle.io_serviced_recursive", ios);
    }
    json j = json::object();
    if (!bytes.empty()) j["ioServiceBytesRecursive"] = bytes;
    if (!ios.empty()) j["ioServicedRecursive"] = ios;
    return j;
}

// The kernel's huge page sizes as cgroup files name them ("2MB", "1GB").
std::vector<std::string> hugepage_sizes() {
    std::vector<std::string> out;
    DIR* dir = ::opendir("/sys/kernel/mm/hugepages");
    if (!dir) return out;
    while (auto* de = ::readdir(dir)) {
        unsigned long kb = 0;
        if (std::sscanf(de->d_name, "hugepages-%lukB", &kb) != 1) continue;
        if (kb >= 1024 * 1024)
            out.push_back(std::to_string(kb / (1024 * 1024)) + "GB");
        else if (kb >= 1024)
            out.push_back(std::to_string(kb / 1024) + "MB");
        else
            out.push_back(std::to_string(kb) + "KB");
    }
    ::closedir(dir);
    return out;
}

json hugetlb_stats(const Dir& d) {
    json j = json::object();
    for (auto& size : hugepage_sizes()) {
        json e = json::object();
        std::string base = d.path + "/hugetlb." + size;
        if (d.h->v2) {
            if (!try_read(base + ".current")) continue;
            put(e, "usage", read_u64(base + ".current"));
            put(e, "max", read_u64(base + ".max"));
            e["failcnt"] = read_kv(base + ".events")["max"];
        } else {
            if (!try_read(base + ".usage_in_bytes")) continue;
            put(e, "usage", read_u64(base + ".usage_in_bytes"));
            put(e, "max", read_u64(base + ".max_usage_in_bytes"));
            e["failcnt"] = read_u64(base + ".failcnt");
        }
        j[size] = e;
    }
    return j;
}

}  // namespace

json cgroup_stats(const CgroupHandle& handle) {
    auto dirs = dirs_of(handle);
    json data{{"cpu", json::object()}, {"memory", json::object()}, {"pids", json::object()},
              {"blkio", json::object()}, {"hugetlb", json::object()}};
    if (const Dir* d = dir_for(dirs, "cpuacct"); d && !d->h->v2)
        data["cpu"] = cpu_stats(*d);
    else if (const Dir* d2 = dir_for(dirs, "cpu"); d2 && d2->h->v2)
        data["cpu"] = cpu_stats(*d2);
    if (const Dir* d = dir_for(dirs, "cpu"); d && !d->h->v2) cpu_throttling_v1(*d, data["cpu"]);
    if (const Dir* d = dir_for(dirs, "memory")) data["memory"] = memory_stats(*d);
    if (const Dir* d = dir_for(dirs, "pids")) data["pids"] = pids_stats(*d);
    if (const Dir* d = dir_for(dirs, "blkio"); d && !d->h->v2)
        data["blkio"] = blkio_stats(*d);
    else if (const Dir* d2 = dir_for(dirs, "io"))
        data["blkio"] = blkio_stats(*d2);
    if (const Dir* d = dir_for(dirs, "hugetlb")) data["hugetlb"] = hugetlb_stats(*d);
    return data;
}

}  // namespace rrun
