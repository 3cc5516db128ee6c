// The D-Bus client of the systemd cgroup driver against a real bus: a
// `dbus-daemon --session` of our own in a temp dir (package dbus-daemon),
// which validates every message it is sent against its signature and drops
// a connection that sends a malformed one. And the unit properties the
// driver derives from linux.resources.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "cgroups/dbus.hpp"
#include "cgroups/systemd.hpp"
#include "spec.hpp"
#include "error.hpp"

using namespace rrun;
using Catch::Matchers::Contains;

namespace {

// A session bus in a temp dir, stopped by its pid.
struct TestBus {
    std::string dir, address;
    pid_t pid = -1;
    TestBus() {
        char tmpl[] = "/tmp/rrun-dbus-test.XXXXXX";
        if (!::mkdtemp(tmpl)) return;
        dir = tmpl;
        address = "unix:path=" + dir + "/bus";
        std::string arg = "--address=" + address;
        pid = ::fork();
        if (pid == 0) {
            ::execlp("dbus-daemon", "dbus-daemon", "--session", "--nofork", "--nopidfile", arg.c_str(), nullptr);
            _exit(127);
        }
        struct stat st;
        for (int i = 0; i < 500 && ::stat((dir + "/bus").c_str(), &st) != 0; i++) {
            int status;
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    bool up() const {
        struct stat st;
        return pid > 0 && ::stat((dir + "/bus").c_str(), &st) == 0;
    }
    ~TestBus() {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            ::waitpid(pid, nullptr, 0);
        }
        if (!dir.empty()) {
            ::unlink((dir + "/bus").c_str());
            ::rmdir(dir.c_str());
        }
    }
};

const std::string bus_name = "org.freedesktop.DBus", bus_path = "/org/freedesktop/DBus";

}  // namespace

TEST_CASE("dbus: EXTERNAL auth, Hello, calls, errors and signals on a real dbus-daemon", "[dbus]") {
    TestBus bus;
    if (!bus.up()) {
        WARN("skipped: dbus-daemon could not be started (apt-get install dbus-daemon)");
        return;
    }
    dbus::Connection c(bus.address, "test bus");
    CHECK_THAT(c.unique_name(), Contains(":1."));
    CHECK_THAT(c.name(), Contains("test bus (" + bus.dir + "/bus)"));

    auto owner = c.call(bus_name, bus_path, bus_name, "GetNameOwner", {dbus::str(bus_name)});
    REQUIRE(owner.args.size() == 1);
    CHECK(owner.args[0] == bus_name);

    // An error reply: one line with the bus, the call, what it was about, the answer.
    try {
        c.call(bus_name, bus_path, bus_name, "GetNameOwner", {dbus::str("org.example.nobody")}, "org.example.nobody");
        FAIL("no error");
    } catch (const Error& e) {
        std::string m = e.what();
        CHECK_THAT(m, Contains("test bus ("));
        CHECK_THAT(m, Contains("GetNameOwner org.example.nobody: org.freedesktop.DBus.Error.NameHasNoOwner"));
        CHECK(m.find('\n') == std::string::npos);
    }

    // StartTransientUnit's whole argument list, as the driver sends it: the
    // daemon validates the body against the signature (a bad one would cost
    // us the connection), then answers UnknownMethod.
    dbus::Props props{{"Description", dbus::str("rrun container x")},
                      {"Slice", dbus::str("system.slice")},
                      {"Delegate", dbus::boolean(true)},
                      {"PIDs", dbus::u32s({1234})},
                      {"MemoryMax", dbus::u64(67108864)},
                      {"AllowedCPUs", dbus::bytes({0x07, 0x02})},
                      {"Wants", dbus::strs({"a.slice", "b.slice"})},
                      {"DeviceAllow", dbus::string_pairs({{"char-*", "m"}, {"/dev/char/1:3", "rwm"}})},
                      {"DefaultDependencies", dbus::boolean(false)}};
    auto reply = c.call_nothrow(bus_name, bus_path, bus_name, "StartTransientUnit",
                                {dbus::str("sdbus-x.scope"), dbus::str("replace"), dbus::props(props), dbus::empty_array("a(sa(sv))")});
    CHECK(reply.type == 3);
    CHECK(reply.error_name == "org.freedesktop.DBus.Error.UnknownMethod");
    // Still connected.
    CHECK(c.call(bus_name, bus_path, bus_name, "GetId", {}).args.size() == 1);

    // Signals: NameOwnerChanged for a second connection, after AddMatch.
    c.call(bus_name, bus_path, bus_name, "AddMatch", {dbus::str("type='signal',member='NameOwnerChanged'")});
    std::string second;
    {
        dbus::Connection d(bus.address, "test bus");
        second = d.unique_name();
    }
    bool seen = c.wait_signal([&](const dbus::Message& m) { return m.member == "NameOwnerChanged" && !m.args.empty() && m.args[0] == second; },
                              std::chrono::seconds(5));
    CHECK(seen);
}

TEST_CASE("dbus: bus addresses", "[dbus]") {
    CHECK_THROWS_WITH(dbus::Connection("tcp:host=localhost,port=1", "system bus"), Contains("no usable unix: entry"));
    CHECK_THROWS_WITH(dbus::Connection("unix:path=/nonexistent/bus", "user bus"), Contains("user bus (/nonexistent/bus): connect"));
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", "", 1);
    CHECK(dbus::bus_address(false) == "unix:path=/run/dbus/system_bus_socket");
    ::setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/x/bus", 1);
    CHECK(dbus::bus_address(true) == "unix:path=/x/bus");
    ::unsetenv("DBUS_SESSION_BUS_ADDRESS");
    ::setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
    CHECK(dbus::bus_address(true) == "unix:path=/run/user/7/bus");
    ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

TEST_CASE("dbus: marshalling a(sv) and reading a message back", "[dbus]") {
    std::string msg = dbus::marshal_call(7, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                         "org.freedesktop.systemd1.Manager", "StopUnit", {dbus::str("a.scope"), dbus::str("replace")});
    auto m = dbus::parse_message(msg);
    CHECK(m.type == 1);
    CHECK(m.serial == 7);
    CHECK(m.member == "StopUnit");
    CHECK(m.path == "/org/freedesktop/systemd1");
    CHECK(m.signature == "ss");
    REQUIRE(m.args.size() == 2);
    CHECK(m.args[1] == "replace");
    // a(sv) with one (s, v(t)): length 4, pad to 8, "Name\0" at 8, sig "t" at 17, u64 at 24.
    std::string body = dbus::marshal_body({dbus::props({{"Name", dbus::u64(5)}})});
    REQUIRE(body.size() == 32);
    CHECK(body[0] == 24);
    CHECK(body.substr(8, 4) == std::string("\4\0\0\0", 4));
    CHECK(body.substr(12, 5) == std::string("Name\0", 5));
    CHECK(body.substr(17, 3) == std::string("\1t\0", 3));
    CHECK(body[24] == 5);
}

TEST_CASE("systemd: linux.resources as unit properties", "[dbus]") {
    auto find = [](const dbus::Props& p, const std::string& name) -> const dbus::Value* {
        for (auto& [n, v] : p)
            if (n == name) return &v;
        return nullptr;
    };
    auto t = [&](const dbus::Props& p, const std::string& name) {
        const dbus::Value* v = find(p, name);
        return v ? std::get<uint64_t>(v->v) : 0;
    };
    auto ws = cg::v2_writes(nlohmann::json::parse(R"({"memory": {"limit": 67108864, "swap": 134217728, "reservation": 1048576},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-2,9"}, "pids": {"limit": 20},
        "blockIO": {"weight": 500}, "unified": {"memory.high": "33554432"}})"));
    auto p = cg::systemd_resource_props(ws);
    CHECK(t(p, "MemoryMax") == 67108864);
    CHECK(t(p, "MemorySwapMax") == 67108864);
    CHECK(t(p, "MemoryLow") == 1048576);
    CHECK(t(p, "MemoryHigh") == 33554432);
    CHECK(t(p, "TasksMax") == 20);
    CHECK(t(p, "CPUWeight") == cg::shares_to_weight(512));
    CHECK(t(p, "CPUQuotaPerSecUSec") == 500000);
    CHECK(t(p, "CPUQuotaPeriodUSec") == 100000);
    CHECK(t(p, "IOWeight") == cg::blkio_weight_to_io_weight(500));
    REQUIRE(find(p, "AllowedCPUs"));
    CHECK(std::get<std::vector<uint8_t>>(find(p, "AllowedCPUs")->v) == std::vector<uint8_t>{0x07, 0x02});
    // Unlimited: systemd's infinity; a quota that is not a whole percent rounds up (runc).
    auto q = cg::systemd_resource_props(cg::v2_writes(nlohmann::json::parse(
        R"({"memory": {"limit": -1}, "pids": {"limit": -1}, "cpu": {"quota": 12345, "period": 100000}})")));
    CHECK(t(q, "MemoryMax") == UINT64_MAX);
    CHECK(t(q, "TasksMax") == UINT64_MAX);
    CHECK(t(q, "CPUQuotaPerSecUSec") == 130000);
    CHECK_THROWS_WITH(cg::systemd_cpu_mask("1-0", "linux.resources.cpu.cpus"), Contains("linux.resources.cpu.cpus"));
    CHECK(cg::systemd_unit_of("systemd-unit:user:a-b.scope\n:/x/a-b.scope")->user);
    CHECK_FALSE(cg::systemd_unit_of("systemd-unit:system:sshd.service"));
    CHECK_FALSE(cg::systemd_unit_of("/system.slice/a.scope"));
}

TEST_CASE("systemd: linux.resources as cgroup v1 unit properties", "[dbus]") {
    auto t = [](const dbus::Props& p, const std::string& name) -> uint64_t {
        for (auto& [n, v] : p)
            if (n == name) return std::get<uint64_t>(v.v);
        return 0;
    };
    auto p = cg::systemd_v1_resource_props(cg::v1_writes(nlohmann::json::parse(R"({"memory": {"limit": 67108864},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0"}, "pids": {"limit": 20}, "blockIO": {"weight": 300}})")));
    CHECK(t(p, "MemoryLimit") == 67108864);
    CHECK(t(p, "CPUShares") == 512);
    CHECK(t(p, "CPUQuotaPerSecUSec") == 500000);
    CHECK(t(p, "CPUQuotaPeriodUSec") == 100000);
    CHECK(t(p, "BlockIOWeight") == 300);
    CHECK(t(p, "TasksMax") == 20);
    CHECK(t(p, "MemoryMax") == 0);  // v2's names are not sent to a legacy manager
    auto q = cg::systemd_v1_resource_props(cg::v1_writes(nlohmann::json::parse(R"({"memory": {"limit": -1}, "cpu": {"quota": -1}})")));
    CHECK(t(q, "MemoryLimit") == UINT64_MAX);
    CHECK(t(q, "CPUQuotaPerSecUSec") == UINT64_MAX);
}

TEST_CASE("systemd: device rules as DevicePolicy and DeviceAllow", "[dbus]") {
    using Pairs = dbus::StringPairs;
    auto get = [](const dbus::Props& p, const std::string& name) -> const dbus::Value& {
        for (auto& [n, v] : p)
            if (n == name) return v;
        FAIL("no " << name);
        throw;
    };
    auto spec = Spec{};
    // The spec's default (deny all) plus runc's defaults: runc's list, in its order.
    auto rules = cg::device_rules(nlohmann::json::parse(R"({"devices": [{"allow": false, "access": "rwm"},
        {"allow": true, "type": "b", "major": 7, "minor": 0, "access": "rw"}, {"allow": true, "type": "c", "major": 10, "access": "r"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "r"}, {"allow": false, "type": "b", "major": 7, "minor": 0, "access": "w"}]})"),
                                  spec);
    const std::string proc_devices = "Character devices:\n  1 mem\n  5 /dev/tty\n136 pts\n\nBlock devices:\n  7 loop\n";
    // A host with udev's /dev/char links but no tun module loaded (no 10:200 link).
    auto nodes = [](const std::string& path) { return path != "/dev/char/10:200"; };
    auto p = cg::systemd_device_props(rules, proc_devices, true, +nodes);
    CHECK(std::get<std::string>(get(p, "DevicePolicy").v) == "strict");
    CHECK(std::get<Pairs>(get(p, "DeviceAllow").v) ==
          Pairs{{"block-*", "m"}, {"char-*", "m"}, {"/dev/char/1:3", "rwm"}, {"/dev/char/1:5", "rwm"}, {"/dev/char/1:7", "rwm"},
                {"/dev/char/1:8", "rwm"}, {"/dev/char/1:9", "rwm"}, {"/dev/char/5:0", "rwm"}, {"/dev/char/5:2", "rwm"},
                {"/dev/block/7:0", "r"}, {"char-10", "r"}, {"char-pts", "rwm"}});
    // (a major /proc/devices does not name goes by its number: char-10)
    // Allow all but some: systemd has no deny list; it allows all, ours denies.
    auto b = cg::systemd_device_props(cg::device_rules(nlohmann::json::parse(
        R"({"devices": [{"allow": true, "access": "rwm"}, {"allow": false, "type": "c", "major": 1, "minor": 3}]})"), spec), proc_devices);
    CHECK(std::get<std::string>(get(b, "DevicePolicy").v) == "auto");
    CHECK(std::get<Pairs>(get(b, "DeviceAllow").v).empty());
    // No "all devices" rule: ours allow the rest, runc's deny it (rootless: runc's).
    auto none = cg::device_rules(nlohmann::json::object(), spec);
    CHECK(std::get<std::string>(get(cg::systemd_device_props(none, proc_devices), "DevicePolicy").v) == "auto");
    auto runc_like = cg::systemd_device_props(none, proc_devices, false, +nodes);
    CHECK(std::get<std::string>(get(runc_like, "DevicePolicy").v) == "strict");
    CHECK(std::get<Pairs>(get(runc_like, "DeviceAllow").v).size() == 10);
    // With the tun module loaded, runc's tun/tap rule too.
    auto all_nodes = [](const std::string&) { return true; };
    CHECK(std::get<Pairs>(get(cg::systemd_device_props(none, proc_devices, false, +all_nodes), "DeviceAllow").v).size() == 11);
    // The marshalled a(ss): the daemon checks it against the signature (above); here its bytes.
    std::string body = dbus::marshal_body({dbus::string_pairs({{"a", "rw"}})});
    CHECK(dbus::signature_of(dbus::string_pairs({})) == "a(ss)");
    CHECK(body.size() == 8 + 4 + 2 + 2 + 4 + 3);  // the second string 4-aligned
    CHECK(body.substr(8, 6) == std::string("\1\0\0\0a\0", 6));
}
