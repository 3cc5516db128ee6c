// Container ids, state.json, the state directory and process liveness.
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "log.hpp"
#include "state.hpp"

using Catch::Matchers::Contains;

namespace {

// A fresh directory under TMPDIR, removed with everything in it at the end.
struct TempDir {
    std::string path;
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string templ = std::string(base && *base ? base : "/tmp") + "/rrun-test-XXXXXX";
        if (!::mkdtemp(templ.data())) FAIL("mkdtemp failed");
        path = templ;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

bool is_dir(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

rrun::ContainerState sample_state() {
    rrun::ContainerState st;
    st.oci_version = "1.2.0";
    st.id = "web-1";
    st.pid = 4242;
    st.pid_start_time = 123456789012345ULL;
    st.bundle = "/srv/bundles/web";
    st.rootfs = "/srv/bundles/web/rootfs";
    st.created = "2024-05-01T12:34:56.789012345Z";
    st.owner = "alice";
    st.rootless = true;
    st.annotations = {{"org.example.a", "1"}, {"org.example.b", "two words"}};
    st.config_path = "/srv/bundles/web/config.json";
    return st;
}

void check_same(const rrun::ContainerState& a, const rrun::ContainerState& b) {
    CHECK(a.oci_version == b.oci_version);
    CHECK(a.id == b.id);
    CHECK(a.pid == b.pid);
    CHECK(a.pid_start_time == b.pid_start_time);
    CHECK(a.bundle == b.bundle);
    CHECK(a.rootfs == b.rootfs);
    CHECK(a.created == b.created);
    CHECK(a.owner == b.owner);
    CHECK(a.rootless == b.rootless);
    CHECK(a.annotations == b.annotations);
    CHECK(a.config_path == b.config_path);
}

// Kills and reaps a forked child if a failed REQUIRE leaves the test early.
struct ChildGuard {
    pid_t pid;
    ~ChildGuard() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
};

std::string error_of(void (*f)(const std::string&), const std::string& arg) {
    try {
        f(arg);
    } catch (const rrun::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("validate_container_id accepts runc's id alphabet", "[state]") {
    CHECK_NOTHROW(rrun::validate_container_id("abc"));
    CHECK_NOTHROW(rrun::validate_container_id("a-b_c.d+e"));
    CHECK_NOTHROW(rrun::validate_container_id("A0"));
    CHECK_NOTHROW(rrun::validate_container_id("..."));
    CHECK_NOTHROW(rrun::validate_container_id(".hidden"));
    CHECK_NOTHROW(rrun::validate_container_id(std::string(1024, 'x')));
}

TEST_CASE("validate_container_id rejects ids that are unsafe as file names", "[state]") {
    const std::vector<std::string> bad = {
        "", ".", "..", "a/b", "../x", "/abs", std::string(1025, 'x'), "a b", "line\nbreak", "tab\t",
        std::string("nul\0x", 5), std::string("\xff"), "caf\xc3\xa9", "a:b", "a*",
    };
    for (auto& id : bad) {
        INFO("id: \"" << id << "\" (" << id.size() << " bytes)");
        CHECK_THROWS_AS(rrun::validate_container_id(id), rrun::Error);
    }
    CHECK_THAT(error_of(rrun::validate_container_id, ""), Contains("empty"));
    CHECK_THAT(error_of(rrun::validate_container_id, std::string(1025, 'x')), Contains("1024"));
    CHECK_THAT(error_of(rrun::validate_container_id, "a/b"), Contains("invalid container id") && Contains("a/b"));
}

TEST_CASE("state.json round trip preserves every field", "[state]") {
    rrun::ContainerState st = sample_state();
    std::string text = rrun::state_to_json(st);
    check_same(rrun::state_from_json(text, "state.json"), st);

    SECTION("with the other boolean value and no annotations") {
        st.rootless = false;
        st.annotations.clear();
        st.pid_start_time = 18446744073709551615ULL;
        check_same(rrun::state_from_json(rrun::state_to_json(st), "state.json"), st);
    }
    SECTION("with strings that need escaping") {
        st.bundle = "/srv/with \"quotes\"\\and\nnewline";
        st.annotations["k\"ey"] = "v\tal";
        check_same(rrun::state_from_json(rrun::state_to_json(st), "state.json"), st);
    }
}

TEST_CASE("state_from_json fills defaults for the optional fields", "[state]") {
    auto st = rrun::state_from_json(
        R"({"ociVersion":"1.0.0","id":"x","pid":7,"pidStartTime":99,"bundle":"/b"})", "s");
    CHECK(st.id == "x");
    CHECK(st.pid == 7);
    CHECK(st.pid_start_time == 99);
    CHECK(st.bundle == "/b");
    CHECK(st.rootfs.empty());
    CHECK_FALSE(st.rootless);
    CHECK(st.annotations.empty());
    CHECK(st.config_path.empty());
}

TEST_CASE("state_from_json rejects corrupt state", "[state]") {
    std::string good = rrun::state_to_json(sample_state());
    const std::vector<std::string> bad = {
        good.substr(0, good.size() / 2),                                       // truncated
        good.substr(0, good.size() - 1),                                       // missing last brace
        "",                                                                    // empty file
        "garbage",                                                             // not JSON
        "[]",                                                                  // not an object
        "{}",                                                                  // no fields
        R"({"ociVersion":"1","id":"x","pid":"seven","pidStartTime":1,"bundle":"/b"})",  // wrong type
        R"({"ociVersion":"1","id":"x","pid":7,"bundle":"/b"})",                  // missing pidStartTime
        R"({"ociVersion":"1","id":"x","pid":7,"pidStartTime":1,"bundle":"/b","annotations":[1]})",
    };
    for (auto& text : bad) {
        INFO("text: " << text);
        try {
            rrun::state_from_json(text, "/run/rrun/x/state.json");
            FAIL_CHECK("accepted");
        } catch (const rrun::Error& e) {
            CHECK_THAT(e.what(), Contains("corrupt") && Contains("/run/rrun/x/state.json"));
        }
    }
}

TEST_CASE("oci_state_json is the runtime-spec state document", "[state]") {
    rrun::ContainerState st = sample_state();

    SECTION("running: real pid, fields in spec order") {
        auto j = nlohmann::ordered_json::parse(rrun::oci_state_json(st, rrun::Status::running));
        std::vector<std::string> keys;
        for (auto& [k, v] : j.items()) keys.push_back(k);
        REQUIRE(keys.size() >= 4);
        CHECK(keys[0] == "ociVersion");
        CHECK(keys[1] == "id");
        CHECK(keys[2] == "pid");
        CHECK(keys[3] == "status");
        CHECK(j["ociVersion"] == "1.2.0");
        CHECK(j["id"] == "web-1");
        CHECK(j["pid"] == 4242);
        CHECK(j["status"] == "running");
        CHECK(j["bundle"] == "/srv/bundles/web");
        CHECK(j["rootfs"] == "/srv/bundles/web/rootfs");
        CHECK(j["created"] == "2024-05-01T12:34:56.789012345Z");
        CHECK(j["owner"] == "alice");
        CHECK(j["annotations"] == nlohmann::ordered_json({{"org.example.a", "1"}, {"org.example.b", "two words"}}));
        // rrun's private bookkeeping stays out of the public document.
        CHECK_FALSE(j.contains("pidStartTime"));
        CHECK_FALSE(j.contains("configPath"));
    }
    SECTION("created status") {
        auto j = nlohmann::json::parse(rrun::oci_state_json(st, rrun::Status::created));
        CHECK(j["status"] == "created");
        CHECK(j["pid"] == 4242);
    }
    SECTION("stopped: pid 0") {
        auto j = nlohmann::json::parse(rrun::oci_state_json(st, rrun::Status::stopped));
        CHECK(j["pid"] == 0);
        CHECK(j["status"] == "stopped");
        CHECK(j["id"] == "web-1");
    }
    SECTION("annotations only when there are some") {
        st.annotations.clear();
        auto j = nlohmann::json::parse(rrun::oci_state_json(st, rrun::Status::running));
        CHECK_FALSE(j.contains("annotations"));
    }
}

TEST_CASE("status names", "[state]") {
    CHECK(std::string(rrun::status_name(rrun::Status::creating)) == "creating");
    CHECK(std::string(rrun::status_name(rrun::Status::created)) == "created");
    CHECK(std::string(rrun::status_name(rrun::Status::running)) == "running");
    CHECK(std::string(rrun::status_name(rrun::Status::paused)) == "paused");
    CHECK(std::string(rrun::status_name(rrun::Status::stopped)) == "stopped");
}

TEST_CASE("ContainerDir lifecycle", "[state]") {
    TempDir tmp;
    // A root that does not exist yet: create makes it.
    std::string root = tmp.path + "/state/root";
    std::string dir_path = root + "/c1";

    {
        auto dir = rrun::ContainerDir::create(root, "c1");
        CHECK(dir.path() == dir_path);
        CHECK(is_dir(dir_path));
        CHECK(dir.fd() >= 0);
        CHECK(dir.exec_fifo_path() == dir_path + "/exec.fifo");
        // Only the owner may look inside.
        struct stat st;
        REQUIRE(::stat(dir_path.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0700);

        REQUIRE_THROWS_WITH(rrun::ContainerDir::create(root, "c1"), Contains("already exists"));
        // The failed claim must not have touched the existing directory.
        CHECK(is_dir(dir_path));

        REQUIRE_THROWS_WITH(dir.load(), Contains("missing or unreadable"));
        dir.save(sample_state());
    }

    SECTION("save and load round trip through open") {
        auto dir = rrun::ContainerDir::open(root, "c1");
        CHECK(dir.path() == dir_path);
        check_same(dir.load(), sample_state());

        rrun::ContainerState changed = sample_state();
        changed.pid = 1;
        changed.annotations.clear();
        dir.save(changed);
        check_same(dir.load(), changed);
    }
    SECTION("remove deletes the directory") {
        auto dir = rrun::ContainerDir::open(root, "c1");
        dir.remove();
        CHECK_FALSE(is_dir(dir_path));
        CHECK(::access(dir_path.c_str(), F_OK) != 0);
        REQUIRE_THROWS_WITH(rrun::ContainerDir::open(root, "c1"), Contains("does not exist"));
        // The id is free again.
        auto again = rrun::ContainerDir::create(root, "c1");
        CHECK(is_dir(dir_path));
    }
    SECTION("a corrupt state.json is reported as such") {
        {
            std::ofstream f(dir_path + "/state.json", std::ios::trunc);
            f << "{\"ociVersion\": \"1.0";
        }
        auto dir = rrun::ContainerDir::open(root, "c1");
        REQUIRE_THROWS_WITH(dir.load(), Contains("corrupt") && Contains(dir_path + "/state.json"));
    }
    SECTION("open of a missing id") {
        REQUIRE_THROWS_WITH(rrun::ContainerDir::open(root, "nope"), Contains("does not exist") && Contains("nope"));
    }
    SECTION("invalid ids are refused before touching the file system") {
        REQUIRE_THROWS_AS(rrun::ContainerDir::create(root, "../escape"), rrun::Error);
        CHECK(::access((tmp.path + "/state/escape").c_str(), F_OK) != 0);
        REQUIRE_THROWS_AS(rrun::ContainerDir::open(root, ".."), rrun::Error);
    }
}

TEST_CASE("list_container_ids", "[state]") {
    TempDir tmp;
    CHECK(rrun::list_container_ids(tmp.path + "/missing").empty());
    CHECK(rrun::list_container_ids(tmp.path).empty());

    for (const char* id : {"zeta", "alpha", "mid-1", "Mid-0"}) rrun::ContainerDir::create(tmp.path, id);
    // Not containers: a plain file and a hidden directory (e.g. a temp file).
    std::ofstream(tmp.path + "/notes.txt") << "x";
    REQUIRE(::mkdir((tmp.path + "/.tmp").c_str(), 0700) == 0);

    CHECK(rrun::list_container_ids(tmp.path) == std::vector<std::string>{"Mid-0", "alpha", "mid-1", "zeta"});
}

TEST_CASE("process_start_time and process_alive", "[state][proc]") {
    pid_t self = ::getpid();
    unsigned long long start = rrun::process_start_time(self);
    REQUIRE(start != 0);
    CHECK(rrun::process_start_time(self) == start);
    CHECK(rrun::process_alive(self, start));
    CHECK_FALSE(rrun::process_alive(self, start + 1));
    CHECK_FALSE(rrun::process_alive(0, start));
    CHECK_FALSE(rrun::process_alive(-1, start));

    SECTION("a command name with spaces and parentheses does not shift the fields") {
        char saved[17] = {};
        REQUIRE(::prctl(PR_GET_NAME, saved) == 0);
        REQUIRE(::prctl(PR_SET_NAME, "a) b ) c (d") == 0);
        unsigned long long renamed = rrun::process_start_time(self);
        ::prctl(PR_SET_NAME, saved);
        CHECK(renamed == start);
    }
    SECTION("a live child") {
        pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            ::pause();
            ::_exit(0);
        }
        ChildGuard guard{child};
        unsigned long long t = rrun::process_start_time(child);
        CHECK(t != 0);
        CHECK(t >= start);
        CHECK(rrun::process_alive(child, t));
        CHECK_FALSE(rrun::process_alive(child, t - 1));
        ::kill(child, SIGKILL);
        int status;
        REQUIRE(::waitpid(child, &status, 0) == child);
        guard.pid = 0;
        CHECK(rrun::process_start_time(child) == 0);
        CHECK_FALSE(rrun::process_alive(child, t));
    }
    SECTION("a zombie counts as gone") {
        pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) ::_exit(0);
        siginfo_t info{};
        // Wait for the exit without reaping: the child stays a zombie.
        REQUIRE(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) == 0);
        CHECK(rrun::process_start_time(child) == 0);
        CHECK_FALSE(rrun::process_alive(child, start));
        int status;
        REQUIRE(::waitpid(child, &status, 0) == child);
    }
    SECTION("an exited and reaped child") {
        pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) ::_exit(0);
        int status;
        REQUIRE(::waitpid(child, &status, 0) == child);
        CHECK(rrun::process_start_time(child) == 0);
    }
}

TEST_CASE("rfc3339 gives the UTC date gmtime gives, without the time zone", "[state]") {
    // Leap days, century years (2000 is a leap year, 2100 is not), the epoch, before it, and now.
    std::vector<time_t> when = {0, -1, 951782400, 951868800, 4107542400, 4107628799, 1709164800, 253402300799,
                                -2208988800, ::time(nullptr)};
    for (time_t t = 0; t < 4102444800; t += 86399 * 37) when.push_back(t);
    for (time_t t : when) {
        struct tm tm;
        REQUIRE(gmtime_r(&t, &tm));
        char want[64];
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.000000042Z", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        INFO("time_t " << t);
        REQUIRE(rrun::rfc3339({t, 42}) == want);
    }
}
