// passwd_home: the HOME runc would set for a numeric uid; passwd_field: the
// name in the state's "owner" (as glibc's fgetpwent finds it).
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdlib>
#include <fstream>
#include <string>

#include "passwd.hpp"

namespace {

// What LOOK finds in a passwd file holding CONTENTS.
template <typename Look>
std::string in_file(const std::string& contents, Look look) {
    char path[] = "/tmp/rrun-passwd-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(path) << contents;
    std::string found = look(path);
    unlink(path);
    return found;
}

std::string home_in(const std::string& contents, uid_t uid) {
    return in_file(contents, [&](const char* path) {
        char out[256];
        return std::string(rrun::passwd_home(path, uid, out, sizeof out));
    });
}

// FIELD of UID's entry, "(none)" when passwd_field finds none.
std::string lookup(const std::string& contents, uid_t uid, rrun::PasswdField field) {
    return in_file(contents, [&](const char* path) {
        char out[256];
        return std::string(rrun::passwd_field(path, uid, field, out, sizeof out) ? out : "(none)");
    });
}

}  // namespace

TEST_CASE("passwd_home finds the first entry with the uid", "[passwd]") {
    std::string file = "root:x:0:0:root:/root:/bin/sh\n"
                       "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                       "again:x:1:1::/second:/bin/sh\n"
                       "noshell:x:7:7::/var/seven\n"
                       "last:x:1000:1000::/home/last:/bin/sh";  // no newline at the end
    CHECK(home_in(file, 0) == "/root");
    CHECK(home_in(file, 1) == "/usr/sbin");
    CHECK(home_in(file, 7) == "/var/seven");
    CHECK(home_in(file, 1000) == "/home/last");
    CHECK(home_in(file, 4242) == "/");
}

TEST_CASE("passwd_home ignores malformed lines and falls back to /", "[passwd]") {
    CHECK(home_in("bad:x:abc:0::/nope:/bin/sh\nshort:x:5\n:x::0::/empty:/bin/sh\n", 5) == "/");
    CHECK(home_in("big:x:99999999999:0::/overflow:/bin/sh\n", static_cast<uid_t>(99999999999ULL)) == "/");
    CHECK(home_in(std::string(5000, 'a') + ":x:3:3::/long:/bin/sh\nok:x:3:3::/ok:/bin/sh\n", 3) == "/ok");
    CHECK(home_in("", 0) == "/");
    char out[16];
    CHECK(std::string(rrun::passwd_home("/nonexistent/passwd", 0, out, sizeof out)) == "/");
    CHECK(std::string(rrun::passwd_home("/tmp", 0, out, sizeof out)) == "/");
}

TEST_CASE("passwd_home keeps an empty home as runc does", "[passwd]") {
    CHECK(home_in("nohome:x:9:9:::/bin/sh\n", 9) == "");
}

TEST_CASE("passwd_field gives the name of the first entry with the uid", "[passwd]") {
    std::string file = "root:x:0:0:root:/root:/bin/sh\n"
                       "bad:x:abc:0::/nope:/bin/sh\n"
                       "rrun-test:x:1001:1001::/home/rrun-test:/bin/sh\n"
                       "other:x:1001:1001::/home/other:/bin/sh\n"
                       "last:x:1002:1002::/home/last";  // no newline at the end
    CHECK(lookup(file, 0, rrun::PasswdField::name) == "root");
    CHECK(lookup(file, 1001, rrun::PasswdField::name) == "rrun-test");
    CHECK(lookup(file, 1002, rrun::PasswdField::name) == "last");
    CHECK(lookup(file, 1002, rrun::PasswdField::home) == "/home/last");
    CHECK(lookup(file, 4242, rrun::PasswdField::name) == "(none)");
    char out[16];
    CHECK_FALSE(rrun::passwd_field("/nonexistent/passwd", 0, rrun::PasswdField::name, out, sizeof out));
}
