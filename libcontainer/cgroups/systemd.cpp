// The systemd cgroup driver's D-Bus side: the unit's properties, starting,
// stopping and updating it (runc's and crun's systemd managers do the same
// calls). Only --systemd-cgroup commands reach this file.
#include "systemd.hpp"

#include <unistd.h>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <tuple>

#include "error.hpp"
#include "log.hpp"

namespace rrun::cg {

namespace {

constexpr const char* marker_key = "systemd-unit:";
const std::string sd_dest = "org.freedesktop.systemd1", sd_path = "/org/freedesktop/systemd1",
                  sd_manager = "org.freedesktop.systemd1.Manager";
constexpr uint64_t infinity = std::numeric_limits<uint64_t>::max();
constexpr auto job_timeout = std::chrono::seconds(30);  // runc's

dbus::Connection connect(const SystemdUnit& u) {
    return dbus::Connection(dbus::bus_address(u.user), u.user ? "user bus" : "system bus");
}

std::optional<uint64_t> number_or_max(const std::string& v) {
    if (v == "max") return infinity;
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    try {
        return std::stoull(v);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// JobRemoved for JOB: true with its result, false on timeout.
bool wait_job(dbus::Connection& c, const std::string& job, std::string& result) {
    return c.wait_signal(
        [&](const dbus::Message& m) {
            if (m.member != "JobRemoved" || m.args.size() < 4 || m.args[1] != job) return false;
            result = m.args[3];
            return true;
        },
        job_timeout);
}

void add_job_match(dbus::Connection& c) {
    c.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch",
           {dbus::str("type='signal',sender='org.freedesktop.systemd1',path='/org/freedesktop/systemd1',"
                      "interface='org.freedesktop.systemd1.Manager',member='JobRemoved'")});
}

void reset_failed(dbus::Connection& c, const std::string& unit) {
    // Nothing to reset (or no such unit) is the usual answer.
    c.call_nothrow(sd_dest, sd_path, sd_manager, "ResetFailedUnit", {dbus::str(unit)});
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// runc's addCpuQuota: QUOTA (infinity: none) per PERIOD (default 100 ms) as
// CPUQuotaPerSecUSec, and the period when one was given.
void add_cpu_quota(dbus::Props& p, uint64_t quota, std::optional<uint64_t> period) {
    uint64_t per = period.value_or(100000);
    if (per == 0 || per == infinity) return;
    if (period) p.push_back({"CPUQuotaPeriodUSec", dbus::u64(per)});
    uint64_t per_sec = infinity;
    if (quota != infinity) {
        per_sec = quota * 1000000 / per;
        // systemd keeps whole percents of a CPU: round up to 10 ms
        // so that the kernel's quota is at least what was asked (runc).
        if (per_sec % 10000) per_sec = (per_sec / 10000 + 1) * 10000;
    }
    p.push_back({"CPUQuotaPerSecUSec", dbus::u64(per_sec)});
}

// "char-NAME" of MAJOR as PROC_DEVICES (/proc/devices) lists it ("" when it does not).
std::string device_group(const std::string& text, char type, int64_t major) {
    std::string section;
    size_t at = 0;
    while (at < text.size()) {
        size_t nl = text.find('\n', at);
        std::string line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
        at = nl == std::string::npos ? text.size() : nl + 1;
        if (line == "Character devices:") section = "char";
        else if (line == "Block devices:") section = "block";
        else if (section == (type == 'b' ? "block" : "char")) {
            auto w = words(line);
            if (w.size() == 2 && w[0] == std::to_string(major)) return section + "-" + w[1];
        }
    }
    return "";
}

}  // namespace

std::string systemd_marker(const SystemdUnit& u) { return std::string(marker_key) + (u.user ? "user:" : "system:") + u.name; }

std::optional<SystemdUnit> systemd_unit_of(const std::string& handle) {
    if (handle.rfind(marker_key, 0) != 0) return std::nullopt;
    std::string line = handle.substr(0, handle.find('\n')).substr(std::strlen(marker_key));
    auto colon = line.find(':');
    if (colon == std::string::npos) return std::nullopt;
    SystemdUnit u{line.substr(colon + 1), line.substr(0, colon) == "user"};
    // The state file could say anything: only the units a container gets.
    if (!ends_with(u.name, ".scope") && !ends_with(u.name, ".slice")) return std::nullopt;
    return u;
}

std::vector<uint8_t> systemd_cpu_mask(const std::string& list, const std::string& field) {
    std::vector<uint8_t> mask;
    auto set = [&](unsigned long bit) {
        if (bit >= 8192) throw Error(field + ": \"" + list + "\": CPU or node number too large");
        if (mask.size() <= bit / 8) mask.resize(bit / 8 + 1);
        mask[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    };
    for (size_t at = 0; at <= list.size();) {
        size_t end = list.find(',', at);
        if (end == std::string::npos) end = list.size();
        std::string part = list.substr(at, end - at);
        at = end + 1;
        while (!part.empty() && (part.back() == '\n' || part.back() == ' ')) part.pop_back();
        while (!part.empty() && part.front() == ' ') part.erase(0, 1);
        if (part.empty()) continue;
        auto dash = part.find('-');
        std::string a = part.substr(0, dash), b = dash == std::string::npos ? a : part.substr(dash + 1);
        if (a.empty() || b.empty() || a.find_first_not_of("0123456789") != std::string::npos ||
            b.find_first_not_of("0123456789") != std::string::npos || a.size() > 5 || b.size() > 5)
            throw Error(field + ": \"" + list + "\" is not a CPU list (such as 0-2,4)");
        unsigned long lo = std::stoul(a), hi = std::stoul(b);
        if (lo > hi) throw Error(field + ": \"" + list + "\": range " + part + " goes backwards");
        for (unsigned long i = lo; i <= hi; i++) set(i);
    }
    return mask;
}

dbus::Props systemd_resource_props(const std::vector<Write>& v2) {
    // runc's genV2ResourcesProperties and unifiedResToSystemdProps: each file
    // systemd manages, as the property that makes systemd write it.
    dbus::Props p;
    auto add_t = [&](const char* name, const std::string& value) {
        if (auto n = number_or_max(value)) p.push_back({name, dbus::u64(*n)});
    };
    for (auto& w : v2) {
        const std::string& f = w.file;
        if (f == "memory.max") add_t("MemoryMax", w.value);
        else if (f == "memory.low") add_t("MemoryLow", w.value);
        else if (f == "memory.high") add_t("MemoryHigh", w.value);
        else if (f == "memory.min") add_t("MemoryMin", w.value);
        else if (f == "memory.swap.max") add_t("MemorySwapMax", w.value);
        // systemd refuses TasksMax=0; 1 forbids forks as well once the init is in
        // (the file itself gets 0), as runc's cgroups library does.
        else if (f == "pids.max") add_t("TasksMax", w.value == "0" ? "1" : w.value);
        else if (f == "cpu.weight") add_t("CPUWeight", w.value);
        else if (f == "io.weight" && w.value.find(':') == std::string::npos) {
            std::string v = w.value.rfind("default ", 0) == 0 ? w.value.substr(8) : w.value;
            add_t("IOWeight", v);
        } else if (f == "io.bfq.weight" && w.alt_file == "io.weight") add_t("IOWeight", w.alt_value);
        else if (f == "cpuset.cpus") p.push_back({"AllowedCPUs", dbus::bytes(systemd_cpu_mask(w.value, w.field))});
        else if (f == "cpuset.mems") p.push_back({"AllowedMemoryNodes", dbus::bytes(systemd_cpu_mask(w.value, w.field))});
        else if (f == "cpu.max") {
            auto sp = w.value.find(' ');
            auto q = number_or_max(w.value.substr(0, sp));
            if (!q) continue;
            std::optional<uint64_t> per;
            if (sp != std::string::npos && !(per = number_or_max(w.value.substr(sp + 1)))) continue;
            add_cpu_quota(p, *q, per);
        }
    }
    return p;
}

dbus::Props systemd_v1_resource_props(const std::vector<Write>& v1) {
    // runc's genV1ResourcesProperties, from the v1 files (v2-only writes of a
    // hybrid host are not systemd's on a legacy manager).
    dbus::Props p;
    auto add_t = [&](const char* name, const std::string& value) {
        if (value == "-1") p.push_back({name, dbus::u64(infinity)});
        else if (auto n = number_or_max(value)) p.push_back({name, dbus::u64(*n)});
    };
    std::optional<uint64_t> quota, period;
    for (auto& w : v1) {
        if (w.v2_only) continue;
        const std::string& f = w.file;
        if (f == "memory.limit_in_bytes") add_t("MemoryLimit", w.value);
        else if (f == "cpu.shares") add_t("CPUShares", w.value);
        else if (f == "blkio.weight") add_t("BlockIOWeight", w.value);
        else if (f == "pids.max") add_t("TasksMax", w.value == "0" ? "1" : w.value);  // as on v2
        else if (f == "cpuset.cpus") p.push_back({"AllowedCPUs", dbus::bytes(systemd_cpu_mask(w.value, w.field))});
        else if (f == "cpuset.mems") p.push_back({"AllowedMemoryNodes", dbus::bytes(systemd_cpu_mask(w.value, w.field))});
        else if (f == "cpu.cfs_quota_us") quota = w.value.rfind('-', 0) == 0 ? infinity : number_or_max(w.value).value_or(infinity);
        else if (f == "cpu.cfs_period_us") period = number_or_max(w.value);
    }
    if (quota || period) add_cpu_quota(p, quota.value_or(infinity), period);
    return p;
}

namespace {
constexpr uint8_t acc_r = 1, acc_w = 2, acc_m = 4;
uint8_t acc_bits(const std::string& a) {
    uint8_t b = 0;
    for (char c : a) b |= c == 'r' ? acc_r : c == 'w' ? acc_w : c == 'm' ? acc_m : 0;
    return b;
}
}  // namespace

dbus::Props systemd_device_props(const std::vector<DeviceRule>& rules, const std::string& proc_devices, bool default_allow,
                                 bool (*node_exists)(const std::string&)) {
    // Only what follows the last "all devices" rule counts (as in our program).
    size_t start = 0;
    for (size_t i = 0; i < rules.size(); i++)
        if (rules[i].type == 'a' && rules[i].major < 0 && rules[i].minor < 0 && acc_bits(rules[i].access) == 7)
            start = i + 1, default_allow = rules[i].allow;
    // systemd has allow lists only: "allow all but ..." is DevicePolicy=auto
    // with no list (runc, for allow-all), and our program does the denying.
    // (runc sends a deny-all list there and replaces systemd's program with
    // its own, until a daemon-reload puts systemd's back.)
    dbus::Props allow_all{{"DevicePolicy", dbus::str("auto")}, {"DeviceAllow", dbus::string_pairs({})}};
    if (default_allow) return allow_all;
    // An allow list: as runc's device emulator, one entry per type:major:minor
    // (-1 any) with the union of its accesses; a deny takes its accesses off
    // the same entry. Where systemd cannot say as much (a deny inside a
    // wildcard, "c *:5"), its list allows more and our program decides.
    std::map<std::tuple<int64_t, int64_t, char>, uint8_t> allowed;  // runc's order: major, minor, type
    for (size_t i = start; i < rules.size(); i++) {
        const DeviceRule& r = rules[i];
        uint8_t bits = acc_bits(r.access);
        std::vector<char> types = r.type == 'a' ? std::vector<char>{'b', 'c'} : std::vector<char>{r.type};
        for (char t : types) {
            int64_t major = r.type == 'a' ? -1 : r.major, minor = r.type == 'a' || major < 0 ? -1 : r.minor;
            auto key = std::make_tuple(major, minor, t);
            if (r.allow) allowed[key] |= bits;
            else if (auto it = allowed.find(key); it != allowed.end() && (it->second &= static_cast<uint8_t>(~bits)) == 0)
                allowed.erase(it);
        }
    }
    dbus::StringPairs list;
    for (auto& [key, bits] : allowed) {
        auto [major, minor, t] = key;
        std::string access = std::string(bits & acc_r ? "r" : "") + (bits & acc_w ? "w" : "") + (bits & acc_m ? "m" : "");
        std::string kind = t == 'b' ? "block" : "char", path;
        // A major by its /proc/devices name ("char-pts"), as runc 1.1 and
        // what every systemd knows; a number ("char-136", systemd 240 on)
        // when it has none.
        if (major < 0) path = kind + "-*";
        else if (minor < 0) {
            path = device_group(proc_devices, t, major);
            if (path.empty()) path = kind + "-" + std::to_string(major);
        } else {
            path = "/dev/" + kind + "/" + std::to_string(major) + ":" + std::to_string(minor);
            // systemd finds a node by that udev link; runc skips a node the
            // host has not (10:200 before the tun module is loaded). Our own
            // device program still allows it.
            if (!node_exists(path)) continue;
        }
        list.emplace_back(path, access);
    }
    return {{"DevicePolicy", dbus::str("strict")}, {"DeviceAllow", dbus::string_pairs(std::move(list))}};
}

void systemd_start_unit(const SystemdStart& s, pid_t pid) {
    const std::string& unit = s.unit.name;
    bool slice = ends_with(unit, ".slice");
    dbus::Props props{{"Description", dbus::str("rrun container " + s.id)}};
    if (slice) {
        // A slice's parent comes by Wants= (runc); it holds no process itself
        // until ours is moved in by cgroupfs.
        props.push_back({"Wants", dbus::strs({s.slice})});
    } else {
        props.push_back({"Slice", dbus::str(s.slice)});
        props.push_back({"Delegate", dbus::boolean(true)});
        props.push_back({"PIDs", dbus::u32s({static_cast<uint32_t>(pid)})});
    }
    // As runc: accounting on (the same controllers as cgroupfs gives), and
    // no default dependencies (a container's scope must not wait for, or be
    // stopped with, shutdown.target's ordering of ordinary units).
    // (v1: BlockIOAccounting, the blkio controller.) DefaultDependencies=no
    // for every unit, root or rootless, scope or slice, as runc.
    for (const char* a : {"MemoryAccounting", "CPUAccounting", s.v1 ? "BlockIOAccounting" : "IOAccounting", "TasksAccounting"})
        props.push_back({a, dbus::boolean(true)});
    props.push_back({"DefaultDependencies", dbus::boolean(false)});
    props.insert(props.end(), s.resources.begin(), s.resources.end());

    dbus::Connection c = connect(s.unit);
    add_job_match(c);
    std::vector<dbus::Value> args{dbus::str(unit), dbus::str("replace"), dbus::props(props),
                                  dbus::empty_array("a(sa(sv))")};  // auxiliary units: none
    dbus::Message reply;
    for (int attempt = 0;; attempt++) {
        reply = c.call_nothrow(sd_dest, sd_path, sd_manager, "StartTransientUnit", args);
        if (reply.type != 3) {
            s.asked = true;
            break;
        }
        if (reply.error_name == "org.freedesktop.systemd1.UnitExists" && slice) return;  // runc: an existing slice is fine
        if (reply.error_name != "org.freedesktop.systemd1.UnitExists" || attempt > 0)
            throw Error(c.name() + ": StartTransientUnit " + unit + ": " + reply.error_name +
                        (reply.args.empty() ? "" : ": " + reply.args[0]));
        // A failed leftover of the same name: reset so that systemd drops it, then once more.
        reset_failed(c, unit);
    }
    std::string job = reply.args.empty() ? "" : reply.args[0], result;
    if (!wait_job(c, job, result)) {
        reset_failed(c, unit);
        throw Error(c.name() + ": StartTransientUnit " + unit + ": its job " + job + " did not finish in 30 s");
    }
    if (result != "done") {
        reset_failed(c, unit);
        throw Error(c.name() + ": StartTransientUnit " + unit + ": the job ended \"" + result + "\" (see journalctl -u " + unit + ")");
    }
}

void systemd_stop_unit(const SystemdUnit& u) {
    dbus::Connection c = connect(u);
    add_job_match(c);
    dbus::Message reply = c.call_nothrow(sd_dest, sd_path, sd_manager, "StopUnit", {dbus::str(u.name), dbus::str("replace")});
    if (reply.type == 3) {
        if (reply.error_name != "org.freedesktop.systemd1.NoSuchUnit")
            throw Error(c.name() + ": StopUnit " + u.name + ": " + reply.error_name + (reply.args.empty() ? "" : ": " + reply.args[0]));
    } else {
        std::string job = reply.args.empty() ? "" : reply.args[0], result;
        if (!wait_job(c, job, result)) throw Error(c.name() + ": StopUnit " + u.name + ": its job " + job + " did not finish in 30 s");
        if (result != "done") log_debug("StopUnit " + u.name + ": job " + result);
    }
    reset_failed(c, u.name);
}

void systemd_set_properties(const SystemdUnit& u, const dbus::Props& p) {
    if (p.empty()) return;
    dbus::Connection c = connect(u);
    c.call(sd_dest, sd_path, sd_manager, "SetUnitProperties", {dbus::str(u.name), dbus::boolean(true), dbus::props(p)}, u.name);
}

}  // namespace rrun::cg
