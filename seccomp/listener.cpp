// Hands a SCMP_ACT_NOTIFY listener fd to linux.seccomp.listenerPath, as the
// runtime-spec (runtime.md, "seccomp state") describes and runc does: one
// stream connection, the state JSON as data, the fd by SCM_RIGHTS.
#include <sys/socket.h>
#include <sys/un.h>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "seccomp.hpp"
#include "unique_fd.hpp"

namespace rrun::seccomp {

namespace {

std::string state_message(const Filter& f, pid_t pid, const std::string& container_state_json) {
    nlohmann::ordered_json msg{{"ociVersion", kStateOciVersion}, {"fds", {"seccompFd"}}, {"pid", pid}};
    if (!f.listener_metadata.empty()) msg["metadata"] = f.listener_metadata;
    msg["state"] = nlohmann::ordered_json::parse(container_state_json);
    return msg.dump();
}

unique_fd connect_listener(const std::string& path) {
    const std::string where = "linux.seccomp.listenerPath";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        throw Error(where + ": \"" + path + "\" is not a usable unix socket path");
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    unique_fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw Error(where + ": socket: " + strerror(errno));
    int rc;
    do rc = ::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) throw Error(where + ": connect to " + path + ": " + strerror(errno));
    return sock;
}

// The fd travels with the first bytes; the rest of a long state follows.
void send_all_with_fd(int sock, const std::string& data, int fd, const std::string& path) {
    size_t done = 0;
    while (done < data.size()) {
        iovec iov{const_cast<char*>(data.data() + done), data.size() - done};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
        if (done == 0) {
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            cmsghdr* c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &fd, sizeof fd);
        }
        ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw Error("linux.seccomp.listenerPath: send the notify fd to " + path + ": " +
                        (n < 0 ? strerror(errno) : "nothing sent"));
        done += static_cast<size_t>(n);
    }
}

}  // namespace

void send_to_listener(const Filter& f, int notify_fd, pid_t pid, const std::string& container_state_json) {
    unique_fd sock = connect_listener(f.listener_path);
    send_all_with_fd(sock.get(), state_message(f, pid, container_state_json), notify_fd, f.listener_path);
}

}  // namespace rrun::seccomp
