#pragma once
#include <sys/types.h>
#include <string>

#include "spec.hpp"
#include "unique_fd.hpp"

namespace rrun {

// Child side, after pivot_root: opens a pty in the container's devpts, sends
// the master over CONSOLE_SOCKET (SCM_RIGHTS, as conmon and containerd expect),
// binds the slave on /dev/console and makes it the controlling terminal and stdio.
int setup_terminal(int console_socket, const Process& p, bool bind_console);

// Connects to the unix socket at PATH (--console-socket).
unique_fd connect_console_socket(const std::string& path);

// Receives the pty master sent to the other end of a socketpair used as console socket.
unique_fd receive_pty_master(int sock);

// For a foreground `run` with a terminal and no console socket: copies our
// stdin to the pty and the pty to our stdout until the container exits.
void relay_terminal(int master);

}  // namespace rrun
