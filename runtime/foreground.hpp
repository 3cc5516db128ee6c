#pragma once
#include <sys/types.h>

#include "unique_fd.hpp"

namespace rrun::cli {

// A socketpair standing in for --console-socket when rrun itself shows the
// container's terminal (run and exec in the foreground without a socket).
struct OwnConsole {
    unique_fd ours;    // receives the pty master
    unique_fd theirs;  // handed to the process setup as its console socket
};
OwnConsole make_own_console();

// Waits for PID in the foreground: forwards our signals to it, relays the
// terminal MASTER (if valid) to our stdio, returns its exit code (128+N for a signal).
int wait_in_foreground(pid_t pid, int master);

}  // namespace rrun::cli
