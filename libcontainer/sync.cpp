#include "sync.hpp"

#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <cstddef>

namespace rrun {
namespace {
SyncMessage failure{SyncType::error, 0, {}};
}

int child_fail(int err, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(failure.text, sizeof failure.text, fmt, ap);
    va_end(ap);
    if (err && n >= 0 && static_cast<size_t>(n) < sizeof failure.text)
        snprintf(failure.text + n, sizeof failure.text - n, ": %s", strerror(err));
    failure.err = err;
    return -1;
}

const SyncMessage& child_failure() { return failure; }

static bool send_with_fds(int sock, const void* data, size_t len, const int* fds, size_t nfds) {
    struct iovec iov{const_cast<void*>(data), len};
    struct msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * sync_max_fds)] = {};
    if (nfds > sync_max_fds) {
        errno = E2BIG;
        return false;
    }
    if (nfds > 0) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    ssize_t n;
    do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(len);
}

static bool send_with_fd(int sock, const void* data, size_t len, int fd) {
    return send_with_fds(sock, data, len, &fd, fd >= 0 ? 1 : 0);
}

// Only the used part of the text goes.
static size_t used_length(const SyncMessage& msg) {
    size_t len = offsetof(SyncMessage, text) + strnlen(msg.text, sizeof msg.text) + 1;
    return len > sizeof msg ? sizeof msg : len;
}

bool sync_send(int sock, const SyncMessage& msg, int fd) { return send_with_fd(sock, &msg, used_length(msg), fd); }

bool sync_send_fds(int sock, const SyncMessage& msg, const int* fds, size_t n) {
    return send_with_fds(sock, &msg, used_length(msg), fds, n);
}

bool sync_recv_fds(int sock, SyncMessage& msg, int* fds, size_t* nfds) {
    memset(&msg, 0, sizeof msg);
    struct iovec iov{&msg, sizeof msg};
    struct msghdr hdr{};
    hdr.msg_iov = &iov;
    hdr.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * sync_max_fds)] = {};
    hdr.msg_control = control;
    hdr.msg_controllen = sizeof control;
    // ECONNRESET: the peer has closed with a message of ours unread (an init
    // that failed before it read cgroups_made). The kernel reports that
    // before what the peer sent earlier, its error, which comes next.
    ssize_t n;
    do n = recvmsg(sock, &hdr, MSG_CMSG_CLOEXEC);
    while (n < 0 && (errno == EINTR || errno == ECONNRESET));
    *nfds = 0;
    if (n < static_cast<ssize_t>(offsetof(SyncMessage, text))) return false;
    msg.text[sizeof msg.text - 1] = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&hdr); c; c = CMSG_NXTHDR(&hdr, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < got && *nfds < sync_max_fds; i++)
            memcpy(&fds[(*nfds)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    return true;
}

bool sync_recv(int sock, SyncMessage& msg, int* fd) {
    int fds[sync_max_fds];
    size_t n = 0;
    bool ok = sync_recv_fds(sock, msg, fds, &n);
    if (fd) *fd = n > 0 ? fds[0] : -1;
    for (size_t i = fd ? 1 : 0; i < n; i++) close(fds[i]);
    return ok;
}

bool send_fd(int sock, int fd, const char* data) { return send_with_fd(sock, data, strlen(data), fd); }

}  // namespace rrun
