// cgroupsPath resolution, linux.resources -> cgroup files (v1 and v2, runc's
// conversions), device rules, and the v2 device eBPF program against the kernel.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <unistd.h>
#include <cerrno>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cgroups/internal.hpp"
#include "cgroups/cgroups.hpp"
#include "error.hpp"

using namespace rrun;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

// file -> value of the writes, for compact checks.
std::map<std::string, std::string> by_file(const std::vector<cg::Write>& ws) {
    std::map<std::string, std::string> m;
    for (auto& w : ws) m[w.file] = w.value;
    return m;
}

}  // namespace

TEST_CASE("cgroupsPath is cleaned as runc's CleanPath does", "[cgroups]") {
    CHECK(cgroup_clean_path("") == "");
    CHECK(cgroup_clean_path("/a/b/") == "/a/b");
    CHECK(cgroup_clean_path("/../a//./b") == "/a/b");
    CHECK(cgroup_clean_path("a/../../b") == "b");
    CHECK(cgroup_clean_path("../../x/y") == "x/y");
    CHECK(cgroup_clean_path("/") == "/");
}

TEST_CASE("systemd slice:prefix:name becomes the scope's cgroup path", "[cgroups]") {
    CHECK(systemd_cgroup_path("system.slice:docker:abc", "id", false) == "/system.slice/docker-abc.scope");
    CHECK(systemd_cgroup_path("a-b.slice:p:n", "id", false) == "/a.slice/a-b.slice/p-n.scope");
    CHECK(systemd_cgroup_path("", "id", false) == "/system.slice/rrun-id.scope");
    CHECK(systemd_cgroup_path("", "id", true) == "/user.slice/rrun-id.scope");
    CHECK(systemd_cgroup_path(":p:n", "id", false) == "/system.slice/p-n.scope");
    CHECK(systemd_cgroup_path("-.slice:p:n", "id", false) == "/p-n.scope");
    CHECK(systemd_cgroup_path("system.slice::child.slice", "id", false) == "/system.slice/child.slice");
    CHECK_THROWS_WITH(systemd_cgroup_path("/plain/path", "id", false), Contains("linux.cgroupsPath") && Contains("slice:prefix:name"));
    CHECK_THROWS_WITH(systemd_cgroup_path("nodot:p:n", "id", false), Contains("slice name"));
    CHECK_THROWS_WITH(systemd_cgroup_path("a--b.slice:p:n", "id", false), Contains("not a valid slice"));
}

TEST_CASE("runc's v2 conversions", "[cgroups]") {
    CHECK(cg::shares_to_weight(0) == 0);
    CHECK(cg::shares_to_weight(2) == 1);
    CHECK(cg::shares_to_weight(1024) == 39);
    CHECK(cg::shares_to_weight(262144) == 10000);
    CHECK(cg::blkio_weight_to_io_weight(10) == 1);
    CHECK(cg::blkio_weight_to_io_weight(500) == 4950);
    CHECK(cg::blkio_weight_to_io_weight(1000) == 10000);
}

TEST_CASE("linux.resources as cgroup v1 files", "[cgroups]") {
    json r = json::parse(R"({
        "memory": {"limit": 1048576, "swap": 2097152, "reservation": 524288, "swappiness": 10, "disableOOMKiller": true},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
        "pids": {"limit": -1},
        "blockIO": {"weight": 300, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
        "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]}
    })");
    auto ws = cg::v1_writes(r);
    auto m = by_file(ws);
    CHECK(m["memory.limit_in_bytes"] == "1048576");
    CHECK(m["memory.memsw.limit_in_bytes"] == "2097152");
    CHECK(m["memory.soft_limit_in_bytes"] == "524288");
    CHECK(m["memory.swappiness"] == "10");
    CHECK(m["memory.oom_control"] == "1");
    CHECK(m["cpu.shares"] == "512");
    CHECK(m["cpu.cfs_quota_us"] == "50000");
    CHECK(m["cpu.cfs_period_us"] == "100000");
    CHECK(m["cpuset.cpus"] == "0");
    CHECK(m["pids.max"] == "max");
    CHECK(m["blkio.weight"] == "300");
    CHECK(m["blkio.throttle.read_bps_device"] == "8:0 1000");
    CHECK(m["hugetlb.2MB.limit_in_bytes"] == "4194304");
    CHECK(m["net_cls.classid"] == "1048577");
    CHECK(m["net_prio.ifpriomap"] == "eth0 5");
    // The period goes in before the quota that is checked against it.
    auto pos = [&](const char* f) { return std::find_if(ws.begin(), ws.end(), [&](auto& w) { return w.file == f; }) - ws.begin(); };
    CHECK(pos("cpu.cfs_period_us") < pos("cpu.cfs_quota_us"));
    // 0 is a real limit here; configs before runtime-spec 1.3.0 lose it at parse (test_spec).
    auto zero = cg::v1_writes(json::parse(R"({"pids": {"limit": 0}})"));
    REQUIRE(zero.size() == 1);
    CHECK(zero[0].value == "0");
    CHECK_THROWS_WITH(cg::v1_writes(json::parse(R"({"memory": {"limit": 100, "swap": 50}})")), Contains("linux.resources.memory.swap"));
    // Unlimited memory with swap unset: unlimited memory+swap where it is accounted.
    auto unl = cg::v1_writes(json::parse(R"({"memory": {"limit": -1}})"));
    REQUIRE(unl.size() == 2);
    CHECK(unl[1].file == "memory.memsw.limit_in_bytes");
    CHECK(unl[1].optional);
}

TEST_CASE("linux.resources as cgroup v2 files", "[cgroups]") {
    json r = json::parse(R"({
        "memory": {"limit": 1048576, "swap": 3145728, "reservation": 524288},
        "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "burst": 1000, "idle": 0, "cpus": "0-1"},
        "pids": {"limit": 32},
        "blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 100}],
                    "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 20}]},
        "hugepageLimits": [{"pageSize": "1GB", "limit": 0}],
        "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
        "unified": {"memory.high": "900000", "cgroup.max.depth": "3"}
    })");
    auto ws = cg::v2_writes(r);
    auto m = by_file(ws);
    CHECK(m["memory.max"] == "1048576");
    CHECK(m["memory.swap.max"] == "2097152");  // swap - memory
    CHECK(m["memory.low"] == "524288");
    CHECK(m["cpu.weight"] == "39");
    CHECK(m["cpu.max"] == "50000 100000");
    CHECK(m["cpu.max.burst"] == "1000");
    CHECK(m["cpu.idle"] == "0");
    CHECK(m["cpuset.cpus"] == "0-1");
    CHECK(m["pids.max"] == "32");
    CHECK(m["io.max"] == "8:16 wiops=20");
    CHECK(m["hugetlb.1GB.max"] == "0");
    CHECK(m["rdma.max"] == "mlx5_1 hca_handle=3 hca_object=10000");
    CHECK(m["memory.high"] == "900000");
    CHECK(m["cgroup.max.depth"] == "3");
    for (auto& w : ws) {
        if (w.file == "io.bfq.weight" && w.value == "500") {
            CHECK(w.alt_file == "io.weight");
            CHECK(w.alt_value == "4950");
        }
        if (w.file == "memory.high") CHECK((w.v2_only && w.controller == "memory"));
        if (w.file == "cgroup.max.depth") CHECK(w.controller.empty());
    }
    auto quota_only = by_file(cg::v2_writes(json::parse(R"({"cpu": {"quota": -1}})")));
    CHECK(quota_only["cpu.max"] == "max");
    auto period_only = by_file(cg::v2_writes(json::parse(R"({"cpu": {"period": 20000}})")));
    CHECK(period_only["cpu.max"] == "max 20000");
    // swap alone (update --memory-swap): against the limit in force.
    auto upd = by_file(cg::v2_writes(json::parse(R"({"memory": {"swap": 300}})"), 100));
    CHECK(upd["memory.swap.max"] == "200");
    CHECK(by_file(cg::v2_writes(json::parse(R"({"memory": {"limit": -1}})")))["memory.swap.max"] == "max");
    CHECK_THROWS_WITH(cg::v2_writes(json::parse(R"({"memory": {"swap": 300}})")), Contains("needs a memory limit"));
    CHECK_THROWS_WITH(cg::v2_writes(json::parse(R"({"memory": {"disableOOMKiller": true}})")), Contains("disableOOMKiller"));
    CHECK_THROWS_WITH(cg::v2_writes(json::parse(R"({"cpu": {"realtimeRuntime": 5}})")), Contains("realtime"));
    CHECK_THROWS_WITH(cg::v2_writes(json::parse(R"({"unified": {"../x": "1"}})")), Contains("linux.resources.unified.../x"));
    CHECK(cg::v2_writes(json::parse(R"({"memory": {"limit": null}, "pids": null})")).empty());
}

TEST_CASE("resources requested: limits count, devices do not", "[cgroups]") {
    CHECK_FALSE(cgroup_resources_requested(json()));
    CHECK_FALSE(cgroup_resources_requested(json::parse(R"({"devices": [{"allow": false, "access": "rwm"}]})")));
    CHECK(cgroup_resources_requested(json::parse(R"({"pids": {"limit": 0}})")));
    CHECK(cgroup_resources_requested(json::parse(R"({"pids": {"limit": 10}})")));
    CHECK(cgroup_resources_requested(json::parse(R"({"unified": {"memory.high": "1"}})")));
}

TEST_CASE("device rules: the config's, then what every container gets", "[cgroups]") {
    Spec spec;
    spec.linux.emplace();
    Device fuse;
    fuse.type = 'c', fuse.path = "/dev/fuse", fuse.major = 10, fuse.minor = 229;
    spec.linux->devices.push_back(fuse);
    auto rules = cg::device_rules(json::parse(R"({"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "b", "major": 8, "access": "r"}]})"), spec);
    REQUIRE(rules.size() > 4);
    CHECK(cg::v1_device_string(rules[0]) == "a");
    CHECK_FALSE(rules[0].allow);
    CHECK(cg::v1_device_string(rules[1]) == "b 8:* r");
    CHECK(cg::v1_device_string(rules.back()) == "c 10:229 rwm");
    bool null_allowed = false;
    for (auto& r : rules) null_allowed = null_allowed || (r.allow && cg::v1_device_string(r) == "c 1:3 rwm");
    CHECK(null_allowed);
    CHECK_THROWS_WITH(cg::device_rules(json::parse(R"({"devices": [{"allow": true, "type": "x"}]})"), spec), Contains("linux.resources.devices[0].type"));
    CHECK_THROWS_WITH(cg::device_rules(json::parse(R"({"devices": [{"allow": true, "access": "rwx"}]})"), spec), Contains("devices[0].access"));
}

TEST_CASE("device program layout", "[cgroups]") {
    // deny all, allow c 1:3 rwm: prologue (6), one rule block, default deny (2).
    std::vector<cg::DeviceRule> rules = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}};
    auto p = cg::device_program(rules);
    // Rule block: type, major, minor jumps + mov + exit = 5.
    CHECK(p.size() == 6 + 5 + 2);
    // With no deny at all nothing needs a program; with only the "all" rule, just the verdict.
    CHECK(cg::device_program({{false, 'a', -1, -1, "rwm"}}).size() == 8);
}

// Loads the program for real and checks what a process in the cgroup may
// open. Device programs on cgroup2 apply on hybrid hosts too.
TEST_CASE("device program is accepted by the kernel and enforced", "[cgroups][root]") {
    if (::geteuid() != 0) {
        WARN("skipped: needs root");
        return;
    }
    std::string root;
    for (const char* p : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
        struct statfs s;
        if (::statfs(p, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC) root = p;
    }
    if (root.empty()) {
        WARN("skipped: no cgroup2 mount");
        return;
    }
    std::string dir = root + "/rrun-unit-devices-" + std::to_string(::getpid());
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    std::vector<cg::DeviceRule> rules = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 9, "r"}};
    std::string error;
    try {
        cg::attach_device_program(dir, rules);
    } catch (const Error& e) {
        error = e.what();
    }
    if (error.empty()) {
        pid_t pid = ::fork();
        if (pid == 0) {
            std::string me = std::to_string(::getpid());
            int fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY);
            if (fd < 0 || ::write(fd, me.data(), me.size()) < 0) _exit(10);
            ::close(fd);
            int code = 0;
            if (::open("/dev/null", O_RDWR) < 0) code |= 1;                              // allowed
            if (::open("/dev/zero", O_RDONLY) >= 0 || errno != EPERM) code |= 2;         // denied by default
            if (::open("/dev/urandom", O_RDONLY) < 0) code |= 4;                         // r allowed
            if (::open("/dev/urandom", O_WRONLY) >= 0 || errno != EPERM) code |= 8;      // w not
            _exit(code);
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    ::rmdir(dir.c_str());
    CHECK(error == "");
}
