#pragma once
#include <cstddef>
#include <cstdint>

namespace rrun {

// The parent and the container's init talk over one SOCK_SEQPACKET pair with
// fixed-size messages: no allocation on the child side, one read per message.
enum class SyncType : uint32_t {
    parent_done = 1,  // parent -> child: id maps written, cgroup joined (v1 made later: cgroups_made): go on
    ready,           // child -> parent: set up, waiting for start
    error,           // child -> parent: setup failed, text says why
    child_pid,       // exec's intermediate -> parent: the process's pid (in err)
    run_hooks,       // child -> parent: mounts done, run prestart/createRuntime now
    hooks_done,      // parent -> child: they ran; the state JSON follows as one packet
    cgroups_made,    // parent -> child: the v1 cgroups it made after the clone; their tasks files come with it
};

struct SyncMessage {
    SyncType type;
    int32_t err;  // errno of the failure, 0 if none
    char text[1024];
};

// Child side, no allocation: records the first failure in a static message
// and returns -1 so callers can `return child_fail(...)`.
int child_fail(int err, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
const SyncMessage& child_failure();

// Sends MSG (and FD, if >= 0, by SCM_RIGHTS); returns false on error.
bool sync_send(int sock, const SyncMessage& msg, int fd = -1);
// Receives one message (and an fd if one came, else -1); false on EOF/error.
bool sync_recv(int sock, SyncMessage& msg, int* fd = nullptr);
// The same with up to sync_max_fds fds: N sent; FDS gets them, *N how many came.
constexpr size_t sync_max_fds = 32;
bool sync_send_fds(int sock, const SyncMessage& msg, const int* fds, size_t n);
bool sync_recv_fds(int sock, SyncMessage& msg, int* fds, size_t* n);

// Sends FD with DATA over a unix socket, as runc does for --console-socket.
bool send_fd(int sock, int fd, const char* data);

}  // namespace rrun
