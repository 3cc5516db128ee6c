// A small seccomp agent for the integration tests: listens on SOCKET, takes
// one connection from the runtime (the "seccomp state" JSON + the notify fd by
// SCM_RIGHTS), writes the JSON to OUT, then answers every notification with
// REPLY and appends "syscall NR" to OUT, until the container is gone.
//
//   seccomp_listener SOCKET OUT REPLY      REPLY: errno:N | success | continue
//   seccomp_listener --request-key         inside a container: makes one
//       request_key(2) call, which busybox cannot, and prints its errno
//       (ENOKEY normally, ENOSYS under podman's default profile).
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "seccomp_listener: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

int listen_on(const char* path) {
    int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) die("socket");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    // Bound under a temporary name and renamed once listening: a test that
    // waits for PATH to exist never connects before listen() (ECONNREFUSED).
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s.tmp", path);
    ::unlink(addr.sun_path);
    if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("bind");
    if (::listen(s, 1) < 0) die("listen");
    if (::rename(addr.sun_path, path) < 0) die("rename");
    return s;
}

// Reads the whole state (until the runtime closes) and the fd that came with it.
int receive_state(int conn, std::string& state) {
    int fd = -1;
    char buf[4096];
    for (;;) {
        iovec iov{buf, sizeof buf};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("recvmsg");
        if (n == 0) break;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
        state.append(buf, static_cast<size_t>(n));
    }
    return fd;
}

void answer(int notify_fd, const std::string& reply, FILE* out) {
    seccomp_notif req{};
    if (::ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
        if (errno == EINTR || errno == ENOENT) return;  // the caller went away
        die("SECCOMP_IOCTL_NOTIF_RECV");
    }
    seccomp_notif_resp resp{};
    resp.id = req.id;
    if (reply == "continue") {
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    } else if (reply.rfind("errno:", 0) == 0) {
        resp.error = -std::atoi(reply.c_str() + 6);
    }  // "success": val 0, error 0: the call "succeeds" without running
    std::fprintf(out, "syscall %d\n", req.data.nr);
    std::fflush(out);
    if (::ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT) die("SECCOMP_IOCTL_NOTIF_SEND");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--request-key") == 0) {
        // A key nobody has: no side effect when the call is allowed.
        long rc = ::syscall(SYS_request_key, "user", "rrun-test-no-such-key", nullptr, 0);
        std::printf("request_key: %s\n", rc < 0 ? std::strerror(errno) : "found");
        return 0;
    }
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s SOCKET OUT errno:N|success|continue\n", argv[0]);
        return 2;
    }
    int s = listen_on(argv[1]);
    int conn = ::accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) die("accept");
    std::string state;
    int notify_fd = receive_state(conn, state);
    FILE* out = std::fopen(argv[2], "w");
    if (!out) die("open OUT");
    std::fprintf(out, "state %s\nfd %s\n", state.c_str(), notify_fd >= 0 ? "received" : "missing");
    std::fflush(out);
    if (notify_fd < 0) return 1;
    // POLLHUP once no process uses the filter any more.
    for (;;) {
        pollfd p{notify_fd, POLLIN, 0};
        if (::poll(&p, 1, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if (p.revents & POLLIN) answer(notify_fd, argv[3], out);
        else if (p.revents & (POLLHUP | POLLERR)) break;
    }
    std::fprintf(out, "done\n");
    return 0;
}
