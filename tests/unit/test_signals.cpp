// Signal names and numbers as `kill` accepts them.
#include <csignal>
#include <string>

#include <catch2/catch.hpp>

#include "error.hpp"
#include "signals.hpp"

using Catch::Matchers::Contains;

TEST_CASE("parse_signal: names with and without SIG, any case", "[signals]") {
    CHECK(rrun::parse_signal("KILL") == SIGKILL);
    CHECK(rrun::parse_signal("SIGKILL") == SIGKILL);
    CHECK(rrun::parse_signal("kill") == SIGKILL);
    CHECK(rrun::parse_signal("sigkill") == SIGKILL);
    CHECK(rrun::parse_signal("TERM") == SIGTERM);
    CHECK(rrun::parse_signal("SIGUSR1") == SIGUSR1);
    CHECK(rrun::parse_signal("USR2") == SIGUSR2);
    CHECK(rrun::parse_signal("HUP") == SIGHUP);
    CHECK(rrun::parse_signal("SIGCHLD") == SIGCHLD);
    CHECK(rrun::parse_signal("CLD") == SIGCHLD);
    CHECK(rrun::parse_signal("WINCH") == SIGWINCH);
    CHECK(rrun::parse_signal("SIGSTOP") == SIGSTOP);
    CHECK(rrun::parse_signal("CONT") == SIGCONT);
}

TEST_CASE("parse_signal: numbers", "[signals]") {
    CHECK(rrun::parse_signal("9") == SIGKILL);
    CHECK(rrun::parse_signal("15") == SIGTERM);
    CHECK(rrun::parse_signal("1") == 1);
    CHECK(rrun::parse_signal("009") == 9);
    CHECK(rrun::parse_signal(std::to_string(SIGRTMIN)) == SIGRTMIN);
    CHECK(rrun::parse_signal(std::to_string(SIGRTMAX)) == SIGRTMAX);
}

TEST_CASE("parse_signal: real-time signals", "[signals]") {
    // SIGRTMIN/SIGRTMAX are functions of the C library at run time.
    CHECK(rrun::parse_signal("SIGRTMIN") == SIGRTMIN);
    CHECK(rrun::parse_signal("RTMIN") == SIGRTMIN);
    CHECK(rrun::parse_signal("RTMIN+1") == SIGRTMIN + 1);
    CHECK(rrun::parse_signal("SIGRTMIN+3") == SIGRTMIN + 3);
    CHECK(rrun::parse_signal("sigrtmin+2") == SIGRTMIN + 2);
    CHECK(rrun::parse_signal("SIGRTMAX") == SIGRTMAX);
    CHECK(rrun::parse_signal("SIGRTMAX-1") == SIGRTMAX - 1);
    CHECK(rrun::parse_signal("RTMAX-3") == SIGRTMAX - 3);
    CHECK(rrun::parse_signal("RTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN)) == SIGRTMAX);
    CHECK(rrun::parse_signal("RTMAX-" + std::to_string(SIGRTMAX - SIGRTMIN)) == SIGRTMIN);
}

TEST_CASE("parse_signal rejects what is not a signal", "[signals]") {
    const std::vector<std::string> bad = {
        "", "0", "65", "-1", "-9", "SIGFOO", "SIG", "999999", "KILL9", "9KILL", " 9", "9 ", "+9",
        "RTMIN+100", "RTMIN-1", "SIGRTMAX+1", "RTMAX-" + std::to_string(SIGRTMAX - SIGRTMIN + 1),
        "RTMIN+", "RTMIN1", "RTMINX", std::to_string(SIGRTMAX + 1), "SIGKILLX",
    };
    for (auto& text : bad) {
        INFO("signal: \"" << text << "\"");
        CHECK_THROWS_AS(rrun::parse_signal(text), rrun::Error);
    }
    CHECK_THROWS_WITH(rrun::parse_signal("SIGFOO"), Contains("invalid signal") && Contains("SIGFOO"));
    CHECK_THROWS_WITH(rrun::parse_signal("0"), Contains("out of range"));
}
