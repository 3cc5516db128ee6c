// The parent/init message channel: fds passed with a message arrive as the
// same open files, in order; a plain receive keeps the first and closes the rest.
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <cstring>
#include <filesystem>
#include <vector>

#include <catch2/catch.hpp>

#include "sync.hpp"
#include "unique_fd.hpp"

using namespace rrun;

namespace {

struct Channel {
    unique_fd a, b;
    Channel() {
        int p[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) == 0);
        a.reset(p[0]);
        b.reset(p[1]);
    }
};

ino_t inode_of(int fd) {
    struct stat st{};
    REQUIRE(::fstat(fd, &st) == 0);
    return st.st_ino;
}

// N files of their own (distinct inodes), open.
std::vector<unique_fd> open_files(size_t n) {
    std::vector<unique_fd> files;
    for (size_t i = 0; i < n; i++) {
        files.emplace_back(::memfd_create("sync-test", MFD_CLOEXEC));
        REQUIRE(files.back());
    }
    return files;
}

size_t open_fd_count() {
    size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) n += e.is_symlink() ? 1 : 0;
    return n;
}

}  // namespace

TEST_CASE("sync_send_fds passes every fd, in order, with the message", "[sync]") {
    Channel ch;
    auto files = open_files(9);  // the v1 hierarchies of a hybrid host
    std::vector<int> sent;
    for (auto& f : files) sent.push_back(f.get());
    SyncMessage msg{SyncType::cgroups_made, 0, {}};
    REQUIRE(sync_send_fds(ch.a.get(), msg, sent.data(), sent.size()));
    SyncMessage got;
    int fds[sync_max_fds];
    size_t n = 0;
    REQUIRE(sync_recv_fds(ch.b.get(), got, fds, &n));
    CHECK(got.type == SyncType::cgroups_made);
    REQUIRE(n == files.size());
    for (size_t i = 0; i < n; i++) {
        unique_fd received(fds[i]);
        CHECK(inode_of(received.get()) == inode_of(files[i].get()));
        CHECK((::fcntl(received.get(), F_GETFD) & FD_CLOEXEC) != 0);
    }
}

TEST_CASE("sync_send_fds refuses more fds than a receiver takes", "[sync]") {
    Channel ch;
    auto files = open_files(sync_max_fds + 1);
    std::vector<int> sent;
    for (auto& f : files) sent.push_back(f.get());
    SyncMessage msg{SyncType::cgroups_made, 0, {}};
    CHECK_FALSE(sync_send_fds(ch.a.get(), msg, sent.data(), sent.size()));
    CHECK(errno == E2BIG);
}

TEST_CASE("sync_recv keeps the first fd of a message and closes the others", "[sync]") {
    Channel ch;
    auto files = open_files(3);
    int sent[] = {files[0].get(), files[1].get(), files[2].get()};
    SyncMessage msg{SyncType::ready, 0, {}};
    std::strcpy(msg.text, "text too");
    REQUIRE(sync_send_fds(ch.a.get(), msg, sent, 3));
    size_t before = open_fd_count();
    SyncMessage got;
    int fd = -1;
    REQUIRE(sync_recv(ch.b.get(), got, &fd));
    unique_fd first(fd);
    REQUIRE(first);
    CHECK(inode_of(first.get()) == inode_of(files[0].get()));
    CHECK(std::string(got.text) == "text too");
    CHECK(open_fd_count() == before + 1);
}

TEST_CASE("sync_send without an fd and sync_recv report none", "[sync]") {
    Channel ch;
    SyncMessage msg{SyncType::parent_done, 0, {}};
    REQUIRE(sync_send(ch.a.get(), msg));
    SyncMessage got;
    int fd = 123;
    REQUIRE(sync_recv(ch.b.get(), got, &fd));
    CHECK(got.type == SyncType::parent_done);
    CHECK(fd == -1);
}

TEST_CASE("sync_recv gets what the peer sent before it closed with our message unread", "[sync]") {
    // The init failed before it read the parent's cgroups_made: its error is
    // queued for us, and the kernel says ECONNRESET first.
    Channel ch;
    SyncMessage unread{SyncType::cgroups_made, 0, {}};
    REQUIRE(sync_send(ch.a.get(), unread));
    SyncMessage failure{SyncType::error, 2, {}};
    std::strcpy(failure.text, "mount /mnt: No such file or directory");
    REQUIRE(sync_send(ch.b.get(), failure));
    ch.b.reset();
    SyncMessage got;
    REQUIRE(sync_recv(ch.a.get(), got));
    CHECK(got.type == SyncType::error);
    CHECK(std::string(got.text) == failure.text);
    CHECK_FALSE(sync_recv(ch.a.get(), got));  // then the end
}
