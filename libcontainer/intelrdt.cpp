#include "intelrdt.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>

#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "unique_fd.hpp"

namespace rrun {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

// What resctrl said about the last write it refused (info/last_cmd_status).
std::string last_status(const std::string& root) {
    try {
        std::string s = read_file(root + "/info/last_cmd_status");
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        return s.empty() || s == "ok" ? "" : " (resctrl: " + s + ")";
    } catch (const Error&) {
        return "";
    }
}

// One schemata line "L3:0=7ff;1=7ff" as resource -> domain -> value, in a
// form where equal settings compare equal: no white space, resource upper
// case, values lower case without leading zeros.
using Schema = std::map<std::string, std::map<std::string, std::string>>;
void parse_schema_line(const std::string& raw, Schema& out) {
    std::string line;
    for (char c : raw)
        if (!std::isspace(static_cast<unsigned char>(c))) line += c;
    auto colon = line.find(':');
    if (colon == std::string::npos) return;
    std::string res = line.substr(0, colon);
    for (auto& c : res) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::stringstream domains(line.substr(colon + 1));
    std::string d;
    while (std::getline(domains, d, ';')) {
        auto eq = d.find('=');
        if (eq == std::string::npos) continue;
        std::string v = d.substr(eq + 1);
        for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t nz = v.find_first_not_of('0');
        v = nz == std::string::npos ? "0" : v.substr(nz);
        out[res][d.substr(0, eq)] = v;
    }
}

void write_schemata(const std::string& root, const std::string& dir, const std::vector<std::pair<std::string, std::string>>& lines) {
    std::string file = dir + "/schemata";
    for (auto& [field, line] : lines) {
        // One write per line: resctrl takes a line at a time, in the spec's order.
        unique_fd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) throw_errno("linux.intelRdt: open " + file);
        std::string text = line + "\n";
        if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
            throw Error("linux.intelRdt." + field + ": write \"" + line + "\" to " + file + ": " + strerror(errno) +
                        last_status(root));
    }
}

}  // namespace

std::string find_resctrl() {
    std::string info;
    try {
        info = read_file("/proc/self/mountinfo");
    } catch (const Error&) {
        return "";
    }
    std::stringstream in(info);
    std::string line;
    while (std::getline(in, line)) {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPER
        auto sep = line.find(" - ");
        if (sep == std::string::npos) continue;
        std::stringstream after(line.substr(sep + 3)), before(line.substr(0, sep));
        std::string fstype, f;
        after >> fstype;
        if (fstype != "resctrl") continue;
        std::vector<std::string> fields;
        while (before >> f) fields.push_back(f);
        if (fields.size() >= 5) return unescape_mountinfo(fields[4]);
    }
    return "";
}

RdtGroup setup_intel_rdt(const IntelRdt& rdt, const std::string& id, const std::function<void(const std::string&)>& on_made) {
    std::string root = find_resctrl();
    if (root.empty())
        throw Error("linux.intelRdt: no resctrl filesystem is mounted in the runtime's mount namespace (no fstype "
                    "resctrl in /proc/self/mountinfo; mount -t resctrl resctrl /sys/fs/resctrl on a host with Intel RDT)");
    std::vector<std::pair<std::string, std::string>> lines;
    if (rdt.l3_cache_schema) lines.push_back({"l3CacheSchema", *rdt.l3_cache_schema});
    if (rdt.mem_bw_schema) lines.push_back({"memBwSchema", *rdt.mem_bw_schema});
    for (size_t i = 0; i < rdt.schemata.size(); i++) lines.push_back({"schemata[" + std::to_string(i) + "]", rdt.schemata[i]});
    RdtGroup g;
    std::string dir;
    if (rdt.clos_id == "/") {
        dir = root;  // the default CLOS
    } else if (rdt.clos_id.empty()) {
        // Named after the container, made by us and removed at delete.
        dir = root + "/" + id;
        if (::mkdir(dir.c_str(), 0755) < 0) {
            if (errno == EEXIST) throw Error("linux.intelRdt: " + dir + " exists already (a resctrl group named after the container)");
            throw_errno("linux.intelRdt: mkdir " + dir + last_status(root));
        }
        g.remove.push_back(dir);
        on_made(dir);
        write_schemata(root, dir, lines);
    } else {
        dir = root + "/" + rdt.clos_id;
        struct stat st;
        if (::stat(dir.c_str(), &st) == 0) {
            // A group of its own (shared by containers, set up by the
            // admin): its schemata must say what the config says; it is
            // not rewritten.
            Schema have, want;
            std::stringstream file(read_file(dir + "/schemata"));
            std::string l;
            while (std::getline(file, l)) parse_schema_line(l, have);
            for (auto& [field, line] : lines) {
                Schema one;
                parse_schema_line(line, one);
                for (auto& [res, domains] : one)
                    for (auto& [dom, v] : domains)
                        if (!have.count(res) || !have[res].count(dom) || have[res][dom] != v)
                            throw Error("linux.intelRdt." + field + ": \"" + line + "\" does not match the schemata of the existing group " +
                                        dir);
            }
        } else if (lines.empty()) {
            throw Error("linux.intelRdt.closID: no resctrl group " + dir + " (a closID without schemata names a pre-configured group)");
        } else {
            // Made for the container, but not removed at delete: the spec
            // leaves a group with a closID to whoever named it.
            if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("linux.intelRdt: mkdir " + dir + last_status(root));
            write_schemata(root, dir, lines);
        }
    }
    g.tasks = dir + "/tasks";
    if (rdt.enable_monitoring) {
        std::string mon = dir + "/mon_groups/" + id;
        if (::mkdir(mon.c_str(), 0755) < 0)
            throw Error("linux.intelRdt.enableMonitoring: mkdir " + mon + ": " + strerror(errno) + last_status(root));
        g.remove.insert(g.remove.begin(), mon);
        on_made(mon);
        g.mon_tasks = mon + "/tasks";
    }
    return g;
}

void enter_intel_rdt(const RdtGroup& group, pid_t pid) {
    // The CTRL_MON group first: a MON group only takes tasks of its parent.
    for (auto* file : {&group.tasks, &group.mon_tasks}) {
        if (file->empty()) continue;
        try {
            write_existing_file(*file, std::to_string(pid));
        } catch (const Error& e) {
            throw Error(std::string("linux.intelRdt: ") + e.what());
        }
    }
}

void remove_intel_rdt(const std::string& paths) {
    for (auto& dir : split(paths, '\n'))
        if (!dir.empty() && ::rmdir(dir.c_str()) < 0 && errno != ENOENT) log_warning("linux.intelRdt: rmdir " + dir + ": " + strerror(errno));
}

}  // namespace rrun
