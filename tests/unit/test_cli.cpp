// The command line: flag parsing, the command table, create's options.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli.hpp"

using Catch::Matchers::Contains;
using rrun::cli::Args;
using rrun::cli::UsageError;
using Strings = std::vector<std::string>;

namespace {

// Parses everything after the command name "create".
Args parse_create(const Strings& rest) {
    Strings argv = {"create"};
    argv.insert(argv.end(), rest.begin(), rest.end());
    return rrun::cli::parse(rrun::cli::create_flags, argv, 1, false);
}

const std::vector<rrun::cli::Flag>& run_flags() {
    const rrun::cli::Command* run = rrun::cli::find_command("run");
    REQUIRE(run != nullptr);
    return run->flags;
}

Args parse_run(const Strings& argv) { return rrun::cli::parse(run_flags(), argv, 0, false); }

}  // namespace

TEST_CASE("parse: the spellings of a value flag", "[cli]") {
    for (const Strings& argv : {Strings{"--bundle", "X", "id"}, Strings{"-b", "X", "id"}, Strings{"--bundle=X", "id"},
                                Strings{"-bX", "id"}, Strings{"-bundle", "X", "id"}, Strings{"-b=X", "id"},
                                Strings{"id", "--bundle", "X"}, Strings{"id", "-b", "X"}}) {
        INFO("argv: " << Catch::Detail::stringify(argv));
        Args a = parse_create(argv);
        CHECK(a.get("bundle") == "X");
        CHECK(a.all("bundle") == Strings{"X"});
        CHECK(a.positional == Strings{"id"});
        CHECK_FALSE(a.has("config"));
    }
}

TEST_CASE("parse: several flags and positionals", "[cli]") {
    Args a = parse_create({"--pid-file", "p", "--console-socket", "s", "id"});
    CHECK(a.get("pid-file") == "p");
    CHECK(a.get("console-socket") == "s");
    CHECK(a.positional == Strings{"id"});
    CHECK(a.get("bundle", "fallback") == "fallback");

    SECTION("a value may itself start with a dash or be empty") {
        Args b = parse_create({"--pid-file", "-weird", "--bundle=", "id"});
        CHECK(b.get("pid-file") == "-weird");
        CHECK(b.has("bundle"));
        CHECK(b.get("bundle", "fallback").empty());
    }
    SECTION("a repeated flag keeps every value; get returns the last") {
        Args b = parse_create({"-b", "one", "--bundle", "two", "id"});
        CHECK(b.all("bundle") == Strings{"one", "two"});
        CHECK(b.get("bundle") == "two");
    }
    SECTION("a lone dash is a positional") {
        Args b = parse_create({"-", "id"});
        CHECK(b.positional == Strings{"-", "id"});
    }
    SECTION("parsing starts at FROM") {
        Args b = rrun::cli::parse(rrun::cli::create_flags, {"--bogus", "create", "-b", "X", "id"}, 2, false);
        CHECK(b.get("bundle") == "X");
        CHECK(b.positional == Strings{"id"});
    }
}

TEST_CASE("parse: -- ends the flags", "[cli]") {
    Args a = parse_create({"-b", "X", "--", "--pid-file", "-id"});
    CHECK(a.get("bundle") == "X");
    CHECK_FALSE(a.has("pid-file"));
    CHECK(a.positional == Strings{"--pid-file", "-id"});
}

TEST_CASE("parse: errors", "[cli]") {
    CHECK_THROWS_AS(parse_create({"--bogus", "id"}), UsageError);
    CHECK_THROWS_WITH(parse_create({"--bogus", "id"}), Contains("flag provided but not defined") && Contains("--bogus"));
    CHECK_THROWS_WITH(parse_create({"id", "-z"}), Contains("flag provided but not defined"));
    // A short flag spelled with two dashes is not a long flag.
    CHECK_THROWS_WITH(parse_create({"--bX", "id"}), Contains("flag provided but not defined"));
    // A bool flag does not take -xVALUE.
    CHECK_THROWS_AS(parse_run({"-dX", "id"}), UsageError);

    CHECK_THROWS_AS(parse_create({"id", "--bundle"}), UsageError);
    CHECK_THROWS_WITH(parse_create({"id", "--bundle"}), Contains("flag needs an argument") && Contains("--bundle"));
    CHECK_THROWS_AS(parse_create({"id", "-b"}), UsageError);
}

TEST_CASE("Args::flag reads bool flags", "[cli]") {
    CHECK(parse_run({"--detach", "id"}).flag("detach"));
    CHECK(parse_run({"-d", "id"}).flag("detach"));
    CHECK(parse_run({"--detach=true", "id"}).flag("detach"));
    CHECK(parse_run({"--detach=1", "id"}).flag("detach"));
    CHECK_FALSE(parse_run({"--detach=false", "id"}).flag("detach"));
    CHECK_FALSE(parse_run({"--detach=0", "id"}).flag("detach"));
    CHECK_FALSE(parse_run({"id"}).flag("detach"));
    // The last occurrence wins.
    CHECK_FALSE(parse_run({"--detach", "--detach=false", "id"}).flag("detach"));

    // A bool flag does not swallow the next argument.
    Args a = parse_run({"--detach", "id"});
    CHECK(a.positional == Strings{"id"});

    Args bad = parse_run({"--detach=maybe", "id"});
    CHECK_THROWS_AS(bad.flag("detach"), UsageError);
    CHECK_THROWS_WITH(bad.flag("detach"), Contains("maybe") && Contains("--detach"));
}

TEST_CASE("the command table", "[cli]") {
    const rrun::cli::Command* ls = rrun::cli::find_command("ls");
    REQUIRE(ls != nullptr);
    CHECK(std::string(ls->name) == "list");
    CHECK(ls == rrun::cli::find_command("list"));
    CHECK(rrun::cli::find_command("bogus") == nullptr);
    CHECK(rrun::cli::find_command("") == nullptr);
    CHECK(rrun::cli::find_command("LIST") == nullptr);

    for (const char* name : {"create", "start", "run", "state", "kill", "delete", "spec", "features"}) {
        INFO(name);
        const rrun::cli::Command* c = rrun::cli::find_command(name);
        REQUIRE(c != nullptr);
        CHECK(std::string(c->name) == name);
        CHECK(c->run != nullptr);
        CHECK_FALSE(c->stop_at_positional);
    }

    const rrun::cli::Command* exec = rrun::cli::find_command("exec");
    REQUIRE(exec != nullptr);
    CHECK(exec->stop_at_positional);

    // run has create's flags plus its own.
    for (auto& f : rrun::cli::create_flags) {
        INFO(f.name);
        bool found = false;
        for (auto& g : run_flags()) found = found || std::string(g.name) == f.name;
        CHECK(found);
    }
}

TEST_CASE("stop_at_positional leaves the command's own arguments alone", "[cli]") {
    const rrun::cli::Command* exec = rrun::cli::find_command("exec");
    REQUIRE(exec != nullptr);
    Strings argv = {"exec", "id", "ls", "-la", "--bogus", "--"};
    Args a = rrun::cli::parse(exec->flags, argv, 1, exec->stop_at_positional);
    CHECK(a.positional == Strings{"id", "ls", "-la", "--bogus", "--"});
    CHECK(a.values.empty());
    // Without it the same words are flags, and unknown ones.
    CHECK_THROWS_AS(rrun::cli::parse(exec->flags, argv, 1, false), UsageError);
}

TEST_CASE("create_options", "[cli]") {
    SECTION("reads every flag") {
        auto o = rrun::cli::create_options(parse_create({"--bundle", "/b", "-f", "/c.json", "--pid-file", "/p",
                                                         "--console-socket", "/s", "--no-pivot", "--preserve-fds",
                                                         "3", "mybox"}));
        CHECK(o.id == "mybox");
        CHECK(o.bundle == "/b");
        CHECK(o.config_file == "/c.json");
        CHECK(o.pid_file == "/p");
        CHECK(o.console_socket == "/s");
        CHECK(o.no_pivot);
        CHECK_FALSE(o.no_new_keyring);
        CHECK(o.preserve_fds == 3);
    }
    SECTION("defaults") {
        auto o = rrun::cli::create_options(parse_create({"mybox"}));
        CHECK(o.id == "mybox");
        CHECK(o.bundle.empty());
        CHECK(o.preserve_fds == 0);
        CHECK_FALSE(o.no_pivot);
    }
    SECTION("preserve-fds must be a count") {
        CHECK(rrun::cli::create_options(parse_create({"--preserve-fds=0", "id"})).preserve_fds == 0);
        CHECK_THROWS_AS(rrun::cli::create_options(parse_create({"--preserve-fds", "-1", "id"})), UsageError);
        CHECK_THROWS_AS(rrun::cli::create_options(parse_create({"--preserve-fds", "abc", "id"})), UsageError);
        CHECK_THROWS_WITH(rrun::cli::create_options(parse_create({"--preserve-fds=abc", "id"})),
                          Contains("abc") && Contains("--preserve-fds"));
    }
    SECTION("the id is required") {
        CHECK_THROWS_AS(rrun::cli::create_options(parse_create({"--bundle", "/b"})), UsageError);
        CHECK_THROWS_WITH(rrun::cli::create_options(parse_create({"--bundle", "/b"})), Contains("container id"));
    }
}

TEST_CASE("parse_count bounds", "[cli]") {
    CHECK(rrun::cli::parse_count("n", "0") == 0);
    CHECK(rrun::cli::parse_count("n", "7") == 7);
    CHECK(rrun::cli::parse_count("n", "65536") == 65536);
    for (const char* bad : {"65537", "-1", "", "abc", "12abc", "1.5", "99999999999999999999", "0x10"}) {
        INFO("value: \"" << bad << "\"");
        CHECK_THROWS_AS(rrun::cli::parse_count("n", bad), UsageError);
    }
    CHECK_THROWS_WITH(rrun::cli::parse_count("preserve-fds", "-1"),
                      Contains("--preserve-fds") && Contains("0 to 65536"));
}

TEST_CASE("update: runc's flag names, docker's --cpu-shares as an alias", "[cli]") {
    auto parse_update = [](const Strings& argv) { return rrun::cli::parse(rrun::cli::update_flags, argv, 0, false); };
    for (const char* name : {"blkio-weight", "cpu-period", "cpu-quota", "cpu-share", "cpu-rt-period", "cpu-rt-runtime",
                             "cpuset-cpus", "cpuset-mems", "memory", "memory-reservation", "memory-swap", "pids-limit",
                             "l3-cache-schema", "mem-bw-schema", "resources"}) {
        INFO(name);
        Args a = parse_update({std::string("--") + name, "1", "id"});
        CHECK(a.get(name) == "1");
    }
    // The alias is stored under the flag's name; the last spelling wins.
    Args a = parse_update({"--cpu-shares=512", "id"});
    CHECK(a.get("cpu-share") == "512");
    CHECK_FALSE(a.has("cpu-shares"));
    CHECK(parse_update({"--cpu-share", "1", "--cpu-shares", "2", "id"}).get("cpu-share") == "2");
    const rrun::cli::Command* update = rrun::cli::find_command("update");
    REQUIRE(update != nullptr);
    CHECK_THAT(rrun::cli::command_help(*update), Contains("--cpu-share VALUE") && Contains("(also --cpu-shares)"));
}
