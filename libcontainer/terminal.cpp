#include "terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "error.hpp"
#include "rootfs.hpp"
#include "sync.hpp"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace rrun {

int setup_terminal(int console_socket, const Process& p) {
    int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return child_fail(errno, "open /dev/ptmx in the container (is devpts mounted?)");
    int unlock = 0, ptn = 0;
    if (::ioctl(master, TIOCSPTLCK, &unlock) < 0 || ::ioctl(master, TIOCGPTN, &ptn) < 0)
        return child_fail(errno, "unlock pty");
    int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) return child_fail(errno, "open pty slave");
    if (p.console_height || p.console_width) {
        struct winsize ws{};
        ws.ws_row = static_cast<unsigned short>(p.console_height);
        ws.ws_col = static_cast<unsigned short>(p.console_width);
        ::ioctl(master, TIOCSWINSZ, &ws);
    }
    ::fchown(slave, p.user.uid, static_cast<gid_t>(-1));
    char name[32];
    snprintf(name, sizeof name, "/dev/pts/%d", ptn);
    int console = open_in_root(AT_FDCWD, "/dev/console", true, false);
    if (console >= 0) {
        char target[32];
        snprintf(target, sizeof target, "/proc/self/fd/%d", console);
        // Best effort: without /proc in the container there is no /dev/console.
        if (::mount(name, target, nullptr, MS_BIND, nullptr) < 0) ::mount(name, "/dev/console", nullptr, MS_BIND, nullptr);
        ::close(console);
    }
    if (!send_fd(console_socket, master, name)) return child_fail(errno, "send the pty master to the console socket");
    ::close(master);
    if (::ioctl(slave, TIOCSCTTY, 0) < 0) return child_fail(errno, "make the pty the controlling terminal");
    for (int fd = 0; fd < 3; fd++)
        if (::dup2(slave, fd) < 0) return child_fail(errno, "dup2 pty");
    ::close(slave);
    return 0;
}

unique_fd connect_console_socket(const std::string& path) {
    unique_fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("socket");
    struct sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw Error("--console-socket " + path + ": path too long");
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
        throw_errno("--console-socket " + path);
    return sock;
}

unique_fd receive_pty_master(int sock) {
    SyncMessage msg;
    int fd = -1;
    // The child sends a plain buffer with the fd; sync_recv accepts any length.
    if (!sync_recv(sock, msg, &fd) && fd < 0) throw Error("the container did not send its terminal");
    return unique_fd(fd);
}

void relay_terminal(int master) {
    struct termios saved;
    bool tty = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        struct termios raw = saved;
        ::cfmakeraw(&raw);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        struct winsize ws;
        if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
    }
    struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {master, POLLIN, 0}};
    char buf[8192];
    for (;;) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n <= 0)
                fds[0].fd = -1;  // stdin closed: keep showing output
            else if (::write(master, buf, static_cast<size_t>(n)) < 0)
                break;
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(master, buf, sizeof buf);
            if (n <= 0) break;  // EIO: the last slave holder exited
            if (::write(STDOUT_FILENO, buf, static_cast<size_t>(n)) < 0) break;
        }
    }
    if (tty) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

}  // namespace rrun
