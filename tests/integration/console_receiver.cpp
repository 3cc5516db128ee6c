// Test helper standing in for conmon/containerd on --console-socket: listens
// on a unix socket, receives the pty master (SCM_RIGHTS), writes everything
// the container prints on the terminal to OUTPUT, and exits when it closes.
// With INPUT, that text is typed into the terminal first.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: console_receiver SOCKET OUTPUT [INPUT]\n");
        return 2;
    }
    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    // Bound under a temporary name and renamed once listening: a test that
    // waits for SOCKET to exist never connects before listen() (ECONNREFUSED).
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s.tmp", argv[1]);
    unlink(addr.sun_path);
    if (bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || listen(srv, 1) < 0 ||
        rename(addr.sun_path, argv[1]) < 0) {
        perror(argv[1]);
        return 1;
    }
    int conn = accept(srv, nullptr, nullptr);
    if (conn < 0) return 1;
    // One connection only: the name goes now, so the next receiver a test
    // starts on the same path is never mistaken for this finished one (a
    // stale socket file passes `test -S` and refuses the connection).
    unlink(argv[1]);
    char name[256] = {};
    struct iovec iov{name, sizeof name - 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    struct msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (recvmsg(conn, &msg, 0) < 0) return 1;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS) {
        std::fprintf(stderr, "no fd received\n");
        return 1;
    }
    int master;
    std::memcpy(&master, CMSG_DATA(c), sizeof master);
    FILE* out = std::fopen(argv[2], "w");
    std::fprintf(out, "received %s\n", name);
    std::fflush(out);
    if (argc > 3) {
        ssize_t n = write(master, argv[3], std::strlen(argv[3]));
        (void)n;
    }
    char buf[4096];
    for (;;) {
        ssize_t n = read(master, buf, sizeof buf);
        if (n <= 0) break;  // EIO once the container's side is closed
        std::fwrite(buf, 1, static_cast<size_t>(n), out);
        std::fflush(out);
    }
    std::fclose(out);
    return 0;
}
