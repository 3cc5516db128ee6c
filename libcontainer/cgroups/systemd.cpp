// The systemd cgroup driver's D-Bus side: the unit's properties, starting,
// stopping and updating it (runc's and crun's systemd managers do the same
// calls). Only --systemd-cgroup commands reach this file.
#include "systemd.hpp"

#include <unistd.h>
#include <cstdint>
#include <cstring>
#include <limits>

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
        else if (f == "pids.max") add_t("TasksMax", w.value);
        else if (f == "cpu.weight") add_t("CPUWeight", w.value);
        else if (f == "io.weight" && w.value.find(':') == std::string::npos) {
            std::string v = w.value.rfind("default ", 0) == 0 ? w.value.substr(8) : w.value;
            add_t("IOWeight", v);
        } else if (f == "io.bfq.weight" && w.alt_file == "io.weight") add_t("IOWeight", w.alt_value);
        else if (f == "cpuset.cpus") p.push_back({"AllowedCPUs", dbus::bytes(systemd_cpu_mask(w.value, w.field))});
        else if (f == "cpuset.mems") p.push_back({"AllowedMemoryNodes", dbus::bytes(systemd_cpu_mask(w.value, w.field))});
        else if (f == "cpu.max") {
            std::string quota = w.value.substr(0, w.value.find(' ')), period;
            if (w.value.find(' ') != std::string::npos) period = w.value.substr(w.value.find(' ') + 1);
            auto q = number_or_max(quota);
            auto per = period.empty() ? std::optional<uint64_t>(100000) : number_or_max(period);
            if (!q || !per || *per == 0 || *per == infinity) continue;
            if (!period.empty()) p.push_back({"CPUQuotaPeriodUSec", dbus::u64(*per)});
            uint64_t per_sec = infinity;
            if (*q != infinity) {
                per_sec = *q * 1000000 / *per;
                // systemd keeps whole percents of a CPU: round up to 10 ms
                // so that the kernel's quota is at least what was asked (runc).
                if (per_sec % 10000) per_sec = (per_sec / 10000 + 1) * 10000;
            }
            p.push_back({"CPUQuotaPerSecUSec", dbus::u64(per_sec)});
        }
    }
    return p;
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
    for (const char* a : {"MemoryAccounting", "CPUAccounting", "IOAccounting", "TasksAccounting"})
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
