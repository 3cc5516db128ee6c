#include "terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "error.hpp"
#include "fs.hpp"
#include "rootfs.hpp"
#include "mount_fd.hpp"
#include "sync.hpp"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace rrun {

namespace {

// /dev/console of the container for the init's pty: opened without following
// a symlink (an image's /dev/console could point at a procfs file, which the
// bind would then cover), made as an empty file when missing, and only a
// file or a device is taken. Returns an O_PATH fd, or -1 with child_fail().
int open_console_target() {
    int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return child_fail(errno, "open /");
    const unsigned long long resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    int fd = openat2_resolve(root, "/dev/console", O_PATH, resolve);
    if (fd < 0 && errno == ENOENT) {
        int made = open_in_root(root, "/dev/console", true, false);
        if (made >= 0) ::close(made);
        fd = openat2_resolve(root, "/dev/console", O_PATH, resolve);
    }
    int err = errno;
    ::close(root);
    struct stat st;
    if (fd >= 0 && (::fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)))) {
        ::close(fd);
        return child_fail(0, "process.terminal: /dev/console in the container is not a file or a device");
    }
    if (fd < 0) return child_fail(err, "process.terminal: /dev/console in the container");
    return fd;
}

}  // namespace

int setup_terminal(int console_socket, const Process& p, bool bind_console) {
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
    // The init's /dev/console is its pty, bound from the pty's own fd onto a
    // checked fd, never by path (runc's 2025 advisories); exec's process
    // leaves it alone, as runc's does (each exec --tty stacked a mount).
    if (bind_console) {
        int console = open_console_target();
        if (console < 0) return -1;
        // A clone of the pty's own mount, attached on the fd: no path, not
        // even /proc/self/fd/N (the container's /proc by now) is looked up.
        int mnt = clone_mount(slave, "", false);
        if (mnt < 0 || attach_mount(mnt, console) < 0) {
            int err = errno;
            if (mnt >= 0) ::close(mnt);
            ::close(console);
            return child_fail(err, "process.terminal: bind the pty on /dev/console");
        }
        ::close(mnt);
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
