#include "spec.hpp"

#include <sys/capability.h>
#include <sys/resource.h>
#include <cctype>
#include <cstdio>
#include <string_view>
#include <fstream>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "fs.hpp"
#include "validate.hpp"

namespace rrun {
using nlohmann::json;

namespace {

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? std::string() : it->get<std::string>();
}

std::vector<std::string> strings(const json& j, const char* key) {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? std::vector<std::string>() : it->get<std::vector<std::string>>();
}

std::vector<IdMapping> id_mappings(const json& j, const char* key) {
    std::vector<IdMapping> out;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return out;
    for (auto& m : *it)
        out.push_back({m.at("containerID").get<uint32_t>(), m.at("hostID").get<uint32_t>(), m.at("size").get<uint32_t>()});
    return out;
}

uint64_t capability_mask(const json& caps, const char* key, const std::string& where) {
    uint64_t mask = 0;
    auto it = caps.find(key);
    if (it == caps.end() || it->is_null()) return 0;
    for (auto& name : *it) {
        int cap = capability_from_name(name.get<std::string>());
        if (cap < 0) throw Error(where + ".capabilities." + key + ": unknown capability " + name.get<std::string>());
        mask |= 1ULL << cap;
    }
    return mask;
}

std::vector<Hook> hooks(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    return hooks_from_json(*it);
}

}  // namespace

std::vector<Hook> hooks_from_json(const json& list) {
    std::vector<Hook> out;
    for (auto& h : list) {
        Hook hook{str(h, "path"), strings(h, "args"), strings(h, "env"), h.contains("env") && !h["env"].is_null(), {}};
        if (h.contains("timeout") && !h["timeout"].is_null()) hook.timeout = h["timeout"].get<int>();
        out.push_back(std::move(hook));
    }
    return out;
}

namespace {

Linux linux_from_json(const json& l) {
    Linux out;
    if (auto it = l.find("namespaces"); it != l.end() && !it->is_null()) {
        for (size_t i = 0; i < it->size(); i++) {
            auto& n = (*it)[i];
            auto type = namespace_type_from_name(str(n, "type"));
            std::string where = "linux.namespaces[" + std::to_string(i) + "]";
            if (!type) throw Error(where + ".type: unknown namespace type \"" + str(n, "type") + "\"");
            for (auto& seen : out.namespaces)
                if (seen.type == *type) throw Error(where + ".type: duplicate namespace \"" + str(n, "type") + "\"");
            out.namespaces.push_back({*type, str(n, "path")});
        }
    }
    out.uid_mappings = id_mappings(l, "uidMappings");
    out.gid_mappings = id_mappings(l, "gidMappings");
    if (auto it = l.find("devices"); it != l.end() && !it->is_null()) {
        for (size_t i = 0; i < it->size(); i++) {
            auto& d = (*it)[i];
            Device dev;
            std::string type = str(d, "type");
            if (type.size() != 1 || std::string("cbup").find(type[0]) == std::string::npos)
                throw Error("linux.devices[" + std::to_string(i) + "].type: must be one of c, b, u, p");
            dev.type = type[0];
            dev.path = str(d, "path");
            dev.major = d.value("major", int64_t(0));
            dev.minor = d.value("minor", int64_t(0));
            if (d.contains("fileMode") && !d["fileMode"].is_null()) dev.file_mode = d["fileMode"].get<uint32_t>();
            if (d.contains("uid") && !d["uid"].is_null()) dev.uid = d["uid"].get<uint32_t>();
            if (d.contains("gid") && !d["gid"].is_null()) dev.gid = d["gid"].get<uint32_t>();
            out.devices.push_back(std::move(dev));
        }
    }
    out.cgroups_path = str(l, "cgroupsPath");
    if (auto it = l.find("sysctl"); it != l.end() && !it->is_null())
        out.sysctl = it->get<std::map<std::string, std::string>>();
    out.rootfs_propagation = str(l, "rootfsPropagation");
    out.masked_paths = strings(l, "maskedPaths");
    out.readonly_paths = strings(l, "readonlyPaths");
    out.mount_label = str(l, "mountLabel");
    if (auto it = l.find("personality"); it != l.end() && !it->is_null()) {
        std::string domain = str(*it, "domain");
        if (domain == "LINUX")
            out.personality = 0x0000;  // PER_LINUX
        else if (domain == "LINUX32")
            out.personality = 0x0008;  // PER_LINUX32
        else
            throw Error("linux.personality.domain: must be LINUX or LINUX32, not \"" + domain + "\"");
        if (!strings(*it, "flags").empty()) throw Error("linux.personality.flags: no flags are supported");
    }
    if (auto it = l.find("intelRdt"); it != l.end() && !it->is_null()) {
        IntelRdt rdt;
        rdt.clos_id = str(*it, "closID");
        // A sub-directory of resctrl's root, or the root itself ("/").
        if (rdt.clos_id != "/" && (rdt.clos_id == "." || rdt.clos_id == ".." || rdt.clos_id.find('/') != std::string::npos))
            throw Error("linux.intelRdt.closID: must be a directory name (no '/', not \".\" or \"..\") or \"/\", not \"" +
                        rdt.clos_id + "\"");
        if (it->contains("closID") && rdt.clos_id.empty()) throw Error("linux.intelRdt.closID: must not be empty");
        auto one_line = [](const std::string& v, const std::string& field) {
            if (v.find('\n') != std::string::npos) throw Error("linux.intelRdt." + field + ": must not contain a newline");
        };
        if (it->contains("l3CacheSchema") && !(*it)["l3CacheSchema"].is_null()) {
            rdt.l3_cache_schema = str(*it, "l3CacheSchema");
            one_line(*rdt.l3_cache_schema, "l3CacheSchema");
        }
        if (it->contains("memBwSchema") && !(*it)["memBwSchema"].is_null()) {
            rdt.mem_bw_schema = str(*it, "memBwSchema");
            one_line(*rdt.mem_bw_schema, "memBwSchema");
        }
        rdt.schemata = strings(*it, "schemata");
        for (size_t i = 0; i < rdt.schemata.size(); i++) one_line(rdt.schemata[i], "schemata[" + std::to_string(i) + "]");
        rdt.enable_monitoring = it->value("enableMonitoring", false);
        out.intel_rdt = std::move(rdt);
    }
    if (auto it = l.find("netDevices"); it != l.end() && !it->is_null()) {
        for (auto& [host, dev] : it->items()) {
            std::string where = "linux.netDevices[\"" + host + "\"]";
            NetDevice nd{host, dev.is_object() ? str(dev, "name") : std::string()};
            if (nd.name.empty()) nd.name = host;
            // The kernel's rules for a name (dev_valid_name); %d only as the
            // spec's template at the end (dev_alloc_name takes one %d anywhere,
            // the spec speaks of appending it).
            auto check = [&](const std::string& n, const char* field) {
                std::string at = where + field;
                if (n.empty() || n.size() >= 16) throw Error(at + ": an interface name has 1 to 15 characters, not \"" + n + "\"");
                if (n == "." || n == "..") throw Error(at + ": \"" + n + "\" is not a valid interface name");
                for (char c : n)
                    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)))
                        throw Error(at + ": \"" + n + "\" is not a valid interface name (no '/', ':' or white space)");
                auto pct = n.find('%');
                if (pct != std::string::npos && (std::string_view(n).substr(pct) != "%d" || pct == 0))
                    throw Error(at + ": \"" + n + "\": '%' only in a trailing %d template");
            };
            check(host, "");
            if (host.find('%') != std::string::npos) throw Error(where + ": the host interface name cannot be a template");
            check(nd.name, ".name");
            out.net_devices.push_back(std::move(nd));
        }
        // Two keys with the same name inside (a template never clashes).
        for (size_t i = 0; i < out.net_devices.size(); i++)
            for (size_t j = 0; j < i; j++)
                if (out.net_devices[i].name == out.net_devices[j].name && out.net_devices[i].name.find('%') == std::string::npos)
                    throw Error("linux.netDevices[\"" + out.net_devices[i].host_name + "\"].name: \"" + out.net_devices[i].name +
                                "\" is also the name of linux.netDevices[\"" + out.net_devices[j].host_name + "\"] in the container");
    }
    if (auto it = l.find("memoryPolicy"); it != l.end() && !it->is_null()) out.memory_policy = memory_policy_from_json(*it);
    return out;
}

// MAJOR.MINOR.PATCH with an optional -prerelease and +build, as SemVer 2.0.
bool is_semver(const std::string& v) {
    size_t i = 0;
    for (int part = 0; part < 3; part++) {
        size_t start = i;
        while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) i++;
        if (i == start || (v[start] == '0' && i - start > 1)) return false;
        if (part < 2 && (i >= v.size() || v[i++] != '.')) return false;
    }
    if (i < v.size() && v[i] != '-' && v[i] != '+') return false;
    for (size_t j = i; j < v.size(); j++)
        if (!std::isalnum(static_cast<unsigned char>(v[j])) && v[j] != '-' && v[j] != '+' && v[j] != '.') return false;
    return true;
}

bool version_at_least(const std::string& v, unsigned major, unsigned minor) {
    unsigned ma = 0, mi = 0;
    if (std::sscanf(v.c_str(), "%u.%u", &ma, &mi) != 2) return false;
    return ma > major || (ma == major && mi >= minor);
}

// Before runtime-spec 1.3.0 a pids limit of 0 read as "no limit" (its Go
// type could not tell 0 from unset): runc 1.1 and crun leave pids.max alone,
// and engines still write it so (podman 4 turns --pids-limit -1 into 0).
// 1.3.0 says 0 SHOULD be a real limit, as runc 1.4 does: configs that declare
// 1.3.0 or later get it.
void drop_zero_pids_limit(json& doc) {
    auto l = doc.find("linux");
    if (l == doc.end() || !l->is_object()) return;
    auto r = l->find("resources");
    if (r == l->end() || !r->is_object()) return;
    auto p = r->find("pids");
    if (p != r->end() && p->is_object() && p->contains("limit") && (*p)["limit"] == 0) p->erase("limit");
}

}  // namespace

std::vector<unsigned> parse_number_list(const std::string& list, const std::string& where, const char* what, unsigned limit) {
    std::vector<unsigned> out;
    size_t i = 0;
    auto number = [&]() -> unsigned {
        size_t start = i;
        while (i < list.size() && std::isdigit(static_cast<unsigned char>(list[i]))) i++;
        if (start == i || i - start > 9) throw Error(where + ": invalid " + what + " list \"" + list + "\"");
        unsigned long n = std::stoul(list.substr(start, i - start));
        if (n >= limit) throw Error(where + ": " + what + " " + std::to_string(n) + " out of range (at most " + std::to_string(limit - 1) + ")");
        return static_cast<unsigned>(n);
    };
    while (i < list.size()) {
        unsigned lo = number(), hi = lo;
        if (i < list.size() && list[i] == '-') {
            i++;
            hi = number();
        }
        if (hi < lo) throw Error(where + ": invalid " + what + " range in \"" + list + "\"");
        for (unsigned c = lo; c <= hi; c++) out.push_back(c);
        if (i < list.size() && list[i++] != ',') throw Error(where + ": invalid " + what + " list \"" + list + "\"");
        if (i == list.size() && list.back() == ',') throw Error(where + ": invalid " + what + " list \"" + list + "\"");
    }
    return out;
}

MemoryPolicy memory_policy_from_json(const json& j) {
    // set_mempolicy(2)'s modes (linux/mempolicy.h; MPOL_WEIGHTED_INTERLEAVE is
    // newer than some headers) and whether each takes nodes: 0 none, 1 some,
    // 2 either (MPOL_PREFERRED without nodes is local allocation).
    static constexpr struct { const char* name; int value; int nodes; } modes[] = {
        {"MPOL_DEFAULT", 0, 0},        {"MPOL_PREFERRED", 1, 2}, {"MPOL_BIND", 2, 1},
        {"MPOL_INTERLEAVE", 3, 1},     {"MPOL_LOCAL", 4, 0},     {"MPOL_PREFERRED_MANY", 5, 1},
        {"MPOL_WEIGHTED_INTERLEAVE", 6, 1}};
    static constexpr std::pair<const char*, int> flag_bits[] = {
        {"MPOL_F_STATIC_NODES", 1 << 15}, {"MPOL_F_RELATIVE_NODES", 1 << 14}, {"MPOL_F_NUMA_BALANCING", 1 << 13}};
    MemoryPolicy mp;
    mp.mode_name = str(j, "mode");
    int takes_nodes = -1;
    for (auto& m : modes)
        if (mp.mode_name == m.name) mp.mode = m.value, takes_nodes = m.nodes;
    if (takes_nodes < 0) throw Error("linux.memoryPolicy.mode: unknown mode \"" + mp.mode_name + "\"");
    int flags = 0;
    for (auto& f : strings(j, "flags")) {
        int bit = 0;
        for (auto& [n, v] : flag_bits)
            if (f == n) bit = v;
        if (!bit) throw Error("linux.memoryPolicy.flags: unknown flag \"" + f + "\"");
        flags |= bit;
    }
    // The kernel's rules (mm/mempolicy.c), said before anything is made.
    if ((flags & (1 << 15)) && (flags & (1 << 14)))
        throw Error("linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");
    std::string nodes = str(j, "nodes");
    // A node number is below MAX_NUMNODES, at most 1024 (CONFIG_NODES_SHIFT 10).
    constexpr unsigned max_nodes = 1024;
    for (unsigned n : parse_number_list(nodes, "linux.memoryPolicy.nodes", "node", max_nodes)) {
        if (mp.nodemask.empty()) mp.nodemask.resize(max_nodes / (8 * sizeof(unsigned long)));
        mp.nodemask[n / (8 * sizeof(unsigned long))] |= 1UL << (n % (8 * sizeof(unsigned long)));
    }
    if (takes_nodes == 0 && !mp.nodemask.empty())
        throw Error("linux.memoryPolicy.nodes: " + mp.mode_name + " takes no nodes");
    if (takes_nodes == 1 && mp.nodemask.empty())
        throw Error("linux.memoryPolicy.nodes: " + mp.mode_name + " needs at least one node");
    if ((flags & ((1 << 15) | (1 << 14))) && mp.nodemask.empty())
        throw Error("linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES need nodes");
    // The kernel counts one bit too many (maxnode is decremented first), as numactl knows.
    if (!mp.nodemask.empty()) mp.maxnode = max_nodes + 1;
    mp.mode |= flags;
    return mp;
}

const Namespace* Linux::find_namespace(NamespaceType t) const {
    for (auto& n : namespaces)
        if (n.type == t) return &n;
    return nullptr;
}

const char* namespace_type_name(NamespaceType t) {
    switch (t) {
        case NamespaceType::pid: return "pid";
        case NamespaceType::network: return "network";
        case NamespaceType::mount: return "mount";
        case NamespaceType::ipc: return "ipc";
        case NamespaceType::uts: return "uts";
        case NamespaceType::user: return "user";
        case NamespaceType::cgroup: return "cgroup";
        case NamespaceType::time: return "time";
    }
    return "?";
}

std::optional<NamespaceType> namespace_type_from_name(const std::string& name) {
    static constexpr NamespaceType all[] = {NamespaceType::pid, NamespaceType::network, NamespaceType::mount,
                                            NamespaceType::ipc, NamespaceType::uts,     NamespaceType::user,
                                            NamespaceType::cgroup, NamespaceType::time};
    for (auto t : all)
        if (name == namespace_type_name(t)) return t;
    return std::nullopt;
}

int rlimit_from_name(const std::string& name) {
    static constexpr std::pair<const char*, int> table[] = {
        {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},     {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},   {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
    };
    for (auto& [n, v] : table)
        if (name == n) return v;
    return -1;
}

int capability_from_name(const std::string& name) {
    cap_value_t v;
    if (cap_from_name(name.c_str(), &v) < 0) return -1;
    // libcap also accepts bare numbers and lower case; the spec names are CAP_*.
    if (name.rfind("CAP_", 0) != 0) return -1;
    return v < 64 ? static_cast<int>(v) : -1;
}

Process process_from_json(const json& p, const std::string& where) {
    Process out;
    out.terminal = p.value("terminal", false);
    if (auto it = p.find("consoleSize"); it != p.end() && !it->is_null()) {
        out.console_height = it->value("height", 0u);
        out.console_width = it->value("width", 0u);
    }
    out.cwd = str(p, "cwd");
    out.args = strings(p, "args");
    out.env = strings(p, "env");
    if (out.args.empty()) throw Error(where + ".args: must be a non-empty array");
    // exec's process JSON has no schema check: a NUL would cut a C string short.
    auto has_nul = [](const std::string& s) { return s.find('\0') != std::string::npos; };
    for (auto& a : out.args)
        if (has_nul(a)) throw Error(where + ".args: must not contain a NUL character");
    for (auto& e : out.env)
        if (has_nul(e)) throw Error(where + ".env: must not contain a NUL character");
    if (has_nul(out.cwd)) throw Error(where + ".cwd: must not contain a NUL character");
    if (out.cwd.empty() || out.cwd[0] != '/') throw Error(where + ".cwd: must be an absolute path");
    if (auto it = p.find("user"); it != p.end() && !it->is_null()) {
        // Checked here too: exec's process JSON has no schema check, and a
        // uid of -1 would mean "unchanged" (root) to setresuid.
        auto id = [&](const json& v, const char* name) {
            if (!v.is_number_unsigned() || v.get<uint64_t>() >= UINT32_MAX)
                throw Error(where + ".user." + name + ": must be an integer from 0 to 4294967294");
            return v.get<uint32_t>();
        };
        if (it->contains("uid")) out.user.uid = id((*it)["uid"], "uid");
        if (it->contains("gid")) out.user.gid = id((*it)["gid"], "gid");
        if (it->contains("umask") && !(*it)["umask"].is_null()) out.user.umask = id((*it)["umask"], "umask");
        if (it->contains("additionalGids") && !(*it)["additionalGids"].is_null()) {
            if (!(*it)["additionalGids"].is_array()) throw Error(where + ".user.additionalGids: must be an array");
            for (auto& g : (*it)["additionalGids"]) add_gid(out.user.additional_gids, id(g, "additionalGids"));
        }
    }
    if (auto it = p.find("capabilities"); it != p.end() && !it->is_null()) {
        CapabilitySets c;
        c.bounding = capability_mask(*it, "bounding", where);
        c.effective = capability_mask(*it, "effective", where);
        c.inheritable = capability_mask(*it, "inheritable", where);
        c.permitted = capability_mask(*it, "permitted", where);
        c.ambient = capability_mask(*it, "ambient", where);
        out.capabilities = c;
    }
    if (auto it = p.find("rlimits"); it != p.end() && !it->is_null()) {
        for (size_t i = 0; i < it->size(); i++) {
            auto& r = (*it)[i];
            std::string name = str(r, "type");
            int res = rlimit_from_name(name);
            std::string at = where + ".rlimits[" + std::to_string(i) + "]";
            if (res < 0) throw Error(at + ".type: unknown rlimit \"" + name + "\"");
            for (auto& seen : out.rlimits)
                if (seen.resource == res) throw Error(at + ".type: duplicate rlimit \"" + name + "\"");
            // The schema leaves uint64 unbounded (config.schema.json): negatives are caught here.
            if (!r.at("soft").is_number_unsigned() || !r.at("hard").is_number_unsigned())
                throw Error(at + ": soft and hard must be unsigned integers");
            Rlimit rl{res, name, r.at("soft").get<uint64_t>(), r.at("hard").get<uint64_t>()};
            if (rl.soft > rl.hard) throw Error(at + ": soft limit exceeds hard limit");
            out.rlimits.push_back(rl);
        }
    }
    out.no_new_privileges = p.value("noNewPrivileges", false);
    if (p.contains("oomScoreAdj") && !p["oomScoreAdj"].is_null()) out.oom_score_adj = p["oomScoreAdj"].get<int>();
    out.apparmor_profile = str(p, "apparmorProfile");
    out.selinux_label = str(p, "selinuxLabel");
    if (auto it = p.find("scheduler"); it != p.end() && !it->is_null()) {
        static constexpr std::pair<const char*, uint32_t> policies[] = {
            {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2}, {"SCHED_BATCH", 3},
            {"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6}};
        static constexpr std::pair<const char*, uint64_t> flag_bits[] = {
            {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02}, {"SCHED_FLAG_DL_OVERRUN", 0x04},
            {"SCHED_FLAG_KEEP_POLICY", 0x08},   {"SCHED_FLAG_KEEP_PARAMS", 0x10}, {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
            {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
        Scheduler s;
        std::string policy = str(*it, "policy");
        bool known = false;
        for (auto& [n, v] : policies)
            if (policy == n) s.policy = v, known = true;
        if (!known) throw Error(where + ".scheduler.policy: unknown policy \"" + policy + "\"");
        s.nice = it->value("nice", 0);
        s.priority = it->value("priority", 0u);
        for (auto& f : strings(*it, "flags")) {
            bool ok = false;
            for (auto& [n, v] : flag_bits)
                if (f == n) s.flags |= v, ok = true;
            if (!ok) throw Error(where + ".scheduler.flags: unknown flag \"" + f + "\"");
        }
        s.runtime = it->value("runtime", uint64_t(0));
        s.deadline = it->value("deadline", uint64_t(0));
        s.period = it->value("period", uint64_t(0));
        out.scheduler = s;
    }
    if (auto it = p.find("ioPriority"); it != p.end() && !it->is_null()) {
        std::string cls = str(*it, "class");
        int c = cls == "IOPRIO_CLASS_RT" ? 1 : cls == "IOPRIO_CLASS_BE" ? 2 : cls == "IOPRIO_CLASS_IDLE" ? 3 : 0;
        if (!c) throw Error(where + ".ioPriority.class: unknown class \"" + cls + "\"");
        int prio = it->value("priority", 0);
        if (prio < 0 || prio > 7) throw Error(where + ".ioPriority.priority: must be 0-7");
        out.io_priority = c << 13 | prio;
    }
    if (auto it = p.find("execCPUAffinity"); it != p.end() && !it->is_null()) {
        out.exec_cpu_affinity_initial = str(*it, "initial");
        out.exec_cpu_affinity_final = str(*it, "final");
    }
    return out;
}

Spec spec_from_json(const json& doc, const std::string& bundle) {
    Spec s;
    s.oci_version = str(doc, "ociVersion");
    if (auto it = doc.find("root"); it != doc.end() && !it->is_null()) {
        std::string path = str(*it, "path");
        s.root_path = absolute_path(path.empty() || path[0] == '/' ? path : join_path(bundle, path));
        s.root_readonly = it->value("readonly", false);
    }
    if (auto it = doc.find("mounts"); it != doc.end() && !it->is_null()) {
        for (size_t i = 0; i < it->size(); i++) {
            auto& m = (*it)[i];
            Mount mount{str(m, "destination"), str(m, "source"), str(m, "type"), strings(m, "options"),
                        id_mappings(m, "uidMappings"), id_mappings(m, "gidMappings")};
            if (mount.destination.empty()) throw Error("mounts[" + std::to_string(i) + "].destination: must not be empty");
            // The spec (Linux): a relative path, deprecated, "MUST be interpreted as relative to \"/\"".
            if (mount.destination[0] != '/') mount.destination.insert(0, 1, '/');
            s.mounts.push_back(std::move(mount));
        }
    }
    if (auto it = doc.find("process"); it != doc.end() && !it->is_null()) s.process = process_from_json(*it, "process");
    s.hostname = str(doc, "hostname");
    s.domainname = str(doc, "domainname");
    if (auto it = doc.find("hooks"); it != doc.end() && !it->is_null()) {
        s.hooks.prestart = hooks(*it, "prestart");
        s.hooks.create_runtime = hooks(*it, "createRuntime");
        s.hooks.create_container = hooks(*it, "createContainer");
        s.hooks.start_container = hooks(*it, "startContainer");
        s.hooks.poststart = hooks(*it, "poststart");
        s.hooks.poststop = hooks(*it, "poststop");
    }
    if (auto it = doc.find("annotations"); it != doc.end() && !it->is_null())
        s.annotations = it->get<std::map<std::string, std::string>>();
    if (s.annotations.count("")) throw Error("annotations: keys must not be empty");
    if (!is_semver(s.oci_version)) throw Error("ociVersion: \"" + s.oci_version + "\" is not a SemVer 2.0 version");
    if (auto it = doc.find("linux"); it != doc.end() && !it->is_null()) s.linux = linux_from_json(*it);
    return s;
}

Spec parse_spec(const std::string& text, const std::string& bundle, const std::string& source_name) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        // Parse again with exceptions on to get the position of the error.
        try {
            json unused = json::parse(text);
            (void)unused;
        } catch (const json::exception& e) {  // also out_of_range: a number too large (1e400)
            std::string what = e.what();
            auto pos = what.find("parse error");
            throw Error(source_name + ": invalid JSON: " + (pos == std::string::npos ? what : what.substr(pos)));
        }
        throw Error(source_name + ": invalid JSON");
    }
    validate_config(doc, source_name);
    try {
        Spec s = spec_from_json(doc, bundle);
        if (!version_at_least(s.oci_version, 1, 3)) drop_zero_pids_limit(doc);
        s.raw = std::make_shared<const json>(std::move(doc));
        return s;
    } catch (const json::exception& e) {
        throw Error(source_name + ": " + e.what());
    } catch (const Error& e) {
        throw Error(source_name + ": " + e.what());
    }
}

}  // namespace rrun
