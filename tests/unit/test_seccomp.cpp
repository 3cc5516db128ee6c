// linux.seccomp -> BPF: error messages, runc's leniency, flags, and the
// program really doing what the profile says (loaded in a forked child).
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "seccomp.hpp"
#include "unique_fd.hpp"
#include "version.hpp"

using Catch::Matchers::Contains;
using nlohmann::json;
namespace sc = rrun::seccomp;

namespace {

json profile(json syscalls, const std::string& default_action = "SCMP_ACT_ALLOW") {
    return json{{"defaultAction", default_action}, {"syscalls", std::move(syscalls)}};
}

json rule(json names, const std::string& action) { return json{{"names", std::move(names)}, {"action", action}}; }

std::string compile_error(const json& j) {
    try {
        sc::compile(j);
    } catch (const rrun::Error& e) {
        return e.what();
    }
    return "(no error)";
}

bool same_program(const sc::Filter& a, const sc::Filter& b) {
    return a.program.size() == b.program.size() &&
           std::memcmp(a.program.data(), b.program.data(), a.program.size() * sizeof(sock_filter)) == 0;
}

bool kernel_supports(const std::string& flag) {
    for (auto& f : sc::features()["supportedFlags"])
        if (f == flag) return true;
    return false;
}

// Runs BODY in a forked child under FILTER (with no_new_privs, as an
// unprivileged caller needs); returns the child's exit code, or 128+signal.
int run_filtered(const sc::Filter& filter, const std::function<int()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sc::load(filter) < 0) _exit(100);
        _exit(body());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string temp_dir() {
    std::string templ = (std::filesystem::temp_directory_path() / "rrun-seccomp-XXXXXX").string();
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    return templ;
}

}  // namespace

TEST_CASE("seccomp: a small profile compiles to a BPF program", "[seccomp]") {
    auto f = sc::compile(profile({rule({"mkdir"}, "SCMP_ACT_ERRNO")}));
    CHECK(!f.program.empty());
    CHECK(f.flags == 0);
    CHECK_FALSE(f.notify);
    CHECK(f.listener_path.empty());
}

TEST_CASE("seccomp: errors name the entry", "[seccomp]") {
    json bad_default = profile(json::array(), "SCMP_ACT_FOO");
    CHECK(compile_error(bad_default) == "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");

    json bad_action = profile({rule({"read"}, "SCMP_ACT_ALLOW"), rule({"mkdir"}, "SCMP_ACT_ERRNO"),
                               rule({"chmod"}, "SCMP_ACT_LOG"), rule({"mkdir"}, "SCMP_ACT_FOO")},
                              "SCMP_ACT_ERRNO");
    CHECK(compile_error(bad_action) == "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"");

    json bad_arch = profile(json::array());
    bad_arch["architectures"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"};
    CHECK(compile_error(bad_arch) == "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");

    json bad_op = profile({rule({"kill"}, "SCMP_ACT_ERRNO")});
    bad_op["syscalls"][0]["args"] = {{{"index", 1}, {"value", 9}, {"op", "SCMP_CMP_EQ"}},
                                     {{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_APPROX"}}};
    CHECK(compile_error(bad_op) == "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_APPROX\"");

    json bad_index = profile({rule({"kill"}, "SCMP_ACT_ERRNO")});
    bad_index["syscalls"][0]["args"] = {{{"index", 6}, {"value", 9}, {"op", "SCMP_CMP_EQ"}}};
    CHECK(compile_error(bad_index) == "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0..5)");

    json bad_flag = profile(json::array());
    bad_flag["flags"] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FAST"};
    CHECK(compile_error(bad_flag) == "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");

    json bad_errno = profile({rule({"mkdir"}, "SCMP_ACT_ERRNO")});
    bad_errno["syscalls"][0]["errnoRet"] = 70000;
    CHECK(compile_error(bad_errno) == "linux.seccomp.syscalls[0].errnoRet: 70000 is out of range (0..65535)");
    // runtime-spec 1.2.1: an errno for an action that returns none is an error.
    json kill_errno = profile({rule({"mkdir"}, "SCMP_ACT_KILL")});
    kill_errno["syscalls"][0]["errnoRet"] = 5;
    CHECK(compile_error(kill_errno) ==
          "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno, not SCMP_ACT_KILL");
    json log_errno = profile(json::array());
    log_errno["defaultAction"] = "SCMP_ACT_LOG";
    log_errno["defaultErrnoRet"] = 3;
    CHECK(compile_error(log_errno) ==
          "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno, not SCMP_ACT_LOG");

    json no_names = profile({rule(json::array(), "SCMP_ACT_ERRNO")});
    CHECK_THAT(compile_error(no_names), Contains("linux.seccomp.syscalls[0].names"));
}

TEST_CASE("seccomp: NOTIFY needs a listener and cannot catch the init's own calls", "[seccomp]") {
    json no_listener = profile({rule({"mkdir"}, "SCMP_ACT_NOTIFY")});
    CHECK(compile_error(no_listener) == "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");

    json as_default = profile(json::array(), "SCMP_ACT_NOTIFY");
    as_default["listenerPath"] = "/tmp/x.sock";
    CHECK(compile_error(as_default) == "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

    json on_sendmsg = profile({rule({"mkdir", "sendmsg"}, "SCMP_ACT_NOTIFY")});
    on_sendmsg["listenerPath"] = "/tmp/x.sock";
    CHECK_THAT(compile_error(on_sendmsg),
               Contains("linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for \"sendmsg\""));

    json ok = profile({rule({"mkdir"}, "SCMP_ACT_NOTIFY")});
    ok["listenerPath"] = "/tmp/x.sock";
    ok["listenerMetadata"] = "meta";
    auto f = sc::compile(ok);
    CHECK(f.notify);
    CHECK(f.listener_path == "/tmp/x.sock");
    CHECK(f.listener_metadata == "meta");
}

TEST_CASE("seccomp: unknown syscall names are skipped, as runc does", "[seccomp]") {
    auto with_unknown = sc::compile(profile({rule({"mkdir", "no_such_syscall_rrun"}, "SCMP_ACT_ERRNO")}));
    auto without = sc::compile(profile({rule({"mkdir"}, "SCMP_ACT_ERRNO")}));
    CHECK(same_program(with_unknown, without));
    // A profile made only of unknown names is no error either.
    CHECK_NOTHROW(sc::compile(profile({rule({"no_such_syscall_rrun"}, "SCMP_ACT_ERRNO")})));
}

TEST_CASE("seccomp: a rule with the default action adds nothing", "[seccomp]") {
    auto redundant = sc::compile(profile({rule({"mkdir"}, "SCMP_ACT_ALLOW")}));
    auto empty = sc::compile(profile(json::array()));
    CHECK(same_program(redundant, empty));
}

TEST_CASE("seccomp: flags map to SECCOMP_FILTER_FLAG_*", "[seccomp]") {
    json p = profile(json::array());
    p["flags"] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
    auto f = sc::compile(p);
    CHECK(f.flags == (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));

    // WAIT_KILLABLE_RECV only means something with a listener.
    if (kernel_supports("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")) {
        json w = profile(json::array());
        w["flags"] = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
        CHECK(sc::compile(w).flags == 0);
        w["syscalls"] = {rule({"mkdir"}, "SCMP_ACT_NOTIFY")};
        w["listenerPath"] = "/tmp/x.sock";
        CHECK(sc::compile(w).flags == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
    }

    // The kernel takes TSYNC with a listener only together with TSYNC_ESRCH.
    json n = profile({rule({"mkdir"}, "SCMP_ACT_NOTIFY")});
    n["listenerPath"] = "/tmp/x.sock";
    n["flags"] = {"SECCOMP_FILTER_FLAG_TSYNC"};
    auto nf = sc::compile(n);
    CHECK((nf.flags == (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH) || nf.flags == 0));
}

TEST_CASE("seccomp: architectures are added", "[seccomp]") {
    json p = profile({rule({"mkdir"}, "SCMP_ACT_ERRNO")});
    auto native = sc::compile(p);
    p["architectures"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    auto multi = sc::compile(p);
#if defined(__x86_64__)
    CHECK(multi.program.size() > native.program.size());
#endif
    CHECK(!multi.program.empty());
}

TEST_CASE("seccomp: the loaded filter returns the errno given", "[seccomp]") {
    json p = profile({rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO"), rule({"rmdir"}, "SCMP_ACT_ERRNO")});
    p["syscalls"][0]["errnoRet"] = ENOSPC;
    auto f = sc::compile(p);
    CHECK(run_filtered(f, [] { return ::mkdir("/nonexistent-rrun/x", 0700) < 0 && errno == ENOSPC ? 0 : 1; }) == 0);
    // SCMP_ACT_ERRNO without errnoRet: EPERM.
    CHECK(run_filtered(f, [] { return ::rmdir("/nonexistent-rrun") < 0 && errno == EPERM ? 0 : 1; }) == 0);
    // Everything else still works.
    CHECK(run_filtered(f, [] { return ::getpid() > 0 && ::access("/", F_OK) == 0 ? 0 : 1; }) == 0);
}

TEST_CASE("seccomp: defaultErrnoRet and argument filters", "[seccomp]") {
    json p = profile({rule({"exit_group", "exit", "getpid", "brk", "mmap", "munmap", "write"},
                           "SCMP_ACT_ALLOW")},
                     "SCMP_ACT_ERRNO");
    p["defaultErrnoRet"] = ENOSYS;
    json deny_usr1 = rule({"kill"}, "SCMP_ACT_ERRNO");
    deny_usr1["errnoRet"] = EACCES;
    deny_usr1["args"] = {{{"index", 1}, {"value", SIGUSR1}, {"op", "SCMP_CMP_EQ"}}};
    p["syscalls"].push_back(deny_usr1);
    // Two tests of one argument: ORed (runc's rule), so mode 0777 and 0707 are refused.
    json chmod = rule({"chmod"}, "SCMP_ACT_ERRNO");
    chmod["args"] = {{{"index", 1}, {"value", 0777}, {"op", "SCMP_CMP_EQ"}},
                     {{"index", 1}, {"value", 07777}, {"valueTwo", 0707}, {"op", "SCMP_CMP_MASKED_EQ"}}};
    p["syscalls"].push_back(chmod);
    auto f = sc::compile(p);
    CHECK(run_filtered(f, [] { return ::access("/", F_OK) < 0 && errno == ENOSYS ? 0 : 1; }) == 0);
    CHECK(run_filtered(f, [] { return ::kill(::getpid(), SIGUSR1) < 0 && errno == EACCES ? 0 : 1; }) == 0);
    // (kill has no unconditional rule: libseccomp would let that one win.)
    CHECK(run_filtered(f, [] { return ::kill(::getpid(), 0) < 0 && errno == ENOSYS ? 0 : 1; }) == 0);
    // chmod is not in the allow list: ENOSYS by default, EPERM where a test matches.
    CHECK(run_filtered(f, [] { return ::chmod("/nonexistent-rrun", 0777) < 0 && errno == EPERM ? 0 : 1; }) == 0);
    CHECK(run_filtered(f, [] { return ::chmod("/nonexistent-rrun", 0707) < 0 && errno == EPERM ? 0 : 1; }) == 0);
    CHECK(run_filtered(f, [] { return ::chmod("/nonexistent-rrun", 0755) < 0 && errno == ENOSYS ? 0 : 1; }) == 0);
}

TEST_CASE("seccomp: KILL_PROCESS kills with SIGSYS", "[seccomp]") {
    auto f = sc::compile(profile({rule({"mkdir"}, "SCMP_ACT_KILL_PROCESS")}));
    CHECK(run_filtered(f, [] { return ::mkdir("/nonexistent-rrun/x", 0700) < 0 ? 0 : 1; }) == 128 + SIGSYS);
}

TEST_CASE("seccomp: load returns a listener fd for NOTIFY", "[seccomp]") {
    json p = profile({rule({"mkdir"}, "SCMP_ACT_NOTIFY")});
    p["listenerPath"] = "/tmp/x.sock";
    auto f = sc::compile(p);
    CHECK(run_filtered(f, [] { return 0; }) == 0);  // load itself succeeded
    pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        int fd = sc::load(f);
        _exit(fd > 2 && ::fcntl(fd, F_GETFD) >= 0 ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("seccomp: the listener gets the state and the fd", "[seccomp]") {
    std::string dir = temp_dir();
    std::string path = dir + "/listener.sock";
    rrun::unique_fd server(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    REQUIRE(::bind(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(server.get(), 1) == 0);

    sc::Filter f;
    f.listener_path = path;
    f.listener_metadata = "MKNOD=/dev/null";
    int pipe_fds[2];
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    rrun::unique_fd r(pipe_fds[0]), w(pipe_fds[1]);
    std::string state = R"({"ociVersion":"1.0.2","id":"c1","pid":42,"status":"created","bundle":"/b"})";
    sc::send_to_listener(f, r.get(), 42, state);

    rrun::unique_fd conn(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(conn);
    char buf[4096] = {};
    iovec iov{buf, sizeof buf - 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
    REQUIRE(n > 0);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    REQUIRE(c);
    CHECK(c->cmsg_type == SCM_RIGHTS);
    int got;
    std::memcpy(&got, CMSG_DATA(c), sizeof got);
    rrun::unique_fd received(got);
    struct stat a, b;
    REQUIRE(::fstat(received.get(), &a) == 0);
    REQUIRE(::fstat(r.get(), &b) == 0);
    CHECK(a.st_ino == b.st_ino);  // the very fd that was sent

    json j = json::parse(std::string(buf, static_cast<size_t>(n)));
    CHECK(j["ociVersion"] == sc::kStateOciVersion);
    CHECK(j["fds"] == json{"seccompFd"});
    CHECK(j["pid"] == 42);
    CHECK(j["metadata"] == "MKNOD=/dev/null");
    CHECK(j["state"]["id"] == "c1");
    CHECK(j["state"]["status"] == "created");
    std::filesystem::remove_all(dir);
}

TEST_CASE("seccomp: an unreachable listener is an error naming listenerPath", "[seccomp]") {
    sc::Filter f;
    f.listener_path = "/nonexistent-rrun/listener.sock";
    CHECK_THROWS_WITH(sc::send_to_listener(f, 0, 1, "{}"),
                      Contains("linux.seccomp.listenerPath: connect to /nonexistent-rrun/listener.sock"));
}

TEST_CASE("seccomp: features and the state version", "[seccomp]") {
    CHECK(std::string(sc::kStateOciVersion) == RRUN_OCI_VERSION);
    auto feat = sc::features();
    CHECK(feat["enabled"] == true);
    CHECK(feat["operators"].size() == 7);
    CHECK(feat["knownFlags"].size() == 4);
    CHECK(feat["actions"].size() >= 7);
#if defined(__x86_64__)
    CHECK(std::find(feat["archs"].begin(), feat["archs"].end(), "SCMP_ARCH_X86_64") != feat["archs"].end());
#endif
}

TEST_CASE("seccomp: a compiled program is cached and used again only for the same text", "[seccomp]") {
    char tmpl[] = "/tmp/rrun-seccomp-cache.XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    std::string dir = std::string(tmpl) + "/cache";
    sc::set_cache_dir(dir);
    json p = profile({rule({"rmdir"}, "SCMP_ACT_ERRNO"), rule({"mkdirat"}, "SCMP_ACT_KILL")});
    sc::Filter first = sc::compile(p);
    auto entries = [&] {
        size_t n = 0;
        for (auto& e : std::filesystem::directory_iterator(dir)) n += e.path().extension() == ".bpf";
        return n;
    };
    CHECK(entries() == 1);
    CHECK(same_program(sc::compile(p), first));
    // An entry that does not hold this very text is not used, even under its name.
    for (auto& e : std::filesystem::directory_iterator(dir)) {
        std::string path = e.path();
        std::string text;
        {
            rrun::unique_fd fd(::open(path.c_str(), O_RDWR));
            struct stat st;
            REQUIRE(::fstat(fd.get(), &st) == 0);
            text.resize(static_cast<size_t>(st.st_size));
            REQUIRE(::read(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
            auto at = text.find("rmdir");
            REQUIRE(at != std::string::npos);
            text[at] = 'R';                // same length, other profile text,
            text.back() = static_cast<char>(text.back() ^ 0x55);  // and a program that is not p's
            REQUIRE(::pwrite(fd.get(), text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()));
        }
    }
    CHECK(same_program(sc::compile(p), first));
    // A profile that differs compiles to its own program and entry.
    json other = profile({rule({"getppid"}, "SCMP_ACT_ERRNO")});
    CHECK_FALSE(same_program(sc::compile(other), first));
    CHECK(entries() == 2);
    // What the cached program does is what the profile says.
    sc::Filter again = sc::compile(p);
    CHECK(run_filtered(again, [] { return ::rmdir("/nonexistent-rrun") < 0 && errno == EPERM ? 0 : 1; }) == 0);
    // A directory others can write is not trusted.
    REQUIRE(::chmod(dir.c_str(), 0777) == 0);
    CHECK(same_program(sc::compile(p), first));
    sc::set_cache_dir("");
    std::filesystem::remove_all(tmpl);
}
