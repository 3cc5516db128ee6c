#include "sync.hpp"

#include <sys/socket.h>
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

static bool send_with_fd(int sock, const void* data, size_t len, int fd) {
    struct iovec iov{const_cast<void*>(data), len};
    struct msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n;
    do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(len);
}

bool sync_send(int sock, const SyncMessage& msg, int fd) {
    // Send only the used part of the text.
    size_t len = offsetof(SyncMessage, text) + strnlen(msg.text, sizeof msg.text) + 1;
    if (len > sizeof msg) len = sizeof msg;
    return send_with_fd(sock, &msg, len, fd);
}

bool sync_recv(int sock, SyncMessage& msg, int* fd) {
    memset(&msg, 0, sizeof msg);
    struct iovec iov{&msg, sizeof msg};
    struct msghdr hdr{};
    hdr.msg_iov = &iov;
    hdr.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    hdr.msg_control = control;
    hdr.msg_controllen = sizeof control;
    ssize_t n;
    do n = recvmsg(sock, &hdr, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (fd) *fd = -1;
    if (n < static_cast<ssize_t>(offsetof(SyncMessage, text))) return false;
    msg.text[sizeof msg.text - 1] = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&hdr); c; c = CMSG_NXTHDR(&hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int got;
            memcpy(&got, CMSG_DATA(c), sizeof got);
            if (fd) *fd = got;
        }
    }
    return true;
}

bool send_fd(int sock, int fd, const char* data) { return send_with_fd(sock, data, strlen(data), fd); }

}  // namespace rrun
