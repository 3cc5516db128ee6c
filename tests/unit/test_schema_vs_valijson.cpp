// Differential test: the checker compiled from config.schema.json at build
// time (validate_config) must give valijson's verdict, valid or invalid, on
// the fuzz seeds, `rrun spec`'s output and systematic mutations of a config
// that sets every property the schema names. valijson is the reference.
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "cli.hpp"
#include "error.hpp"
#include "validate.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json read_json(const fs::path& path) {
    std::ifstream in(path);
    return json::parse(in);
}

const valijson::Schema& reference_schema() {
    static const valijson::Schema* schema = [] {
        auto* parsed = new valijson::Schema;
        json doc = read_json(RRUN_SCHEMA_JSON);
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft4);
        valijson::adapters::NlohmannJsonAdapter adapter(doc);
        parser.populateSchema(adapter, *parsed);
        return parsed;
    }();
    return *schema;
}

// valijson 1.0's nlohmann adapter reads integers through int64_t, so one
// above INT64_MAX wraps negative (2^64-1 reads as -1 and passes int32's
// bounds). Every bound in the schema is far below INT64_MAX, so INT64_MAX
// has the verdict such a number should have.
json clamp_unsigned(json v) {
    constexpr uint64_t int64_max = std::numeric_limits<int64_t>::max();
    if (v.is_number_unsigned() && v.get<uint64_t>() > int64_max) return int64_max;
    if (v.is_structured())
        for (auto& child : v) child = clamp_unsigned(std::move(child));
    return v;
}

bool valijson_accepts(const json& doc) {
    json clamped = clamp_unsigned(doc);
    valijson::Validator validator;
    valijson::adapters::NlohmannJsonAdapter target(clamped);
    return validator.validate(reference_schema(), target, nullptr);
}

// The one rule rrun adds to the schema (validate.cpp): a string the schema
// describes must not hold a NUL, which would cut it short as a C string;
// nor may the key of a map whose values the schema describes.
bool schema_string_with_nul(const json& schema, const json& node, const json& doc) {
    if (auto ref = node.find("$ref"); ref != node.end())
        return schema_string_with_nul(schema, schema[json::json_pointer(ref->get<std::string>().substr(1))], doc);
    if (doc.is_string()) return doc.get_ref<const std::string&>().find('\0') != std::string::npos;
    if (auto items = node.find("items"); items != node.end() && doc.is_array())
        for (auto& element : doc)
            if (schema_string_with_nul(schema, *items, element)) return true;
    if (!doc.is_object()) return false;
    auto props = node.find("properties");
    auto extra = node.find("additionalProperties");
    for (auto& [name, value] : doc.items()) {
        if (props != node.end() && props->contains(name)) {
            if (schema_string_with_nul(schema, (*props)[name], value)) return true;
        } else if (extra != node.end() && extra->is_object() &&
                   (name.find('\0') != std::string::npos || schema_string_with_nul(schema, *extra, value))) {
            return true;  // a map's keys are C strings too (sysctl names, cgroup files)
        }
    }
    return false;
}

bool reference_accepts(const json& doc) {
    static const json schema = read_json(RRUN_SCHEMA_JSON);
    return valijson_accepts(doc) && !schema_string_with_nul(schema, schema, doc);
}

struct Verdict {
    bool valid;
    std::string message;  // ours, when invalid
};

Verdict rrun_verdict(const json& doc) {
    try {
        rrun::validate_config(doc, "config.json");
        return {true, ""};
    } catch (const rrun::Error& e) {
        return {false, e.what()};
    }
}

class Differential {
public:
    size_t cases = 0, valid = 0, disagreements = 0;

    void compare(const json& doc, const std::string& what) {
        cases++;
        bool reference = reference_accepts(doc);
        Verdict ours = rrun_verdict(doc);
        valid += reference;
        if (ours.valid == reference) return;
        // The first ones in full; the count says how many there were.
        if (++disagreements <= 40)
            FAIL_CHECK(what << ": valijson (with the NUL rule) says " << (reference ? "valid" : "invalid") << ", rrun says "
                            << (ours.valid ? "valid" : "invalid: " + ours.message) << "\n  document: "
                            << doc.dump().substr(0, 400));
    }
};

// Sets every property config.schema.json names, with valid values; arrays
// hold one element so that each element schema is mutated once.
json complete_config() {
    return json::parse(R"({
        "ociVersion": "1.2.0",
        "root": {"path": "rootfs", "readonly": true},
        "mounts": [{"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "idmap"],
                    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                    "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}],
        "process": {
            "terminal": false,
            "consoleSize": {"height": 24, "width": 80},
            "cwd": "/",
            "env": ["PATH=/bin"],
            "args": ["sh"],
            "commandLine": "sh",
            "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 18446744073709551615}],
            "apparmorProfile": "unconfined",
            "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "inheritable": ["CAP_KILL"],
                             "permitted": ["CAP_KILL"], "ambient": ["CAP_KILL"]},
            "noNewPrivileges": true,
            "oomScoreAdj": -1000,
            "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 0, "flags": ["SCHED_FLAG_RECLAIM"],
                          "runtime": 1000, "deadline": 2000, "period": 3000},
            "selinuxLabel": "system_u:system_r:container_t:s0",
            "ioPriority": {"class": "IOPRIO_CLASS_RT", "priority": 7},
            "execCPUAffinity": {"initial": "0", "final": "0-1"},
            "user": {"uid": 4294967295, "gid": 0, "umask": 18, "additionalGids": [5], "username": "root"}
        },
        "hostname": "h",
        "domainname": "d",
        "hooks": {
            "prestart": [{"path": "/bin/true", "args": ["true"], "env": ["A=1"], "timeout": 1}],
            "createRuntime": [{"path": "/bin/true"}],
            "createContainer": [{"path": "/bin/true"}],
            "startContainer": [{"path": "/bin/true"}],
            "poststart": [{"path": "/bin/true"}],
            "poststop": [{"path": "/bin/true"}]
        },
        "annotations": {"org.example": "v"},
        "linux": {
            "namespaces": [{"type": "network", "path": "/run/netns/n"}],
            "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
            "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
            "timeOffsets": {"monotonic": {"secs": -10, "nanosecs": 5}, "boottime": {"secs": 10, "nanosecs": 0}},
            "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0}],
            "netDevices": {"eth0": {"name": "ctr0"}},
            "cgroupsPath": "/rrun/x",
            "resources": {
                "devices": [{"allow": true, "type": "c", "major": 1, "minor": -1, "access": "rwm"}],
                "memory": {"limit": 100000000, "reservation": 1, "swap": -1, "kernel": 1, "kernelTCP": 1,
                           "swappiness": 60, "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true},
                "cpu": {"shares": 512, "quota": -1, "burst": 0, "period": 100000, "realtimeRuntime": 0,
                        "realtimePeriod": 0, "cpus": "0-1", "mems": "0", "idle": 0},
                "blockIO": {"weight": 500, "leafWeight": 65535,
                            "weightDevice": [{"major": 8, "minor": 0, "weight": 10, "leafWeight": 10}],
                            "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1}],
                            "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 1}],
                            "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 1}],
                            "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 1}]},
                "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
                "network": {"classID": 1, "priorities": [{"name": "eth0", "priority": 2}]},
                "pids": {"limit": -1},
                "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
                "unified": {"memory.high": "max"}
            },
            "intelRdt": {"closID": "c", "l3CacheSchema": "L3:0=f", "memBwSchema": "MB:0=50", "schemata": ["L3:0=f"],
                         "enableMonitoring": true},
            "memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "0-3,7", "flags": ["MPOL_F_STATIC_NODES"]},
            "sysctl": {"net.ipv4.ip_forward": "1"},
            "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"],
                        "flags": ["SECCOMP_FILTER_FLAG_LOG"], "listenerPath": "/run/l.sock", "listenerMetadata": "m",
                        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1,
                                      "args": [{"index": 0, "value": 1, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}]},
            "rootfsPropagation": "rslave",
            "maskedPaths": ["/proc/kcore"],
            "readonlyPaths": ["/proc/sys"],
            "mountLabel": "system_u:object_r:container_file_t:s0",
            "personality": {"domain": "LINUX32", "flags": []}
        },
        "solaris": {}, "windows": {}, "vm": {}, "zos": {}
    })");
}

// Records the properties the schema names (by their place in the schema,
// through $ref and items) that DOC sets, and those it leaves out:
// complete_config must set each at least once, or mutations miss a part of
// the schema.
struct Coverage {
    const json& schema;
    std::set<std::string> set, unset;

    void walk(const json& node, const std::string& where, const json& doc) {
        if (auto ref = node.find("$ref"); ref != node.end()) {
            std::string target = ref->get<std::string>();
            return walk(schema[json::json_pointer(target.substr(1))], target, doc);
        }
        if (auto props = node.find("properties"); props != node.end() && doc.is_object())
            for (auto& [name, sub] : props->items()) {
                std::string at = where + "/properties/" + name;
                if (!doc.contains(name)) {
                    unset.insert(at);
                    continue;
                }
                set.insert(at);
                walk(sub, at, doc[name]);
            }
        if (auto items = node.find("items"); items != node.end() && doc.is_array())
            for (auto& element : doc) walk(*items, where + "/items", element);
        if (auto extra = node.find("additionalProperties"); extra != node.end() && extra->is_object() && doc.is_object())
            for (auto& [name, value] : doc.items()) walk(*extra, where + "/additionalProperties", value);
    }

    std::vector<std::string> missing() const {
        std::vector<std::string> out;
        for (auto& at : unset)
            if (!set.count(at)) out.push_back(at);
        return out;
    }
};

// A value of every JSON type, put at every path.
const std::vector<json>& any_type_values() {
    static const std::vector<json> values = {nullptr, true, false, 0, -1, 1.5, 2.0, "", "x", "\u00e9",
                                             std::string(1, '\0'), json::array(), json::array({"x"}), json::array({1}),
                                             json::object(), json::object({{"x", 1}})};
    return values;
}

// Numbers at and around the schema's bounds (uint16, int32, uint32,
// oomScoreAdj, hook timeout, 64 bits), put where a number is.
const std::vector<json>& boundary_numbers() {
    static const std::vector<json> values = [] {
        std::vector<json> v;
        for (int64_t i : std::initializer_list<int64_t>{
                 1, 65535, 65536, 1000, 1001, -1000, -1001, 2147483647, 2147483648, -2147483648LL, -2147483649LL,
                 4294967295, 4294967296, int64_t{1} << 40, -(int64_t{1} << 40), std::numeric_limits<int64_t>::max(),
                 std::numeric_limits<int64_t>::min()})
            v.push_back(i);
        v.push_back(uint64_t{1} << 63);
        v.push_back(std::numeric_limits<uint64_t>::max());
        v.push_back(-0.5);
        v.push_back(4294967295.0);
        return v;
    }();
    return values;
}

// String edits that probe patterns (anchors, classes) and minLength.
std::vector<std::string> string_edits(const std::string& s) {
    std::string lower = s;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::vector<std::string> out = {s + "x", "x" + s, s + "_", "_" + s, s + "\n", s + '\0' + "x", lower};
    for (const char* c : {"@", "A", "Z", "[", "]", "-", "^", "$"}) out.push_back(s + c);  // around [A-Z], class syntax
    if (!s.empty()) out.push_back(s.substr(0, s.size() - 1));
    for (size_t cut = s.find('_'); cut != std::string::npos; cut = s.find('_', cut + 1)) out.push_back(s.substr(0, cut + 1));
    return out;
}

// Every mutation of the value at each JSON path of BASE (the first element
// of an array only), one at a time.
void mutate(const json& base, const std::string& name, Differential& diff) {
    std::vector<json::json_pointer> paths = {json::json_pointer("")};
    std::function<void(const json&, const json::json_pointer&)> walk = [&](const json& v, const json::json_pointer& at) {
        if (v.is_object())
            for (auto& [key, child] : v.items()) {
                paths.push_back(at / key);
                walk(child, at / key);
            }
        if (v.is_array() && !v.empty()) {  // the others have the same schema
            paths.push_back(at / 0);
            walk(v[0], at / 0);
        }
    };
    walk(base, json::json_pointer(""));
    auto with = [&](const json::json_pointer& at, const std::function<void(json&)>& edit, const std::string& what) {
        json doc = base;
        edit(doc[at]);
        diff.compare(doc, name + " " + (at.empty() ? "/" : at.to_string()) + ": " + what);
    };
    for (auto& at : paths) {
        const json& original = base[at];
        for (auto& v : any_type_values()) with(at, [&](json& x) { x = v; }, "= " + v.dump());
        if (original.is_number())
            for (auto& v : boundary_numbers()) with(at, [&](json& x) { x = v; }, "= " + v.dump());
        if (original.is_string())
            for (auto& s : string_edits(original.get<std::string>())) with(at, [&](json& x) { x = s; }, "= " + json(s).dump());
        if (original.is_object()) {
            for (auto& [key, value] : original.items())
                with(at, [&, key = key](json& x) { x.erase(key); }, "delete " + key);
            for (json extra : {json(nullptr), json("x"), json(1), json::object()})
                with(at, [&](json& x) { x["rrunUnknown"] = extra; }, "add rrunUnknown: " + extra.dump());
            // A key of digits, as in the error paths' "[0]".
            with(at, [&](json& x) { x["0"] = 1; }, "add \"0\": 1");
        }
        if (original.is_array()) {
            with(at, [&](json& x) { x = json::array(); }, "empty");
            with(at, [&](json& x) { x.push_back(nullptr); }, "append null");
            if (!original.empty()) with(at, [&](json& x) { x.push_back(json(x[0])); }, "append a copy of [0]");
        }
    }
}

std::string spec_output(bool rootless) {
    char dir[] = "/tmp/rrun-spec-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    rrun::cli::Args args;
    args.values["bundle"] = {dir};
    if (rootless) args.values["rootless"] = {"true"};
    rrun::cli::cmd_spec(rrun::RuntimeContext{}, args);
    std::ifstream in(std::string(dir) + "/config.json");
    std::stringstream text;
    text << in.rdbuf();
    fs::remove_all(dir);
    return text.str();
}

}  // namespace

TEST_CASE("the compiled schema checker agrees with valijson", "[schema]") {
    Differential diff;

    SECTION("complete_config sets every property of the schema") {
        json schema = read_json(RRUN_SCHEMA_JSON);
        Coverage coverage{schema, {}, {}};
        coverage.walk(schema, "#", complete_config());
        INFO("not in complete_config: " << Catch::Detail::stringify(coverage.missing()));
        CHECK(coverage.missing().empty());
        CHECK(coverage.set.size() > 150);
    }

    SECTION("the fuzz seeds") {
        fs::path corpus = RRUN_FUZZ_CORPUS;
        if (!fs::is_directory(corpus)) {
            WARN("no seed directory " << corpus << ": skipped");
            return;
        }
        for (auto& entry : fs::recursive_directory_iterator(corpus)) {
            if (!entry.is_regular_file()) continue;
            std::ifstream in(entry.path());
            json doc = json::parse(in, nullptr, false);
            if (doc.is_discarded()) continue;  // a seed need not be JSON; parse_spec rejects those before validation
            diff.compare(doc, entry.path().string());
        }
        CHECK(diff.cases > 0);
    }

    SECTION("rrun spec and spec --rootless") {
        diff.compare(json::parse(spec_output(false)), "spec");
        diff.compare(json::parse(spec_output(true)), "spec --rootless");
    }

    SECTION("mutations of a config with every property") {
        json base = complete_config();
        diff.compare(base, "complete_config");
        mutate(base, "complete_config", diff);
        // Both verdicts occur often, or the comparison says little.
        CHECK(diff.valid > diff.cases / 10);
        CHECK(diff.cases - diff.valid > diff.cases / 10);
    }

    CAPTURE(diff.cases, diff.valid);
    CHECK(diff.disagreements == 0);
}
