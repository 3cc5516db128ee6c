// config.json parsing: schema validation, the typed model, mount options.
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "rootfs.hpp"
#include "spec.hpp"
#include "schema/schema.hpp"
#include "validate.hpp"

using nlohmann::json;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

namespace {

const std::string kBundle = "/srv/bundle";
const std::string kSource = "/srv/bundle/config.json";

// A small but complete config: every field the tests below change is present.
json minimal_config() {
    return json::parse(R"({
        "ociVersion": "1.2.0",
        "root": {"path": "rootfs", "readonly": true},
        "process": {
            "terminal": false,
            "consoleSize": {"height": 25, "width": 80},
            "args": ["/bin/sh", "-c", "echo hi"],
            "cwd": "/work",
            "env": ["PATH=/usr/bin:/bin", "HOME=/root"],
            "user": {"uid": 1000, "gid": 100, "umask": 18, "additionalGids": [5, 27]},
            "capabilities": {
                "bounding": ["CAP_KILL", "CAP_SYS_ADMIN"],
                "effective": ["CAP_KILL"],
                "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
                "ambient": []
            },
            "rlimits": [
                {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096},
                {"type": "RLIMIT_CORE", "soft": 0, "hard": 18446744073709551615}
            ],
            "noNewPrivileges": true,
            "oomScoreAdj": 100
        },
        "hostname": "box",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro"]}
        ],
        "annotations": {"org.example.key": "value"},
        "linux": {
            "namespaces": [
                {"type": "pid"},
                {"type": "mount"},
                {"type": "network", "path": "/var/run/netns/blue"}
            ],
            "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
            "sysctl": {"net.ipv4.ip_forward": "1"},
            "rootfsPropagation": "rslave",
            "maskedPaths": ["/proc/kcore"],
            "readonlyPaths": ["/proc/sys"]
        }
    })");
}

rrun::Spec parse(const json& doc, const std::string& source = kSource) {
    return rrun::parse_spec(doc.dump(), kBundle, source);
}

// The message of the rrun::Error that parsing DOC throws.
std::string parse_error(const json& doc, const std::string& source = kSource) {
    try {
        parse(doc, source);
    } catch (const rrun::Error& e) {
        return e.what();
    }
    FAIL("parse_spec accepted a config that should have been rejected: " << doc.dump());
    return {};
}

uint64_t bit(int cap) { return 1ULL << cap; }

// `runc spec` (runc 1.1.5) output, verbatim.
const char* const kRuncSpec = R"({
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {"uid": 0, "gid": 0},
		"args": ["sh"],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
		},
		"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
		"noNewPrivileges": true
	},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "runc",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts",
		 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
		{"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		 "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
		{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
		 "options": ["nosuid", "noexec", "nodev"]},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs",
		 "options": ["nosuid", "noexec", "nodev", "ro"]},
		{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
		 "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
	],
	"linux": {
		"resources": {"devices": [{"allow": false, "access": "rwm"}]},
		"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
		"maskedPaths": [
			"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
			"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
		],
		"readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
	}
})";

}  // namespace

TEST_CASE("parse_spec fills the typed model from a valid config", "[spec]") {
    rrun::Spec s = parse(minimal_config());

    CHECK(s.oci_version == "1.2.0");
    CHECK(s.root_path == "/srv/bundle/rootfs");
    CHECK(s.root_readonly);
    CHECK(s.hostname == "box");
    CHECK(s.annotations == std::map<std::string, std::string>{{"org.example.key", "value"}});

    REQUIRE(s.process);
    const rrun::Process& p = *s.process;
    CHECK_FALSE(p.terminal);
    CHECK(p.console_height == 25);
    CHECK(p.console_width == 80);
    CHECK(p.args == std::vector<std::string>{"/bin/sh", "-c", "echo hi"});
    CHECK(p.cwd == "/work");
    CHECK(p.env == std::vector<std::string>{"PATH=/usr/bin:/bin", "HOME=/root"});
    CHECK(p.user.uid == 1000);
    CHECK(p.user.gid == 100);
    REQUIRE(p.user.umask);
    CHECK(*p.user.umask == 18);
    CHECK(p.user.additional_gids == std::vector<uint32_t>{5, 27});
    CHECK(p.no_new_privileges);
    REQUIRE(p.oom_score_adj);
    CHECK(*p.oom_score_adj == 100);

    REQUIRE(p.capabilities);
    CHECK(p.capabilities->bounding == (bit(CAP_KILL) | bit(CAP_SYS_ADMIN)));
    CHECK(p.capabilities->effective == bit(CAP_KILL));
    CHECK(p.capabilities->permitted == (bit(CAP_KILL) | bit(CAP_NET_BIND_SERVICE)));
    CHECK(p.capabilities->inheritable == 0);
    CHECK(p.capabilities->ambient == 0);

    REQUIRE(p.rlimits.size() == 2);
    CHECK(p.rlimits[0].resource == RLIMIT_NOFILE);
    CHECK(p.rlimits[0].name == "RLIMIT_NOFILE");
    CHECK(p.rlimits[0].soft == 1024);
    CHECK(p.rlimits[0].hard == 4096);
    CHECK(p.rlimits[1].resource == RLIMIT_CORE);
    CHECK(p.rlimits[1].soft == 0);
    // RLIM_INFINITY as written by runc: does not fit int64, must survive the schema.
    CHECK(p.rlimits[1].hard == 18446744073709551615ULL);

    REQUIRE(s.mounts.size() == 2);
    CHECK(s.mounts[0].destination == "/proc");
    CHECK(s.mounts[0].type == "proc");
    CHECK(s.mounts[0].source == "proc");
    CHECK(s.mounts[0].options.empty());
    CHECK(s.mounts[1].destination == "/data");
    CHECK(s.mounts[1].type == "bind");
    CHECK(s.mounts[1].source == "/srv/data");
    CHECK(s.mounts[1].options == std::vector<std::string>{"rbind", "ro"});

    REQUIRE(s.linux);
    const rrun::Linux& l = *s.linux;
    REQUIRE(l.namespaces.size() == 3);
    CHECK(l.namespaces[0].type == rrun::NamespaceType::pid);
    CHECK(l.namespaces[0].path.empty());
    CHECK(l.namespaces[1].type == rrun::NamespaceType::mount);
    CHECK(l.namespaces[2].type == rrun::NamespaceType::network);
    CHECK(l.namespaces[2].path == "/var/run/netns/blue");
    REQUIRE(l.find_namespace(rrun::NamespaceType::network) != nullptr);
    CHECK(l.find_namespace(rrun::NamespaceType::network)->path == "/var/run/netns/blue");
    CHECK(l.find_namespace(rrun::NamespaceType::user) == nullptr);
    REQUIRE(l.uid_mappings.size() == 1);
    CHECK(l.uid_mappings[0].container_id == 0);
    CHECK(l.uid_mappings[0].host_id == 100000);
    CHECK(l.uid_mappings[0].size == 65536);
    CHECK(l.gid_mappings.empty());
    CHECK(l.sysctl == std::map<std::string, std::string>{{"net.ipv4.ip_forward", "1"}});
    CHECK(l.rootfs_propagation == "rslave");
    CHECK(l.masked_paths == std::vector<std::string>{"/proc/kcore"});
    CHECK(l.readonly_paths == std::vector<std::string>{"/proc/sys"});
}

TEST_CASE("root.path is resolved against the bundle", "[spec]") {
    json doc = minimal_config();
    SECTION("relative path with dot segments is cleaned") {
        doc["root"]["path"] = "./images/../rootfs/";
        CHECK(parse(doc).root_path == "/srv/bundle/rootfs");
    }
    SECTION("absolute path is kept, not joined to the bundle") {
        doc["root"]["path"] = "/var/lib/rootfs";
        CHECK(parse(doc).root_path == "/var/lib/rootfs");
    }
}

TEST_CASE("a relative mount destination is relative to \"/\" (deprecated, runtime-spec config.md)", "[spec]") {
    json doc = minimal_config();
    doc["mounts"][1]["destination"] = "data/sub";
    CHECK(parse(doc).mounts[1].destination == "/data/sub");
    doc["mounts"][1]["destination"] = "../x";
    CHECK(parse(doc).mounts[1].destination == "/../x");  // resolved inside the rootfs when mounted
}

TEST_CASE("a pids limit of 0 is a limit from runtime-spec 1.3.0 on, and no limit before", "[spec]") {
    json doc = minimal_config();
    doc["linux"]["resources"] = {{"pids", {{"limit", 0}}}};
    auto limit = [&](const char* version) {
        doc["ociVersion"] = version;
        return (*parse(doc).raw)["linux"]["resources"]["pids"].value("limit", json());
    };
    CHECK(limit("1.3.0") == 0);
    CHECK(limit("1.4.0-rc.1") == 0);
    CHECK(limit("1.2.1").is_null());
    CHECK(limit("1.0.2-dev").is_null());
    doc["linux"]["resources"]["pids"]["limit"] = 5;
    CHECK(limit("1.2.0") == 5);
}

TEST_CASE("optional sections may be absent", "[spec]") {
    json doc = {{"ociVersion", "1.0.0"}};
    rrun::Spec s = parse(doc);
    CHECK(s.oci_version == "1.0.0");
    CHECK_FALSE(s.process);
    CHECK_FALSE(s.linux);
    CHECK(s.mounts.empty());
    CHECK(s.root_path.empty());
}

TEST_CASE("a runc spec config is accepted", "[spec]") {
    rrun::Spec s = rrun::parse_spec(kRuncSpec, "/b", "/b/config.json");
    CHECK(s.oci_version == "1.0.2-dev");
    CHECK(s.root_path == "/b/rootfs");
    CHECK(s.root_readonly);
    CHECK(s.hostname == "runc");
    REQUIRE(s.process);
    CHECK(s.process->terminal);
    CHECK(s.process->args == std::vector<std::string>{"sh"});
    uint64_t caps = bit(CAP_AUDIT_WRITE) | bit(CAP_KILL) | bit(CAP_NET_BIND_SERVICE);
    REQUIRE(s.process->capabilities);
    CHECK(s.process->capabilities->bounding == caps);
    CHECK(s.process->capabilities->ambient == caps);
    REQUIRE(s.process->rlimits.size() == 1);
    CHECK(s.process->rlimits[0].resource == RLIMIT_NOFILE);
    REQUIRE(s.mounts.size() == 7);
    CHECK(s.mounts[2].destination == "/dev/pts");
    CHECK(s.mounts[2].options.back() == "gid=5");
    REQUIRE(s.linux);
    CHECK(s.linux->namespaces.size() == 5);
    CHECK(s.linux->find_namespace(rrun::NamespaceType::uts) != nullptr);
    CHECK(s.linux->masked_paths.size() == 10);
    CHECK(s.linux->readonly_paths.size() == 5);

    SECTION("and its rootless variant with id mappings") {
        json doc = json::parse(kRuncSpec);
        doc["linux"].erase("resources");
        doc["linux"]["namespaces"] = json::parse(R"([{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"user"}])");
        doc["linux"]["uidMappings"] = json::parse(R"([{"containerID": 0, "hostID": 1000, "size": 1}])");
        doc["linux"]["gidMappings"] = json::parse(R"([{"containerID": 0, "hostID": 1001, "size": 1}])");
        rrun::Spec r = parse(doc);
        REQUIRE(r.linux);
        CHECK(r.linux->find_namespace(rrun::NamespaceType::user) != nullptr);
        CHECK(r.linux->find_namespace(rrun::NamespaceType::network) == nullptr);
        REQUIRE(r.linux->gid_mappings.size() == 1);
        CHECK(r.linux->gid_mappings[0].host_id == 1001);
    }
}

TEST_CASE("unknown fields are accepted everywhere", "[spec]") {
    json doc = minimal_config();
    doc["x-top"] = {{"anything", 1}};
    doc["root"]["x-root"] = true;
    doc["process"]["x-process"] = "yes";
    doc["process"]["user"]["x-user"] = 7;
    doc["process"]["capabilities"]["x-caps"] = json::array({"CAP_NOT_CHECKED"});
    doc["process"]["rlimits"][0]["x-rlimit"] = nullptr;
    doc["mounts"][0]["x-mount"] = {1, 2, 3};
    doc["linux"]["x-linux"] = "future";
    doc["linux"]["namespaces"][0]["x-ns"] = 0;
    doc["hooks"] = {{"x-hook-kind", json::array()}};
    rrun::Spec s = parse(doc);
    REQUIRE(s.process);
    CHECK(s.process->args.size() == 3);
    CHECK(s.mounts.size() == 2);
}

TEST_CASE("parse_spec error messages name the source and the field", "[spec]") {
    json doc = minimal_config();

    SECTION("broken JSON") {
        std::string text = doc.dump();
        text.resize(text.size() / 2);
        try {
            rrun::parse_spec(text, kBundle, "my/config.json");
            FAIL("truncated JSON was accepted");
        } catch (const rrun::Error& e) {
            CHECK_THAT(e.what(), StartsWith("my/config.json: "));
            CHECK_THAT(e.what(), Contains("invalid JSON"));
        }
        REQUIRE_THROWS_WITH(rrun::parse_spec("", kBundle, "empty.json"),
                            StartsWith("empty.json: invalid JSON"));
    }
    SECTION("top level is not an object") {
        REQUIRE_THROWS_WITH(rrun::parse_spec("[1, 2]", kBundle, "c.json"), "c.json: must be a JSON object");
    }
    SECTION("ociVersion missing") {
        doc.erase("ociVersion");
        CHECK_THAT(parse_error(doc), StartsWith(kSource + ": ") && Contains("ociVersion"));
    }
    SECTION("process.args empty") {
        doc["process"]["args"] = json::array();
        CHECK(parse_error(doc, "cfg.json") == "cfg.json: process.args: must be a non-empty array");
    }
    SECTION("process.args absent") {
        doc["process"].erase("args");
        CHECK_THAT(parse_error(doc), Contains("process.args: must be a non-empty array"));
    }
    SECTION("process.args of the wrong type") {
        doc["process"]["args"] = "sh";
        CHECK(parse_error(doc, "cfg.json") == "cfg.json: process.args: wrong type");
    }
    SECTION("process.cwd missing") {
        doc["process"].erase("cwd");
        std::string msg = parse_error(doc, "cfg.json");
        CHECK_THAT(msg, StartsWith("cfg.json: process"));
        CHECK_THAT(msg, Contains("cwd"));
    }
    SECTION("process.cwd relative") {
        doc["process"]["cwd"] = "work";
        CHECK_THAT(parse_error(doc), Contains("process.cwd: must be an absolute path"));
    }
    SECTION("unknown namespace type") {
        doc["linux"]["namespaces"][0]["type"] = "bogus";
        std::string msg = parse_error(doc);
        CHECK_THAT(msg, StartsWith(kSource + ": "));
        CHECK_THAT(msg, Contains("linux.namespaces[0]"));
    }
    SECTION("duplicate namespace types") {
        doc["linux"]["namespaces"][2] = {{"type", "pid"}, {"path", "/proc/1/ns/pid"}};
        std::string msg = parse_error(doc);
        CHECK_THAT(msg, Contains("linux.namespaces[2].type"));
        CHECK_THAT(msg, Contains("duplicate"));
        CHECK_THAT(msg, Contains("pid"));
    }
    SECTION("uid of -1") {
        doc["process"]["user"]["uid"] = -1;
        std::string msg = parse_error(doc);
        CHECK_THAT(msg, StartsWith(kSource + ": "));
        CHECK_THAT(msg, Contains("process.user.uid"));
    }
    SECTION("uid above uint32") {
        doc["process"]["user"]["uid"] = 4294967296LL;
        CHECK_THAT(parse_error(doc), Contains("process.user.uid"));
    }
    SECTION("unknown rlimit type") {
        doc["process"]["rlimits"][0]["type"] = "RLIMIT_BOGUS";
        std::string msg = parse_error(doc);
        CHECK_THAT(msg, Contains("process.rlimits[0].type"));
        CHECK_THAT(msg, Contains("RLIMIT_BOGUS"));
    }
    SECTION("rlimit type that is not RLIMIT_*") {
        doc["process"]["rlimits"][1]["type"] = "nofile";
        CHECK_THAT(parse_error(doc), Contains("process.rlimits[1].type"));
    }
    SECTION("duplicate rlimit type") {
        doc["process"]["rlimits"][1]["type"] = "RLIMIT_NOFILE";
        CHECK_THAT(parse_error(doc), Contains("process.rlimits[1].type") && Contains("duplicate"));
    }
    SECTION("negative rlimit") {
        doc["process"]["rlimits"][0]["soft"] = -1;
        std::string msg = parse_error(doc);
        CHECK_THAT(msg, Contains("process.rlimits[0]"));
        CHECK_THAT(msg, Contains("unsigned"));
    }
    SECTION("soft rlimit above hard") {
        doc["process"]["rlimits"][0]["soft"] = 8192;
        CHECK_THAT(parse_error(doc), Contains("process.rlimits[0]") && Contains("soft limit exceeds hard limit"));
    }
    SECTION("unknown capability") {
        doc["process"]["capabilities"]["bounding"].push_back("CAP_BOGUS");
        std::string msg = parse_error(doc);
        CHECK_THAT(msg, Contains("process.capabilities.bounding"));
        CHECK_THAT(msg, Contains("CAP_BOGUS"));
    }
    SECTION("capability without the CAP_ prefix") {
        doc["process"]["capabilities"]["effective"] = {"kill"};
        CHECK_THAT(parse_error(doc), Contains("process.capabilities.effective"));
    }
    SECTION("empty mount destination") {
        doc["mounts"][1]["destination"] = "";
        CHECK_THAT(parse_error(doc), Contains("mounts[1].destination: must not be empty"));
    }
    SECTION("mount without destination") {
        doc["mounts"][0].erase("destination");
        CHECK_THAT(parse_error(doc), StartsWith(kSource + ": mounts[0]") && Contains("destination"));
    }
    SECTION("root without path") {
        doc["root"].erase("path");
        CHECK_THAT(parse_error(doc), StartsWith(kSource + ": root") && Contains("path"));
    }
}

TEST_CASE("the compiled schema: each keyword's message and path", "[spec]") {
    json doc = minimal_config();
    auto error_of = [](const json& d) {
        try {
            rrun::validate_config(d, "c.json");
        } catch (const rrun::Error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(error_of(doc) == "accepted");
    SECTION("type") {
        doc["process"]["terminal"] = "yes";
        CHECK(error_of(doc) == "c.json: process.terminal: wrong type");
        doc["process"]["terminal"] = false;
        doc["process"]["user"]["uid"] = 1.5;  // integer means integer
        CHECK(error_of(doc) == "c.json: process.user.uid: wrong type");
    }
    SECTION("required, named at the object") {
        doc["process"]["user"].erase("gid");
        CHECK(error_of(doc) == "c.json: process.user: missing required property \"gid\"");
    }
    SECTION("enum") {
        doc["linux"]["namespaces"][1]["type"] = "bogus";
        CHECK(error_of(doc) == "c.json: linux.namespaces[1].type: value is not one of the allowed values");
        doc["linux"]["namespaces"][1]["type"] = 7;
        CHECK(error_of(doc) == "c.json: linux.namespaces[1].type: value is not one of the allowed values");
    }
    SECTION("minimum and maximum, also beyond int64") {
        doc["process"]["oomScoreAdj"] = 1001;
        CHECK(error_of(doc) == "c.json: process.oomScoreAdj: value out of range");
        doc["process"]["oomScoreAdj"] = -1000;
        CHECK(error_of(doc) == "accepted");
        doc["process"]["user"]["uid"] = 18446744073709551615ULL;
        CHECK(error_of(doc) == "c.json: process.user.uid: value out of range");
        doc["process"]["user"]["uid"] = 4294967295ULL;
        CHECK(error_of(doc) == "accepted");
    }
    SECTION("minLength and pattern") {
        doc["ociVersion"] = "";
        CHECK(error_of(doc) == "c.json: ociVersion: must not be empty");
        doc["ociVersion"] = "1.2.0";
        doc["process"]["rlimits"][0]["type"] = "nofile";
        CHECK(error_of(doc) == "c.json: process.rlimits[0].type: does not match the pattern ^RLIMIT_[A-Z]+$");
        doc["process"]["rlimits"][0]["type"] = "RLIMIT_NOFILE";
        doc["linux"]["resources"]["devices"] = {{{"allow", false}, {"access", "rwx"}}};
        CHECK(error_of(doc) == "c.json: linux.resources.devices[0].access: does not match the pattern ^[rwm]*$");
        doc["linux"]["resources"]["devices"][0]["access"] = "";
        CHECK(error_of(doc) == "accepted");
    }
    SECTION("additionalProperties: every value of a map") {
        doc["annotations"] = {{"a", "1"}, {"b", 2}};
        CHECK(error_of(doc) == "c.json: annotations.b: wrong type");
        doc["annotations"] = {{"a", "1"}, {"12", 2}};
        CHECK(error_of(doc) == "c.json: annotations[12]: wrong type");
    }
    SECTION("the deepest problem is the one named") {
        doc["process"].erase("cwd");
        doc["process"]["args"] = "sh";
        CHECK(error_of(doc) == "c.json: process.args: wrong type");
    }
    SECTION("unknown properties are accepted everywhere") {
        doc["x-top"] = {1, 2};
        doc["process"]["x-extra"] = nullptr;
        CHECK(error_of(doc) == "accepted");
    }
}

TEST_CASE("schema patterns: the subset config.schema.json uses", "[spec]") {
    using rrun::schema::pattern_matches;
    using rrun::schema::pattern_supported;
    CHECK(pattern_matches("^RLIMIT_[A-Z]+$", "RLIMIT_NOFILE"));
    CHECK_FALSE(pattern_matches("^RLIMIT_[A-Z]+$", "RLIMIT_"));
    CHECK_FALSE(pattern_matches("^RLIMIT_[A-Z]+$", "RLIMIT_NOFILE "));
    CHECK(pattern_matches("^SCMP_ARCH_", "SCMP_ARCH_X86_64"));
    CHECK_FALSE(pattern_matches("^SCMP_ARCH_", "X_SCMP_ARCH_"));
    CHECK(pattern_matches("^[rwm]*$", ""));
    CHECK(pattern_matches("^[rwm]*$", "rwm"));
    CHECK_FALSE(pattern_matches("^[rwm]*$", "rwx"));
    CHECK(pattern_matches("b+c?$", "aabbb"));   // unanchored start: a search
    CHECK(pattern_matches("[^0-9]\\.x", "a.x"));
    CHECK_FALSE(pattern_matches("[^0-9]\\.x", "1.x"));
    CHECK(pattern_supported("^[a-z_-]+\\.[0-9]?$"));
    CHECK_FALSE(pattern_supported("^(a|b)$"));
    CHECK_FALSE(pattern_supported("a{2}"));
    CHECK_FALSE(pattern_supported("*a"));
    CHECK_FALSE(pattern_supported("[abc"));
    // runtime-spec 1.3's memBwSchema pattern: \n is a newline, in a class too.
    CHECK(pattern_matches("^MB:[^\\n]*$", "MB:0=50;1=70"));
    CHECK(pattern_matches("^MB:[^\\n]*$", "MB:0=n"));
    CHECK_FALSE(pattern_matches("^MB:[^\\n]*$", "MB:0=50\nL3:0=f"));
    CHECK_FALSE(pattern_matches("^MB:[^\\n]*$", "L3:0=f"));
    CHECK_FALSE(pattern_supported("^\\d+$"));  // would read as the letter d
}

TEST_CASE("runtime-spec 1.3: linux.memoryPolicy, netDevices, intelRdt", "[spec]") {
    json doc = minimal_config();
    doc["ociVersion"] = "1.3.0";
    SECTION("memoryPolicy: mode, nodes and flags for set_mempolicy") {
        doc["linux"]["memoryPolicy"] = {{"mode", "MPOL_INTERLEAVE"}, {"nodes", "0-2,7"}, {"flags", {"MPOL_F_STATIC_NODES"}}};
        auto mp = *parse(doc).linux->memory_policy;
        CHECK(mp.mode == (3 | 1 << 15));
        REQUIRE(!mp.nodemask.empty());
        CHECK(mp.nodemask[0] == 0x87UL);
        CHECK(mp.maxnode == 1025);  // one more than the mask's bits (the kernel's off-by-one)
        doc["linux"]["memoryPolicy"] = {{"mode", "MPOL_DEFAULT"}};
        mp = *parse(doc).linux->memory_policy;
        CHECK(mp.mode == 0);
        CHECK(mp.nodemask.empty());
        CHECK(mp.maxnode == 0);
        doc["linux"]["memoryPolicy"] = {{"mode", "MPOL_PREFERRED"}};  // no nodes: local allocation
        CHECK(parse(doc).linux->memory_policy->mode == 1);
        doc["linux"]["memoryPolicy"] = {{"mode", "MPOL_WEIGHTED_INTERLEAVE"}, {"nodes", "0"}};
        CHECK(parse(doc).linux->memory_policy->mode == 6);
    }
    SECTION("memoryPolicy: the errors name the field") {
        auto error = [&](json mp) {
            doc["linux"]["memoryPolicy"] = mp;
            return parse_error(doc);
        };
        CHECK_THAT(error({{"nodes", "0"}}), Contains("linux.memoryPolicy: missing required property \"mode\""));
        CHECK_THAT(error({{"mode", "MPOL_FAST"}}), Contains("linux.memoryPolicy.mode: value is not one of the allowed values"));
        CHECK_THAT(error({{"mode", "MPOL_BIND"}, {"nodes", "0"}, {"flags", {"MPOL_F_LAZY"}}}),
                   Contains("linux.memoryPolicy.flags[0]: value is not one of the allowed values"));
        CHECK_THAT(error({{"mode", "MPOL_BIND"}}), EndsWith("linux.memoryPolicy.nodes: MPOL_BIND needs at least one node"));
        CHECK_THAT(error({{"mode", "MPOL_INTERLEAVE"}, {"nodes", ""}}), EndsWith("MPOL_INTERLEAVE needs at least one node"));
        CHECK_THAT(error({{"mode", "MPOL_LOCAL"}, {"nodes", "0"}}), EndsWith("linux.memoryPolicy.nodes: MPOL_LOCAL takes no nodes"));
        CHECK_THAT(error({{"mode", "MPOL_DEFAULT"}, {"nodes", "1"}}), EndsWith("MPOL_DEFAULT takes no nodes"));
        CHECK_THAT(error({{"mode", "MPOL_BIND"}, {"nodes", "0-x"}}), EndsWith("linux.memoryPolicy.nodes: invalid node list \"0-x\""));
        CHECK_THAT(error({{"mode", "MPOL_BIND"}, {"nodes", "3-1"}}), EndsWith("invalid node range in \"3-1\""));
        CHECK_THAT(error({{"mode", "MPOL_BIND"}, {"nodes", "0,"}}), EndsWith("invalid node list \"0,\""));
        CHECK_THAT(error({{"mode", "MPOL_BIND"}, {"nodes", "1024"}}), EndsWith("linux.memoryPolicy.nodes: node 1024 out of range (at most 1023)"));
        CHECK_THAT(error({{"mode", "MPOL_BIND"}, {"nodes", "0"}, {"flags", {"MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"}}}),
                   EndsWith("MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other"));
        CHECK_THAT(error({{"mode", "MPOL_PREFERRED"}, {"flags", {"MPOL_F_STATIC_NODES"}}}), EndsWith("need nodes"));
    }
    SECTION("cpu and node lists share the spec's format") {
        CHECK(rrun::parse_number_list("0-3,7", "x", "cpu", 8) == std::vector<unsigned>{0, 1, 2, 3, 7});
        CHECK(rrun::parse_number_list("", "x", "cpu", 8).empty());
        CHECK_THROWS_WITH(rrun::parse_number_list("8", "process.execCPUAffinity.initial", "cpu", 8),
                          "process.execCPUAffinity.initial: cpu 8 out of range (at most 7)");
        CHECK_THROWS_WITH(rrun::parse_number_list("1,,2", "x", "cpu", 8), "x: invalid cpu list \"1,,2\"");
    }
    SECTION("netDevices: the key is the host's name, name the one inside") {
        doc["linux"]["netDevices"] = {{"eth1", json::object()}, {"veth7", {{"name", "ctr%d"}}}};
        rrun::Spec spec = parse(doc);
        auto& nd = spec.linux->net_devices;
        REQUIRE(nd.size() == 2);
        CHECK((nd[0].host_name == "eth1" && nd[0].name == "eth1"));
        CHECK((nd[1].host_name == "veth7" && nd[1].name == "ctr%d"));
        auto error = [&](json devs) {
            doc["linux"]["netDevices"] = devs;
            return parse_error(doc);
        };
        CHECK_THAT(error({{"eth1", {{"name", "a/b"}}}}), EndsWith("linux.netDevices[\"eth1\"].name: \"a/b\" is not a valid interface name (no '/', ':' or white space)"));
        CHECK_THAT(error({{"eth1", {{"name", "sixteen_chars_xx"}}}}), Contains("an interface name has 1 to 15 characters"));
        CHECK_THAT(error({{"eth1", {{"name", "e%dx"}}}}), EndsWith("'%' only in a trailing %d template"));
        CHECK_THAT(error({{"eth%d", json::object()}}), Contains("linux.netDevices[\"eth%d\"]"));
        CHECK_THAT(error({{"eth1", {{"name", "c0"}}}, {"eth2", {{"name", "c0"}}}}),
                   EndsWith("linux.netDevices[\"eth2\"].name: \"c0\" is also the name of linux.netDevices[\"eth1\"] in the container"));
        CHECK_THAT(error({{"eth1", {{"name", 3}}}}), Contains("linux.netDevices.eth1.name: wrong type"));
    }
    SECTION("intelRdt: schemata lines, enableMonitoring, closID") {
        doc["linux"]["intelRdt"] = {{"closID", "/"}, {"l3CacheSchema", "L3:0=f"}, {"schemata", {"L2:0=3", "MB:0=20"}}, {"enableMonitoring", true}};
        auto rdt = *parse(doc).linux->intel_rdt;
        CHECK(rdt.clos_id == "/");
        CHECK(*rdt.l3_cache_schema == "L3:0=f");
        CHECK_FALSE(rdt.mem_bw_schema);
        CHECK(rdt.schemata == std::vector<std::string>{"L2:0=3", "MB:0=20"});
        CHECK(rdt.enable_monitoring);
        auto error = [&](json r) {
            doc["linux"]["intelRdt"] = r;
            return parse_error(doc);
        };
        CHECK_THAT(error({{"memBwSchema", "L3:0=f"}}), Contains("linux.intelRdt.memBwSchema: does not match the pattern"));
        CHECK_THAT(error({{"schemata", "L3:0=f"}}), Contains("linux.intelRdt.schemata: wrong type"));
        CHECK_THAT(error({{"schemata", {"L3:0=f\nMB:0=1"}}}), EndsWith("linux.intelRdt.schemata[0]: must not contain a newline"));
        CHECK_THAT(error({{"l3CacheSchema", "L3:0=f\n"}}), EndsWith("linux.intelRdt.l3CacheSchema: must not contain a newline"));
        CHECK_THAT(error({{"closID", "../x"}}), Contains("linux.intelRdt.closID: must be a directory name"));
        CHECK_THAT(error({{"closID", ""}}), EndsWith("linux.intelRdt.closID: must not be empty"));
    }
}

TEST_CASE("name tables", "[spec]") {
    CHECK(rrun::rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE);
    CHECK(rrun::rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME);
    CHECK(rrun::rlimit_from_name("rlimit_nofile") == -1);
    CHECK(rrun::rlimit_from_name("RLIMIT_BOGUS") == -1);

    CHECK(rrun::capability_from_name("CAP_SYS_ADMIN") == CAP_SYS_ADMIN);
    CHECK(rrun::capability_from_name("CAP_CHOWN") == CAP_CHOWN);
    CHECK(rrun::capability_from_name("CAP_BOGUS") == -1);
    CHECK(rrun::capability_from_name("cap_sys_admin") == -1);
    CHECK(rrun::capability_from_name("21") == -1);

    for (const char* name : {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"}) {
        auto t = rrun::namespace_type_from_name(name);
        REQUIRE(t);
        CHECK(std::string(rrun::namespace_type_name(*t)) == name);
    }
    CHECK_FALSE(rrun::namespace_type_from_name("net"));
    CHECK_FALSE(rrun::namespace_type_from_name(""));
}

TEST_CASE("parse_mount_options", "[spec][mount]") {
    rrun::MountStep step;

    SECTION("flags") {
        rrun::parse_mount_options({"ro", "nosuid", "nodev", "noexec", "relatime"}, step);
        CHECK(step.flags == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME));
        CHECK(step.data.empty());
        CHECK(step.kind == rrun::MountKind::regular);
        CHECK(step.propagation == 0);
    }
    SECTION("a later clearing option wins") {
        rrun::parse_mount_options({"ro", "nosuid", "rw"}, step);
        CHECK((step.flags & MS_RDONLY) == 0);
        CHECK(step.flags == MS_NOSUID);
    }
    SECTION("a later setting option wins") {
        rrun::parse_mount_options({"rw", "noatime", "atime", "ro"}, step);
        CHECK(step.flags == MS_RDONLY);
    }
    SECTION("bind and rbind") {
        rrun::parse_mount_options({"bind"}, step);
        CHECK(step.kind == rrun::MountKind::bind);
        CHECK_FALSE(step.recursive);
        rrun::MountStep r;
        rrun::parse_mount_options({"rbind", "ro"}, r);
        CHECK(r.kind == rrun::MountKind::bind);
        CHECK(r.recursive);
        CHECK(r.flags == MS_RDONLY);
        CHECK(r.data.empty());
    }
    SECTION("propagation") {
        rrun::parse_mount_options({"rprivate"}, step);
        CHECK(step.propagation == (MS_PRIVATE | MS_REC));
        CHECK(step.flags == 0);
        rrun::MountStep s;
        rrun::parse_mount_options({"shared"}, s);
        CHECK(s.propagation == MS_SHARED);
    }
    SECTION("filesystem data keeps its order") {
        rrun::parse_mount_options({"nosuid", "mode=755", "strictatime", "size=65536k"}, step);
        CHECK(step.data == "mode=755,size=65536k");
        CHECK(step.flags == (MS_NOSUID | MS_STRICTATIME));
    }
    SECTION("idmap and ridmap mark the mount, never reach mount(2)") {
        rrun::parse_mount_options({"nosuid", "idmap"}, step);
        CHECK(step.idmap);
        CHECK(!step.idmap_recursive);
        CHECK(step.data.empty());
        rrun::MountStep s;
        rrun::parse_mount_options({"rbind", "ridmap"}, s);
        CHECK(s.idmap);
        CHECK(s.idmap_recursive);
        CHECK(s.data.empty());
    }
}

TEST_CASE("propagation_from_name", "[spec][mount]") {
    CHECK(rrun::propagation_from_name("private") == MS_PRIVATE);
    CHECK(rrun::propagation_from_name("rslave") == (MS_SLAVE | MS_REC));
    CHECK(rrun::propagation_from_name("runbindable") == (MS_UNBINDABLE | MS_REC));
    CHECK(rrun::propagation_from_name("rshared") == (MS_SHARED | MS_REC));
    CHECK(rrun::propagation_from_name("bogus") == 0);
    CHECK(rrun::propagation_from_name("") == 0);
}
