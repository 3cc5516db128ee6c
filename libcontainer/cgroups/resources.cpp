// linux.resources as cgroup file writes, for v1 and for v2, with runc's
// conversions; and the device rules every container gets.
#include <cerrno>
#include <set>

#include "internal.hpp"
#include "error.hpp"
#include "log.hpp"

namespace rrun::cg {
using nlohmann::json;

namespace {

const std::string P = "linux.resources.";

// A member that is present and not null (engines send nulls for "unset").
const json* member(const json& o, const char* key) {
    if (!o.is_object()) return nullptr;
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return nullptr;
    return &*it;
}

std::optional<int64_t> num(const json& o, const char* key, const std::string& field) {
    const json* v = member(o, key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) throw Error(field + ": must be an integer");
    return v->get<int64_t>();
}

std::optional<std::string> str(const json& o, const char* key, const std::string& field) {
    const json* v = member(o, key);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw Error(field + ": must be a string");
    return v->get<std::string>();
}

std::string dev_key(const json& d, const std::string& field) {
    auto major = num(d, "major", field + ".major"), minor = num(d, "minor", field + ".minor");
    if (!major || !minor) throw Error(field + ": major and minor are required");
    return std::to_string(*major) + ":" + std::to_string(*minor);
}

// v1 and v2 agree on the format of blkio/io throttle lists except for the file and key.
template <class F>
void each_device(const json& io, const char* key, F f) {
    const json* list = member(io, key);
    if (!list) return;
    if (!list->is_array()) throw Error(P + "blockIO." + key + ": must be an array");
    for (size_t i = 0; i < list->size(); i++) f((*list)[i], P + "blockIO." + key + "[" + std::to_string(i) + "]");
}

void hugetlb_writes(const json& r, const char* suffix, std::vector<Write>& out) {
    const json* list = member(r, "hugepageLimits");
    if (!list) return;
    if (!list->is_array()) throw Error(P + "hugepageLimits: must be an array");
    for (size_t i = 0; i < list->size(); i++) {
        std::string field = P + "hugepageLimits[" + std::to_string(i) + "]";
        auto size = str((*list)[i], "pageSize", field + ".pageSize");
        auto limit = num((*list)[i], "limit", field + ".limit");
        if (!size || !limit) throw Error(field + ": pageSize and limit are required");
        if (size->empty() || size->find('/') != std::string::npos) throw Error(field + ".pageSize: invalid \"" + *size + "\"");
        out.push_back({"hugetlb", "hugetlb." + *size + suffix, std::to_string(*limit), field});
    }
}

void rdma_writes(const json& r, std::vector<Write>& out) {
    const json* map = member(r, "rdma");
    if (!map) return;
    if (!map->is_object()) throw Error(P + "rdma: must be an object");
    for (auto& [dev, lim] : map->items()) {
        std::string field = P + "rdma." + dev, value = dev;
        if (auto h = num(lim, "hcaHandles", field + ".hcaHandles")) value += " hca_handle=" + std::to_string(*h);
        if (auto o = num(lim, "hcaObjects", field + ".hcaObjects")) value += " hca_object=" + std::to_string(*o);
        if (value != dev) out.push_back({"rdma", "rdma.max", value, field});
    }
}

void ignored_memory_fields(const json& m) {
    if (member(m, "kernel")) log_warning(P + "memory.kernel: kernel memory limits are deprecated and ignored");
}

// runc's ConvertMemorySwapToCgroupV2Value: v1's swap is memory+swap, v2's is swap alone.
int64_t swap_v2(int64_t swap, int64_t memory, const std::string& field) {
    if (memory == -1 && swap == 0) return -1;
    if (swap == -1 || swap == 0) return swap;
    if (memory == 0 || memory == -1) throw Error(field + ": a swap limit needs a memory limit");
    if (memory < 0) throw Error(P + "memory.limit: invalid value " + std::to_string(memory));
    if (swap < memory) throw Error(field + ": memory+swap limit (" + std::to_string(swap) + ") must be >= the memory limit (" + std::to_string(memory) + ")");
    return swap - memory;
}

std::string max_or(int64_t v) { return v < 0 ? "max" : std::to_string(v); }

}  // namespace

uint64_t shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
    if (weight == 0) return 0;
    return 1 + (weight - 10) * 9999 / 990;
}

std::vector<Write> v1_writes(const json& r) {
    std::vector<Write> out;
    if (const json* m = member(r, "memory")) {
        std::string f = P + "memory.";
        auto limit = num(*m, "limit", f + "limit"), swap = num(*m, "swap", f + "swap");
        if (limit && *limit != 0) out.push_back({"memory", "memory.limit_in_bytes", std::to_string(*limit), f + "limit"});
        if (swap && *swap != 0) {
            if (limit && *limit > 0 && *swap > 0 && *swap < *limit)
                throw Error(f + "swap: memory+swap limit (" + std::to_string(*swap) + ") must be >= the memory limit");
            out.push_back({"memory", "memory.memsw.limit_in_bytes", std::to_string(*swap), f + "swap"});
        } else if (limit && *limit == -1) {
            // runc: unlimited memory with swap unset means unlimited swap too (when swap is accounted).
            Write w{"memory", "memory.memsw.limit_in_bytes", "-1", f + "swap"};
            w.optional = true;
            out.push_back(w);
        }
        if (auto v = num(*m, "reservation", f + "reservation"); v && *v != 0)
            out.push_back({"memory", "memory.soft_limit_in_bytes", std::to_string(*v), f + "reservation"});
        if (auto v = num(*m, "kernelTCP", f + "kernelTCP"); v && *v != 0)
            out.push_back({"memory", "memory.kmem.tcp.limit_in_bytes", std::to_string(*v), f + "kernelTCP"});
        if (auto v = num(*m, "swappiness", f + "swappiness")) {
            if (*v > 100) throw Error(f + "swappiness: " + std::to_string(*v) + " is not in 0..100");
            out.push_back({"memory", "memory.swappiness", std::to_string(*v), f + "swappiness"});
        }
        if (const json* d = member(*m, "disableOOMKiller"); d && d->is_boolean() && d->get<bool>())
            out.push_back({"memory", "memory.oom_control", "1", f + "disableOOMKiller"});
        ignored_memory_fields(*m);
    }
    if (const json* c = member(r, "cpu")) {
        std::string f = P + "cpu.";
        if (auto v = num(*c, "shares", f + "shares"); v && *v != 0) out.push_back({"cpu", "cpu.shares", std::to_string(*v), f + "shares"});
        // The period first: a quota is checked against the period in force.
        if (auto v = num(*c, "period", f + "period"); v && *v != 0) out.push_back({"cpu", "cpu.cfs_period_us", std::to_string(*v), f + "period"});
        if (auto v = num(*c, "quota", f + "quota"); v && *v != 0) out.push_back({"cpu", "cpu.cfs_quota_us", std::to_string(*v), f + "quota"});
        if (auto v = num(*c, "burst", f + "burst")) out.push_back({"cpu", "cpu.cfs_burst_us", std::to_string(*v), f + "burst"});
        if (auto v = num(*c, "realtimePeriod", f + "realtimePeriod"); v && *v != 0)
            out.push_back({"cpu", "cpu.rt_period_us", std::to_string(*v), f + "realtimePeriod"});
        if (auto v = num(*c, "realtimeRuntime", f + "realtimeRuntime"); v && *v != 0)
            out.push_back({"cpu", "cpu.rt_runtime_us", std::to_string(*v), f + "realtimeRuntime"});
        if (auto v = num(*c, "idle", f + "idle")) out.push_back({"cpu", "cpu.idle", std::to_string(*v), f + "idle"});
        if (auto v = str(*c, "cpus", f + "cpus"); v && !v->empty()) out.push_back({"cpuset", "cpuset.cpus", *v, f + "cpus"});
        if (auto v = str(*c, "mems", f + "mems"); v && !v->empty()) out.push_back({"cpuset", "cpuset.mems", *v, f + "mems"});
    }
    if (const json* p = member(r, "pids")) {
        if (auto v = num(*p, "limit", P + "pids.limit")) out.push_back({"pids", "pids.max", max_or(*v), P + "pids.limit"});
    }
    if (const json* io = member(r, "blockIO")) {
        std::string f = P + "blockIO.";
        if (auto v = num(*io, "weight", f + "weight"); v && *v != 0) {
            Write w{"blkio", "blkio.weight", std::to_string(*v), f + "weight"};
            w.alt_file = "blkio.bfq.weight", w.alt_value = w.value;
            out.push_back(w);
        }
        if (auto v = num(*io, "leafWeight", f + "leafWeight"); v && *v != 0)
            out.push_back({"blkio", "blkio.leaf_weight", std::to_string(*v), f + "leafWeight"});
        each_device(*io, "weightDevice", [&](const json& d, const std::string& field) {
            std::string dev = dev_key(d, field);
            if (auto w = num(d, "weight", field + ".weight"); w && *w != 0) {
                Write wr{"blkio", "blkio.weight_device", dev + " " + std::to_string(*w), field + ".weight"};
                wr.alt_file = "blkio.bfq.weight_device", wr.alt_value = wr.value;
                out.push_back(wr);
            }
            if (auto w = num(d, "leafWeight", field + ".leafWeight"); w && *w != 0)
                out.push_back({"blkio", "blkio.leaf_weight_device", dev + " " + std::to_string(*w), field + ".leafWeight"});
        });
        for (auto [key, file] : {std::pair{"throttleReadBpsDevice", "blkio.throttle.read_bps_device"},
                                 {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device"},
                                 {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device"},
                                 {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"}}) {
            // file = file: clang 14 cannot capture a structured binding.
            each_device(*io, key, [&, file = file](const json& d, const std::string& field) {
                auto rate = num(d, "rate", field + ".rate");
                if (!rate) throw Error(field + ".rate: is required");
                out.push_back({"blkio", file, dev_key(d, field) + " " + std::to_string(*rate), field});
            });
        }
    }
    hugetlb_writes(r, ".limit_in_bytes", out);
    if (const json* n = member(r, "network")) {
        if (auto v = num(*n, "classID", P + "network.classID"))
            out.push_back({"net_cls", "net_cls.classid", std::to_string(*v), P + "network.classID"});
        if (const json* prios = member(*n, "priorities")) {
            for (size_t i = 0; i < prios->size(); i++) {
                std::string field = P + "network.priorities[" + std::to_string(i) + "]";
                auto name = str((*prios)[i], "name", field + ".name");
                auto prio = num((*prios)[i], "priority", field + ".priority");
                if (!name || !prio) throw Error(field + ": name and priority are required");
                out.push_back({"net_prio", "net_prio.ifpriomap", *name + " " + std::to_string(*prio), field});
            }
        }
    }
    rdma_writes(r, out);
    return out;
}

std::vector<Write> v2_writes(const json& r, std::optional<int64_t> current_memory) {
    std::vector<Write> out;
    if (const json* m = member(r, "memory")) {
        std::string f = P + "memory.";
        auto limit = num(*m, "limit", f + "limit"), swap = num(*m, "swap", f + "swap");
        if (limit && *limit != 0) out.push_back({"memory", "memory.max", max_or(*limit), f + "limit"});
        int64_t s = 0;
        if (swap)  // without a limit in this object, against the one in force (update --memory-swap)
            s = swap_v2(*swap, limit ? *limit : current_memory.value_or(0), f + "swap");
        else if (limit)
            s = swap_v2(0, *limit, f + "swap");
        if (s != 0) {
            Write w{"memory", "memory.swap.max", max_or(s), f + "swap"};
            w.optional = s < 0;  // "unlimited swap" where swap is not accounted: nothing to do
            out.push_back(w);
        }
        if (auto v = num(*m, "reservation", f + "reservation"); v && *v != 0)
            out.push_back({"memory", "memory.low", max_or(*v), f + "reservation"});
        if (const json* d = member(*m, "disableOOMKiller"); d && d->is_boolean() && d->get<bool>())
            throw Error(f + "disableOOMKiller: cgroup v2 cannot disable the OOM killer");
        ignored_memory_fields(*m);
    }
    if (const json* c = member(r, "cpu")) {
        std::string f = P + "cpu.";
        if (auto v = num(*c, "idle", f + "idle")) out.push_back({"cpu", "cpu.idle", std::to_string(*v), f + "idle"});
        if (auto v = num(*c, "shares", f + "shares"); v && *v != 0)
            out.push_back({"cpu", "cpu.weight", std::to_string(shares_to_weight(static_cast<uint64_t>(*v))), f + "shares"});
        auto quota = num(*c, "quota", f + "quota"), period = num(*c, "period", f + "period");
        if (quota.value_or(0) != 0 || period.value_or(0) != 0) {
            std::string v = quota.value_or(0) > 0 ? std::to_string(*quota) : "max";
            if (period.value_or(0) != 0) v += " " + std::to_string(*period);
            out.push_back({"cpu", "cpu.max", v, f + (quota ? "quota" : "period")});
        }
        if (auto v = num(*c, "burst", f + "burst")) out.push_back({"cpu", "cpu.max.burst", std::to_string(*v), f + "burst"});
        if (num(*c, "realtimePeriod", f + "realtimePeriod").value_or(0) || num(*c, "realtimeRuntime", f + "realtimeRuntime").value_or(0))
            throw Error(f + "realtimeRuntime/realtimePeriod: cgroup v2 has no realtime CPU limits");
        if (auto v = str(*c, "cpus", f + "cpus"); v && !v->empty()) out.push_back({"cpuset", "cpuset.cpus", *v, f + "cpus"});
        if (auto v = str(*c, "mems", f + "mems"); v && !v->empty()) out.push_back({"cpuset", "cpuset.mems", *v, f + "mems"});
    }
    if (const json* p = member(r, "pids")) {
        if (auto v = num(*p, "limit", P + "pids.limit")) out.push_back({"pids", "pids.max", max_or(*v), P + "pids.limit"});
    }
    if (const json* io = member(r, "blockIO")) {
        std::string f = P + "blockIO.";
        if (auto v = num(*io, "weight", f + "weight"); v && *v != 0) {
            // BFQ takes v1's range as is; io.weight needs runc's conversion.
            Write w{"io", "io.bfq.weight", std::to_string(*v), f + "weight"};
            w.alt_file = "io.weight", w.alt_value = std::to_string(blkio_weight_to_io_weight(static_cast<uint64_t>(*v)));
            out.push_back(w);
        }
        each_device(*io, "weightDevice", [&](const json& d, const std::string& field) {
            if (auto w = num(d, "weight", field + ".weight"); w && *w != 0)
                out.push_back({"io", "io.bfq.weight", dev_key(d, field) + " " + std::to_string(*w), field + ".weight"});
        });
        for (auto [key, name] : {std::pair{"throttleReadBpsDevice", "rbps"}, {"throttleWriteBpsDevice", "wbps"},
                                 {"throttleReadIOPSDevice", "riops"}, {"throttleWriteIOPSDevice", "wiops"}}) {
            each_device(*io, key, [&, name = name](const json& d, const std::string& field) {
                auto rate = num(d, "rate", field + ".rate");
                if (!rate) throw Error(field + ".rate: is required");
                out.push_back({"io", "io.max", dev_key(d, field) + " " + name + "=" + (*rate == 0 ? "max" : std::to_string(*rate)), field});
            });
        }
    }
    hugetlb_writes(r, ".max", out);
    if (const json* n = member(r, "network"); n && !n->empty())
        log_warning(P + "network: net_cls/net_prio do not exist on cgroup v2; ignored");
    rdma_writes(r, out);
    if (const json* u = member(r, "unified")) {
        for (auto& [key, value] : u->items()) {
            std::string field = P + "unified." + key;
            if (key.empty() || key.find('/') != std::string::npos || key[0] == '.')
                throw Error(field + ": not a cgroup file name");
            if (!value.is_string()) throw Error(field + ": must be a string");
            auto dot = key.find('.');
            if (dot == std::string::npos) throw Error(field + ": not a cgroup file name (CONTROLLER.FILE)");
            std::string controller = key.substr(0, dot);
            Write w{controller == "cgroup" ? "" : controller, key, value.get<std::string>(), field};
            w.v2_only = true;
            out.push_back(w);
        }
    }
    return out;
}

std::vector<DeviceRule> device_rules(const json& r, const Spec& spec) {
    std::vector<DeviceRule> rules;
    if (const json* list = member(r, "devices")) {
        for (size_t i = 0; i < list->size(); i++) {
            const json& d = (*list)[i];
            std::string field = P + "devices[" + std::to_string(i) + "]";
            DeviceRule rule;
            const json* allow = member(d, "allow");
            if (!allow || !allow->is_boolean()) throw Error(field + ".allow: is required");
            rule.allow = allow->get<bool>();
            std::string type = str(d, "type", field + ".type").value_or("a");
            if (type != "a" && type != "c" && type != "b") throw Error(field + ".type: \"" + type + "\" is not a, c or b");
            rule.type = type[0];
            rule.major = num(d, "major", field + ".major").value_or(-1);
            rule.minor = num(d, "minor", field + ".minor").value_or(-1);
            rule.access = str(d, "access", field + ".access").value_or("rwm");
            if (rule.access.empty()) rule.access = "rwm";
            if (rule.access.find_first_not_of("rwm") != std::string::npos)
                throw Error(field + ".access: \"" + rule.access + "\" is not made of r, w and m");
            rules.push_back(rule);
        }
    }
    // runc's AllowedDevices: mknod of anything, the nodes every container has,
    // and tun/tap (10:200: runc allows it in every container, VPN images use it).
    static const DeviceRule defaults[] = {
        {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},   {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 5, "rwm"},
        {true, 'c', 1, 7, "rwm"}, {true, 'c', 1, 8, "rwm"},   {true, 'c', 1, 9, "rwm"}, {true, 'c', 5, 0, "rwm"},
        {true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"}, {true, 'c', 10, 200, "rwm"},
    };
    rules.insert(rules.end(), std::begin(defaults), std::end(defaults));
    // And the devices the config creates (a FIFO is not a device to the cgroup).
    if (spec.linux) {
        for (auto& d : spec.linux->devices) {
            if (d.type == 'p') continue;
            rules.push_back({true, d.type == 'b' ? 'b' : 'c', d.major, d.minor, "rwm"});
        }
    }
    return rules;
}

std::string v1_device_string(const DeviceRule& r) {
    if (r.type == 'a') return "a";
    auto n = [](int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
    return std::string(1, r.type) + " " + n(r.major) + ":" + n(r.minor) + " " + r.access;
}

}  // namespace rrun::cg

namespace rrun {

bool cgroup_resources_requested(const nlohmann::json& resources) {
    if (!resources.is_object()) return false;
    try {
        return !cg::v1_writes(resources).empty() || !cg::v2_writes(resources).empty();
    } catch (const Error&) {
        return true;  // something was asked for, even if it is wrong
    }
}

}  // namespace rrun
